"""Helpers for tests that read facts from Excel: synthetic facts as a workbook as users fill it in —
Chinese headers, every cell text, and the data on a sheet other than the first."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence

import polars as pl

from kejin.facts import schema
from kejin.facts.synth import synth_facts


def facts_rows(n: int, seed: int = 0) -> list[list[str]]:
    """``n`` synthetic enterprise-years (``synth_facts``) as text rows under the Chinese headers of
    the data norms, lists joined by ";" as the import template writes them."""
    frame = synth_facts(n, seed=seed)
    lists = [c for c, t in frame.schema.items() if isinstance(t, pl.List)]
    rows = list(csv.reader(io.StringIO(frame.with_columns(pl.col(c).list.join(";") for c in lists).write_csv())))
    return [[schema.field(h).zh for h in rows[0]]] + rows[1:]


def two_sheet_workbook(rows: Sequence[Sequence[object]], data_sheet: str = "企业数据",
                       notes: Sequence[Sequence[object]] = (("本表为说明页 / notes",),), notes_title: str = "填写说明") -> bytes:
    """An .xlsx file whose first sheet (``notes_title``) holds ``notes`` and whose ``data_sheet``
    holds ``rows``."""
    from openpyxl import Workbook

    book = Workbook()
    first = book.active
    first.title = notes_title
    for r in notes:
        first.append(list(r))
    data = book.create_sheet(data_sheet)
    for r in rows:
        data.append(list(r))
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
