"""Repositories: the reads and writes the API and the CLI share. Functions take a session and keyword arguments."""

from __future__ import annotations

import threading
from datetime import date, datetime, timezone
from typing import Any, Callable

import polars as pl
import sqlalchemy as sa
from sqlalchemy.orm import Session

from kejin.errors import InputError, Problem
from kejin.store.models import AuditLog, Consent, Enterprise, Fact, ImportJob, Organisation, User, utcnow

_IMPORT_LOCK = threading.Lock()  # imports in one process run one at a time; the database lock covers processes


def _json_value(v: Any) -> Any:
    if isinstance(v, (date, datetime)):
        return v.isoformat()
    if isinstance(v, list):
        return [_json_value(x) for x in v]
    return v


def facts_rows(frame: pl.DataFrame) -> list[dict[str, Any]]:
    """A validated facts frame as JSON-ready dicts (dates as ISO text)."""
    return [{k: _json_value(v) for k, v in row.items()} for row in frame.iter_rows(named=True)]


def facts_frame(rows: list[dict[str, Any]]) -> pl.DataFrame:
    """Stored fact rows back into the typed frame of the data norms (the engines' input)."""
    from kejin.facts.schema import polars_schema

    schema = polars_schema()
    if not rows:
        return pl.DataFrame(schema=schema)
    frame = pl.DataFrame([{k: r.get(k) for k in schema} for r in rows], schema={k: pl.String if schema[k] == pl.Date else (pl.List(pl.String) if isinstance(schema[k], pl.List) else schema[k]) for k in schema}, strict=False)
    return frame.with_columns(pl.col(k).str.to_date() for k, t in schema.items() if t == pl.Date)


