"""Raw indicator values → indicator scores in [0, 1].

- ``percentile``: the mid-rank percentile within the cohort, ``(average rank − 0.5) / n``, where
  n counts the cohort's known values. Ties share the average rank, so the result does not
  depend on the order of rows; a blank stays blank (and is reported unusable).
- ``minmax``: winsorised min-max — the cohort's ``winsor`` quantiles (linear interpolation)
  are the ends; values beyond them score 0 or 1. A cohort whose ends coincide scores 0.5 at
  the common value.
- ``log``: ``log(1 + x) / log(1 + cap)``, clipped to [0, 1]; fixed, not cohort-relative.
- ``tiers``: the first step (descending ``ge``) the value reaches gives its score.
- ``boolean``: true (or any positive number) scores 1, false / 0 scores 0.

``direction: lower`` turns a score s into 1 − s. Raw values are first clipped to ``clip``.

The min-max quantiles (window functions) are columns of their own, made in one pass
(``cohort_stats``) before the scores read them: Polars does not share a window between the
places a formula uses it, and a min-max formula reads each end 2–4 times. The percentile's rank
and count each appear once in its formula, so they stay inline (no extra columns to hold).
"""

from __future__ import annotations

import math

import polars as pl

from kejin.points.methods import Indicator


def raw_value(ind: Indicator, compiled: pl.Expr) -> pl.Expr:
    x = compiled.cast(pl.Float64)
    if ind.clip:
        lo, hi = ind.clip
        x = x.clip(lo, hi)
    return x


def _stat(ind: Indicator, name: str) -> str:
    return f"__{name}__{ind.id}"


def cohort_stats(ind: Indicator, x: pl.Expr, keys: list[str]) -> list[pl.Expr]:
    """The window statistics the indicator's score needs, one column each (none for fixed scales)."""
    n = ind.normalise
    if n.method == "minmax":
        return [x.quantile(q, "linear").over(keys).alias(_stat(ind, name)) for name, q in (("lo", n.winsor[0]), ("hi", n.winsor[1]))]
    return []


def score_expr(ind: Indicator, x: pl.Expr, keys: list[str]) -> pl.Expr:
    """The score from the raw value (and the columns of ``cohort_stats``); ``keys`` make the cohort."""
    n = ind.normalise
    if n.method == "percentile":
        s = (x.rank("average").over(keys) - 0.5) / x.count().over(keys).cast(pl.Float64)
    elif n.method == "minmax":
        lo, hi = pl.col(_stat(ind, "lo")), pl.col(_stat(ind, "hi"))
        span = hi - lo
        s = (
            pl.when(x.is_null()).then(None)
            .when(span > 0).then(((x - lo) / span).clip(0.0, 1.0))
            .when(x > hi).then(1.0)
            .when(x < lo).then(0.0)
            .otherwise(0.5)
        )
    elif n.method == "log":
        assert n.cap is not None
        s = (x.clip(0.0, None).log1p() / math.log1p(n.cap)).clip(0.0, 1.0)
    elif n.method == "tiers":
        chain = pl.when(x.is_null()).then(None)
        for step in n.steps:
            chain = chain.when(x >= step.ge).then(step.score)
        s = chain.otherwise(n.otherwise)
    elif n.method == "boolean":
        s = pl.when(x.is_null()).then(None).when(x > 0).then(1.0).otherwise(0.0)
    else:  # pragma: no cover - the model forbids it
        raise ValueError(n.method)
    s = s.cast(pl.Float64)
    return (1.0 - s) if ind.direction == "lower" else s
