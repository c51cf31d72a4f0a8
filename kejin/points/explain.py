"""Explanations, columnar: the two indicators that raised the points most, the two that lowered
them most, and the indicators that could not be used (blank inputs).

Contribution of indicator j = effective weight × (score − 0.5), i.e. against a median firm.
``raised`` = the largest positive contribution, then the next; ``lowered`` the same for the most
negative; pack order breaks ties (the first index wins). The contributions are a query over the
rows at hand (in stage two, one block: their scores, factor and stage weights); the rest is
NumPy over blocks of rows, each block's k contributions copied into one k × n array: the
max/min down each column, the first row that reaches it (the rows that do as the bits of one
word, then its lowest set bit by a de Bruijn multiplication), then the same with that entry
left out. The texts come from a (k + 1)² lookup table.
"""

from __future__ import annotations

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


def unusable_mask(m: Method, blank_free: frozenset[str] = frozenset()) -> pl.Expr:
    """``__unusable``: bit j set when the score of indicator j (pack order, bonus included) is
    blank; for a method of more than ``MASK_BITS`` indicators, the joined ids themselves. The
    indicators in ``blank_free`` (known to have no blank score in the rows at hand) are left out
    of the expression: they set no bit."""
    indicators = m.all_indicators()
    if len(indicators) > MASK_BITS:
        flags = [pl.when(pl.col(score_column(i.id)).is_null()).then(pl.lit(i.id)) for i in indicators]
        return pl.concat_str(flags, separator=";", ignore_nulls=True).alias(UNUSABLE)
    flags = [
        pl.when(pl.col(score_column(i.id)).is_null()).then(pl.lit(1 << j, dtype=pl.Int64)).otherwise(pl.lit(0, dtype=pl.Int64))
        for j, i in enumerate(indicators)
        if i.id not in blank_free
    ]
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


def _debruijn(bits: int, multiplier: int) -> tuple[type[np.unsignedinteger], np.unsignedinteger, np.unsignedinteger, np.ndarray]:
    """For a ``bits``-wide unsigned word with one bit set, ``table[(word * multiplier) >> shift]``
    is the position of that bit (a de Bruijn sequence: every top ``log2(bits)`` bits of the
    products differ)."""
    dtype = np.uint32 if bits == 32 else np.uint64
    shift = bits - bits.bit_length() + 1
    table = np.zeros(bits, dtype=np.int64)
    for position in range(bits):
        table[((1 << position) * multiplier) % (1 << bits) >> shift] = position
    return dtype, dtype(multiplier), dtype(shift), table


_WORDS = [(32, _debruijn(32, 0x077CB531)), (64, _debruijn(64, 0x03F79D71B4CA8B09))]


def _first_true(flags: np.ndarray) -> np.ndarray:
    """Per column of a (k, n) boolean array with a true in every column, the first row that is
    true: the column's flags as the bits of one word (row j = bit j), then its lowest set bit."""
    k = flags.shape[0]
    for bits, (dtype, multiplier, shift, table) in _WORDS:
        if k <= bits:
            word = np.bitwise_or.reduce(flags * (dtype(1) << np.arange(k, dtype=dtype))[:, None], axis=0)
            lowest = word & (dtype(0) - word)  # two's complement: only the lowest set bit stays
            return table[(lowest * multiplier) >> shift]
    return np.argmax(flags, axis=0)  # more indicators than a word holds: slower, same answer


def _top_two(values: np.ndarray, larger: bool) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Per column of the (k, n) ``values``: the best value and its first row, then the best of
    the other rows and its first row ("best" = largest when ``larger``, else smallest). The best
    is left out by overwriting it in ``values``, which is restored before returning."""
    best = np.max if larger else np.min
    best1 = best(values, axis=0)
    index1 = _first_true(values == best1)
    columns = np.arange(values.shape[1])
    kept = values[index1, columns]
    values[index1, columns] = -np.inf if larger else np.inf
    best2 = best(values, axis=0)
    index2 = _first_true(values == best2)
    values[index1, columns] = kept
    return best1, index1, best2, index2


def explanation_codes(m: Method, scored: pl.DataFrame) -> list[pl.Series]:
    """``__raised_code`` / ``__lowered_code`` = first × (k + 1) + second, k meaning none; a
    contribution counts only beyond ``EPS``. ``scored`` holds the ``contribution_columns``.

    Worked out block by block (``BLOCK`` rows: the block's k × ``BLOCK`` contributions, copied
    into one array, stay in the CPU cache), the blocks shared among threads (NumPy releases the
    GIL)."""
    k = len(m.indicators)
    codes = {RAISED: np.zeros(scored.height, dtype=np.int64), LOWERED: np.zeros(scored.height, dtype=np.int64)}
    if k == 0:
        return [pl.Series(name, v) for name, v in codes.items()]
    contributions = [scored.get_column(f"__c{j}").to_numpy() for j in range(k)]

    def block(start: int) -> None:
        rows = slice(start, start + BLOCK)
        values = np.stack([c[rows] for c in contributions])
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