def lock_for_import(session: Session) -> None:
    """Take the database-wide import lock inside the current transaction (PostgreSQL advisory lock;
    SQLite's write transaction is already exclusive once ``BEGIN IMMEDIATE`` ran)."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(sa.text("SELECT pg_advisory_xact_lock(4242001)"))


def _overlong(rows: list[dict[str, Any]], row_numbers: list[int] | None = None,
              file: str | None = None) -> list[Problem]:
    """Identity values longer than their column: the data norms set no length, PostgreSQL enforces one.
    ``row_numbers`` (aligned with ``rows``) are the rows as the user counts them, named in each problem."""
    limits = {c.name: c.type.length for c in Enterprise.__table__.columns if getattr(c.type, "length", None)}
    out = []
    for i, r in enumerate(rows):
        for field, limit in limits.items():
            value = r.get(field)
            text = ";".join(value) if isinstance(value, list) else value
            if isinstance(text, str) and len(text) > limit:
                out.append(Problem("value.too_long", f"{r['uscc']}：字段 {field} 最长 {limit} 个字符（现为 {len(text)} 个）",
                                   f"{r['uscc']}: field {field} is at most {limit} characters (this one has {len(text)})",
                                   file=file, row=None if row_numbers is None else int(row_numbers[i]), field=field,
                                   value=text[:40] + "…"))
    return out


def write_facts(session: Session, frame: pl.DataFrame, *, job_id: int | None = None,
                progress: Callable[[int], None] | None = None, chunk: int = 200,
                after_chunk: Callable[[int], None] | None = None, row_numbers: list[int] | None = None,
                file: str | None = None) -> int:
    """Insert or replace every enterprise-year of ``frame`` in the caller's transaction (all or nothing).
    Raises InputError, writing nothing, if a name or code does not fit its column (naming ``file`` and the
    row of ``row_numbers``, the user's row numbers aligned with ``frame``, when given)."""
    rows = facts_rows(frame)
    problems = _overlong(rows, row_numbers, file)
    if problems:
        raise InputError(problems)
    usccs = sorted({r["uscc"] for r in rows})
    existing_ent = {e.uscc: e for e in session.scalars(sa.select(Enterprise).where(Enterprise.uscc.in_(usccs)))} if usccs else {}
    # a firm's identity (name, region, industry, sectors) is that of its latest year, stored or imported:
    # a file (or a correction) of an earlier year does not undo a later year's name
    stored_last = dict(session.execute(sa.select(Fact.uscc, sa.func.max(Fact.year)).where(Fact.uscc.in_(usccs))
                                       .group_by(Fact.uscc)).all()) if usccs else {}
    latest: dict[str, dict[str, Any]] = {}
    for r in rows:
        if r["uscc"] not in latest or r["year"] >= latest[r["uscc"]]["year"]:
            latest[r["uscc"]] = r
    for uscc, r in latest.items():
        sectors = ";".join(r.get("frontier_sectors") or []) or None
        e = existing_ent.get(uscc)
        if e is not None and r["year"] < stored_last.get(uscc, r["year"]):
            continue
        if e is None:
            session.add(Enterprise(uscc=uscc, name=r["name"], region_code=r["region_code"],
                                   industry_code=r.get("industry_code"), frontier_sectors=sectors))
        else:
            e.name, e.region_code, e.industry_code, e.frontier_sectors = r["name"], r["region_code"], r.get("industry_code"), sectors
            e.updated_at = utcnow()
    session.flush()
    existing = {(f.uscc, f.year): f for f in session.scalars(sa.select(Fact).where(Fact.uscc.in_(usccs)))} if usccs else {}
    done = 0
    for start in range(0, len(rows), chunk):
        for r in rows[start:start + chunk]:
            f = existing.get((r["uscc"], r["year"]))
            if f is None:
                session.add(Fact(uscc=r["uscc"], year=r["year"], data=r, import_job_id=job_id))
            else:
                f.data, f.import_job_id, f.updated_at = r, job_id, utcnow()
        session.flush()
        done = min(start + chunk, len(rows))
        if progress:
            progress(done)
        if after_chunk:
            after_chunk(done)
    return done


def import_facts(db, frame: pl.DataFrame, *, job_id: int | None = None,
                 progress: Callable[[int], None] | None = None,
                 after_chunk: Callable[[int], None] | None = None, row_numbers: list[int] | None = None,
                 file: str | None = None) -> int:
    """Write a validated frame in one transaction, serialised against every other import."""
    with _IMPORT_LOCK, db.sessions() as s:
        s.connection(execution_options={"immediate": True})
        try:
            lock_for_import(s)
            n = write_facts(s, frame, job_id=job_id, progress=progress, after_chunk=after_chunk,
                            row_numbers=row_numbers, file=file)
            if job_id is not None:
                job = s.get(ImportJob, job_id)
                if job is not None:
                    job.status, job.rows_written, job.finished_at = "succeeded", n, utcnow()
            s.commit()
            return n
        except BaseException:
            s.rollback()
            raise


INTERRUPTED = {"code": "import.interrupted", "message_zh": "服务在导入过程中停止，未写入任何数据，请重新上传",
               "message_en": "the service stopped during the import; nothing was written: upload the file again"}


def fail_interrupted_imports(db) -> int:
    """Mark the import jobs a stopped process left queued or running as failed (their transaction never
    committed, so nothing of them is stored). Run at start-up, before the service takes uploads."""
    with db.session() as s:
        jobs = s.scalars(sa.select(ImportJob).where(ImportJob.status.in_(("queued", "running")))).all()
        for job in jobs:
            job.status, job.finished_at = "failed", utcnow()
            job.problems = [dict(INTERRUPTED, file=job.filename)]
        return len(jobs)


def load_facts_table(session: Session, *, usccs: list[str] | None = None) -> pl.DataFrame:
    q = sa.select(Fact.data).order_by(Fact.uscc, Fact.year)
    if usccs is not None:
        q = q.where(Fact.uscc.in_(usccs))
    return facts_frame([d for (d,) in session.execute(q)])


def in_force_clause(now: datetime | None = None) -> sa.ColumnElement[bool]:
    """A consent is in force while it is neither revoked nor past its ``expires_at`` (UTC)."""
    now = now or utcnow()
    if now.tzinfo is not None:  # SQLite keeps the UTC wall time only: compare like with like
        now = now.astimezone(timezone.utc)
    return sa.and_(Consent.revoked_at.is_(None), sa.or_(Consent.expires_at.is_(None), Consent.expires_at > now))


def consent_in_force(session: Session, *, uscc: str, org_id: int) -> Consent | None:
    return session.scalars(
        sa.select(Consent).where(Consent.uscc == uscc, Consent.institution_org_id == org_id, in_force_clause())
        .order_by(Consent.id.desc()).limit(1)
    ).first()


def audit(session: Session, *, user: User | None, action: str, target: str | None = None,
          consent_id: int | None = None, detail: dict[str, Any] | None = None) -> AuditLog:
    entry = AuditLog(actor_user_id=None if user is None else user.id, actor_org_id=None if user is None else user.org_id,
                     action=action, target=target, consent_id=consent_id, detail=detail)
    session.add(entry)
    return entry


def organisation_of(session: Session, user: User) -> Organisation:
    return session.get(Organisation, user.org_id)
