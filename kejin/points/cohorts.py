"""Cohort statistics by sorting: mid-rank percentiles, winsorising quantiles and the ranks of
the points, for every cohort at once.

A Polars window (``x.rank().over(keys)``) groups the rows again for every column it ranks; a
method ranks and cuts a dozen columns over the same cohorts. Here the rows are grouped once
(``Cohorts``: one small integer code per row, and the rows listed cohort by cohort) and each
column costs one sort of its known values by (cohort, value): run by run when there are few
cohorts (each run fits the CPU cache), otherwise all at once — a value sort, then a stable sort
of the cohort codes. The values are sorted as 64-bit integers that carry their row's position
(``_by_value``), an unstable sort, much faster than a radix sort of the numbers' bit patterns or
a stable sort: every member of a tie gets the same result, so the order within a tie is free.
The winsorising quantiles of a run only need a few order statistics, which a partial sort puts
in place. Either way every cohort is then a contiguous run and each tie a contiguous sub-run.
NumPy and Polars release the GIL while sorting, so the columns of a method are worked on by
several threads, and the points (ranked on their own, once the
indicators are scored) by several threads taking their cohorts in turn.

The results equal Polars' own, bit for bit: the ranks its windows, the quantiles its quantile
of the cohort's known values (Polars given a column with blanks interpolates at a position
offset by the number of blanks, which may differ in the last bit):

- ``percentile``: ``(average rank − 0.5) / n``, n = the cohort's known values, ties sharing
  their average rank (exact: ranks are whole or half numbers);
- ``quantile`` (linear): at position ``q (n − 1)`` of the sorted known values,
  ``lo + (hi − lo) · frac`` (``lo`` when both ends are equal), blank for a cohort without values;
- ``points_ranks``: the cohort's count of known values on every row, the rank from the top
  (1 + the number of strictly larger values) and the average rank from the bottom.

A blank (null or NaN) has no rank and does not count. A blank cohort key (an unknown stage) is
a cohort of its own, as in a Polars window.
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np
import polars as pl


_DIRECT_CODES = 1 << 22  # key combinations up to this count are compacted by a lookup table (32 MB)


def _key_codes(s: pl.Series) -> tuple[np.ndarray, int]:
    """Dense int64 codes of one key column (0 = blank) and their count."""
    if isinstance(s.dtype, pl.Enum):
        codes = s.to_physical().cast(pl.Int64).fill_null(-1) + 1
        return codes.to_numpy(), len(s.dtype.categories) + 1
    if s.dtype.is_integer():
        low = s.min()
        codes = (s.cast(pl.Int64) - (low if low is not None else 0)).fill_null(-1) + 1
    else:
        codes = s.rank("dense").cast(pl.Int64).fill_null(0)
    arr = codes.to_numpy()
    return arr, int(arr.max(initial=0)) + 1


TieValues = Callable[[np.ndarray, np.ndarray, np.ndarray, np.ndarray], np.ndarray]
SEGMENTED_MAX = 512  # up to this many cohorts, sort each cohort's run on its own (cache-sized)


_SIGN_BIT = np.uint64(1 << 63)
_ALL_BITS = np.uint64((1 << 64) - 1)
_POSITION_BITS_MAX = 24  # positions of up to 16,777,216 values fit below the values' leading bits


def _sort_integers(key: np.ndarray) -> np.ndarray:
    """``key`` (unsigned 64-bit) sorted: by Polars, on this thread (the caller's threads share
    the cores), as it sorts 64-bit integers about three times faster than NumPy's sort here
    (15 against 40–50 ns a value, 100,000 to 1,000,000 values; day 9)."""
    return pl.Series(key, dtype=pl.UInt64).sort(multithreaded=False).to_numpy()


def _by_value(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """An order that sorts ``values`` (no NaN) ascending, ties in any order, and the sorted values.

    The values' bit patterns, mapped to unsigned integers of the same order, get their lowest
    bits replaced by each value's position and are sorted as plain integers
    (``_sort_integers``), several times faster than an argsort; the positions then read off the
    order. Two values apart only in the bits the positions took (about 2**-35 of each other for
    100,000 values) may come out the wrong way round: the result is checked, and then sorted by
    argsort."""
    n = len(values)
    bits = max(1, (n - 1).bit_length())
    if bits <= _POSITION_BITS_MAX:
        key = (values + 0.0).view(np.uint64)  # a new array; -0.0 → 0.0
        key ^= np.where(key >= _SIGN_BIT, _ALL_BITS, _SIGN_BIT)  # negatives reversed, below the positives
        low = np.uint64((1 << bits) - 1)
        key &= ~low
        key |= np.arange(n, dtype=np.uint64)
        key = _sort_integers(key)
        order = (key & low).astype(np.intp)
        ordered = values[order]
        if not n or not (ordered[1:] < ordered[:-1]).any():
            return order, ordered
    order = np.argsort(values)
    return order, values[order]


def _ties(sorted_values: np.ndarray, cohort: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """(start, end) positions of each run of equal values (within a cohort) in sorted values."""
    m = len(sorted_values)
    first = np.ones(m, dtype=bool)
    if m > 1:
        np.not_equal(sorted_values[1:], sorted_values[:-1], out=first[1:])
        if cohort is not None:
            first[1:] |= cohort[1:] != cohort[:-1]
    starts = np.flatnonzero(first)
    return starts, np.append(starts[1:], m)


def _average_rank(starts: np.ndarray, ends: np.ndarray, offset: np.ndarray, size: np.ndarray) -> np.ndarray:
    return (starts + ends - 1) / 2.0 - offset + 1.0


def _percentile(starts: np.ndarray, ends: np.ndarray, offset: np.ndarray, size: np.ndarray) -> np.ndarray:
    return (_average_rank(starts, ends, offset, size) - 0.5) / size.astype(np.float64)


def _rank_from_top(starts: np.ndarray, ends: np.ndarray, offset: np.ndarray, size: np.ndarray) -> np.ndarray:
    return (offset + size - ends + 1).astype(np.float64)


@dataclass(frozen=True)
class Cohorts:
    """The cohort of every row: ``codes[i]`` in ``0 .. count − 1``; ``order`` lists the rows
    cohort by cohort (file order within a cohort), cohort c being ``order[bounds[c]:bounds[c + 1]]``.

    With few cohorts (``SEGMENTED_MAX``) each cohort's run is sorted on its own; with many, all
    known values are sorted at once by (cohort, value).
    """

    codes: np.ndarray  # uint16 when there are at most 65,536 cohorts (radix-sortable), else uint32
    count: int
    order: np.ndarray
    bounds: np.ndarray
    segmented: bool  # sort cohort by cohort (few cohorts) rather than all at once

    @classmethod
    def of(cls, frame: pl.DataFrame, keys: list[str], segmented_max: int = SEGMENTED_MAX) -> Cohorts:
        combined = np.zeros(frame.height, dtype=np.int64)
        space = 1
        for key in keys:
            codes, cardinality = _key_codes(frame.get_column(key))
            if space * cardinality >= 1 << 62:  # keep the mixed radix inside int64
                _, combined = np.unique(combined, return_inverse=True)
                space = int(combined.max(initial=0)) + 1
            combined = combined * cardinality + codes
            space *= cardinality
        if space <= _DIRECT_CODES:
            present = np.zeros(space, dtype=np.int64)
            present[combined] = 1
            dense = (np.cumsum(present) - 1)[combined]
        else:
            _, dense = np.unique(combined, return_inverse=True)
        count = int(dense.max(initial=-1)) + 1
        codes = dense.astype(np.uint16 if count <= 1 << 16 else np.uint32)
        bounds = np.concatenate(([0], np.cumsum(np.bincount(codes, minlength=count))))
        return cls(codes, count, np.argsort(codes, kind="stable"), bounds, count <= segmented_max)

    # ------------------------------------------------------------------ statistics
    def percentile(self, values: np.ndarray) -> np.ndarray:
        """Mid-rank percentile in [0, 1] within the row's cohort; NaN where the value is blank."""
        (percentile,) = self._per_tie(values, [_percentile])
        return percentile

    def quantiles(self, values: np.ndarray, qs: list[float]) -> list[np.ndarray]:
        """Each cohort's linear-interpolated quantiles ``qs`` of its known values, on every row of
        the cohort (NaN for a cohort without known values). Cohort by cohort, only the order
        statistics the quantiles read are put in place (a partial sort, linear time); with many
        cohorts, one sort for all of them."""
        if self.segmented:
            grouped = values[self.order]
            runs = [grouped[self.bounds[c] : self.bounds[c + 1]] for c in range(self.count)]
            runs = [run[~np.isnan(run)] for run in runs]
            sizes = np.array([len(run) for run in runs], dtype=np.int64)
            # the values at both ends of each quantile's position (as below), in place in their run
            ends = [sorted({int(f(q * (n - 1))) for q in qs for f in (math.floor, math.ceil)}) if n else [] for n in sizes.tolist()]
            runs = [np.partition(run, kth) if kth else run for run, kth in zip(runs, ends)]
            xs = np.concatenate(runs) + 0.0 if runs else np.empty(0)  # -0.0 → 0.0
            offsets = np.concatenate(([0], np.cumsum(sizes)[:-1])) if runs else sizes
        else:
            s = self._sorted(values)
            xs, sizes, offsets = s.xs, s.sizes, s.offsets
        has = sizes > 0
        out = []
        for q in qs:
            position = q * (sizes[has] - 1).astype(np.float64)
            lower = np.floor(position)
            lo = xs[offsets[has] + lower.astype(np.int64)]
            hi = xs[offsets[has] + np.ceil(position).astype(np.int64)]
            per_cohort = np.full(self.count, np.nan)
            per_cohort[has] = np.where(lo == hi, lo, lo + (hi - lo) * (position - lower))
            out.append(per_cohort[self.codes])
        return out

    def points_ranks(self, values: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(known values in the cohort on every row, rank from the top with ties sharing the
        better rank, average rank from the bottom); the ranks are NaN where the value is blank."""
        known = np.bincount(self.codes[~np.isnan(values)], minlength=self.count)
        # the one column ranked at this point: its cohorts share the cores
        top, average = self._per_tie(values, [_rank_from_top, _average_rank], workers=os.cpu_count() or 1)
        return known[self.codes], top, average

    # ------------------------------------------------------------------ sorting
    def _per_tie(self, values: np.ndarray, functions: list[TieValues], workers: int = 1) -> list[np.ndarray]:
        """Each ``f(starts, ends, offset, size)`` of ``functions`` for each tie of each cohort,
        back on the rows of the tie (NaN on blank values). Positions count from 0 in the sorted
        known values, the cohort's run starting at ``offset`` with ``size`` values. With few
        cohorts, ``workers`` threads take them in turn."""
        outs = [np.full(len(values), np.nan) for _ in functions]
        if not self.segmented:
            s = self._sorted(values)
            c = s.tie_cohort
            for f, out in zip(functions, outs):
                out[s.rows] = np.repeat(f(s.starts, s.ends, s.offsets[c], s.sizes[c]), s.ends - s.starts)
            return outs

        def cohort(c: int) -> None:
            rows = self.order[self.bounds[c] : self.bounds[c + 1]]
            run = values[rows]
            known = ~np.isnan(run)
            if not known.all():
                run, rows = run[known], rows[known]
            if not len(run):
                return
            by_value, ordered = _by_value(run)  # ties get one value each, so their inner order is free
            starts, ends = _ties(ordered)
            tie_rows, size = rows[by_value], np.array([len(run)])
            for f, out in zip(functions, outs):
                out[tie_rows] = np.repeat(f(starts, ends, np.zeros(1, np.int64), size), ends - starts)

        if workers > 1:  # the cohorts' rows are disjoint, so threads write to ``outs`` side by side
            with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="kejin-cohort") as pool:
                list(pool.map(cohort, range(self.count)))
        else:
            for c in range(self.count):
                cohort(c)
        return outs

    def _sorted(self, values: np.ndarray) -> _Sorted:
        """All known values sorted by (cohort, value): a value sort, then a stable cohort sort."""
        known = np.flatnonzero(~np.isnan(values))
        x = values[known] + 0.0  # -0.0 → 0.0
        order, _ = _by_value(x)  # the order within a tie does not matter (see _per_tie)
        order = order[np.argsort(self.codes[known][order], kind="stable")]
        rows = known[order]
        cs = self.codes[rows]
        starts, ends = _ties(x[order], cs)
        sizes = np.bincount(cs, minlength=self.count)
        offsets = np.concatenate(([0], np.cumsum(sizes)[:-1]))
        return _Sorted(rows, x[order], starts, ends, cs[starts], sizes, offsets)


@dataclass(frozen=True)
class _Sorted:
    """Known values sorted by (cohort, value); ``starts``/``ends`` bound each tie."""

    rows: np.ndarray  # original row of each sorted value
    xs: np.ndarray
    starts: np.ndarray
    ends: np.ndarray
    tie_cohort: np.ndarray  # cohort of each tie
    sizes: np.ndarray  # known values per cohort
    offsets: np.ndarray  # first sorted position of each cohort
