"""The tamper-evident chain of published points batches.

Each batch stores ``content_sha256`` (SHA-256 of its rows in canonical JSON, sorted by USCC and year) and
``hash`` = SHA-256 of its header (sequence, year, method, version and hash, time, publisher, row count,
content hash) joined with ``prev_hash``, the hash of the batch before it (64 zeros for the first). Editing,
deleting or inserting any row or batch afterwards breaks a link that ``verify`` recomputes.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, Iterable

import sqlalchemy as sa
from sqlalchemy.orm import Session

from kejin.store.models import PointsBatch, PointsRow

GENESIS = "0" * 64
ROW_FIELDS = ("uscc", "name", "region_code", "year", "points", "stage", "tier", "percentile", "input_digest", "groups")
HEADER_FIELDS = ("seq", "year", "method", "method_version", "method_sha256", "published_at", "published_by",
                 "n_rows", "content_sha256", "prev_hash")


def _canon(obj: Any) -> str:
    return json.dumps(obj, sort_keys=True, ensure_ascii=False, separators=(",", ":"), allow_nan=False)


def _num(v: Any) -> Any:
    # Same text for the same number whatever the database hands back (int vs float, numpy scalars).
    if v is None:
        return None
    if isinstance(v, bool):
        return v
    if isinstance(v, (int, float)):
        return repr(float(v))
    return v


def row_canon(row: dict[str, Any]) -> dict[str, Any]:
    out = {k: row.get(k) for k in ROW_FIELDS}
    for k in ("points", "percentile"):
        out[k] = _num(out[k])
    out["year"] = int(out["year"])
    if out["groups"] is not None:
        out["groups"] = {str(k): _num(v) for k, v in out["groups"].items()}
    return out


def content_hash(rows: Iterable[dict[str, Any]]) -> str:
    canon = sorted((row_canon(r) for r in rows), key=lambda r: (r["uscc"], r["year"]))
    h = hashlib.sha256()
    for r in canon:
        h.update(_canon(r).encode())
        h.update(b"\n")
    return h.hexdigest()


def header_hash(header: dict[str, Any]) -> str:
    return hashlib.sha256(_canon({k: header[k] for k in HEADER_FIELDS}).encode()).hexdigest()


def append_batch(session: Session, *, year: int, method: str, method_version: str, method_sha256: str,
                 published_by: str, rows: list[dict[str, Any]]) -> PointsBatch:
    """Append a batch at the end of the chain (call inside a write transaction that locks the table)."""
    last = session.scalars(sa.select(PointsBatch).order_by(PointsBatch.seq.desc()).limit(1)).first()
    header = {
        "seq": 1 if last is None else last.seq + 1,
        "year": int(year),
        "method": method,
        "method_version": str(method_version),
        "method_sha256": method_sha256,
        "published_at": datetime.now(timezone.utc).isoformat(timespec="microseconds"),
        "published_by": published_by,
        "n_rows": len(rows),
        "content_sha256": content_hash(rows),
        "prev_hash": GENESIS if last is None else last.hash,
    }
    batch = PointsBatch(**header, hash=header_hash(header))
    session.add(batch)
    session.flush()
    session.add_all(PointsRow(batch_id=batch.id, **{k: r.get(k) for k in ROW_FIELDS}) for r in rows)
    session.flush()
    return batch


@dataclass(frozen=True)
class ChainProblem:
    seq: int | None
    zh: str
    en: str


def verify(session: Session) -> tuple[int, list[ChainProblem]]:
    """Recompute every link. Returns (number of batches, problems); no problems means the chain is intact."""
    problems: list[ChainProblem] = []
    batches = session.scalars(sa.select(PointsBatch).order_by(PointsBatch.seq)).all()
    prev = GENESIS
    for i, b in enumerate(batches, start=1):
        if b.seq != i:
            problems.append(ChainProblem(b.seq, f"批次序号应为 {i}，实为 {b.seq}（批次缺失或被插入）",
                                         f"batch sequence should be {i}, found {b.seq} (a batch missing or inserted)"))
        if b.prev_hash != prev:
            problems.append(ChainProblem(b.seq, "前一批次哈希不符：链条断开", "previous-batch hash does not match: the chain is broken"))
        rows = session.scalars(sa.select(PointsRow).where(PointsRow.batch_id == b.id)).all()
        dict_rows = [{k: getattr(r, k) for k in ROW_FIELDS} for r in rows]
        if len(dict_rows) != b.n_rows:
            problems.append(ChainProblem(b.seq, f"行数应为 {b.n_rows}，实为 {len(dict_rows)}",
                                         f"row count should be {b.n_rows}, found {len(dict_rows)}"))
        if content_hash(dict_rows) != b.content_sha256:
            problems.append(ChainProblem(b.seq, "批次内容被修改（内容哈希不符）", "batch rows were edited (content hash does not match)"))
        header = {k: getattr(b, k) for k in HEADER_FIELDS}
        if header_hash(header) != b.hash:
            problems.append(ChainProblem(b.seq, "批次表头被修改（批次哈希不符）", "batch header was edited (batch hash does not match)"))
        prev = b.hash
    return len(batches), problems
