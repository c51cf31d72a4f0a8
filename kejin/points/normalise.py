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

The cohort-relative parts — a percentile's mid-rank, a min-max's two ends — are columns of
their own (``cohort_statistics``), computed for all indicators at once by sorting each column by
(cohort, value) (``kejin.points.cohorts``) before the score expressions read them.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
import polars as pl

from kejin.points.cohorts import Cohorts
from kejin.points.methods import Indicator

Statistics = Callable[[Cohorts, np.ndarray], list[np.ndarray]]


def raw_value(ind: Indicator, compiled: pl.Expr) -> pl.Expr:
    x = compiled.cast(pl.Float64).fill_nan(None)  # not a number is no value: blank, not ranked
    if ind.clip:
        lo, hi = ind.clip
        x = x.clip(lo, hi)
    return x


def _stat(ind: Indicator, name: str) -> str:
    return f"__{name}__{ind.id}"


def cohort_statistics(ind: Indicator) -> tuple[list[str], Statistics] | None:
    """The cohort statistics the indicator's score reads: their column names, and the function
    from (cohorts, raw values with NaN for blank) to one array per column; None for fixed scales."""
    n = ind.normalise
    if n.method == "percentile":
        return [_stat(ind, "pct")], lambda cohorts, x: [cohorts.percentile(x)]
    if n.method == "minmax":
        winsor = list(n.winsor)
        return [_stat(ind, "lo"), _stat(ind, "hi")], lambda cohorts, x: cohorts.quantiles(x, winsor)
    return None


def score_expr(ind: Indicator, x: pl.Expr) -> pl.Expr:
    """The score from the raw value and the columns of ``cohort_statistics``."""
    n = ind.normalise
    if n.method == "percentile":
        s = pl.col(_stat(ind, "pct"))
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
