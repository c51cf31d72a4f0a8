"""Explanations, columnar: the two indicators that raised the points most, the two that lowered
them most, and the indicators that could not be used (blank inputs).

Contribution of indicator j = effective weight × (score − 0.5), i.e. against a median firm.
``raised`` = the largest positive contribution, then the next; ``lowered`` the same for the most
negative; pack order breaks ties (the first index wins). Everything is whole-column work inside
the scoring query — a max/min across the k contributions, then the first index that reaches it,
then the same with that index masked — and the texts come from a (k + 1)² lookup table. The
contributions, maxima and indices are NumPy passes over the k columns.
"""

from __future__ import annotations

import functools
import os
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import polars as pl

from kejin.points.columns import FACTOR, score_column, weight_column
from kejin.points.methods import Method

EPS = 1e-12  # a contribution counts only when it is clearly non-zero
RAISED, LOWERED = "__raised_code", "__lowered_code"
UNUSABLE = "__unusable"
BLOCK = 16_384


MASK_BITS = 62  # indicators a bit mask can hold; a larger method joins the ids row by row


def unusable_mask(m: Method) -> pl.Expr:
    """``__unusable``: bit j set when the score of indicator j (pack order, bonus included) is
    blank; for a method of more than ``MASK_BITS`` indicators, the joined ids themselves."""
    indicators = m.all_indicators()
    if len(indicators) > MASK_BITS:
        flags = [pl.when(pl.col(score_column(i.id)).is_null()).then(pl.lit(i.id)) for i in indicators]
        return pl.concat_str(flags, separator=";", ignore_nulls=True).alias(UNUSABLE)
    flags = [pl.col(score_column(i.id)).is_null().cast(pl.Int64) * (1 << j) for j, i in enumerate(indicators)]
    return (pl.sum_horizontal(flags) if flags else pl.lit(0, dtype=pl.Int64)).alias(UNUSABLE)


def unusable_column(m: Method, scored: pl.DataFrame) -> pl.Series:
    """``unusable``: ids of the indicators whose score is blank, in pack order, joined by ";"
    (empty when every indicator is usable). The text is built once per distinct ``unusable_mask``
    (a handful in practice) and looked up."""
    ids = [i.id for i in m.all_indicators()]
    mask = scored.get_column(UNUSABLE)
    if len(ids) > MASK_BITS:
        return mask.alias("unusable")
    masks = mask.unique().to_list()
    texts = [";".join(iid for j, iid in enumerate(ids) if (x >> j) & 1) for x in masks]
    return mask.replace_strict(masks, texts, return_dtype=pl.String).alias("unusable")


def contribution_columns(m: Method) -> list[pl.Expr]:
    """``__c<j>`` = weight × factor × (score − 0.5) of indicator j, blank counted as 0 (no nulls,
    so NumPy reads the column without a copy)."""
    f = pl.col(FACTOR).fill_null(0.0)
    return [
        (pl.col(weight_column(i.id)) * f * (pl.col(score_column(i.id)) - 0.5)).fill_null(0.0).fill_nan(0.0).alias(f"__c{j}")
        for j, i in enumerate(m.indicators)
    ]


def _first_index(values: list[np.ndarray], best: np.ndarray) -> np.ndarray:
    """Per row, the first j with values[j] == best."""
    index = np.zeros(len(best), dtype=np.int64)
    for j in range(len(values) - 1, -1, -1):
        index = np.where(values[j] == best, j, index)
    return index


def _top_two(values: list[np.ndarray], larger: bool) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Per row: the best value and its first index, then the best of the others and its first
    index ("best" = largest when ``larger``, else smallest)."""
    pick, gone = (np.maximum, -np.inf) if larger else (np.minimum, np.inf)
    best1 = functools.reduce(pick, values)
    index1 = _first_index(values, best1)
    others = [np.where(index1 == j, gone, v) for j, v in enumerate(values)]
    best2 = functools.reduce(pick, others)
    return best1, index1, best2, _first_index(others, best2)


def explanation_codes(m: Method, scored: pl.DataFrame) -> list[pl.Series]:
    """``__raised_code`` / ``__lowered_code`` = first × (k + 1) + second, k meaning none; a
    contribution counts only beyond ``EPS``. ``scored`` holds the ``contribution_columns``.

    Worked out block by block (``BLOCK`` rows, so the k contributions and their running maxima
    stay in the CPU cache), the blocks shared among threads (NumPy releases the GIL)."""
    k = len(m.indicators)
    codes = {RAISED: np.zeros(scored.height, dtype=np.int64), LOWERED: np.zeros(scored.height, dtype=np.int64)}
    if k == 0:
        return [pl.Series(name, v) for name, v in codes.items()]
    contributions = [scored.get_column(f"__c{j}").to_numpy() for j in range(k)]

    def block(start: int) -> None:
        rows = slice(start, start + BLOCK)
        values = [c[rows] for c in contributions]
        for name, larger in ((RAISED, True), (LOWERED, False)):
            best1, index1, best2, index2 = _top_two(values, larger)
            clear = (lambda b: b > EPS) if larger else (lambda b: b < -EPS)
            codes[name][rows] = np.where(clear(best1), index1, k) * (k + 1) + np.where(clear(best2), index2, k)

    with ThreadPoolExecutor(max_workers=os.cpu_count() or 2, thread_name_prefix="kejin-explain") as pool:
        list(pool.map(block, range(0, scored.height, BLOCK)))
    return [pl.Series(name, v) for name, v in codes.items()]


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
