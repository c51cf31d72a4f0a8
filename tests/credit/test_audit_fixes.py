"""Fixes from the fifth audit: text in a numeric feature at fit time, negative pool balances, bad cells in
the sharing inputs, and a malformed CSV — each a bilingual error naming file, row and field."""

from __future__ import annotations

import polars as pl
import pytest
from typer.testing import CliRunner

from kejin.credit.portfolio import loans_from_frame, simulate
from kejin.credit.scorecard import FitOptions, fit_scorecard
from kejin.credit.sharing import load_sharing, split_losses
from kejin.credit.synthetic import make_loan_book
from kejin.credit.table import read_table
from kejin.errors import InputError

SHARING = load_sharing()
runner = CliRunner()


def _run(app, *args: str):
    return runner.invoke(app, ["credit", *map(str, args)])


@pytest.fixture(scope="module")
def text_book(tmp_path_factory):
    """A loan book whose numeric ``debt_ratio`` holds one ``n/a`` (data row 5 → row 7 as the user counts)."""
    book = make_loan_book(3_000, seed=5).with_columns(pl.col("debt_ratio").cast(pl.String))
    book = book.with_columns(book.get_column("debt_ratio").scatter(5, "n/a"))
    path = tmp_path_factory.mktemp("audit") / "fit_text.csv"
    book.write_csv(path)
    return path


def _not_numeric(caught) -> list[tuple[int | None, str | None, object]]:
    return [(p.row, p.field, p.value) for p in caught.value.problems if p.code == "input.not_numeric"]


# ---------------------------------------------------------------- 1. text in a numeric feature at fit
def test_fit_reports_text_in_a_named_numeric_feature(text_book):
    frame = read_table(text_book)
    with pytest.raises(InputError) as caught:
        fit_scorecard(frame, "default", FitOptions(features=["debt_ratio", "roa"]), text_book)
    assert _not_numeric(caught) == [(7, "debt_ratio", "n/a")]
    assert caught.value.problems[0].file == str(text_book)


def test_fit_honours_numeric_and_does_not_drop_the_column_as_an_identifier(text_book):
    frame = read_table(text_book)
    exclude = ["firm_id", "tier", "existing_debt", "loan_amount", "lgd"]
    for options in (FitOptions(exclude=exclude, numeric={"debt_ratio"}), FitOptions(exclude=exclude)):
        with pytest.raises(InputError) as caught:
            fit_scorecard(frame, "default", options, text_book)
        assert _not_numeric(caught) == [(7, "debt_ratio", "n/a")]


def test_fit_still_takes_a_text_column_of_codes_as_categorical():
    book = make_loan_book(2_000, seed=6).with_columns(pl.col("years_operating").cast(pl.String).alias("code"))
    card = fit_scorecard(book, "default", FitOptions(features=["debt_ratio", "code"]))
    kinds = {f.name: f.kind for f in card.features} | {x.name: "excluded" for x in card.excluded}
    assert kinds.get("code") in ("categorical", "excluded")


def test_fit_cli_gives_the_row_without_a_traceback(cli_app, text_book, tmp_path):
    r = _run(cli_app, "fit", "--data", text_book, "--target", "default", "--out", tmp_path, "--features", "debt_ratio,roa")
    assert r.exit_code != 0 and isinstance(r.exception, InputError)
    assert _not_numeric(type("C", (), {"value": r.exception})) == [(7, "debt_ratio", "n/a")]


def test_text_below_the_type_guessing_rows_is_reported_by_row(tmp_path):
    n = 100_050
    frame = pl.DataFrame({"x": [str(i % 97) for i in range(n)], "default": [i % 2 for i in range(n)]})
    frame = frame.with_columns(frame.get_column("x").scatter(n - 1, "oops"))
    path = tmp_path / "long.csv"
    frame.write_csv(path)
    with pytest.raises(InputError) as caught:
        fit_scorecard(read_table(path), "default", FitOptions(features=["x"]), path)
    assert _not_numeric(caught) == [(n + 1, "x", "oops")]


# ---------------------------------------------------------------- 2. negative pool balances and amounts
def test_split_refuses_a_negative_pool_balance():
    with pytest.raises(InputError) as caught:
        split_losses(SHARING, [("tier_40", 1e6, 5e5)], pool_balance_yuan=-5)
    assert {(p.code, p.field) for p in caught.value.problems} == {("money.negative", "--pool-balance")}


@pytest.mark.parametrize("balance", [-100.0, float("nan"), float("inf")])
def test_simulate_refuses_a_bad_pool_balance(balance):
    loans = loans_from_frame(pl.DataFrame({"loan_amount": [1e6], "pd": [0.05], "lgd": [0.5], "tier": ["tier_40"]}))
    with pytest.raises(InputError) as caught:
        simulate(SHARING, loans, scenarios=100, pool_balance=balance)
    assert caught.value.problems[0].field == "--pool-balance"


