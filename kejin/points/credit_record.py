"""The technology-side credit record (技术侧信用记录) of one firm across years.

- points and rank trajectory (scored against the whole fact table, so cohorts are real);
- the standards met each year (standards engine, every pack in force);
- R&D continuity — the "time bill": years of unbroken R&D up to the latest year, cumulative R&D;
- IP stock and flow (Class I / Class II / invention patents in main business, change on the
  previous year);
- with a patent list: the firm's patents themselves (``patent_list``: id, type, IPC, application
  and grant dates) and the technology path (``patents.tech_path``).
"""

from __future__ import annotations

from typing import Any

import polars as pl

from kejin.errors import NotFoundError, Problem
from kejin.points.engine import as_method, group_column, score
from kejin.points.methods import Method
from kejin.points.patents import COLUMNS as PATENT_COLUMNS
from kejin.points.patents import clean_patents, patent_list, tech_path


def standards_met(facts: pl.DataFrame, spec: str = "all") -> dict[int, dict[str, str]]:
    """year → {pack id → status} for one firm's rows."""
    from kejin.standards import engine
    from kejin.standards.registry import resolve

    packs = resolve(spec)
    frames = engine.evaluate(facts, packs, gaps=False)
    out: dict[int, dict[str, str]] = {}
    for p in packs:
        for year, status in frames[p.ref].select("year", "status").iter_rows():
            out.setdefault(int(year), {})[p.id] = status
    return out


def _num(v: Any) -> Any:
    return None if v is None else (round(v, 2) if isinstance(v, float) else v)


def rd_continuity(rows: list[dict[str, Any]]) -> dict[str, Any]:
    years = [r["year"] for r in rows]
    unbroken = 0
    prev = None
    for r in sorted(rows, key=lambda r: r["year"], reverse=True):
        rd = r.get("rd_expense")
        if rd is None or rd <= 0 or (prev is not None and r["year"] != prev - 1):
            break
        unbroken += 1
        prev = r["year"]
    known = [r["rd_expense"] for r in rows if r.get("rd_expense") is not None]
    return {
        "years_on_record": len(rows),
        "first_year": min(years) if years else None,
        "last_year": max(years) if years else None,
        "unbroken_rd_years": unbroken,
        "years_with_rd": sum(1 for v in known if v > 0),
        "cumulative_rd": round(sum(known), 2),
        "cumulative_revenue": round(sum(r["revenue"] for r in rows if r.get("revenue") is not None), 2),
    }


def record(facts: pl.DataFrame, uscc: str, patents: pl.DataFrame | None = None, method: str | Method = "national-core", standards: str | None = "all") -> dict[str, Any]:
    m = as_method(method)
    firm = facts.filter(pl.col("uscc") == uscc).sort("year")
    if firm.height == 0:
        raise NotFoundError(Problem("points.firm", f"数据中没有统一社会信用代码为 {uscc} 的企业", f"no firm with USCC {uscc} in the facts", field="uscc", value=uscc))
    scored = score(facts, m).filter(pl.col("uscc") == uscc).sort("year")
    by_year = {r["year"]: r for r in scored.iter_rows(named=True)}
    met = standards_met(firm, standards) if standards else {}
    rows = firm.to_dicts()
    years = []
    prev: dict[str, Any] | None = None
    for r in rows:
        y = r["year"]
        s = by_year.get(y, {})
        ip = {k: r.get(k) for k in ("ip_class1", "ip_class2", "invention_patents_main_business")}
        flow = {k: (None if prev is None or prev.get(k) is None or v is None or prev["year"] != y - 1 else v - prev[k]) for k, v in ip.items()}
        rev, rd = r.get("revenue"), r.get("rd_expense")
        years.append({
            "year": y,
            "stage": s.get("stage"),
            "points": s.get("points"),
            "groups": {g.id: s.get(group_column(g.id)) for g in m.groups},
            "bonus_points": s.get("bonus_points"),
            "percentile": s.get("percentile"),
            "rank": s.get("rank"),
            "cohort_size": s.get("cohort_size"),
            "tier": s.get("tier"),
            "status": s.get("status"),
            "raised": s.get("raised"),
            "lowered": s.get("lowered"),
            "unusable": s.get("unusable"),
            "standards": met.get(y, {}),
            "standards_met": sorted(k for k, v in met.get(y, {}).items() if v == "pass"),
            "revenue": _num(rev),
            "rd_expense": _num(rd),
            "rd_intensity": None if rd is None or not rev else round(rd / rev, 6),
            "ip_stock": ip,
            "ip_flow": flow,
        })
        prev = r
    pts = [(y["year"], y["points"]) for y in years if y["points"] is not None]
    trend = None if len(pts) < 2 else round(pts[-1][1] - pts[-2][1], 4)
    out: dict[str, Any] = {
        "uscc": uscc,
        "name": rows[-1].get("name"),
        "region_code": rows[-1].get("region_code"),
        "industry_code": rows[-1].get("industry_code"),
        "frontier_sectors": rows[-1].get("frontier_sectors"),
        "method": m.id,
        "method_version": m.version,
        "method_sha256": m.sha256,
        "input_digest": scored["input_digest"][0] if scored.height else None,
        "tiers": {t.id: {"zh": t.name.zh, "en": t.name.en} for t in [*m.tiers.rules, *([m.tiers.otherwise] if m.tiers.otherwise else [])]},
        "groups": {g.id: {"zh": g.name.zh, "en": g.name.en} for g in m.groups},
        "in_scope": bool(scored.height),  # false: the method's scope (region, sectors) leaves the firm out, so no points
        "points_trend": trend,
        "years": years,
        "rd_continuity": rd_continuity(rows),
        "tech_path": None,
        "patent_list": None,  # a list (possibly empty) when a patent list was supplied
    }
    if patents is not None:
        p = patents
        if not set(PATENT_COLUMNS) <= set(p.columns) or p.schema["application_date"] != pl.Date or p.schema["grant_date"] != pl.Date:
            p = clean_patents(p)  # not yet through load_patents / clean_patents: name, type and check it
        if "uscc" in p.columns:
            p = p.filter(pl.col("uscc") == uscc)
        out["tech_path"] = tech_path(p) if p.height else None
        out["patent_list"] = patent_list(p)
    return out
