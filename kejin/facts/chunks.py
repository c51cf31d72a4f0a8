"""Reading a large fact file in firm-aligned chunks, validated chunk by chunk.

A million enterprise-years need not be held whole, typed and evaluated at once: when each
firm's rows are together in the file with their years ascending (the usual layout of an
export), the table is cut into chunks at firm boundaries, so every firm's earlier years are in
the same chunk as its later ones and chunk-wise results equal whole-table results. Memory then
stays bounded by the chunk size, not by the file.

Files that are not laid out that way (or whose keys do not even parse) are read as one chunk,
which is exactly the whole-table path.

Validation stays all-or-nothing: once a chunk has a problem, the later chunks are still
checked (so every problem is reported) but no longer handed out, and the reader ends by raising
one `InputError` with all problems. A consumer must therefore write what it gets to a temporary
place and publish it only when the iteration finished without error.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from pathlib import Path

import numpy as np
import polars as pl

from kejin.errors import InputError, Problem
from kejin.facts import schema
from kejin.facts.layout import firm_runs
from kejin.facts.readers import ROW, RawTable, name_columns, no_rows
from kejin.facts.validate import checked_fields, named_source, parse_expr, validate_raw
from kejin.pipeline import one_ahead

DEFAULT_CHUNK_ROWS = 131_072


class FactChunks:
    """An opened fact file; iterate it for validated chunks (see the module notes).

    ``rows`` is the number of data rows; ``chunks`` the planned number of chunks; ``ignored`` the
    headers of the file that are no field of the norms (left out; an error when ``strict``).
    """

    def __init__(
        self,
        path: Path | str,
        fields: Iterable[str] | None = None,
        sheet: str | None = None,
        chunk_rows: int = DEFAULT_CHUNK_ROWS,
        strict: bool = False,
    ):
        self.path = Path(path)
        self.label = str(path)
        self.fields = None if fields is None else [f.name for f in checked_fields(fields)]
        self._wanted = None if self.fields is None else set(self.fields)
        self._strict = strict
        self._parquet = self.path.suffix.lower() == ".parquet" and self.path.exists()
        self._whole: pl.DataFrame | None = None
        self._number_cells: frozenset[int] = frozenset()
        if self._parquet:
            self._sources = self._parquet_columns()
            self.rows = self._parquet_rows()
            if self.rows == 0:
                raise no_rows(self.label)
            # the keys decide where chunks may be cut; a file that fits in one chunk needs none
            keys = self._read_parquet(["uscc", "year"], 0, None) if self.rows > chunk_rows else None
        else:
            raw = named_source(self.path, sheet, self._wanted, strict)  # header problems before any row
            keep = [c for c in raw.frame.columns if c == ROW or self.fields is None or c in self.fields]
            self._whole = raw.frame.select(keep)
            self._factors = raw.unit_factors
            self._number_cells = raw.numeric_uscc_rows
            self.ignored = raw.ignored
            keys = self._whole.select("uscc", "year")
            self.rows = keys.height
        self._bounds = _firm_aligned_bounds(keys, chunk_rows) if keys is not None else np.array([0, self.rows], dtype=np.int64)
        # several chunks only when firms are contiguous with strictly increasing years, and then
        # no (uscc, year) can repeat
        self._keys_unique = len(self._bounds) > 2
        self.chunks = len(self._bounds) - 1

    # ------------------------------------------------------------------ Parquet
    def _parquet_columns(self) -> dict[str, str]:
        """field name → column name in the file, for the fields wanted (headers checked once)."""
        try:
            file_schema = pl.read_parquet_schema(self.path)
        except Exception as exc:
            raise InputError(Problem("parquet.broken", f"Parquet 文件无法读取：{exc}", f"cannot read Parquet file: {exc}", file=self.label)) from None
        empty = pl.DataFrame(schema={**file_schema, ROW: pl.Int64})
        raw = name_columns(empty, self.label, wanted=self._wanted, strict=self._strict)
        self._factors = raw.unit_factors
        self.ignored = raw.ignored
        by_field = {}
        for column in file_schema:
            field, _ = schema.resolve_header(column)
            if field in raw.frame.columns and (self.fields is None or field in self.fields):
                by_field[field] = column
        return by_field

    def _parquet_rows(self) -> int:
        """The file's row count, from its metadata (no column is read)."""
        try:
            return int(pl.scan_parquet(self.path).select(pl.len()).collect().item())
        except Exception as exc:
            raise InputError(Problem("parquet.broken", f"Parquet 文件无法读取：{exc}", f"cannot read Parquet file: {exc}", file=self.label)) from None

    def _read_parquet(self, fields: list[str], offset: int, length: int | None) -> pl.DataFrame:
        columns = {self._sources[f]: f for f in fields if f in self._sources}
        try:
            frame = pl.scan_parquet(self.path).select(list(columns)).slice(offset, length).collect()
        except Exception as exc:
            raise InputError(Problem("parquet.broken", f"Parquet 文件无法读取：{exc}", f"cannot read Parquet file: {exc}", file=self.label)) from None
        return frame.rename(columns)

    def _raw_chunk(self, start: int, stop: int) -> RawTable:
        if self._whole is not None:
            return RawTable(self._whole.slice(start, stop - start), self.label, self._factors, self._number_cells)
        frame = self._read_parquet(list(self._sources), start, stop - start)
        rows = pl.int_range(start + 1, stop + 1, dtype=pl.Int64, eager=True).alias(ROW)
        return RawTable(frame.with_columns(rows), self.label, self._factors)

    # ------------------------------------------------------------------ iteration
    def _validated(self, start: int, stop: int) -> pl.DataFrame | InputError:
        try:
            return validate_raw(self._raw_chunk(start, stop), self.fields, keys_unique=self._keys_unique).frame
        except InputError as exc:
            return exc

    def __iter__(self) -> Iterator[pl.DataFrame]:
        """Validated chunks in file order; the next chunk is read and checked in a worker thread
        while the caller works on the current one (Polars releases the GIL for both)."""
        problems: list[Problem] = []
        spans = [(int(a), int(b)) for a, b in zip(self._bounds[:-1], self._bounds[1:])]
        for result in one_ahead(lambda span: self._validated(*span), spans, "kejin-read"):
            if isinstance(result, InputError):
                problems += result.problems
            elif not problems:
                yield result
        if problems:
            problems.sort(key=lambda p: (p.row is None, p.row or 0, p.field or ""))
            raise InputError(problems)


def _firm_aligned_bounds(keys: pl.DataFrame, chunk_rows: int) -> np.ndarray:
    """Chunk boundaries (row offsets, first 0, last n) cut only between firms; a single chunk
    unless each firm's rows are contiguous with strictly increasing years."""
    n = keys.height
    whole = np.array([0, n], dtype=np.int64)
    if n <= chunk_rows:
        return whole
    uscc = parse_expr(schema.field("uscc"), keys.schema["uscc"], 1.0)
    year = parse_expr(schema.field("year"), keys.schema["year"], 1.0)
    firm_starts = firm_runs(keys.select(uscc.alias("uscc"), year.alias("year")))
    if firm_starts is None:
        return whole
    targets = np.arange(chunk_rows, n, chunk_rows)
    cuts = firm_starts[np.minimum(np.searchsorted(firm_starts, targets), len(firm_starts) - 1)]
    cuts = np.unique(cuts[(cuts > 0) & (cuts < n)])
    return np.concatenate([[0], cuts, [n]]).astype(np.int64)
