"""Fixes from the fifth audit: the valuation date of PME and the multiples, invalid date options, fair-value
marks after the as-of date, malformed CSV files, simulate options, funds without a NAV, and evaluate
options that match nothing."""

from __future__ import annotations

import json
import math
import shutil
from datetime import date

import polars as pl
import pytest
import pyxirr
from typer.testing import CliRunner

from kejin.cli import _mount, app
from kejin.errors import InputError
from kejin.funds.cashflows import read_cashflows
from kejin.funds.metrics import fund_metrics, pme

_mount()
runner = CliRunner()

PME_FILE = (
    "fund_id,date,amount,nav\n"
    "LIQ,2017-01-01,-100,\n"
    "LIQ,2019-01-01,-100,\n"
    "LIQ,2022-01-01,260,\n"
    "AFT,2017-01-01,-100,\n"
    "AFT,2019-06-30,,50\n"
    "AFT,2022-01-01,300,\n"
)
INDEX = {date(2016, 1, 1): 3500.0, date(2017, 1, 1): 3300.0, date(2018, 1, 1): 4000.0, date(2019, 1, 1): 3000.0,
         date(2020, 1, 1): 4100.0, date(2021, 1, 1): 5200.0, date(2022, 1, 1): 4900.0, date(2023, 1, 1): 3900.0}


def run(*args):
    return runner.invoke(app, ["funds", *map(str, args)])


def _problem(result):
    assert result.exit_code != 0 and isinstance(result.exception, InputError), result.output
    return result.exception.problems


@pytest.fixture()
def pme_file(tmp_path):
    path = tmp_path / "pme.csv"
    path.write_text(PME_FILE, encoding="utf-8")
    return read_cashflows(path)


def _index() -> pl.DataFrame:
    return pl.DataFrame({"date": list(INDEX), "level": list(INDEX.values())})


# ---------------------------------------------------------------- 4. the valuation date T
def test_pme_of_a_realised_fund_without_nav_runs_to_its_last_flow(pme_file):
    rows = {r["fund_id"]: r for r in pme(pme_file.flows, pme_file.navs, _index()).iter_rows(named=True)}
    liq = rows["LIQ"]
    # KS = 260 / (100·4900/3300 + 100·4900/3000): T = 2022-01-01, the last flow
    assert liq["ks_pme"] == pytest.approx(260 / (100 * 4900 / 3300 + 100 * 4900 / 3000))
    assert liq["ks_pme"] == pytest.approx(0.834, abs=5e-4)
    assert liq["pme_date"] == date(2022, 1, 1) and "no NAV" in liq["pme_note"]
    fv = [-100 * 4900 / 3300, -100 * 4900 / 3000, 260.0]
    alpha = pyxirr.xirr([date(2017, 1, 1), date(2019, 1, 1), date(2022, 1, 1)], fv)
    assert liq["direct_alpha_rate"] == pytest.approx(alpha, abs=1e-7)


def test_a_stale_nav_is_ignored_and_no_flow_after_it_is_dropped(pme_file):
    rows = {r["fund_id"]: r for r in pme(pme_file.flows, pme_file.navs, _index()).iter_rows(named=True)}
    aft = rows["AFT"]
    assert aft["ks_pme"] == pytest.approx(300 / (100 * 4900 / 3300))  # was 0.55: the 2022 flow was left out
    assert aft["pme_date"] == date(2022, 1, 1) and "stale" in aft["pme_note"]
    m = {r["fund_id"]: r for r in fund_metrics(pme_file.flows, pme_file.navs).iter_rows(named=True)}["AFT"]
    assert m["nav_status"] == "stale" and m["valuation_date"] == date(2022, 1, 1)
    assert m["dpi"] == pytest.approx(3.0) and m["tvpi"] is None and m["rvpi"] is None  # was 3.5: stale NAV added
    assert "2019-06-30" in m["nav_note_en"] and "stale" in m["nav_note_en"]
    expected = pyxirr.xirr([date(2017, 1, 1), date(2022, 1, 1)], [-100, 300])  # the stale NAV is no flow
    assert m["irr"] == pytest.approx(expected, abs=1e-7)


