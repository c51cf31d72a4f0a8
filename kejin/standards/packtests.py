"""Each pack's own test cases (``<version>.tests.yaml`` beside the pack), OpenFisca-style.

A case gives the facts that matter (merged onto a neutral base firm), optional earlier years,
and the expected outcome: status, decided_by, total, points per indicator, condition results.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import polars as pl
import yaml

from kejin.facts import check_facts, schema
from kejin.standards import engine
from kejin.standards.pack import StandardPack

BASE_FIRM: dict[str, Any] = {
    "uscc": "91440305787789323F",
    "name": "测试企业",
    "year": 2024,
    "region_code": "440305",
    "industry_code": "I6513",
    "established": date(2015, 1, 1),
    "frontier_sectors": "ai",
    "employees": 100,
    "tech_staff": 30,
    "rd_staff": 20,
    "revenue": 10_000_000.0,
    "main_business_revenue": 9_000_000.0,
    "hi_tech_revenue": 8_000_000.0,
    "total_cost": 9_000_000.0,
    "net_profit": 1_000_000.0,
    "total_assets": 20_000_000.0,
    "total_liabilities": 8_000_000.0,
    "operating_cash_flow": 1_000_000.0,
    "rd_expense": 1_000_000.0,
    "rd_expense_domestic": None,
    "ip_class1": 1,
    "ip_class1_self_developed": 1,
    "ip_class1_high_value": 0,
    "ip_class2": 5,
    "invention_patents_main_business": 1,
    "tech_transfers": 2,
    "tech_contract_amount": 0.0,
    "equity_financing": 0.0,
    "high_tech_certified": False,
    "national_award_top3_5y": False,
    "provincial_rd_institution": False,
    "led_standard_5y": False,
    "serious_violation": False,
}


@dataclass
class Case:
    name: str
    facts: dict[str, Any]
    history: list[dict[str, Any]]
    expect: dict[str, Any]


def tests_file(pack: StandardPack) -> Path:
    return Path(pack.file).with_name(Path(pack.file).stem + ".tests.yaml")


def load_cases(pack: StandardPack) -> list[Case]:
    path = tests_file(pack)
    if not path.exists():
        return []
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    base = dict(data.get("base") or {})
    out = []
    for c in data.get("cases", []):
        history = [{**base, **h} for h in c.get("history") or []]
        out.append(Case(c["name"], {**base, **(c.get("facts") or {})}, history, c["expect"]))
    return out


def case_table(case: Case) -> pl.DataFrame:
    row = {**BASE_FIRM, **case.facts}
    rows = [row]
    for h in case.history:  # earlier years start from the base firm, not from this year's facts
        rows.append({**BASE_FIRM, **h})
    frame = pl.DataFrame(rows, schema_overrides={f.name: pl.String for f in schema.fields() if f.type in ("list",)}, strict=False)
    frame = frame.with_columns([pl.col(c).cast(pl.String) for c in frame.columns if frame.schema[c] == pl.Date])
    return check_facts(frame, file=f"case: {case.name}")


def run_case(pack: StandardPack, case: Case) -> list[str]:
    """Run one case; returns the list of mismatches (empty when the case passes)."""
    table = case_table(case)
    year = int(case.facts.get("year", BASE_FIRM["year"]))
    frame = engine.evaluate_pack(engine.prepare(table, [pack]), pack, gaps=False, year=year)
    row = frame.row(0, named=True)
    errors = []
    exp = case.expect
    for key in ("status", "decided_by"):
        if key in exp and row[key] != exp[key]:
            errors.append(f"{key}: expected {exp[key]!r}, got {row[key]!r}")
    if "total" in exp:
        lo, hi = row["total_lo"], row["total_hi"]
        want = exp["total"]
        got = [lo, hi] if lo != hi else lo
        if (isinstance(want, list) and [lo, hi] != want) or (not isinstance(want, list) and not (lo == hi == want)):
            errors.append(f"total: expected {want}, got {got}")
    for ind, want in (exp.get("points") or {}).items():
        lo, hi = row[f"{ind}__lo"], row[f"{ind}__hi"]
        if (isinstance(want, list) and [lo, hi] != want) or (not isinstance(want, list) and not (lo == hi == want)):
            errors.append(f"points.{ind}: expected {want}, got {[lo, hi] if lo != hi else lo}")
    for cond, want in (exp.get("conditions") or {}).items():
        if row.get(cond) != want:
            errors.append(f"{cond}: expected {want}, got {row.get(cond)}")
    return errors
