"""Explanations, columnar: the two indicators that raised the points most, the two that lowered
them most, and the indicators that could not be used (blank inputs).

Contribution of indicator j = effective weight × (score − 0.5), i.e. against a median firm.
``raised`` = the largest positive contribution, then the next; ``lowered`` the same for the most
negative; pack order breaks ties (the first index wins). Everything is whole-column work inside
the scoring query — a max/min across the k contributions, then the first index that reaches it,
then the same with that index masked — and the texts come from a (k + 1)² lookup table.
"""

from __future__ import annotations

from typing import Callable

import polars as pl

from kejin.points.columns import FACTOR, score_column, weight_column
from kejin.points.methods import Method

EPS = 1e-12  # a contribution counts only when it is clearly non-zero
RAISED, LOWERED = "__raised_code", "__lowered_code"


def unusable_text(m: Method) -> pl.Expr:
    """``unusable``: ids of the indicators (bonus included) whose score is blank, in pack order,
    joined by ";" (empty when every indicator is usable)."""
    flags = [pl.when(pl.col(score_column(i.id)).is_null()).then(pl.lit(i.id)) for i in m.all_indicators()]
    return (pl.concat_str(flags, separator=";", ignore_nulls=True) if flags else pl.lit("")).alias("unusable")


def _first_index(values: list[pl.Expr], best: pl.Expr) -> pl.Expr:
    """The first j with values[j] == best (k when none)."""
    chain = pl.when(values[0] == best).then(pl.lit(0, dtype=pl.Int64))
    for j in range(1, len(values)):
        chain = chain.when(values[j] == best).then(pl.lit(j, dtype=pl.Int64))
    return chain.otherwise(pl.lit(len(values), dtype=pl.Int64))


def explanation_codes(m: Method) -> list[list[pl.Expr]]:
    """``with_columns`` stages ending in ``__raised_code`` / ``__lowered_code`` = first × (k+1) + second
    (k = none). Each stage materialises the columns the next one compares against."""
    inds = m.indicators
    k = len(inds)
    if k == 0:
        return [[pl.lit(0, dtype=pl.Int64).alias(RAISED), pl.lit(0, dtype=pl.Int64).alias(LOWERED)]]
    f = pl.col(FACTOR).fill_null(0.0)
    c = [f"__c{j}" for j in range(k)]
    contributions = [
        (pl.col(weight_column(i.id)) * f * (pl.col(score_column(i.id)) - 0.5)).fill_null(0.0).fill_nan(0.0).alias(c[j]) for j, i in enumerate(inds)
    ]
    vals = [pl.col(x) for x in c]
    # raised: largest values (max); lowered: most negative (min) — the same as the max of −c, exactly
    sides = (("r", pl.max_horizontal, float("-inf")), ("l", pl.min_horizontal, float("inf")))
    best1 = [top(vals).alias(f"__{t}b1") for t, top, _ in sides]
    index1 = [_first_index(vals, pl.col(f"__{t}b1")).alias(f"__{t}i1") for t, _, _ in sides]
    masked = {t: [pl.when(pl.col(f"__{t}i1") == j).then(gone).otherwise(v) for j, v in enumerate(vals)] for t, _, gone in sides}
    best2 = [top(masked[t]).alias(f"__{t}b2") for t, top, _ in sides]
    index2 = [_first_index(masked[t], pl.col(f"__{t}b2")).alias(f"__{t}i2") for t, _, _ in sides]

    def code(t: str, clear: Callable[[pl.Expr], pl.Expr], name: str) -> pl.Expr:
        first = pl.when(clear(pl.col(f"__{t}b1"))).then(pl.col(f"__{t}i1")).otherwise(k)
        second = pl.when(clear(pl.col(f"__{t}b2"))).then(pl.col(f"__{t}i2")).otherwise(k)
        return (first * (k + 1) + second).alias(name)

    codes = [code("r", lambda b: b > EPS, RAISED), code("l", lambda b: b < -EPS, LOWERED)]
    return [contributions, best1, index1, best2, index2, codes]


def explanation_texts(m: Method) -> list[pl.Expr]:
    """``raised`` and ``lowered`` ("a;b", one id, or blank) from the codes, via the pair table."""
    names = [i.id for i in m.indicators]
    k = len(names)
    table: list[str | None] = []
    for a in range(k + 1):
        for b in range(k + 1):
            parts = [names[x] for x in (a, b) if x < k]
            table.append(";".join(parts) if parts else None)
    pairs = pl.Series("pairs", table, dtype=pl.String)
    return [pl.lit(pairs).gather(pl.col(RAISED)).alias("raised"), pl.lit(pairs).gather(pl.col(LOWERED)).alias("lowered")]