def test_a_nav_at_the_last_flow_date_still_counts():
    f = pl.DataFrame({"fund_id": ["A", "A"], "date": [date(2018, 1, 1), date(2020, 1, 1)], "amount": [-100.0, 20.0]})
    n = pl.DataFrame({"fund_id": ["A"], "date": [date(2020, 1, 1)], "nav": [90.0]})
    m = fund_metrics(f, n).row(0, named=True)
    assert m["nav_status"] == "current" and m["tvpi"] == pytest.approx(1.1) and m["rvpi"] == pytest.approx(0.9)
    assert m["irr"] == pytest.approx(pyxirr.xirr([date(2018, 1, 1), date(2020, 1, 1)], [-100, 110]), abs=1e-7)
    row = pme(f, n, _index()).row(0, named=True)
    assert row["ks_pme"] == pytest.approx((20 + 90) / (100 * 4100 / 4000)) and row["pme_note"] is None


# ---------------------------------------------------------------- 9. no NAV, or a NAV of 0
def test_calls_without_any_nav_are_not_a_total_loss(tmp_path):
    path = tmp_path / "cf.csv"
    path.write_text("fund_id,date,amount,nav\nONE,2020-01-01,-1000,\nLOSS,2020-01-01,-1000,\nLOSS,2024-12-31,,0\n",
                    encoding="utf-8")
    cf = read_cashflows(path)
    rows = {r["fund_id"]: r for r in fund_metrics(cf.flows, cf.navs).iter_rows(named=True)}
    one, loss = rows["ONE"], rows["LOSS"]
    assert one["tvpi"] is None and one["rvpi"] is None and one["nav"] is None and one["nav_status"] == "none"
    assert one["dpi"] == 0.0 and "no NAV" in one["nav_note_en"] and "净值" in one["nav_note_zh"]
    assert loss["tvpi"] == 0.0 and loss["rvpi"] == 0.0 and loss["nav_status"] == "current"
    assert loss["irr"] == -1.0 and loss["irr_status"] == "total_loss" and "total loss" in loss["nav_note_en"]
    r = run("metrics", "--cashflows", path, "--format", "json")
    assert r.exit_code == 0, r.output
    shown = {x["fund_id"]: x for x in json.loads(r.stdout)}
    assert shown["ONE"]["tvpi"] is None and "no NAV" in shown["ONE"]["nav_note"]
    assert shown["LOSS"]["irr"] == -1.0


# ---------------------------------------------------------------- 5. invalid date options
@pytest.fixture(scope="module")
def imported(tmp_path_factory, data_dir):
    out = tmp_path_factory.mktemp("imp") / "imported"
    assert run("import", data_dir / "ledger", "--out", out).exit_code == 0
    return out


@pytest.mark.parametrize("command", [["evaluate"], ["tolerance"], ["pacing", "--fof", "NGF"]])
@pytest.mark.parametrize("text", ["2019-13-01", "2019-02-30", "yesterday"])
def test_invalid_as_of_is_a_bilingual_error_naming_the_option(imported, command, text):
    [problem] = _problem(run(*command, "--ledger", imported, "--as-of", text))
    assert (problem.code, problem.field, problem.value) == ("option.date", "--as-of", text)
    assert "YYYY-MM-DD" in problem.en or "no such date" in problem.en
    assert not problem.zh.isascii()


# ---------------------------------------------------------------- 6. marks after the as-of date
def test_tolerance_ignores_fair_value_marks_after_the_as_of_date(ledger):
    from kejin.funds.tolerance import investment_values

    later = investment_values(ledger, date(2024, 6, 30)).filter(pl.col("investment_id") == "ANG1-06").row(0, named=True)
    assert later["remaining"] == later["amount"] == 7_760_000  # the 2024-12-31 mark of 776 000 is not yet known
    now = investment_values(ledger, date(2024, 12, 31)).filter(pl.col("investment_id") == "ANG1-06").row(0, named=True)
    assert now["remaining"] == 776_000
    assert investment_values(ledger).filter(pl.col("investment_id") == "ANG1-06")["remaining"][0] == 776_000