def test_cli_split_and_simulate_refuse_negative_balances(cli_app, tmp_path):
    r = _run(cli_app, "sharing", "split", "--tier", "tier_40", "--loan", "1e6", "--loss", "5e5", "--pool-balance", "-5")
    assert r.exit_code != 0 and isinstance(r.exception, InputError)
    book = tmp_path / "book.csv"
    book.write_text("loan_amount,pd,lgd,tier\n1000000,0.05,0.5,tier_40\n", encoding="utf-8")
    r = _run(cli_app, "sharing", "simulate", "--loans", book, "--pool-balance", "-100", "--scenarios", "100")
    assert r.exit_code != 0 and isinstance(r.exception, InputError)
    r = _run(cli_app, "sharing", "simulate", "--loans", book, "--default-lgd", "1.5", "--scenarios", "100")
    assert r.exit_code != 0 and r.exception.problems[0].field == "--default-lgd"
    r = _run(cli_app, "sharing", "size-pool", "--loans", book, "--target", "1.5", "--scenarios", "100")
    assert r.exit_code != 0 and r.exception.problems[0].field == "--target"


# ---------------------------------------------------------------- 3. bad cells in the sharing inputs
@pytest.mark.parametrize(
    "cell, code",
    [("abc", "money.not_number"), ("", "money.blank"), ("nan", "money.blank"), ("inf", "money.too_large"),
     ("1e400", "money.too_large")],
)
def test_split_file_with_a_bad_loan_cell_names_the_row(cli_app, tmp_path, cell, code):
    path = tmp_path / "one.csv"
    path.write_text(f"tier,loan,loss\ntier_40,100,5\ntier_40,{cell},5\n", encoding="utf-8")
    r = _run(cli_app, "sharing", "split", "--data", path)
    assert r.exit_code != 0 and isinstance(r.exception, InputError), r.output
    [problem] = r.exception.problems
    assert (problem.code, problem.file, problem.row, problem.field) == (code, str(path), 3, "loan")


def test_split_file_reads_thousands_separators_and_trims_the_tier(tmp_path):
    from kejin.credit.sharing import losses_from_frame

    path = tmp_path / "one.csv"
    path.write_text('tier,loan,loss\n tier_40 ,"1,000","1,000.50"\n', encoding="utf-8")
    with pytest.raises(InputError) as caught:  # the loss is larger than the loan: the numbers were read
        split_losses(SHARING, losses_from_frame(SHARING, read_table(path), str(path)), file=str(path))
    assert [p.code for p in caught.value.problems] == ["sharing.loss_exceeds_loan"]
    path.write_text('tier,loan,loss\n tier_40 ,"1,000",500\n', encoding="utf-8")
    [result] = split_losses(SHARING, losses_from_frame(SHARING, read_table(path), str(path)), file=str(path))
    assert (result.tier, result.loan_fen, result.loss_fen) == ("tier_40", 100_000, 50_000)


def test_split_file_reports_every_bad_row_and_a_blank_tier(tmp_path):
    from kejin.credit.sharing import losses_from_frame

    path = tmp_path / "many.csv"
    path.write_text("tier,loan,loss\n,100,5\ntier_40,abc,x\nnope,100,5\n", encoding="utf-8")
    with pytest.raises(InputError) as caught:
        losses_from_frame(SHARING, read_table(path), str(path))
    found = {(p.row, p.field, p.code) for p in caught.value.problems}
    assert found == {(2, "tier", "sharing.blank_tier"), (3, "loan", "money.not_number"),
                     (3, "loss", "money.not_number"), (4, "tier", "sharing.unknown_tier")}


def test_simulate_names_file_and_row_of_an_unknown_or_blank_tier(cli_app, tmp_path):
    path = tmp_path / "book.csv"
    path.write_text("loan_amount,pd,lgd,tier\n100,0.1,0.4,tier_40\n100,0.1,0.4,\n100,0.1,0.4,bogus\n"
                    '"1,000",0.1,0.4, tier_30\ninf,0.1,0.4,tier_30\n', encoding="utf-8")
    r = _run(cli_app, "sharing", "simulate", "--loans", path, "--scenarios", "100")
    assert r.exit_code != 0 and isinstance(r.exception, InputError), r.output
    found = {(p.file, p.row, p.field, p.code) for p in r.exception.problems}
    assert found == {(str(path), 3, "tier", "sharing.blank_tier"), (str(path), 4, "tier", "sharing.unknown_tier"),
                     (str(path), 6, "loan_amount", "input.out_of_range")}


# ---------------------------------------------------------------- 7. a malformed CSV
def test_unclosed_quote_in_a_loan_book_names_the_row(cli_app, tmp_path):
    path = tmp_path / "broken.csv"
    path.write_text('a,b,default\n1,2,0\n3,"4,1\n5,6,0\n', encoding="utf-8")
    r = _run(cli_app, "fit", "--data", path, "--target", "default", "--out", tmp_path)
    assert r.exit_code != 0 and isinstance(r.exception, InputError)
    [problem] = r.exception.problems
    assert (problem.code, problem.file, problem.row) == ("file.csv", str(path), 3)
    assert "ignore_errors" not in problem.zh + problem.en and "quote" in problem.en and "引号" in problem.zh
