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

Row digests (version ``kejin-row-v1``, ``row_digests``): one 64-bit fingerprint per row over the
same canonical values, published as the ``row_digest`` column (16 lowercase hex digits), so that
``verify`` can name *which* enterprise-year's input changed. It is a locator, not a security
primitive: the SHA-256 ``input_digest`` above stays the integrity check. All arithmetic is on
unsigned 64-bit integers modulo 2**64 (``*`` and ``+`` wrap; ``>>`` is a logical shift):

- ``mix(z)`` is the splitmix64 finaliser: ``z ^= z >> 30; z *= 0xBF58476D1CE4E5B9;
  z ^= z >> 27; z *= 0x94D049BB133111EB; z ^= z >> 31``;
- ``T(b)``, the hash of a byte string ``b`` of length ``L``: cut ``b`` into 8-byte words
  ``w_0 … w_{m-1}`` read little-endian (m = ceil(L / 8), the last word padded with zero bytes),
  ``T(b) = mix(L + Σ_k w_k · P^(k+1))`` with ``P = 0x9E3779B97F4A7C15``; ``T(b"") = 0``;
- per column, in sorted name order, with ``<kind>`` as above: the keys
  ``K = mix(T("<name>:<kind>:value")) | 1`` and ``N = mix(T("<name>:<kind>:blank")) | 1``
  (UTF-8), and per row the value word ``v`` and the blank flag ``n`` (1 blank, 0 known):
  - ``num``: the IEEE-754 float64 bit pattern of the value (integers converted to float64,
    ``-0.0`` taken as ``0.0``), blank as 0;
  - ``bool``: 1 true, 0 false or blank;
  - ``date``: days since 1970-01-01 as a signed 64-bit integer (two's complement), blank as 0;
  - ``text``: ``T`` of the UTF-8 value, blank as ``T(b"") = 0``;
  - ``list``: the tags joined by ``;``, then as ``text``;
- ``acc = Σ_columns (K · v + N · n)``; the row digest is ``mix(acc ^ T("kejin-row-v1"))``
  written as 16 lowercase hex digits (most significant first).

It depends only on the row's own values (not on the other rows or their order), the blank flag
keeps blank apart from 0, and — because ``K`` and ``P`` are odd and ``mix`` is a bijection — a
change of one known number, date or flag of a row (one fen of one amount), or of one byte of one
of its texts, always changes that row's digest; any other change changes it except with a chance
of about 2**-64. It is computed on NumPy ``uint64`` arrays, column after column over blocks of
32,768 rows (the block stays in the L2 cache); a text column's words are gathered from its
joined UTF-8 bytes, one pass per 8-byte word position, not per row, and runs of equal values (a
firm's uscc over its years) are hashed once. No Python per row; NumPy releases the GIL, so the
engine runs it in the same worker thread as ``input_digest``.
"""

from __future__ import annotations

import functools
import hashlib

import numpy as np
import polars as pl

from kejin.facts.codes import fixed_width_strings

VERSION = "kejin-input-v1"
ROW_VERSION = "kejin-row-v1"


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


def input_digest(frame: pl.DataFrame, columns: list[str], order: np.ndarray | None = None) -> str:
    """The input digest of ``frame``'s rows taken in ``order``, the order that sorts them by (uscc,
    year) (``kejin.facts.layout``); None when they are in that order already. Each column is taken
    in that order on its own as it is hashed, so the table itself need not be reordered."""
    h = hashlib.sha256()
    h.update(f"{VERSION}\n{frame.height}\n".encode())
    for name in sorted(columns):
        s = frame.get_column(name)
        kind = _kind(s.dtype)
        h.update(f"{name}:{kind}\n".encode())
        if order is not None:
            s = s.gather(order)
        h.update(s.is_null().to_numpy().view(np.uint8))
        h.update(_values(s, kind))
    return h.hexdigest()


# ---------------------------------------------------------------- row digests (kejin-row-v1)

_M = (1 << 64) - 1
_P = 0x9E3779B97F4A7C15
_C1 = 0xBF58476D1CE4E5B9
_C2 = 0x94D049BB133111EB
# (1 << 8r) - 1 for r = 0..8 valid bytes in the last word of a text
_BYTE_MASK = np.array([(1 << (8 * r)) - 1 for r in range(9)], dtype=np.uint64)


def _mix_int(z: int) -> int:
    z &= _M
    z = ((z ^ (z >> 30)) * _C1) & _M
    z = ((z ^ (z >> 27)) * _C2) & _M
    return z ^ (z >> 31)


def _text_int(b: bytes) -> int:
    """``T(b)`` for one byte string (used for the keys; the columns use ``_text_hashes``)."""
    acc, p = len(b), 1
    for k in range(0, len(b), 8):
        p = (p * _P) & _M
        acc = (acc + int.from_bytes(b[k:k + 8], "little") * p) & _M
    return _mix_int(acc)


def _mix(z: np.ndarray, tmp: np.ndarray) -> np.ndarray:
    """``mix`` in place on a uint64 array (``tmp``: scratch of the same size)."""
    for shift, mul in ((30, _C1), (27, _C2), (31, None)):
        np.right_shift(z, np.uint64(shift), out=tmp)
        np.bitwise_xor(z, tmp, out=z)
        if mul is not None:
            np.multiply(z, np.uint64(mul), out=z)
    return z


def _text_hashes(s: pl.Series) -> np.ndarray:
    """``T`` of every value of a text column (blank as empty). Runs of equal values (the uscc of a
    firm's years, its region…) are hashed once."""
    f = s.cast(pl.String).fill_null("")
    n = f.len()
    if n > 1:
        heads = f.ne_missing(f.shift(1)).fill_null(True).to_numpy()
        runs = int(np.count_nonzero(heads))
        if runs * 2 < n:
            run_of_row = np.cumsum(heads, dtype=np.int64)
            run_of_row -= 1
            return _distinct_text_hashes(f.filter(pl.Series(heads)))[run_of_row]
    return _distinct_text_hashes(f)


def _distinct_text_hashes(f: pl.Series) -> np.ndarray:
    """``T`` of every value of a String column without blanks, one pass per 8-byte word position."""
    lens = f.str.len_bytes().to_numpy().astype(np.int64)
    n = lens.shape[0]
    data = f.str.join("").cast(pl.Binary).item() or b""
    buf = np.frombuffer(data + bytes(8), dtype=np.uint8)
    # words[i] = the 8 bytes from byte i on, little-endian (an unaligned view, no copy)
    words = np.ndarray((len(data) + 1,), dtype="<u8", buffer=buf, strides=(1,))
    starts = np.zeros(n, dtype=np.int64)
    np.cumsum(lens[:-1], out=starts[1:])
    acc = lens.astype(np.uint64)
    p = 1
    longest = int(lens.max()) if n else 0
    rows: np.ndarray | None = None  # None = every row still has bytes at this word position
    for off in range(0, longest, 8):
        p = (p * _P) & _M
        if rows is None and int(lens.min()) <= off:
            rows = np.flatnonzero(lens > off)
        elif rows is not None:
            rows = rows[lens[rows] > off]
        if rows is None:
            w = words[starts + off]
            rest = lens - off
            if int(rest.min()) < 8:
                w &= _BYTE_MASK[np.minimum(rest, 8)]
            np.multiply(w, np.uint64(p), out=w)
            np.add(acc, w, out=acc)
        else:
            rest = lens[rows] - off
            w = words[starts[rows] + off] & _BYTE_MASK[np.minimum(rest, 8)]
            np.multiply(w, np.uint64(p), out=w)
            acc[rows] += w
    return _mix(acc, np.empty_like(acc))


@functools.cache
def _hex_quads() -> np.ndarray:
    """Four lowercase hex digits per 16-bit value, as the little-endian uint32 of their ASCII codes."""
    digits = np.frombuffer(b"0123456789abcdef", dtype=np.uint8).astype(np.uint32)
    i = np.arange(1 << 16, dtype=np.uint32)
    quads = digits[i >> 12] | digits[(i >> 8) & 15] << 8 | digits[(i >> 4) & 15] << 16 | digits[i & 15] << 24
    return quads.astype("<u4")


def _hex_into(d: np.ndarray, out: np.ndarray) -> None:
    """The 16 hex digits of each uint64 of ``d`` into ``out`` (uint32, 4 per value)."""
    np.take(_hex_quads(), d.astype(">u8").view(">u2").astype(np.intp), out=out)


def _string_column(chars: np.ndarray, n: int) -> pl.Series:
    """``n`` strings of 16 ASCII bytes each, laid end to end in ``chars``, as a String column."""
    return fixed_width_strings(np.ascontiguousarray(chars).view(np.uint8)[: 16 * n].reshape(n, 16)).alias("row_digest")


def _lane(s: pl.Series, kind: str) -> np.ndarray:
    """The column's per-row input to the sum, before its key: float64 or int64 numbers (blank 0),
    bools, int32 days, or ``T`` of the texts."""
    nulls = s.null_count()
    if kind == "num":
        if s.dtype not in (pl.Float64, pl.Int64):
            s = s.cast(pl.Float64)
        return (s.fill_null(0) if nulls else s).to_numpy()
    if kind == "bool":
        return (s.fill_null(False) if nulls else s).to_numpy()
    if kind == "date":
        return s.cast(pl.Int32).fill_null(0).to_numpy()
    return _text_hashes(s.list.join(";") if kind == "list" else s)


_BLOCK = 1 << 15  # rows per block: the block's arrays stay in the core's L2 cache


def row_digests(frame: pl.DataFrame, columns: list[str]) -> pl.Series:
    """The ``kejin-row-v1`` digest of every row of ``frame`` over ``columns`` (form in the module
    docstring): a String column ``row_digest``, 16 lowercase hex digits per row, in frame order."""
    n = frame.height
    lanes = []
    for name in sorted(columns):
        s = frame.get_column(name)
        kind = _kind(s.dtype)
        key = np.uint64(_mix_int(_text_int(f"{name}:{kind}:value".encode())) | 1)
        blank = np.uint64(_mix_int(_text_int(f"{name}:{kind}:blank".encode())) | 1)
        lanes.append((kind, _lane(s, kind), key, blank, s.is_null().to_numpy() if s.null_count() else None))
    seed = np.uint64(_text_int(ROW_VERSION.encode()))
    acc = np.empty(min(n, _BLOCK), dtype=np.uint64)
    chars = np.empty(4 * n, dtype="<u4")  # the hex digits, 16 bytes a row
    scratch = np.empty(min(n, _BLOCK), dtype=np.uint64)
    for lo in range(0, n, _BLOCK):
        hi = min(lo + _BLOCK, n)
        a, tmp = acc[: hi - lo], scratch[: hi - lo]
        a.fill(0)
        for kind, values, key, blank, nulls in lanes:  # (ufunc where= is ~10x slower than these)
            v = values[lo:hi]
            if kind == "num":
                np.add(v, 0.0, out=tmp.view(np.float64))  # to float64; -0.0 + 0.0 = +0.0
                np.multiply(tmp, key, out=tmp)
            elif kind == "date":
                np.copyto(tmp, v, casting="unsafe")  # int32 → uint64 sign-extends
                np.multiply(tmp, key, out=tmp)
            else:  # bool (as 0/1 bytes) or the text hashes
                np.multiply(v.view(np.uint8) if kind == "bool" else v, key, out=tmp)
            np.add(a, tmp, out=a)
            if nulls is not None:
                np.multiply(nulls[lo:hi].view(np.uint8), blank, out=tmp)
                np.add(a, tmp, out=a)
        np.bitwise_xor(a, seed, out=a)
        _hex_into(_mix(a, tmp), chars[4 * lo:4 * hi])
    return _string_column(chars, n)
