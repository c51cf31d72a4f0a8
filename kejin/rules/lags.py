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


def with_lags(frame: pl.DataFrame, needed: Iterable[Use]) -> pl.DataFrame:
    """Sort by (uscc, year) and add every lagged column in ``needed`` (lag 0 entries are ignored)."""
    by_lag: dict[int, set[str]] = defaultdict(set)
    for use in needed:
        if use.lag > 0:
            by_lag[use.lag].add(use.name)
    frame = frame.sort(list(KEY))
    if not by_lag:
        return frame
    uscc, year = pl.col("uscc"), pl.col("year")
    columns: list[pl.Expr] = []
    for k, names in sorted(by_lag.items()):
        matches = [(uscc.shift(j) == uscc) & (year.shift(j) == year - k) for j in range(1, k + 1)]
        present = pl.any_horizontal([m.fill_null(False) for m in matches])
        columns.append(present.alias(present_column(k)))
        for name in sorted(names - {"__present__"}):
            picks = [pl.when(m).then(pl.col(name).shift(j)) for j, m in zip(range(1, k + 1), matches)]
            columns.append(pl.coalesce(picks).alias(lag_column(name, k)) if len(picks) > 1 else picks[0].alias(lag_column(name, k)))
    return frame.with_columns(columns)
