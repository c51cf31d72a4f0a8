"""Each method pack's own test cases (``<version>.tests.yaml`` beside the pack).

A case lists firms (each merged onto the neutral base firm of the standards pack tests, with
its own uscc suffix and optional earlier years) and the expected outcome per firm: stage, raw
indicator values, indicator scores, points, tier, unusable indicators. Numbers are computed by
hand from the pack (see the comments in each file); absolute tolerance 1e-4.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import polars as pl
import yaml

from kejin.facts import check_facts
from kejin.points.engine import raw_column, score, score_column
from kejin.points.methods import Method
from kejin.standards.packtests import BASE_FIRM

USCC = ["91440305787789323F", "91310115619345141E", "91110108933283671B", "91510107395322759M", "91610131892631667P"]


def tests_file(m: Method) -> Path:
    return Path(m.file).with_name(Path(m.file).stem + ".tests.yaml")


def load_cases(m: Method) -> list[dict[str, Any]]:
    p = tests_file(m)
    return (yaml.safe_load(p.read_text(encoding="utf-8")) or {}).get("cases", []) if p.exists() else []


def run_case(m: Method, case: dict[str, Any]) -> list[str]:
    rows = []
    for k, firm in enumerate(case["firms"]):
        base = {**BASE_FIRM, "uscc": USCC[k], "name": f"测试企业{k}"}
        for h in firm.get("history", []):
            rows.append({**base, **h})
        rows.append({**base, **{x: v for x, v in firm.items() if x not in ("history", "expect")}})
    frame = pl.DataFrame(rows, infer_schema_length=None)
    frame = frame.with_columns(pl.col("frontier_sectors").cast(pl.String)) if "frontier_sectors" in frame.columns else frame
    facts = check_facts(frame)
    res = score(facts, m, detail=True, min_cohort=case.get("min_cohort"))
    errors = []
    for k, firm in enumerate(case["firms"]):
        year = firm.get("year", BASE_FIRM["year"])
        got = res.filter((pl.col("uscc") == USCC[k]) & (pl.col("year") == year)).row(0, named=True)
        for key, want in (firm.get("expect") or {}).items():
            if key in ("raw", "score"):
                for iid, w in want.items():
                    g = got[raw_column(iid) if key == "raw" else score_column(iid)]
                    if not _close(g, w):
                        errors.append(f"firm {k} {key}.{iid}: expected {w}, got {g}")
            elif not _close(got[key], want):
                errors.append(f"firm {k} {key}: expected {want}, got {got[key]}")
    return errors


def _close(a: Any, b: Any) -> bool:
    if a is None or b is None:
        return a is None and b is None
    if isinstance(b, (int, float)) and not isinstance(b, bool) and isinstance(a, (int, float)):
        return abs(a - b) <= 1e-4
    return a == b
