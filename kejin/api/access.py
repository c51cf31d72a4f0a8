"""Who may see which enterprise: the firm itself, the tech bureau, and an institution while consent is in force.
Every read of a detailed record by someone other than the firm is written to the audit log."""

from __future__ import annotations

from sqlalchemy.orm import Session

from kejin.api.deps import Principal, forbidden
from kejin.store import repo
from kejin.store.models import INSTITUTION_KINDS, Consent


def enterprise_access(s: Session, p: Principal, uscc: str) -> Consent | None:
    """Return the consent that allows the read (None for the firm itself and the bureau); raise 403 otherwise."""
    if p.role == "bureau":
        return None
    if p.role == "enterprise":
        if p.org.uscc == uscc:
            return None
        raise forbidden("企业只能查看和修改本企业的数据", "a firm sees and edits only its own data")
    if p.role in INSTITUTION_KINDS:
        consent = repo.consent_in_force(s, uscc=uscc, org_id=p.org.id)
        if consent is None:
            raise forbidden("该企业未授权本机构查看其详细档案（可查看已发布名单）",
                            "this firm has not consented to your institution seeing its record (published lists remain open)")
        return consent
    raise forbidden()
