"""Run the standards over the stored facts, compute and publish points batches, and the recommended lists."""

from __future__ import annotations

import csv
import io
import uuid
from typing import Any

import polars as pl
import sqlalchemy as sa
from fastapi import APIRouter, Depends, Query
from fastapi.responses import Response
from pydantic import BaseModel, Field

from kejin.api.deps import PageDep, Principal, SessionDep, not_found, paged, require
from kejin.api.inputs import DB_INT_MAX, InputModel, YearQuery
from kejin.api.problems import Problem
from kejin.store import chain, repo
from kejin.store.models import Evaluation, PointsBatch, PointsRow

router = APIRouter(tags=["evaluations"])


class StandardsRunIn(InputModel):
    packs: str = Field("all", max_length=200, description="规则包 / packs: all, an id, or id@version")
    year: int | None = Field(None, ge=1990, le=2100)


class StandardsRunOut(BaseModel):
    run_id: str
    packs: list[str]
    rows: int


@router.post("/standards/runs", response_model=StandardsRunOut, status_code=201, tags=["standards"])
def run_standards(body: StandardsRunIn, s: SessionDep, p: Principal = Depends(require("standards:run"))) -> StandardsRunOut:
    """Evaluate the standards over every stored enterprise-year and store the results with reasons and gaps."""
    from kejin.standards import engine, results
    from kejin.standards.registry import resolve

    packs = resolve(body.packs)
    facts = repo.load_facts_table(s)
    if facts.height == 0:
        raise Problem(409, "standards.no_facts", "尚无企业数据，请先导入", "no facts stored yet: import first")
    frames = engine.evaluate(facts, packs, year=body.year)
    run_id = uuid.uuid4().hex
    n = 0
    by_ref = {pk.ref: pk for pk in packs}
    for ref, frame in frames.items():
        for rec in results.records(by_ref[ref], frame):
            s.add(Evaluation(run_id=run_id, uscc=rec["uscc"], year=rec["year"], pack_ref=ref, passed=rec["passed"],
                             status=rec["status"], record=rec))
            n += 1
    repo.audit(s, user=p.user, action="standards.run", target=f"run:{run_id}", detail={"packs": sorted(frames), "rows": n})
    s.commit()
    return StandardsRunOut(run_id=run_id, packs=sorted(frames), rows=n)


def points_engine():
    try:
        import kejin.points as points
    except ImportError:
        points = None
    if points is None or not hasattr(points, "score"):
        raise Problem(503, "points.unavailable", "积分引擎尚未安装（kejin.points）", "the points engine (kejin.points) is not installed")
    return points


class BatchIn(InputModel):
    year: int = Field(ge=1990, le=2100)
    method: str = Field("national-core", max_length=100)


class BatchOut(BaseModel):
    seq: int
    year: int
    method: str
    method_version: str
    method_sha256: str
    published_at: str
    published_by: str
    n_rows: int
    content_sha256: str
    prev_hash: str
    hash: str


def _batch_out(b: PointsBatch) -> BatchOut:
    return BatchOut(**{k: getattr(b, k) for k in BatchOut.model_fields})


def score_rows(facts: pl.DataFrame, year: int, method: str) -> tuple[list[dict[str, Any]], dict[str, str]]:
    points = points_engine()
    scored = points.score(facts, method=method).filter(pl.col("year") == year)
    if scored.height == 0:
        raise Problem(409, "points.no_rows", f"{year} 年没有可计分的企业", f"no enterprise to score for {year}")
    names = facts.select("uscc", "year", "name", "region_code")
    scored = scored.join(names, on=["uscc", "year"], how="left")
    base = {"uscc", "year", "points", "stage", "tier", "percentile", "method", "method_version", "method_sha256",
            "input_digest", "name", "region_code"}
    group_cols = [c for c in scored.columns if c.startswith("group_") and c not in base]
    meta = scored.row(0, named=True)
    rows = []
    for r in scored.iter_rows(named=True):
        groups = {c: r[c] for c in group_cols if isinstance(r[c], (int, float)) and not isinstance(r[c], bool)}
        rows.append({"uscc": r["uscc"], "name": r["name"], "region_code": r["region_code"], "year": r["year"],
                     "points": None if r["points"] is None else float(r["points"]), "stage": r["stage"],
                     "tier": None if r["tier"] is None else str(r["tier"]),
                     "percentile": None if r["percentile"] is None else float(r["percentile"]),
                     "input_digest": r["input_digest"], "groups": groups or None})
    return rows, {"method": str(meta["method"]), "method_version": str(meta["method_version"]),
                  "method_sha256": str(meta["method_sha256"])}


@router.post("/points/batches", response_model=BatchOut, status_code=201, tags=["points"])
def publish_batch(body: BatchIn, s: SessionDep, p: Principal = Depends(require("points:publish"))) -> BatchOut:
    """Score every enterprise of a year with a points method and publish the result as the next batch of the
    append-only chain."""
    facts = repo.load_facts_table(s)
    rows, meta = score_rows(facts, body.year, body.method)
    s.rollback()
    s.connection(execution_options={"immediate": True})
    if s.get_bind().dialect.name == "postgresql":
        s.execute(sa.text("SELECT pg_advisory_xact_lock(4242002)"))
    batch = chain.append_batch(s, year=body.year, published_by=p.user.username, rows=rows, **meta)
    repo.audit(s, user=p.user, action="points.publish", target=f"batch:{batch.seq}", detail={"hash": batch.hash})
    s.commit()
    return _batch_out(batch)


