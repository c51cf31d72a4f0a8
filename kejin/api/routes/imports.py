"""Fact imports: upload a file; it is checked and written as a background job, all or nothing."""

from __future__ import annotations

import hashlib
import logging
import os
import tempfile
from datetime import datetime
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from fastapi import APIRouter, BackgroundTasks, Depends, File, Form, Request, UploadFile
from pydantic import BaseModel

from kejin.api.deps import PageDep, Principal, SessionDep, not_found, paged, require
from kejin.api.inputs import DbIdPath
from kejin.api.problems import Problem
from kejin.errors import KejinError
from kejin.store import repo
from kejin.store.models import ImportJob, utcnow

router = APIRouter(prefix="/imports", tags=["imports"])
log = logging.getLogger("kejin.api.imports")
SUFFIXES = {".csv", ".xlsx", ".parquet", ".txt"}
EXCEL = {".xlsx"}  # the uploads that have worksheets
SHEET_MAX = 31  # Excel's limit on a worksheet name
SHEET_FORBIDDEN = set("\\/?*[]:")  # characters Excel does not allow in a worksheet name


def clean_sheet(sheet: str | None) -> str | None:
    """The worksheet asked for (the ``sheet`` field of an upload), trimmed; None when blank. A name that
    no workbook can hold (a control character, more than 31 characters, one of ``\\ / ? * [ ] :``) is a
    422 ``import.sheet``."""
    name = (sheet or "").strip()
    if not name:
        return None
    if not all(ch.isprintable() for ch in name):
        raise Problem(422, "import.sheet", "工作表名含有不可打印的字符", "the worksheet name holds a character that cannot be printed",
                      field="sheet")
    if len(name) > SHEET_MAX:
        raise Problem(422, "import.sheet", f"工作表名最多 {SHEET_MAX} 个字符（Excel 的上限），现有 {len(name)} 个",
                      f"a worksheet name has at most {SHEET_MAX} characters (Excel's limit), this one has {len(name)}",
                      field="sheet")
    bad = sorted({ch for ch in name if ch in SHEET_FORBIDDEN})
    if bad:
        shown = " ".join(bad)
        raise Problem(422, "import.sheet", f"工作表名不能含有 {shown}（Excel 不允许 \\ / ? * [ ] : 出现在工作表名中）",
                      f"a worksheet name cannot hold {shown} (Excel allows none of \\ / ? * [ ] : in a worksheet name)",
                      field="sheet")
    return name


class ImportOut(BaseModel):
    id: int
    filename: str
    sha256: str
    status: str
    rows_total: int | None
    rows_written: int
    progress: float
    problems: list[dict[str, Any]] | None
    created_at: datetime
    finished_at: datetime | None


class ImportList(BaseModel):
    data: list[ImportOut]
    count: int
    page: int
    page_size: int


def _out(job: ImportJob, live: dict[int, int]) -> ImportOut:
    written = live.get(job.id, job.rows_written) if job.status == "running" else job.rows_written
    total = job.rows_total
    prog = 1.0 if job.status == "succeeded" else (written / total if total else 0.0)
    return ImportOut(id=job.id, filename=job.filename, sha256=job.sha256, status=job.status, rows_total=total,
                     rows_written=written, progress=round(prog, 4), problems=job.problems, created_at=job.created_at,
                     finished_at=job.finished_at)


def run_import(db, live: dict[int, int], job_id: int, path: str, filename: str, sheet: str | None = None) -> None:
    """The background job: validate the whole file (of a workbook, the worksheet ``sheet``, else the
    first), then write it in one transaction."""
    from kejin.facts.validate import named_source, validate_raw

    try:
        with db.session() as s:
            s.get(ImportJob, job_id).status = "running"
        try:
            checked = validate_raw(named_source(path, sheet))  # what load_facts does, keeping the user's row numbers
            frame = checked.frame
            with db.session() as s:
                s.get(ImportJob, job_id).rows_total = frame.height
            live[job_id] = 0
            repo.import_facts(db, frame, job_id=job_id, progress=lambda n: live.__setitem__(job_id, n),
                              row_numbers=checked.rows.to_list(), file=filename)
        except KejinError as exc:  # the file's problems (or a value that does not fit the database)
            problems = [dict(pr.as_dict(), file=filename) for pr in exc.problems]
            with db.session() as s:
                job = s.get(ImportJob, job_id)
                job.status, job.problems, job.finished_at = "failed", problems, utcnow()
    except Exception:  # noqa: BLE001 — the job records the failure; the trace goes to the server log only
        log.exception("import %s failed", job_id)
        with db.session() as s:
            job = s.get(ImportJob, job_id)
            job.status, job.finished_at = "failed", utcnow()
            job.problems = [{"code": "import.error", "message_zh": "导入失败，未写入任何数据",
                             "message_en": "the import failed; nothing was written", "file": filename}]
    finally:
        live.pop(job_id, None)
        Path(path).unlink(missing_ok=True)


