"""Cohort percentile, rank and list (tier) of the points.

Within each cohort (the scored firms of one year × stage, plus any cohort keys of the method):

- ``rank`` = 1 + the number of firms with strictly more points (ties share the better rank);
- ``percentile`` = 100 × (average rank from the bottom − 0.5) / n (mid-rank, ties averaged);
- the tier is the first list whose ``top`` share the firm's ``rank / n`` does not exceed
  (Longwan-style: top 5 % 领跑榜, 5–10 % 竞跑榜, 10–20 % 进取榜), else ``otherwise``.

A cohort with fewer scored firms than ``cohort.min_size`` gets no tier (status small_cohort).
"""

from __future__ import annotations

import polars as pl

from kejin.points.methods import Method


def tier_columns(method: Method, points: pl.Expr, min_size: int) -> list[pl.Expr]:
    """``rank``, ``percentile`` and ``tier`` from the columns ``cohort_size`` (scored firms in
    the cohort), ``__rank_min`` (rank from the top) and ``__rank_avg`` (average rank from the
    bottom), which ``kejin.points.cohorts.Cohorts.points_ranks`` makes."""
    n, rank = pl.col("cohort_size"), pl.col("__rank_min")
    pct = ((pl.col("__rank_avg") - 0.5) / n.cast(pl.Float64) * 100.0).round(4)
    share = rank.cast(pl.Float64) / n.cast(pl.Float64)
    chain = pl.when(points.is_null() | (n < min_size)).then(None)
    for t in method.tiers.rules:
        chain = chain.when(share <= t.top + 1e-12).then(pl.lit(t.id))
    other = method.tiers.otherwise.id if method.tiers.otherwise else None
    tier = chain.otherwise(pl.lit(other))
    return [
        pl.when(points.is_null()).then(None).otherwise(rank).cast(pl.Int64).alias("rank"),
        pct.alias("percentile"),
        tier.alias("tier"),
    ]


def tier_order(method: Method) -> list[str]:
    """Tier ids best first (``otherwise`` last)."""
    out = [t.id for t in method.tiers.rules]
    if method.tiers.otherwise:
        out.append(method.tiers.otherwise.id)
    return out


def tier_names(method: Method) -> dict[str, tuple[str, str]]:
    out = {t.id: (t.name.zh, t.name.en) for t in method.tiers.rules}
    if method.tiers.otherwise:
        out[method.tiers.otherwise.id] = (method.tiers.otherwise.name.zh, method.tiers.otherwise.name.en)
    return out
