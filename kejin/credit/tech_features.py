"""kejin's own technology features for a credit scorecard, one row per enterprise-year.

The columns come from the real engines, so a bank's card reads the same numbers a firm sees in
its technology-side credit record (``kejin.points.record``):

- ``innovation_points``, ``group_<id>`` (one per group of the method), ``points_stage``,
  ``points_percentile``, ``points_tier`` and ``points_method`` (``id@version``) — from
  ``kejin.points.score``; blank where the firm is not scored (out of scope, too much blank input);
- ``standards_met`` (packs passed that year) and ``std_<pack id>`` per pack (true = pass,
  false = fail, blank = not evaluable) — from the standards engine;
- ``rd_years_unbroken`` (consecutive years with R&D > 0 up to that year; a blank R&D or a
  missing year breaks the run), ``rd_cumulative`` (known R&D summed up to that year),
  ``ip_stock`` (class I + class II IP) and ``ip_flow`` (change on the previous calendar year) —
  the columnar equivalents of the record's per-firm R&D continuity and IP stock and flow.

Everything is columnar (no loop per firm), so a fact table of a million enterprise-years goes
through in one pass of each engine.
"""

from __future__ import annotations

import polars as pl

from kejin.errors import InputError, Problem
from kejin.facts import schema
from kejin.points import score
from kejin.points.engine import as_method, group_column
from kejin.points.methods import Method
from kejin.rules.expr import Use, lag_column
from kejin.rules.lags import with_lags
from kejin.standards import engine
from kejin.standards.registry import resolve

KEYS = ["uscc", "year"]
# Output columns that identify a row or its provenance; every other column is a feature.
NOT_FEATURES = [*KEYS, "points_method"]
# The facts this module reads itself.
OWN_INPUTS = ["rd_expense", "ip_class1", "ip_class2"]
CONTINUITY_COLUMNS = ["rd_years_unbroken", "rd_cumulative", "ip_stock", "ip_flow"]


def standards_column(pack_id: str) -> str:
    """``tech-sme`` → ``std_tech_sme`` (a plain identifier, usable in SQL and the card)."""
    return "std_" + pack_id.replace("-", "_")


def points_features(facts: pl.DataFrame, method: Method) -> pl.DataFrame:
    """Points, group sub-scores, stage, cohort percentile and tier per enterprise-year."""
    scored = score(facts, method, explain=False)
    groups = [group_column(g.id) for g in method.groups]
    return scored.select(
        *KEYS,
        pl.col("points").alias("innovation_points"),
        *groups,
        pl.col("stage").alias("points_stage"),
        pl.col("percentile").alias("points_percentile"),
        pl.col("tier").alias("points_tier"),
    )


def standards_features(facts: pl.DataFrame, spec: str = "all", year: int | None = None) -> pl.DataFrame:
    """One boolean per pack (blank when not evaluable) and the count of packs passed."""
    packs = resolve(spec)
    frames = engine.evaluate(facts, packs, gaps=False, year=year)
    out: pl.DataFrame | None = None
    for pack in packs:
        status = pl.col("status")
        flag = pl.when(status == engine.UNKNOWN).then(None).otherwise(status == engine.PASS)
        part = frames[pack.ref].select(*KEYS, flag.alias(standards_column(pack.id)))
        out = part if out is None else out.join(part, on=KEYS, how="full", coalesce=True)
    assert out is not None, "resolve() returns at least one pack or raises"
    flags = [standards_column(p.id) for p in packs]
    return out.with_columns(pl.sum_horizontal(pl.col(flags).fill_null(False).cast(pl.Int64)).alias("standards_met"))


