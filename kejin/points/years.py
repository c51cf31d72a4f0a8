"""The year a command is asked for: one the data hold, or a named error (never an empty result)."""

from __future__ import annotations

import polars as pl

from kejin.errors import InputError, Problem

DATA = ("数据", "the data")
RESULTS = ("积分结果", "the results")


def check_year(year: int | None, frame: pl.DataFrame, code: str, source: tuple[str, str] = DATA) -> None:
    """Raise ``code`` when ``year`` is given and no row of ``frame`` has it, listing the years
    the rows do have."""
    if year is None:
        return
    years = sorted(frame.get_column("year").unique().drop_nulls().to_list())
    if year not in years:
        listed = ", ".join(map(str, years)) or "—"
        zh, en = source
        raise InputError(Problem(code, f"{zh}中没有 {year} 年度（有：{listed}）", f"{en} hold no year {year} (years: {listed})", field="year", value=year))
