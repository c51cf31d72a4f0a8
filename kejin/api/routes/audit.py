"""The audit log: the bureau sees every entry; a firm sees who read or changed its own data."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from fastapi import APIRouter, Depends
from pydantic import BaseModel

from kejin.api.deps import PageDep, Principal, SessionDep, paged, require
from kejin.store.models import AuditLog, Organisation, User

router = APIRouter(prefix="/audit", tags=["audit"])


class AuditOut(BaseModel):
    id: int
    at: datetime
    actor: str | None
    actor_org: str | None
    action: str
    target: str | None
    consent_id: int | None
    detail: dict[str, Any] | None


class AuditList(BaseModel):
    data: list[AuditOut]
    count: int
    page: int
    page_size: int


@router.get("", response_model=AuditList)
def list_audit(s: SessionDep, page: PageDep, p: Principal = Depends(require("audit:read")),
               action: str | None = None, target: str | None = None) -> AuditList:
    """Audit entries, newest first, filtered by action and target."""
    q = sa.select(AuditLog, User.username, Organisation.name) \
        .outerjoin(User, User.id == AuditLog.actor_user_id) \
        .outerjoin(Organisation, Organisation.id == AuditLog.actor_org_id).order_by(AuditLog.id.desc())
    if p.role == "enterprise":
        q = q.where(AuditLog.target == (p.org.uscc or ""))
    if action:
        q = q.where(AuditLog.action == action)
    if target:
        q = q.where(AuditLog.target == target)
    rows, total = paged(s, q, page)
    return AuditList(data=[AuditOut(id=a.id, at=a.at, actor=u, actor_org=o, action=a.action, target=a.target,
                                    consent_id=a.consent_id, detail=a.detail) for a, u, o in rows],
                     count=total, page=page.page, page_size=page.page_size)
