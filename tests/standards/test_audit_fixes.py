"""Regression tests for the fourth audit of the standards engine (multi-year periods, the value
shown for alternatives, --year / --uscc errors, undecided reasons, the fields explain checks)."""

import csv
import io
import json
import os
import shutil
import subprocess
import sys

import pytest
from rich.console import Console

from kejin.rules import expr as ex
from kejin.standards import engine, explain, results
from kejin.standards.packtests import Case, case_table
from kejin.standards.registry import all_versions, resolve

KEJIN = [shutil.which("kejin")] if shutil.which("kejin") else [sys.executable, "-m", "kejin"]
UNKNOWN_USCC = "91440305787789323A"  # wrong check character: in no file
SAMPLE_FIRM = "91440305787789323F"

# an HNTE firm that meets every condition when its three years are known
HNTE = {
    "hnte_field": True, "hnte_ip_advancement": 8, "hnte_ip_core_support": 8, "hnte_ip_acquisition": 6,
    "hnte_standard_bonus": 2, "hnte_rd_management": 20, "employees": 100, "tech_staff": 10,
    "revenue": 10_000_000, "main_business_revenue": 9_000_000, "hi_tech_revenue": 6_000_000,
    "rd_expense": 500_000, "rd_expense_domestic": 500_000, "tech_transfers": 5,
    "total_assets": 100_000_000, "total_liabilities": 0, "established": "2010-01-01",
}


def cli(*args):
    env = {**os.environ, "COLUMNS": "200"}
    return subprocess.run([*KEJIN, *map(str, args)], capture_output=True, text=True, env=env, timeout=600)


def record(pack_id, facts, history=(), year=2024):
    """The JSON record of one firm-year (the engine path `eval` and `explain` share)."""
    pack = resolve(pack_id)[0]
    table = case_table(Case("audit", dict(facts), [dict(h) for h in history], {}))
    frame = engine.evaluate_pack(engine.prepare(table, [pack]), pack, gaps=True, year=year)
    return next(results.records(pack, frame))


def indicator(rec, ind_id):
    return next(i for i in rec["indicators"] if i["id"] == ind_id)


def condition(rec, cond_id):
    return next(c["met"] for c in rec["conditions"] if c["id"] == cond_id)


# ------------------------------------------------------------------ 1. the actual period
def test_older_firm_with_only_its_latest_row_is_not_evaluable():
    rec = record("hnte", HNTE)  # established 2010, R&D 5% in 2024, nothing known of 2022-2023
    assert rec["status"] == "not_evaluable" and rec["decided_by"] == "missing"
    assert condition(rec, "rd_ratio_small") is None and condition(rec, "rd_domestic") is None
    for label in ("rd_expense@t-1", "revenue@t-1", "rd_expense@t-2", "revenue@t-2", "tech_transfers@t-1"):
        assert label in rec["missing"]
    assert indicator(rec, "conversion")["points_band"] == [0, 30]
    # the reason names the missing years
    assert "2023" in rec["reason"]["zh"] and "2022" in rec["reason"]["zh"]
    assert "2023" in rec["reason"]["en"] and "2022" in rec["reason"]["en"]


def test_a_gap_year_is_unknown_not_a_shorter_period():
    rec = record("hnte", HNTE, history=[{**HNTE, "year": 2022}])  # 2023 absent
    assert rec["status"] == "not_evaluable"
    assert condition(rec, "rd_ratio_small") is None
    assert "revenue@t-1" in rec["missing"] and not any(m.endswith("@t-2") for m in rec["missing"])
    for ind in ("conversion", "net_asset_growth", "sales_growth"):
        assert indicator(rec, ind)["value"] is None


def test_all_three_years_known_decides():
    low = {**HNTE, "rd_expense": 100_000, "rd_expense_domestic": 100_000}  # 1% in 2022 and 2023
    rec = record("hnte", HNTE, history=[{**low, "year": 2023}, {**low, "year": 2022}])
    assert rec["status"] == "fail" and rec["decided_by"] == "gate:rd_ratio_small"