class BatchList(BaseModel):
    data: list[BatchOut]
    count: int
    page: int
    page_size: int


@router.get("/points/batches", response_model=BatchList, tags=["points"])
def list_batches(s: SessionDep, page: PageDep, p: Principal = Depends(require("points:read")),
                 year: YearQuery = None) -> BatchList:
    """Published batches, newest first."""
    query = sa.select(PointsBatch).order_by(PointsBatch.seq.desc())
    if year is not None:
        query = query.where(PointsBatch.year == year)
    rows, total = paged(s, query, page)
    return BatchList(data=[_batch_out(r[0]) for r in rows], count=total, page=page.page, page_size=page.page_size)


class ChainStatus(BaseModel):
    batches: int
    intact: bool
    problems: list[dict[str, Any]]
    head: str | None


@router.get("/points/chain", response_model=ChainStatus, tags=["points"])
def verify_chain(s: SessionDep, p: Principal = Depends(require("points:read"))) -> ChainStatus:
    """Recompute the hash chain of every published batch."""
    n, problems = chain.verify(s)
    head = s.scalar(sa.select(PointsBatch.hash).order_by(PointsBatch.seq.desc()).limit(1))
    return ChainStatus(batches=n, intact=not problems, head=head,
                       problems=[{"seq": x.seq, "message_zh": x.zh, "message_en": x.en} for x in problems])


class ListRow(BaseModel):
    rank: int
    uscc: str
    name: str
    region_code: str | None
    year: int
    points: float | None
    stage: str | None
    tier: str | None
    percentile: float | None


class RecommendationList(BaseModel):
    batch: BatchOut | None
    data: list[ListRow]
    count: int
    page: int
    page_size: int


def _cell(text: str | None) -> str | None:
    """A text cell that Excel would run as a formula (``=…``, ``+…``, ``-…``, ``@…``) is written with a leading
    apostrophe, shown but never evaluated: names come from imported files."""
    return "'" + text if text and text[0] in "=+-@\t\r" else text


def _list_query(batch_id: int, tier: str | None, stage: str | None, region_code: str | None):
    q = sa.select(PointsRow).where(PointsRow.batch_id == batch_id)
    if tier:
        q = q.where(PointsRow.tier == tier)
    if stage:
        q = q.where(PointsRow.stage == stage)
    if region_code:
        q = q.where(PointsRow.region_code.startswith(region_code, autoescape=True))
    return q.order_by(PointsRow.points.desc().nulls_last(), PointsRow.uscc)


@router.get("/recommendations", response_model=RecommendationList, tags=["recommendations"])
def recommendations(s: SessionDep, page: PageDep, p: Principal = Depends(require("recommendations:read")),
                    batch: int | None = Query(None, ge=1, le=DB_INT_MAX, description="批次序号，默认最新 / batch seq, default latest"),
                    tier: str | None = Query(None, max_length=40), stage: str | None = Query(None, max_length=40),
                    region_code: str | None = Query(None, max_length=6),
                    format: str = Query("json", pattern="^(json|csv)$")):
    """The recommended list: a published batch ranked by points, filtered by tier, stage and region;
    ``format=csv`` exports it (UTF-8 with BOM for Excel)."""
    bq = sa.select(PointsBatch).order_by(PointsBatch.seq.desc()).limit(1) if batch is None else \
        sa.select(PointsBatch).where(PointsBatch.seq == batch)
    b = s.scalars(bq).first()
    if b is None:
        if batch is not None:
            raise not_found("批次", "batch")
        return RecommendationList(batch=None, data=[], count=0, page=page.page, page_size=page.page_size)
    query = _list_query(b.id, tier, stage, region_code)
    if format == "csv":
        rows = s.scalars(query).all()
        buf = io.StringIO()
        buf.write("\ufeff")
        w = csv.writer(buf)
        w.writerow(["排名 rank", "统一社会信用代码 uscc", "企业名称 name", "行政区划 region_code", "年度 year",
                    "积分 points", "阶段 stage", "梯队 tier", "百分位 percentile", "批次 batch", "批次哈希 batch_hash"])
        for i, r in enumerate(rows, 1):
            w.writerow([i, r.uscc, _cell(r.name), _cell(r.region_code), r.year, r.points, _cell(r.stage), _cell(r.tier),
                        r.percentile, b.seq, b.hash])
        return Response(buf.getvalue(), media_type="text/csv; charset=utf-8",
                        headers={"Content-Disposition": f'attachment; filename="kejin-recommendations-{b.seq}.csv"'})
    items, total = paged(s, query, page)
    data = [ListRow(rank=page.offset + i + 1, **{k: getattr(r[0], k) for k in ListRow.model_fields if k != "rank"})
            for i, r in enumerate(items)]
    return RecommendationList(batch=_batch_out(b), data=data, count=total, page=page.page, page_size=page.page_size)
