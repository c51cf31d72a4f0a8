"""Enterprises, their detailed record (facts by year, standards met, points timeline, gaps) and their facts."""

from __future__ import annotations

from typing import Any

import polars as pl
import sqlalchemy as sa
from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel

from kejin.api.access import enterprise_access
from kejin.api.deps import PageDep, Principal, SessionDep, not_found, paged, require
from kejin.api.inputs import InputModel, YearPath
from kejin.api.problems import Problem
from kejin.store import repo
from kejin.store.models import INSTITUTION_KINDS, Consent, Enterprise, Evaluation, Fact, PointsBatch, PointsRow

router = APIRouter(prefix="/enterprises", tags=["enterprises"])


class EnterpriseOut(BaseModel):
    uscc: str
    name: str
    region_code: str
    industry_code: str | None
    frontier_sectors: list[str]


class EnterpriseList(BaseModel):
    data: list[EnterpriseOut]
    count: int
    page: int
    page_size: int


def _out(e: Enterprise) -> EnterpriseOut:
    return EnterpriseOut(uscc=e.uscc, name=e.name, region_code=e.region_code, industry_code=e.industry_code,
                         frontier_sectors=(e.frontier_sectors or "").split(";") if e.frontier_sectors else [])


@router.get("", response_model=EnterpriseList)
def list_enterprises(s: SessionDep, page: PageDep, p: Principal = Depends(require("enterprises:read")),
                     region_code: str | None = Query(None, max_length=6, description="行政区划代码前缀 / region code prefix"),
                     q: str | None = Query(None, max_length=100, description="名称或代码包含 / name or USCC contains"),
                     sector: str | None = Query(None, max_length=40, description="前沿领域 / frontier sector")) -> EnterpriseList:
    """Enterprises the caller may see: all (bureau), its own (firm), those consenting (institutions)."""
    query = sa.select(Enterprise).order_by(Enterprise.uscc)
    if p.role == "enterprise":
        query = query.where(Enterprise.uscc == (p.org.uscc or ""))
    elif p.role in INSTITUTION_KINDS:
        consenting = sa.select(Consent.uscc).where(Consent.institution_org_id == p.org.id, repo.in_force_clause())
        query = query.where(Enterprise.uscc.in_(consenting))
    if region_code:
        query = query.where(Enterprise.region_code.startswith(region_code, autoescape=True))
    if q:
        query = query.where(sa.or_(Enterprise.name.contains(q, autoescape=True), Enterprise.uscc.contains(q, autoescape=True)))
    if sector:
        query = query.where(Enterprise.frontier_sectors.contains(sector, autoescape=True))
    rows, total = paged(s, query, page)
    return EnterpriseList(data=[_out(r[0]) for r in rows], count=total, page=page.page, page_size=page.page_size)


def _enterprise(s, uscc: str) -> Enterprise:
    e = s.get(Enterprise, uscc)
    if e is None:
        raise not_found("企业", "enterprise")
    return e


@router.get("/{uscc}", response_model=EnterpriseOut)
def get_enterprise(uscc: str, s: SessionDep, p: Principal = Depends(require("enterprises:read"))) -> EnterpriseOut:
    """One enterprise's identity (same access rule as its record)."""
    enterprise_access(s, p, uscc)
    return _out(_enterprise(s, uscc))


def build_record(s, e: Enterprise) -> dict[str, Any]:
    facts = s.scalars(sa.select(Fact).where(Fact.uscc == e.uscc).order_by(Fact.year)).all()
    last_run = s.scalar(sa.select(sa.func.max(Evaluation.run_id)).where(Evaluation.uscc == e.uscc))
    evals = s.scalars(sa.select(Evaluation).where(Evaluation.uscc == e.uscc, Evaluation.run_id == last_run)
                      .order_by(Evaluation.year, Evaluation.pack_ref)).all() if last_run else []
    timeline = s.execute(
        sa.select(PointsBatch.seq, PointsBatch.published_at, PointsBatch.method, PointsBatch.method_version,
                  PointsBatch.hash, PointsRow.year, PointsRow.points, PointsRow.stage, PointsRow.tier,
                  PointsRow.percentile, PointsRow.groups)
        .join(PointsRow, PointsRow.batch_id == PointsBatch.id).where(PointsRow.uscc == e.uscc).order_by(PointsBatch.seq)
    ).all()
    return {
        "enterprise": _out(e).model_dump(),
        "facts": [f.data for f in facts],
        "standards": [ev.record for ev in evals],
        "points_timeline": [dict(r._mapping) for r in timeline],
    }


@router.get("/{uscc}/record")
def get_record(uscc: str, s: SessionDep, p: Principal = Depends(require("records:read"))) -> dict[str, Any]:
    """The detailed record: facts by year, standards met with reasons and gaps, published points over time.
    A read by anyone but the firm itself is audited (who, when, under which consent)."""
    consent = enterprise_access(s, p, uscc)
    e = _enterprise(s, uscc)
    record = build_record(s, e)
    if p.role != "enterprise":
        repo.audit(s, user=p.user, action="record.read", target=uscc, consent_id=None if consent is None else consent.id,
                   detail={"via": p.via, "role": p.role})
        s.commit()
    record["access"] = {"role": p.role, "consent_id": None if consent is None else consent.id}
    return record


class FactsIn(InputModel):
    facts: dict[str, Any]


@router.put("/{uscc}/facts/{year}")
def put_facts(uscc: str, year: YearPath, body: FactsIn, s: SessionDep,
              p: Principal = Depends(require("facts:write"))) -> dict[str, Any]:
    """A firm corrects one year of its own facts (checked against the data norms; nothing saved if invalid)."""
    if p.org.uscc != uscc:
        raise Problem(403, "auth.forbidden", "企业只能修改本企业的数据", "a firm edits only its own data")
    row = dict(body.facts)
    row["uscc"], row["year"] = uscc, year
    def text(v: Any) -> str | None:
        if v is None:
            return None
        if isinstance(v, list):
            return ";".join(str(x) for x in v)
        return str(v).lower() if isinstance(v, bool) else str(v)

    frame = pl.DataFrame([{k: text(v) for k, v in row.items()}], schema={k: pl.String for k in row})
    from kejin.facts import check_facts

    checked = check_facts(frame, file="api")
    # written like an import, serialised against imports: one that writes the same enterprise-year meanwhile
    # must not turn this into a unique-key error (or SQLite's "database is locked")
    s.rollback()
    s.connection(execution_options={"immediate": True})
    repo.lock_for_import(s)
    repo.write_facts(s, checked, row_numbers=[1], file="api")
    repo.audit(s, user=p.user, action="facts.edit", target=uscc, detail={"year": year})
    s.commit()
    return repo.facts_rows(checked)[0]
