"""Earlier years of the same firm, as columns: ``revenue__lag1`` is last year's revenue.

The value k years back is found by matching the year, not by position, so a gap year gives a
blank instead of the wrong year's figure. Rows keep their input order: when each firm's rows are
already together with ascending years, the earlier years are read a few rows up; otherwise the
work happens on an ordering of just the columns involved (sorting the whole table would move
every column) and the lag columns are put back in input order.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Iterable

import numpy as np
import polars as pl

from kejin.facts.layout import SortedKeys, firm_runs
from kejin.rules.expr import Use, lag_column, present_column

KEY = ("uscc", "year")


def with_lags(frame: pl.DataFrame, needed: Iterable[Use], firm_grouped: bool | None = None, keys: SortedKeys | None = None) -> pl.DataFrame:
    """Add every lagged column in ``needed`` (lag 0 entries are ignored); rows stay in input order.

    ``firm_grouped=True`` tells that each firm's rows are together with strictly increasing years
    (a caller that has checked (uscc, year) ascending knows it), saving the layout check;
    ``keys``, that they are not, and how they sort by (uscc, year) with no key repeated
    (``kejin.facts.layout.sorted_keys``), saving the sort and the gather of the codes."""
    by_lag: dict[int, set[str]] = defaultdict(set)
    for use in needed:
        if use.lag > 0:
            by_lag[use.lag].add(use.name)
    if not by_lag:
        return frame
    names = sorted(set().union(*by_lag.values()) - {"__present__"})
    # each firm's rows together, years ascending (most exports, sorted or not): an earlier year is
    # a few rows up, no reordering needed
    order = None
    if keys is not None:  # the firms numbered in key order already: only the lagged fields move
        order = keys.order
        work = pl.DataFrame([pl.Series("__firm", keys.firm), keys.year.alias("year")])
        if names:
            work = work.hstack(frame.select(names)[order])
    else:
        if firm_grouped or (firm_grouped is None and firm_runs(frame) is not None):
            work = frame.select("uscc", "year", *names)
        else:  # firm order: a hash first (cheap to sort), the code itself only to break hash ties
            order = frame.select(pl.arg_sort_by([pl.col("uscc").hash(), "uscc", "year"])).to_series().to_numpy()
            work = frame.select("uscc", "year", *names)[order]
        work = work.with_columns((pl.col("uscc") != pl.col("uscc").shift(1)).fill_null(True).cum_sum().alias("__firm"))
    firm, year = pl.col("__firm"), pl.col("year")
    matches = {
        (k, j): ((firm.shift(j) == firm) & (year.shift(j) == year - k)).fill_null(False).alias(f"__m{k}_{j}")
        for k in by_lag
        for j in range(1, k + 1)
    }
    work = work.with_columns(list(matches.values()))
    columns: list[pl.Expr] = []
    for k, wanted in sorted(by_lag.items()):
        flags = [pl.col(f"__m{k}_{j}") for j in range(1, k + 1)]
        columns.append(pl.any_horizontal(flags).alias(present_column(k)))
        for name in sorted(wanted - {"__present__"}):
            picks = [pl.when(flag).then(pl.col(name).shift(j)) for j, flag in zip(range(1, k + 1), flags)]
            columns.append((pl.coalesce(picks) if len(picks) > 1 else picks[0]).alias(lag_column(name, k)))
    lagged = work.select(columns)
    if order is None:
        return frame.hstack(lagged)
    back = np.empty(len(order), dtype=np.int64)  # the inverse permutation: row i of the input is row back[i] of `work`
    back[order] = np.arange(len(order), dtype=np.int64)
    return frame.hstack(lagged[back])