def test_a_firm_younger_than_three_years_uses_its_actual_period():
    young = {**HNTE, "established": "2023-06-01"}
    # R&D 4% in 2023 and 6% in 2024: 5.00% over the two years of the period
    rec = record("hnte", {**young, "rd_expense": 600_000, "rd_expense_domestic": 600_000},
                 history=[{**young, "year": 2023, "rd_expense": 400_000, "rd_expense_domestic": 400_000}])
    assert condition(rec, "rd_ratio_small") is True
    assert indicator(rec, "conversion")["value"] == 5
    # a year before the firm existed is not a missing input, even when the verdict waits
    blank = {k: None for k in ("hnte_ip_advancement", "hnte_ip_core_support", "hnte_ip_acquisition", "hnte_rd_management")}
    rec = record("hnte", {**young, **blank}, history=[{**young, **blank, "year": 2023}])
    assert rec["status"] == "not_evaluable" and rec["missing"]
    assert not any(m.endswith("@t-2") for m in rec["missing"]), rec["missing"]


def test_a_blank_figure_in_the_earliest_year_makes_growth_unknown():
    firm = {**HNTE, "hnte_rd_management": 10}  # so that the growth band decides the verdict
    rec = record("hnte", firm, history=[{**firm, "year": 2023, "total_assets": 110_000_000},
                                        {**firm, "year": 2022, "total_liabilities": None}])
    growth = indicator(rec, "net_asset_growth")
    assert growth["value"] is None and growth["points_band"] == [0, 10]
    assert rec["status"] == "not_evaluable" and rec["missing"] == ["total_liabilities@t-2"]
    assert indicator(rec, "sales_growth")["points_band"] == [1, 2]  # revenue is known in every year


def test_no_standard_pack_reads_a_missing_year_as_outside_the_period():
    """`sum_years_actual` / `years_present` count a missing row as a year the firm did not exist;
    the standards use `sum_years` (every year needed) or the period-aware sums of the hnte pack."""
    for pack in all_versions():
        for key, source in pack.expressions() + [(f"derived.{k}", v) for k, v in pack.derived.items()]:
            used = ex.names_in(source)
            assert "sum_years_actual" not in used, (pack.ref, key)
            if "years_present" in used:  # only to tell which earlier years are in the firm's period
                assert getattr(pack, "actual_period", False), (pack.ref, key)
            assert "coalesce(lag(" not in source.replace(" ", ""), f"{pack.ref} {key}: a blank earlier year must not be read as zero"


# ------------------------------------------------------------------ 2. the value of an alternative
def test_explain_shows_the_alternative_that_earned_the_points():
    facts = {"employees": 400, "tech_staff": 120, "revenue": 100_000_000, "main_business_revenue": 1, "hi_tech_revenue": 1,
             "rd_expense": 600_000, "total_cost": 2_000_000, "total_assets": 100_000_000, "ip_class1": 0, "ip_class1_self_developed": 0}
    rec = record("tech-sme", facts)  # R&D 0.6% of revenue (0 points), 30% of total cost (50 points)
    rd = indicator(rec, "rd_input")
    assert rd["points"] == 50
    assert rd["value"] == pytest.approx(0.30) and rd["via"]["id"] == "rd_to_cost"
    assert rd["tier"]["scale"] == "rd_to_cost"
    console = Console(file=io.StringIO(), width=220)
    explain.print_report(rec, console)
    text = console.file.getvalue()
    assert "30.00%" in text and "成本费用" in text and "0.60%" not in text
    # single-scale indicators keep their own value and no `via`
    assert indicator(rec, "tech_staff")["via"] is None and indicator(rec, "tech_staff")["value"] == pytest.approx(0.30)


# ------------------------------------------------------------------ 3. --year / --uscc not in the data
def test_explain_year_not_in_the_data_is_an_error(sample_csv):
    result = cli("standards", "explain", "--pack", "hnte", "--uscc", SAMPLE_FIRM, "--input", sample_csv, "--year", 2019)
    assert result.returncode == 2 and result.stdout == ""
    assert "--year" in result.stderr and "2019" in result.stderr
    assert "2022、2023、2024" in result.stderr and "2022, 2023, 2024" in result.stderr