def continuity_features(facts: pl.DataFrame) -> pl.DataFrame:
    """R&D continuity and IP stock/flow per enterprise-year (sorted by uscc, year).

    A run of R&D years starts at a year with R&D > 0 whose previous calendar year (same firm)
    had no R&D or is not on record; the unbroken count is the position in the run, 0 without R&D.
    """
    frame = facts.select(*KEYS, *OWN_INPUTS).sort(KEYS)
    firm, year = pl.col("uscc"), pl.col("year")
    has_rd = (pl.col("rd_expense") > 0).fill_null(False)
    follows = ((firm == firm.shift(1)) & (year == year.shift(1) + 1) & has_rd.shift(1)).fill_null(False)
    row = pl.int_range(pl.len(), dtype=pl.Int64)
    run_start = pl.when(has_rd & ~follows).then(row).otherwise(None).forward_fill()
    frame = frame.with_columns(
        pl.when(has_rd).then(row - run_start + 1).otherwise(0).cast(pl.Int64).alias("rd_years_unbroken"),
        pl.col("rd_expense").fill_null(0.0).cum_sum().over("uscc").round(2).alias("rd_cumulative"),
        (pl.col("ip_class1") + pl.col("ip_class2")).alias("ip_stock"),
    )
    # last year's stock by calendar year, not by position (a gap year gives a blank flow)
    frame = with_lags(frame, [Use("ip_stock", 1)])
    return frame.select(*KEYS, *CONTINUITY_COLUMNS[:-1], (pl.col("ip_stock") - pl.col(lag_column("ip_stock", 1))).alias("ip_flow"))


def _checked(facts: pl.DataFrame) -> pl.DataFrame:
    """Key columns are required; any other fact of the data norms may be absent (then blank)."""
    absent = [k for k in KEYS if k not in facts.columns]
    if absent:
        raise InputError([Problem("input.no_column", "事实表缺少必需列", "the fact table lacks a required column", field=k) for k in absent])
    blanks = [pl.lit(None, dtype=f.dtype).alias(f.name) for f in schema.fields() if f.name not in facts.columns]
    return facts.with_columns(blanks) if blanks else facts


def tech_features(facts: pl.DataFrame, method: str | Method = "national-core", year: int | None = None, standards: str = "all") -> pl.DataFrame:
    """kejin's technology features per enterprise-year of ``facts`` (validated facts).

    ``year`` keeps that year only (earlier years are still read for growth, lags and R&D runs).
    Sorted by (uscc, year); one row per enterprise-year of the input.
    """
    facts = _checked(facts)
    m = as_method(method)
    base = continuity_features(facts)  # also the row set: every enterprise-year of the input
    points = points_features(facts, m)
    met = standards_features(facts, standards, year)
    if year is not None:
        base, points = base.filter(pl.col("year") == year), points.filter(pl.col("year") == year)
    out = base.join(points, on=KEYS, how="left").join(met, on=KEYS, how="left")
    pack_flags = [c for c in met.columns if c.startswith("std_")]
    lead = [c for c in points.columns if c not in KEYS]
    return out.select(
        *KEYS,
        *lead,
        pl.lit(f"{m.id}@{m.version}").alias("points_method"),
        "standards_met",
        *pack_flags,
        *CONTINUITY_COLUMNS,
    ).sort(KEYS)


def join_onto(loans: pl.DataFrame, features: pl.DataFrame, file: str | None = None) -> pl.DataFrame:
    """Left-join feature rows onto a loan book by ``uscc`` and ``year``.

    A book without ``year`` is joined by ``uscc`` alone, which needs one feature row per firm
    (``tech_features(..., year=Y)``). Loans with no matching facts keep blank features.
    """
    if "uscc" not in loans.columns:
        raise InputError(Problem("input.no_column", "贷款表缺少统一社会信用代码列 uscc", "the loan book has no uscc column", file=file, field="uscc"))
    keys = [k for k in KEYS if k in loans.columns]
    if keys == ["uscc"] and features.get_column("uscc").is_duplicated().any():
        raise InputError(Problem(
            "features.year_needed",
            "贷款表没有 year 列，而特征有多个年度：请指定年度（--year）",
            "the loan book has no year column but the features span several years: choose one (--year)",
            file=file, field="year",
        ))
    clash = sorted(set(loans.columns) & set(features.columns) - set(keys))
    if clash:
        raise InputError(Problem(
            "features.column_clash",
            f"贷款表已有同名列：{', '.join(clash)}（请先删除或改名）",
            f"the loan book already has these columns: {', '.join(clash)} (drop or rename them first)",
            file=file, field=clash[0],
        ))
    # a CSV reader may have typed an all-digit USCC or the year differently
    typed = loans.with_columns(pl.col("uscc").cast(pl.String), *([pl.col("year").cast(pl.Int64, strict=False)] if "year" in keys else []))
    return typed.join(features, on=keys, how="left", maintain_order="left")


__all__ = ["NOT_FEATURES", "continuity_features", "join_onto", "points_features", "standards_column", "standards_features", "tech_features"]
