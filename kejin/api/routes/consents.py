"""Consents: a firm lets a named institution see its detailed record, until it revokes."""

from __future__ import annotations

from datetime import datetime, timezone

import sqlalchemy as sa
from fastapi import APIRouter, Depends
from pydantic import BaseModel, Field, field_validator

from kejin.api.deps import PageDep, Principal, SessionDep, not_found, paged, require
from kejin.api.inputs import DbIdField, DbIdPath, InputModel
from kejin.api.problems import Problem
from kejin.api.security import as_utc
from kejin.store import repo
from kejin.store.models import INSTITUTION_KINDS, Consent, Enterprise, Organisation

router = APIRouter(tags=["consents"])


class ConsentIn(InputModel):
    institution_org_id: DbIdField
    purpose: str | None = Field(None, max_length=200)
    expires_at: datetime | None = Field(None, description="授权截止时间（不填则至撤销为止；无时区按 UTC）/ "
                                                          "when the consent ends (none: until revoked; no zone: UTC)")

    @field_validator("expires_at")
    @classmethod
    def _future(cls, v: datetime | None) -> datetime | None:
        if v is None:
            return None
        if not 1990 <= v.year <= 2100:  # checked before the zone is applied, which could overflow year 1 or 9999
            raise ValueError("授权截止时间须在 1990–2100 年之间 / expires_at must be within 1990–2100")
        v = as_utc(v).astimezone(timezone.utc)
        if v <= datetime.now(timezone.utc):
            raise ValueError("授权截止时间必须晚于现在 / expires_at must be in the future")
        return v


class ConsentOut(BaseModel):
    id: int
    uscc: str
    enterprise_name: str | None
    institution_org_id: int
    institution_name: str | None
    institution_kind: str | None
    purpose: str | None
    granted_at: datetime
    revoked_at: datetime | None
    expires_at: datetime | None
    in_force: bool


class ConsentList(BaseModel):
    data: list[ConsentOut]
    count: int
    page: int
    page_size: int


def in_force(c: Consent) -> bool:
    return c.revoked_at is None and (c.expires_at is None or as_utc(c.expires_at) > datetime.now(timezone.utc))


def _out(c: Consent, org: Organisation | None, ent: Enterprise | None) -> ConsentOut:
    return ConsentOut(id=c.id, uscc=c.uscc, enterprise_name=None if ent is None else ent.name,
                      institution_org_id=c.institution_org_id, institution_name=None if org is None else org.name,
                      institution_kind=None if org is None else org.kind, purpose=c.purpose, granted_at=c.granted_at,
                      revoked_at=c.revoked_at, expires_at=None if c.expires_at is None else as_utc(c.expires_at),
                      in_force=in_force(c))


@router.get("/consents", response_model=ConsentList)
def list_consents(s: SessionDep, page: PageDep, p: Principal = Depends(require("consents:read")),
                  in_force: bool | None = None) -> ConsentList:
    """A firm's own consents; an institution's received consents; all of them for the bureau."""
    q = sa.select(Consent, Organisation, Enterprise).join(Organisation, Organisation.id == Consent.institution_org_id) \
        .join(Enterprise, Enterprise.uscc == Consent.uscc).order_by(Consent.id.desc())
    if p.role == "enterprise":
        q = q.where(Consent.uscc == (p.org.uscc or ""))
    elif p.role in INSTITUTION_KINDS:
        q = q.where(Consent.institution_org_id == p.org.id)
    if in_force is not None:
        q = q.where(repo.in_force_clause() if in_force else sa.not_(repo.in_force_clause()))
    rows, total = paged(s, q, page)
    return ConsentList(data=[_out(*r) for r in rows], count=total, page=page.page, page_size=page.page_size)


@router.post("/consents", response_model=ConsentOut, status_code=201)
def grant(body: ConsentIn, s: SessionDep, p: Principal = Depends(require("consents:write"))) -> ConsentOut:
    """The firm grants one institution access to its detailed record, until it revokes or until ``expires_at``
    (idempotent while in force with the same end; a new end replaces the consent in force)."""
    uscc = p.org.uscc
    ent = s.get(Enterprise, uscc) if uscc else None
    if ent is None:
        raise Problem(409, "consent.no_enterprise", "本企业尚无档案", "your firm has no record yet")
    org = s.get(Organisation, body.institution_org_id)
    if org is None or org.kind not in INSTITUTION_KINDS:
        raise Problem(422, "consent.institution", "只能授权给银行、基金管理人或保险机构",
                      "consent can only be granted to a bank, fund manager or insurer")
    existing = repo.consent_in_force(s, uscc=uscc, org_id=org.id)
    if existing is not None:
        if (None if existing.expires_at is None else as_utc(existing.expires_at)) == body.expires_at:
            return _out(existing, org, ent)
        existing.revoked_at, existing.revoked_by = datetime.now(timezone.utc), p.user.id  # replaced by the new one
        repo.audit(s, user=p.user, action="consent.revoke", target=uscc, consent_id=existing.id,
                   detail={"replaced": True})
    c = Consent(uscc=uscc, institution_org_id=org.id, purpose=body.purpose, granted_by=p.user.id,
                expires_at=body.expires_at)
    s.add(c)
    s.flush()
    detail = {"institution": org.id} | ({} if body.expires_at is None else {"expires_at": body.expires_at.isoformat()})
    repo.audit(s, user=p.user, action="consent.grant", target=uscc, consent_id=c.id, detail=detail)
    s.commit()
    return _out(c, org, ent)


@router.delete("/consents/{consent_id}", response_model=ConsentOut)
def revoke(consent_id: DbIdPath, s: SessionDep, p: Principal = Depends(require("consents:write"))) -> ConsentOut:
    """The firm revokes a consent; the institution loses access at once."""
    c = s.get(Consent, consent_id)
    if c is None or c.uscc != p.org.uscc:
        raise not_found("授权", "consent")
    if in_force(c):
        c.revoked_at, c.revoked_by = datetime.now(timezone.utc), p.user.id
        repo.audit(s, user=p.user, action="consent.revoke", target=c.uscc, consent_id=c.id)
        s.commit()
    return _out(c, s.get(Organisation, c.institution_org_id), s.get(Enterprise, c.uscc))


class InstitutionOut(BaseModel):
    id: int
    kind: str
    name: str
    name_en: str | None


@router.get("/institutions", response_model=list[InstitutionOut])
def institutions(s: SessionDep, p: Principal = Depends(require("consents:read"))) -> list[InstitutionOut]:
    """Banks, fund managers and insurers a firm may grant consent to."""
    rows = s.scalars(sa.select(Organisation).where(Organisation.kind.in_(INSTITUTION_KINDS)).order_by(Organisation.id)).all()
    return [InstitutionOut(id=o.id, kind=o.kind, name=o.name, name_en=o.name_en) for o in rows]
