"""The `kejin credit` commands end to end through Typer's CliRunner."""

from __future__ import annotations

import json

import polars as pl
import pytest
from typer.testing import CliRunner

from kejin.credit.synthetic import make_loan_book

runner = CliRunner()
EXCLUDE = "firm_id,tier,existing_debt,loan_amount,lgd,period"


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    root = tmp_path_factory.mktemp("cli")
    make_loan_book(4_000, seed=11).write_csv(root / "book.csv")
    new = pl.concat([make_loan_book(1_500, seed=12 + i, drift=0.5 * i, period=f"2025Q{i + 1}") for i in range(2)])
    new.write_parquet(root / "new.parquet")
    firms = make_loan_book(5, seed=13).drop("default").with_columns(pl.lit("Z99").alias("industry"))
    firms.write_csv(root / "firms.csv")
    portfolio = make_loan_book(500, seed=14).select("loan_amount", "lgd", "tier").with_columns(pd=pl.lit(0.04))
    portfolio.write_csv(root / "portfolio.csv")
    return root


def invoke(app, *args: str):
    result = runner.invoke(app, ["credit", *args])
    assert result.exit_code == 0, result.output + repr(result.exception)
    return result


def test_fit_score_report_monitor(cli_app, files):
    out = files / "models"
    invoke(cli_app, "fit", "--data", str(files / "book.csv"), "--target", "default", "--out", str(out), "--exclude", EXCLUDE,
           "--min-iv", "0", "--pdo", "30", "--sql", str(files / "card.sql"), "--report", str(files / "fit.html"))
    card_path = out / "scorecard-v1.json"
    card = json.loads(card_path.read_text(encoding="utf-8"))
    assert card["scaling"]["pdo"] == 30 and card["version"] == 1
    assert "CASE" in (files / "card.sql").read_text(encoding="utf-8")
    assert "<svg" in (files / "fit.html").read_text(encoding="utf-8")

    result = invoke(cli_app, "score", "--model", str(card_path), "--data", str(files / "firms.csv"), "--keep", "firm_id")
    lines = result.stdout.strip().splitlines()
    assert lines[0].startswith("firm_id,score,pd,reason_1") and len(lines) == 6
    assert all(line.endswith("industry") for line in lines[1:])  # the unseen category is flagged
    invoke(cli_app, "score", "--model", str(card_path), "--data", str(files / "firms.csv"), "--format", "json", "--output", str(files / "s.json"))
    rows = json.loads((files / "s.json").read_text(encoding="utf-8"))
    assert len(rows) == 5 and {"score", "pd", "reason_1", "reason_2", "reason_3"} <= set(rows[0])

    failed = runner.invoke(cli_app, ["credit", "score", "--model", str(card_path), "--data", str(files / "firms.csv"), "--unseen", "error"])
    assert failed.exit_code != 0 and failed.exception.problems[0].code == "score.unseen_category"

    result = invoke(cli_app, "report", "--model", str(card_path), "--data", str(files / "book.csv"), "--html", str(files / "r.html"))
    assert "验证 validation" in (files / "r.html").read_text(encoding="utf-8")

    result = invoke(cli_app, "monitor", "--model", str(card_path), "--data", str(files / "new.parquet"), "--period", "period",
                    "--target", "default", "--format", "json", "--html", str(files / "drift.html"))
    records = json.loads(result.stdout[: result.stdout.rindex("]") + 1])
    assert {r["period"] for r in records} == {"全部 all", "2025Q1", "2025Q2"}


def test_fit_refuses_a_one_class_target(cli_app, files):
    book = pl.read_csv(files / "book.csv").with_columns(pl.lit(0).alias("default"))
    book.write_csv(files / "one.csv")
    result = runner.invoke(cli_app, ["credit", "fit", "--data", str(files / "one.csv"), "--target", "default", "--out", str(files / "x.json")])
    assert result.exit_code != 0 and result.exception.problems[0].code == "input.one_class"


def test_line_and_sharing(cli_app, files):
    result = invoke(cli_app, "line", "--tier", "tier_35", "--points", "78", "--standards-met", "2", "--revenue", "8000000", "--debt", "1000000")
    assert "2,530,000" in result.stdout and "B" in result.stdout
    result = invoke(cli_app, "sharing", "split", "--tier", "tier_40", "--loan", "10000000", "--loss", "4500000", "--format", "json")
    [row] = json.loads(result.stdout)
    assert row["national_fund"] == 1_000_000 and row["pool"] == 250_000
    bad = runner.invoke(cli_app, ["credit", "sharing", "split", "--tier", "tier_40", "--loan", "100", "--loss", "200"])
    assert bad.exit_code != 0 and bad.exception.problems[0].code == "sharing.loss_exceeds_loan"
    result = invoke(cli_app, "sharing", "simulate", "--loans", str(files / "portfolio.csv"), "--scenarios", "500", "--target-dry", "0.05",
                    "--html", str(files / "sim.html"))
    assert "P(pool runs dry" in result.stdout
    result = invoke(cli_app, "sharing", "size-pool", "--loans", str(files / "portfolio.csv"), "--scenarios", "500", "--target", "0.05")
    assert "balance needed" in result.stdout


def test_features_join_and_fit(cli_app, tmp_path):
    """Facts → kejin features joined onto a loan book by uscc/year → a card that uses them."""
    from kejin.credit.synthetic import make_fact_loan_book, synthetic_tech_facts

    synthetic_tech_facts(6_000, seed=8).write_parquet(tmp_path / "facts.parquet")
    make_fact_loan_book(6_000, seed=8).select("uscc", "year", "default").write_csv(tmp_path / "loans.csv")
    result = invoke(cli_app, "features", "--input", str(tmp_path / "facts.parquet"), "--join", str(tmp_path / "loans.csv"),
                    "--ratios", "--out", str(tmp_path / "book.parquet"))
    assert "2000 笔贷款 loans, 0 无事实 without facts" in result.stdout
    book = pl.read_parquet(tmp_path / "book.parquet")
    assert book.height == 2_000 and {"default", "leverage", "innovation_points", "std_tech_sme", "rd_years_unbroken"} <= set(book.columns)
    invoke(cli_app, "fit", "--data", str(tmp_path / "book.parquet"), "--target", "default", "--out", str(tmp_path / "card.json"),
           "--exclude", "uscc,year,points_method")
    card = json.loads((tmp_path / "card.json").read_text(encoding="utf-8"))
    used = {f["name"] for f in card["features"]}
    assert used - {"leverage", "net_margin", "revenue", "cash_flow_to_debt"}  # kejin's features made it into the card

    invoke(cli_app, "features", "-i", str(tmp_path / "facts.parquet"), "--year", "2023", "-m", "v2", "--out", str(tmp_path / "f.csv"))
    features = pl.read_csv(tmp_path / "f.csv")
    assert features.get_column("year").unique().to_list() == [2023] and features.get_column("points_method")[0] == "v2@2025.1"
    pl.read_csv(tmp_path / "loans.csv").drop("year").write_csv(tmp_path / "no_year.csv")
    failed = runner.invoke(cli_app, ["credit", "features", "-i", str(tmp_path / "facts.parquet"), "--join", str(tmp_path / "no_year.csv"), "--out", str(tmp_path / "x.parquet")])
    assert failed.exit_code != 0 and failed.exception.problems[0].code == "features.year_needed"
