"""The input digest: SHA-256 over a canonical serialisation of exactly the input columns a
method reads, for the rows it scores, sorted by (uscc, year).

Serialisation (version ``kejin-input-v1``), fed to SHA-256 in this order:

1. the line ``kejin-input-v1\\n`` and the row count as ``<n>\\n``;
2. for each column, in sorted name order: ``<name>:<kind>\\n``, then the null mask (one byte per
   row, 1 = blank), then the values:
   - ``num``: numbers (amounts, counts, ratios) as IEEE-754 float64 little-endian, blanks as 0;
   - ``bool``: one byte per row (1 true, 0 false or blank);
   - ``date``: int32 little-endian days since 1970-01-01;
   - ``text``: UTF-8 values joined by the unit separator 0x1F (blank as empty);
   - ``list``: tags joined by ``;``, then as text.

The same facts read from CSV, XLSX or Parquet give the same digest (types come from the data
norms), and a one-fen change of any used amount changes it.

The bytes are handed to ``hashlib`` as contiguous buffers (NumPy arrays over the columns, the
joined text as one ``bytes``) — no per-row Python work; hashlib releases the GIL on large
buffers, so the engine can hash in a worker thread while Polars works.
"""

from __future__ import annotations

import hashlib

import numpy as np
import polars as pl

VERSION = "kejin-input-v1"


def _kind(dtype: pl.DataType) -> str:
    if dtype == pl.Boolean:
        return "bool"
    if dtype == pl.Date:
        return "date"
    if isinstance(dtype, pl.List):
        return "list"
    if dtype.is_numeric():
        return "num"
    return "text"


def _values(s: pl.Series, kind: str) -> np.ndarray | bytes:
    """The canonical value bytes of one column, as one contiguous buffer."""
    if kind == "num":
        return s.cast(pl.Float64).fill_null(0.0).to_numpy().astype("<f8", copy=False)
    if kind == "bool":
        return s.fill_null(False).to_numpy().view(np.uint8)
    if kind == "date":
        return s.cast(pl.Int32).fill_null(0).to_numpy().astype("<i4", copy=False)
    if kind == "list":
        s = s.list.join(";")
    # the whole column joined into one value, taken as bytes (no Python str per row, no decoding)
    return s.cast(pl.String).fill_null("").str.join("\x1f").cast(pl.Binary).item() or b""


def input_digest(frame: pl.DataFrame, columns: list[str]) -> str:
    """``frame`` must already be sorted by (uscc, year)."""
    h = hashlib.sha256()
    h.update(f"{VERSION}\n{frame.height}\n".encode())
    for name in sorted(columns):
        s = frame.get_column(name)
        kind = _kind(s.dtype)
        h.update(f"{name}:{kind}\n".encode())
        h.update(s.is_null().to_numpy().view(np.uint8))
        h.update(_values(s, kind))
    return h.hexdigest()
