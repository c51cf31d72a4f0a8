"""Evaluating a fact file in chunks and exporting the results (the `standards eval` path).

The file is read in firm-aligned chunks (`kejin.facts.chunks`): only the fields the chosen packs
read are typed and checked, and each chunk goes through the same engine as a whole table. Without
gap analysis every pack of a chunk is one lazy query cut down to its export columns, and the
packs run together (``pl.collect_all``), so no pack's ~100 working columns are ever held for the
whole file. Output is written to a temporary file beside the target and moved into place only
when every chunk was read, validated and evaluated: a bad row anywhere leaves no output behind.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

import polars as pl

from kejin.errors import InputError, Problem
from kejin.facts.chunks import DEFAULT_CHUNK_ROWS, FactChunks
from kejin.output import drop_behind, publish
from kejin.standards import engine, results
from kejin.standards.pack import StandardPack

ID_COLUMNS = ["uscc", "name", "year"]


def input_fields(packs: Iterable[StandardPack]) -> set[str]:
    """The fact fields the packs read: their inputs (any year), and the facts their gaps move."""
    names = set(ID_COLUMNS)
    for pack in packs:
        names |= {use.name for use in pack.uses() if not use.name.startswith("__")}
        names |= {spec.lever for spec in engine.gap_specs(pack)} | {c.lever for c in engine.condition_gap_specs(pack)}
    return names


def open_facts(path: Path | str, packs: list[StandardPack], sheet: str | None = None, chunk_rows: int = DEFAULT_CHUNK_ROWS) -> FactChunks:
    """The fact file as `eval` and `explain` read it: the fields `input_fields` names, with the
    required fields and their bounds, typed and checked (so both accept or reject the same file)."""
    return FactChunks(path, fields=input_fields(packs), sheet=sheet, chunk_rows=chunk_rows)


def _years_text(years: Iterable[int], zh: bool) -> str:
    listed = sorted(set(years))
    if not listed:
        return "无" if zh else "none"
    return ("、" if zh else ", ").join(str(y) for y in listed)


def year_not_found(year: int, years: Iterable[int], file: str, firm: str | None = None) -> InputError:
    """``--year`` names a fiscal year the data (or the firm) has no row for."""
    years = list(years)
    whose_zh, whose_en = (f"企业 {firm} " if firm else "文件中", f"firm {firm}" if firm else "the file")
    return InputError(
        Problem(
            "option.year",
            f"选项 --year {year}：{whose_zh}没有该年度的数据；现有年度：{_years_text(years, True)}",
            f"option --year {year}: {whose_en} has no rows for this year; years present: {_years_text(years, False)}",
            file=file,
            value=year,
        )
    )


def check_year(chunks: Iterable[pl.DataFrame], year: int | None, file: str) -> Iterator[pl.DataFrame]:
    """Pass the validated chunks through; at the end, if ``year`` is given and no row had it,
    raise `year_not_found` naming the years present (a consumer inside ``publish`` then leaves
    no output behind)."""
    if year is None:
        yield from chunks
        return
    seen: set[int] = set()
    for facts in chunks:
        seen.update(facts.get_column("year").unique().drop_nulls().to_list())
        yield facts
    if year not in seen:
        raise year_not_found(year, seen, file)


def wide_chunk(facts: pl.DataFrame, packs: list[StandardPack], gaps: bool = True, year: int | None = None) -> pl.DataFrame:
    """The export table (`results.wide_columns`) of one chunk of validated facts."""
    prepared = engine.prepare(facts, packs)
    if year is not None:  # earlier years are already columns (lags), so rows can go first
        prepared = prepared.filter(pl.col("year") == year)
    ids = prepared.select(ID_COLUMNS)
    if gaps:
        frames = [engine.evaluate_pack(prepared, p, gaps=True) for p in packs]
        parts = [f.select(results.wide_columns(p, f.columns)) for p, f in zip(packs, frames)]
    else:
        queries = [engine.pack_query(prepared, p, gaps=False).select(results.wide_columns(p, [], missing=pl.lit(""))) for p in packs]
        parts = [
            part.with_columns(engine.missing_names(prepared, part.get_column(f"{p.id}.status") == engine.UNKNOWN, p).alias(f"{p.id}.missing"))
            for p, part in zip(packs, pl.collect_all(queries))
        ]
    return pl.concat([ids, *parts], how="horizontal")


def wide_chunks(source: FactChunks, packs: list[StandardPack], gaps: bool = True, year: int | None = None) -> Iterator[pl.DataFrame]:
    for facts in check_year(source, year, source.label):
        yield wide_chunk(facts, packs, gaps=gaps, year=year)


def write_csv(chunks: Iterable[pl.DataFrame], output: Path | None, on_chunk: Callable[[pl.DataFrame], None] | None = None) -> int:
    """Write the chunks as one CSV (header once); returns the rows written.

    Each chunk is written by a worker thread while the next one is computed (Polars releases
    the GIL in both), and the file only appears under its name once all chunks are done; it is
    let go from the page cache chunk by chunk (``drop_behind``).
    """
    rows = 0
    with publish(output) as handle, ThreadPoolExecutor(max_workers=1, thread_name_prefix="kejin-csv") as writer:

        def write(table: pl.DataFrame, header: bool) -> None:
            table.write_csv(handle, include_header=header)
            drop_behind(handle)

        pending: Future[None] | None = None
        for i, table in enumerate(chunks):
            if pending is not None:
                pending.result()
            pending = writer.submit(write, table, i == 0)
            rows += table.height
            if on_chunk:
                on_chunk(table)
        if pending is not None:
            pending.result()
    return rows