def test_explain_unknown_firm_names_the_option(sample_csv):
    result = cli("standards", "explain", "--pack", "hnte", "--uscc", UNKNOWN_USCC, "--input", sample_csv)
    assert result.returncode == 2 and result.stdout == ""
    assert "--uscc" in result.stderr and "没有该企业" in result.stderr and "no such firm" in result.stderr


@pytest.mark.parametrize("fmt", ["json", "csv", "table"])
def test_eval_year_not_in_the_data_is_an_error(sample_csv, tmp_path, fmt):
    out = tmp_path / f"r.{fmt}"
    result = cli("standards", "eval", "--input", sample_csv, "--year", 2030, "--format", fmt)
    assert result.returncode == 2 and result.stdout.strip() == "", result.stdout
    assert "--year" in result.stderr and "2030" in result.stderr
    assert "2022、2023、2024" in result.stderr and "2022, 2023, 2024" in result.stderr
    if fmt != "table":
        assert cli("standards", "eval", "--input", sample_csv, "--year", 2030, "--format", fmt, "--output", out).returncode == 2
        assert not out.exists() and not list(tmp_path.iterdir())  # nothing half-written


def test_eval_year_present_still_works(sample_csv):
    result = cli("standards", "eval", "--pack", "tech-sme", "--input", sample_csv, "--year", 2024, "--format", "json", "--no-gaps")
    assert result.returncode == 0, result.stderr
    assert {r["year"] for r in json.loads(result.stdout)} == {2024}


# ------------------------------------------------------------------ 4. an undecided score band
def test_undecided_expert_band_has_a_true_reason():
    flat = {**HNTE, "hnte_rd_management": 15, "tech_transfers": 5}
    rec = record("hnte", flat, history=[  # revenue and net assets fall: growth scores 0
        {**flat, "year": 2023, "revenue": 11_000_000, "hi_tech_revenue": 6_600_000, "rd_expense": 550_000, "rd_expense_domestic": 550_000, "total_assets": 110_000_000},
        {**flat, "year": 2022, "revenue": 12_000_000, "hi_tech_revenue": 7_200_000, "rd_expense": 600_000, "rd_expense_domestic": 600_000, "total_assets": 120_000_000},
    ])
    assert rec["status"] == "not_evaluable" and rec["total_band"] == [70, 75] and rec["missing"] == []
    assert rec["decided_by"] == "undecided" and rec["reason"]["code"] == "undecided"
    zh, en = rec["reason"]["zh"], rec["reason"]["en"]
    assert "—" not in zh and "—" not in en and "缺少" not in zh and "missing" not in en
    assert "70–75" in zh and ">70" in zh and "专家" in zh
    assert "70–75" in en and "straddles" in en and ">70" in en and "expert" in en


# ------------------------------------------------------------------ 5. explain and eval check the same fields
def _sample_with_main_business_over_revenue(sample_csv, tmp_path):
    rows = list(csv.reader(sample_csv.open(encoding="utf-8")))
    head = rows[0]
    rows[1][head.index("main_business_revenue")] = str(float(rows[1][head.index("revenue")]) * 2)
    path = tmp_path / "mbr.csv"
    with path.open("w", newline="", encoding="utf-8") as f:
        csv.writer(f).writerows(rows)
    return path


def test_explain_accepts_what_eval_accepts(sample_csv, tmp_path):
    bad = _sample_with_main_business_over_revenue(sample_csv, tmp_path)
    # hnte does not read main_business_revenue: both accept the file
    evaluated = cli("standards", "eval", "--pack", "hnte", "--input", bad, "--format", "json", "--no-gaps")
    explained = cli("standards", "explain", "--pack", "hnte", "--uscc", SAMPLE_FIRM, "--input", bad, "--format", "json")
    assert evaluated.returncode == 0, evaluated.stderr
    assert explained.returncode == 0, explained.stderr
    # all packs read it: both reject the file, with the same problems
    evaluated = cli("standards", "eval", "--pack", "all", "--input", bad, "--format", "json")
    explained = cli("standards", "explain", "--pack", "all", "--uscc", SAMPLE_FIRM, "--input", bad)
    assert evaluated.returncode == explained.returncode == 2
    assert "main_business_revenue" in explained.stderr
    assert evaluated.stderr == explained.stderr
