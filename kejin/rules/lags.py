"""Earlier years of the same firm, as columns: ``revenue__lag1`` is last year's revenue.

Rows are sorted by (uscc, year) once; the value k years back is found by matching the year,
not by position, so a gap year gives a blank instead of the wrong year's figure.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Iterable

import polars as pl

from kejin.rules.expr import Use, lag_column, present_column

KEY = ("uscc", "year")
FIRM = "__firm"


def with_lags(frame: pl.DataFrame, needed: Iterable[Use]) -> pl.DataFrame:
    """Sort by (uscc, year) and add every lagged column in ``needed`` (lag 0 entries are ignored)."""
    by_lag: dict[int, set[str]] = defaultdict(set)
    for use in needed:
        if use.lag > 0:
            by_lag[use.lag].add(use.name)
    frame = frame.sort(list(KEY))
    if not by_lag:
        return frame
    # one string comparison pass gives each firm an integer id; the lag matches compare integers
    frame = frame.with_columns((pl.col("uscc") != pl.col("uscc").shift(1)).fill_null(True).cum_sum().alias(FIRM))
    firm, year = pl.col(FIRM), pl.col("year")
    matches: dict[tuple[int, int], pl.Expr] = {}
    for k in by_lag:
        for j in range(1, k + 1):
            matches[(k, j)] = ((firm.shift(j) == firm) & (year.shift(j) == year - k)).fill_null(False).alias(f"__m{k}_{j}")
    frame = frame.with_columns(list(matches.values()))
    columns: list[pl.Expr] = []
    for k, names in sorted(by_lag.items()):
        flags = [pl.col(f"__m{k}_{j}") for j in range(1, k + 1)]
        columns.append(pl.any_horizontal(flags).alias(present_column(k)))
        for name in sorted(names - {"__present__"}):
            picks = [pl.when(flag).then(pl.col(name).shift(j)) for j, flag in zip(range(1, k + 1), flags)]
            columns.append((pl.coalesce(picks) if len(picks) > 1 else picks[0]).alias(lag_column(name, k)))
    return frame.with_columns(columns).drop([FIRM, *[m.meta.output_name() for m in matches.values()]])
