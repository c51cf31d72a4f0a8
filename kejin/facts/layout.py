"""The row layout of a fact table by its keys (uscc, year), worked out in a pass or two.

Exports usually list each firm's years together, ascending: sorted by (uscc, year), or firm
after firm in any order of firms (``kejin synth`` writes the latter). Either way no key can
repeat, so the search for duplicate enterprise-years can be skipped, an earlier year is a few
rows up, and putting the table in (uscc, year) order only needs the firms sorted, not the rows.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import polars as pl

from kejin.facts.codes import fixed_width_bytes
from kejin.sorting import byte_digits, int_digits, radix_order


FIRST_ROWS = 4096  # looked at before the whole table: a file in another order nearly always shows it there


def keys_strictly_ascending(frame: pl.DataFrame) -> bool:
    """True when every row's (uscc, year) is strictly greater than the previous row's (blank
    keys excluded): then no key repeats, and the far costlier duplicate search can be skipped."""
    if frame.height < 2:
        return True
    u, y = pl.col("uscc"), pl.col("year")
    ascending = ((u > u.shift(1)) | ((u == u.shift(1)) & (y > y.shift(1)))).slice(1).fill_null(False).all()
    if frame.height > FIRST_ROWS and not frame.head(FIRST_ROWS).select(ascending).item():
        return False
    return bool(frame.select(ascending).item())


def firm_runs(frame: pl.DataFrame) -> np.ndarray | None:
    """The first row of each firm when every firm's rows are together with strictly increasing
    years and no key is blank (then no key repeats); None otherwise. Only the firms' first rows
    are hashed to see that no firm comes back later."""
    if frame.height == 0:
        return np.zeros(0, dtype=np.int64)
    u, y = pl.col("uscc"), pl.col("year")
    first = (u != u.shift(1)).fill_null(True)
    layout = frame.select(
        (u.is_null().any() | y.is_null().any()).alias("blank"),
        (first | (y > y.shift(1))).all().alias("ascending"),
        first.alias("first"),
    )
    if layout["blank"][0] or not layout["ascending"][0]:
        return None
    starts = np.flatnonzero(layout["first"].to_numpy())
    heads = frame.get_column("uscc").gather(starts)
    return starts if heads.n_unique() == len(starts) else None


def firm_order(frame: pl.DataFrame, starts: np.ndarray) -> np.ndarray:
    """The row order that puts a firm-grouped table (``firm_runs``) in (uscc, year) order: its
    firms sorted by uscc, each keeping its rows (already in year order)."""
    lengths = np.diff(np.append(starts, frame.height))
    by_code = byte_order(frame.get_column("uscc").gather(starts))
    run_start, run_length = starts[by_code], lengths[by_code]
    # row i of the result is row (its run's start + its place in the run) of the input
    placed = np.cumsum(run_length) - run_length  # where each sorted run begins in the result
    return np.arange(frame.height, dtype=np.int64) + np.repeat(run_start - placed, run_length)


def _fixed_width(strings: pl.Series) -> int | None:
    """The byte width every value of ``strings`` has, or None (a blank, an empty or differing
    widths): only fixed-width text is radix-sorted."""
    lengths = strings.str.len_bytes()
    width = lengths.max()
    return None if strings.null_count() or not width or width != lengths.min() else int(width)


def byte_order(strings: pl.Series) -> np.ndarray:
    """The order that sorts ``strings`` by their bytes (as Polars sorts text; ties keep their
    order). Strings of one width — USCCs are 18 ASCII characters — are radix-sorted by 16-bit
    digits (``kejin.sorting``), without comparing strings (a comparison sort of text spends most
    of its time in memcmp)."""
    width = _fixed_width(strings)
    if width is None:
        return strings.to_frame().select(pl.arg_sort_by(strings.name, maintain_order=True)).to_series().to_numpy()
    return radix_order(byte_digits(fixed_width_bytes(strings, width)))


@dataclass(frozen=True)
class SortedKeys:
    """A table's keys in (uscc, year) order without moving the table: ``order`` (row i of the
    sorted table is row ``order[i]``), and for each sorted row its firm's number (0, 1, … in code
    order) and its year. Enough to find an earlier year of the same firm, or a repeated key,
    without gathering the codes themselves."""

    order: np.ndarray
    firm: np.ndarray
    year: pl.Series

    def first_repeat(self) -> int | None:
        """The row (of the table) of the first sorted row whose key equals the one before it —
        a repeated enterprise-year; None when every key is unique. Blank years never repeat."""
        y = self.year
        if len(y) < 2:
            return None
        same = (self.firm[1:] == self.firm[:-1]) & (y.slice(1) == y.slice(0, len(y) - 1)).fill_null(False).to_numpy()
        hits = np.flatnonzero(same)
        return int(self.order[hits[0] + 1]) if len(hits) else None


def sorted_keys(frame: pl.DataFrame) -> SortedKeys:
    """The keys of ``frame`` in (uscc, year) order, as Polars sorts them, ties keeping their order.
    For codes of one width and whole-number years without blanks (every validated fact table), a
    radix sort of the codes' bytes and the years' bits in 16-bit digits (a million rows in
    0.15–0.23 s, where Polars' comparison sort takes 0.21–0.43 s), the firms told apart by
    comparing each sorted code's bytes with the one before it; otherwise Polars' own stable sort
    (a blank code, possible only in unvalidated tables, sorts first and is a firm of its own)."""
    uscc, year = frame.get_column("uscc"), frame.get_column("year")
    width = _fixed_width(uscc)
    exact_in_int64 = year.dtype.is_integer() and year.dtype != pl.UInt64
    if width is None or year.null_count() or not exact_in_int64:
        order = frame.select(pl.arg_sort_by(["uscc", "year"], maintain_order=True)).to_series().to_numpy()
        codes = uscc.gather(order)
        firm = (codes.ne_missing(codes.shift(1)) | codes.is_null()).cast(pl.Int64).cum_sum().to_numpy() - 1
        return SortedKeys(order, firm, year.gather(order))
    chars = fixed_width_bytes(uscc, width)
    order = radix_order([*byte_digits(chars), *int_digits(year.cast(pl.Int64).to_numpy())])
    in_order = np.take(chars, order, axis=0).view(np.dtype((np.void, width))).ravel()  # one comparable item per code
    new_firm = np.ones(len(order), dtype=np.int64)
    new_firm[1:] = in_order[1:] != in_order[:-1]
    return SortedKeys(order, np.cumsum(new_firm) - 1, year.gather(order))