@router.post("", response_model=ImportOut, status_code=202)
async def upload(request: Request, background: BackgroundTasks, file: UploadFile = File(...),
                 p: Principal = Depends(require("imports:write")),
                 sheet: str | None = Form(None, description="Excel 工作表名 / worksheet of an .xlsx file to read "
                                          "(default: the first); at most 31 characters; ignored for other files")) -> ImportOut:
    """Upload a facts file (CSV/XLSX/Parquet, Chinese or English headers); returns the job to poll.
    ``sheet`` names the worksheet of a workbook (as `kejin validate --sheet` does; a CSV or Parquet file
    has none and the field is ignored)."""
    sheet = clean_sheet(sheet)
    limit = request.app.state.settings.max_upload_bytes
    # printable characters only: the name is stored and shown (and PostgreSQL text cannot hold NUL)
    name = "".join(ch for ch in os.path.basename(file.filename or "") if ch.isprintable())[:200] or "upload.csv"
    suffix = Path(name).suffix.lower()
    if suffix not in SUFFIXES:
        raise Problem(415, "import.type", "只接受 CSV、XLSX 或 Parquet 文件", "only CSV, XLSX or Parquet files are accepted")
    if suffix not in EXCEL:
        sheet = None  # a CSV or Parquet file has no worksheets (as on the command line)
    digest = hashlib.sha256()
    fd, tmp = tempfile.mkstemp(suffix=suffix, prefix="kejin-import-")
    size = 0
    with os.fdopen(fd, "wb") as out:
        while chunk := await file.read(1 << 20):
            size += len(chunk)
            if size > limit:
                out.close()
                Path(tmp).unlink(missing_ok=True)
                raise Problem(413, "import.too_large", f"文件超过 {limit // (1 << 20)} MB 上限",
                              f"the file exceeds the {limit // (1 << 20)} MB limit")
            digest.update(chunk)
            out.write(chunk)
    db = request.app.state.db
    with db.session() as s:
        job = ImportJob(filename=name, sha256=digest.hexdigest(), status="queued", created_by=p.user.id)
        s.add(job)
        s.flush()
        detail: dict[str, Any] = {"file": name, "bytes": size}
        if sheet is not None:
            detail["sheet"] = sheet
        repo.audit(s, user=p.user, action="facts.import", target=f"import:{job.id}", detail=detail)
        out_job = _out(job, {})
    background.add_task(run_import, db, request.app.state.import_progress, out_job.id, tmp, name, sheet)
    return out_job


@router.get("", response_model=ImportList)
def list_imports(request: Request, s: SessionDep, page: PageDep,
                 p: Principal = Depends(require("imports:write")),
                 status: str | None = None) -> ImportList:
    """Import jobs, newest first."""
    query = sa.select(ImportJob).order_by(ImportJob.id.desc())
    if status:
        query = query.where(ImportJob.status == status)
    rows, total = paged(s, query, page)
    live = request.app.state.import_progress
    return ImportList(data=[_out(r[0], live) for r in rows], count=total, page=page.page, page_size=page.page_size)


@router.get("/{job_id}", response_model=ImportOut)
def get_import(job_id: DbIdPath, request: Request, s: SessionDep, p: Principal = Depends(require("imports:write"))) -> ImportOut:
    """One job: status, progress (0–1) and, when it failed, every problem (file, row, field, value, zh, en)."""
    job = s.get(ImportJob, job_id)
    if job is None:
        raise not_found("导入任务", "import job")
    return _out(job, request.app.state.import_progress)