# ---------------------------------------------------------------- 7. malformed CSV
def test_unclosed_quote_in_a_cash_flow_file_names_the_row(tmp_path):
    bad = tmp_path / "bad2.csv"
    bad.write_text('fund_id,date,amount\nA,2020-01-01,-100\nA,"2021-01-01,50\n', encoding="utf-8")
    [problem] = _problem(run("metrics", "--cashflows", bad))
    assert (problem.code, problem.file, problem.row) == ("file.csv", str(bad), 3)
    assert "ignore_errors" not in problem.zh + problem.en and problem.zh.startswith("引号")


def test_unclosed_quote_in_a_ledger_table_names_file_and_row(tmp_path, data_dir):
    folder = tmp_path / "ledger"
    shutil.copytree(data_dir / "ledger", folder)
    navs = folder / "navs.csv"
    rows = navs.read_text(encoding="utf-8").splitlines()
    navs.write_text("\n".join(rows + ['VC1,"2025-01-01,1']) + "\n", encoding="utf-8")
    [problem] = _problem(run("import", folder, "--out", tmp_path / "out"))
    assert (problem.code, problem.file, problem.row) == ("file.csv", str(navs), len(rows) + 1)
    assert not (tmp_path / "out").exists()


# ---------------------------------------------------------------- 8. simulate options
@pytest.mark.parametrize("rates, bad", [("abc", ["abc"]), ("1.5,-0.2", ["1.5", "-0.2"]), ("0.2,x,2", ["x", "2"])])
def test_tolerance_rates_must_be_numbers_within_0_and_1(rates, bad):
    problems = _problem(run("simulate", "--funds", 10, "--tolerance-rates", rates))
    assert [(p.field, p.value) for p in problems] == [("--tolerance-rates", b) for b in bad]


def test_jax_backend_without_jax_says_how_to_install(monkeypatch):
    import importlib.util

    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "jax" else real(name, *a))
    [problem] = _problem(run("simulate", "--funds", 10, "--backend", "jax"))
    assert problem.field == "--backend" and "pip install" in problem.en and "jax" in problem.zh


# ---------------------------------------------------------------- 10. evaluate options that match nothing
def test_evaluate_unknown_fund_names_the_funds_available(imported):
    [problem] = _problem(run("evaluate", "--ledger", imported, "--fund", "NOPE"))
    assert (problem.field, problem.value) == ("--fund", "NOPE") and "VC1" in problem.en and "SEED1" in problem.zh


def test_evaluate_before_any_nav_names_the_dates_available(imported):
    [problem] = _problem(run("evaluate", "--ledger", imported, "--as-of", "2000-01-01"))
    assert problem.field == "--as-of" and "2016" in problem.en
    problems = _problem(run("evaluate", "--ledger", imported, "--as-of", "2017-06-01", "--fund", "VC1", "--fund",
                            "ANG1"))
    assert [(p.field, p.value) for p in problems] == [("--as-of", "2017-06-01")]
    assert "ANG1" in problems[0].en and "inception" in problems[0].en
    assert run("evaluate", "--ledger", imported, "--as-of", "2019-12-31", "--fund", "VC1").exit_code == 0


def test_pacing_before_inception_is_an_error_and_unstarted_funds_are_not_held(imported):
    [problem] = _problem(run("pacing", "--ledger", imported, "--fof", "NGF", "--as-of", "2000-01-01"))
    assert (problem.field, problem.value) == ("--as-of", "2000-01-01") and "inception" in problem.en
    r = run("pacing", "--ledger", imported, "--fof", "YRD", "--as-of", "2017-01-01", "--format", "json")
    assert r.exit_code == 0, r.output  # was an IndexError: a held fund's age was negative


def test_metrics_irr_matches_pyxirr_when_the_nav_is_current(data_dir):
    cf = read_cashflows(data_dir / "cashflows.csv")
    alpha = {r["fund_id"]: r for r in fund_metrics(cf.flows, cf.navs).iter_rows(named=True)}["ALPHA"]
    expected = pyxirr.xirr([date(2020, 1, 15), date(2020, 7, 15), date(2020, 12, 31), date(2022, 6, 30),
                            date(2023, 12, 31)], [-1_000_000, -500_000, -20_000, 300_000, 1_650_000])
    assert alpha["irr"] == pytest.approx(expected, abs=1e-7) and not math.isnan(alpha["tvpi"])
