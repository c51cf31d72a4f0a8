"""Recommendation lists (推荐机制): firms at or above a tier, ranked, with the reasons.

Filters: minimum tier, frontier sectors (any of), region prefix, standards that must be met
in the same year. Ranked by points (then percentile, then uscc). Each firm gets a bilingual
reason: points, rank in its cohort, tier, standards met, trend on the previous year.
"""

from __future__ import annotations

from typing import Any

import polars as pl

from kejin.errors import InputError, NotFoundError, Problem
from kejin.points.engine import as_method, score
from kejin.points.methods import Method
from kejin.points.tiers import tier_names, tier_order
from kejin.points.years import check_year


def _problem(code: str, zh: str, en: str, option: str, value: object) -> InputError:
    return InputError(Problem(f"recommend.{code}", zh, en, field=option, value=value))


def _sectors(sectors: list[str]) -> list[str]:
    """The sector codes of ``sectors`` (codes in any case, or their Chinese or English labels);
    an unknown one is an error listing the codes."""
    from kejin.facts.validate import sector_lookup

    table = sector_lookup()
    codes = []
    for given in sectors:
        code = table.get(given.strip().lower())
        if code is None:
            known = ", ".join(dict.fromkeys(table.values()))
            raise _problem("sector", f"未知前沿领域 {given}（可用：{known}）", f"unknown frontier sector {given} (available: {known})", "sectors", given)
        codes.append(code)
    return codes


def _check_region(region: str) -> None:
    if not (region.isascii() and region.isdigit() and 1 <= len(region) <= 6):
        raise _problem("region", f"行政区划代码前缀须为 1–6 位数字：{region}", f"the region code prefix must be 1 to 6 digits: {region}", "region", region)


def region_prefix(region: str) -> str:
    """The prefix a region filter matches. A full six-digit code of a city (``440300``) or a
    province (``440000``) stands for every district under it (GB/T 2260: firms carry their
    district's code, ``440305``), so its trailing ``00`` pairs are dropped; shorter prefixes and
    district codes are taken as they are."""
    if len(region) == 6:
        while len(region) > 2 and region.endswith("00"):
            region = region[:-2]
    return region


def recommend(
    facts: pl.DataFrame,
    method: str | Method = "national-core",
    min_tier: str = "strive",
    sectors: list[str] | None = None,
    region: str | None = None,
    standards: list[str] | None = None,
    year: int | None = None,
    scored: pl.DataFrame | None = None,
    funnel: dict[str, int] | None = None,
) -> pl.DataFrame:
    """The ranked list. ``funnel``, when given, is filled with the number of firms left after
    each filter (``scored``, ``tier``, ``region``, ``sectors``, ``standards``) and the scored
    firms of the year without a tier (``small_cohort``), so an empty list can say why."""
    m = as_method(method)
    order = tier_order(m)
    if not m.tiers.otherwise:  # "none", the lowest, lists every scored firm whatever the pack calls the unlisted
        order.append("none")
    if min_tier not in order:
        raise InputError(Problem("recommend.tier", f"未知榜单 {min_tier}（可用：{', '.join(order)}）", f"unknown tier {min_tier} (available: {', '.join(order)})", field="min_tier", value=min_tier))
    sectors = _sectors(sectors) if sectors else None
    if region:
        _check_region(region)
    ok_tiers = order[: order.index(min_tier) + 1]
    res = scored if scored is not None else score(facts, m)
    check_year(year, res, "recommend.year")
    year = year or (int(res["year"].max()) if res.height else None)
    counts = funnel if funnel is not None else {}
    prev = res.filter(pl.col("year") == (year or 0) - 1).select("uscc", pl.col("points").alias("points_prev"))
    cur = res.filter((pl.col("year") == year) & pl.col("points").is_not_null())
    counts["scored"] = cur.height
    counts["small_cohort"] = cur.filter(pl.col("tier").is_null()).height
    if min_tier != order[-1]:  # the lowest tier (e.g. "none") lists every scored firm, small cohorts included
        cur = cur.filter(pl.col("tier").is_in(ok_tiers))
    counts["tier"] = cur.height
    cur = cur.join(prev, on="uscc", how="left")
    info = facts.filter(pl.col("year") == year).select("uscc", "region_code", "frontier_sectors", *(["industry_code"] if "industry_code" in facts.columns else []))
    cur = cur.join(info, on="uscc", how="left")
    if region:
        cur = cur.filter(pl.col("region_code").str.starts_with(region_prefix(region)))
        counts["region"] = cur.height
    if sectors:
        cond = pl.lit(False)
        for s in sectors:
            cond = cond | pl.col("frontier_sectors").list.contains(s)
        cur = cur.filter(cond.fill_null(False))
        counts["sectors"] = cur.height
    met: dict[str, list[str]] = {}
    standard_names: dict[str, str] = {}
    standard_names_en: dict[str, str] = {}
    if standards:
        from kejin.standards import engine
        from kejin.standards.registry import resolve

        try:
            packs = resolve(",".join(standards))
        except NotFoundError as exc:  # say which option named it
            first = exc.problems[0]
            raise _problem("standards", f"--standards：{first.zh}", f"--standards: {first.en}", "standards", ",".join(standards)) from None
        standard_names = {p.id: p.name.zh for p in packs}
        standard_names_en = {p.id: p.name.en for p in packs}
        if cur.height:
            firms = facts.filter(pl.col("uscc").is_in(cur["uscc"].implode()) & (pl.col("year") <= year))
            frames = engine.evaluate(firms, packs, gaps=False)
            passed = None
            for p in packs:
                ok = frames[p.ref].filter((pl.col("year") == year) & (pl.col("status") == "pass")).select("uscc")
                for u in ok["uscc"].to_list():
                    met.setdefault(u, []).append(p.id)
                passed = set(ok["uscc"].to_list()) if passed is None else passed & set(ok["uscc"].to_list())
            cur = cur.filter(pl.col("uscc").is_in(sorted(passed or set())))
        counts["standards"] = cur.height
    cur = cur.sort(["points", "percentile", "uscc"], descending=[True, True, False])
    names = tier_names(m)
    stage_zh = {st.id: st.name.zh for st in m.stages}
    stage_en = {st.id: st.name.en for st in m.stages}
    reasons_zh, reasons_en, trend, std = [], [], [], []
    for r in cur.iter_rows(named=True):
        d = None if r["points_prev"] is None else round(r["points"] - r["points_prev"], 4)
        trend.append(d)
        s = met.get(r["uscc"], [])
        std.append(";".join(s))
        tz, te = names.get(r["tier"], ("比较组过小未分榜", "cohort too small for lists")) if r["tier"] else ("比较组过小未分榜", "cohort too small for lists")
        tz_txt = "" if d is None else f"，较上年{'+' if d >= 0 else ''}{d:.2f}"
        te_txt = "" if d is None else f", {'+' if d >= 0 else ''}{d:.2f} on last year"
        reasons_zh.append(f"积分 {r['points']:.2f}（{stage_zh.get(r['stage'], r['stage'])}组第 {r['rank']}/{r['cohort_size']} 名，百分位 {r['percentile']:.1f}），{tz}" + (f"，符合{'、'.join(standard_names.get(x, x) for x in s)}" if s else "") + tz_txt)
        reasons_en.append(f"{r['points']:.2f} points (rank {r['rank']}/{r['cohort_size']} in the {stage_en.get(r['stage'], r['stage'])} cohort, percentile {r['percentile']:.1f}), {te}" + (f", meets {', '.join(standard_names_en.get(x, x) for x in s)}" if s else "") + te_txt)
    out = cur.with_columns(
        pl.Series("trend", trend, dtype=pl.Float64),
        pl.Series("standards_met", std, dtype=pl.String),
        pl.Series("reason_zh", reasons_zh, dtype=pl.String),
        pl.Series("reason_en", reasons_en, dtype=pl.String),
    ).with_columns(pl.int_range(1, pl.len() + 1).alias("position"), pl.col("frontier_sectors").list.join(";"))
    cols = ["position", "uscc", "name", "year", "region_code", "frontier_sectors", "stage", "points", "percentile", "rank", "cohort_size", "tier", "standards_met", "trend", "reason_zh", "reason_en", "method", "method_version", "method_sha256", "input_digest"]
    return out.select([c for c in cols if c in out.columns])


def as_records(frame: pl.DataFrame) -> list[dict[str, Any]]:
    return frame.to_dicts()
