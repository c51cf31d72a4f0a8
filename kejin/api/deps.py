"""Request dependencies: the database session, who is calling (session cookie or bearer token), CSRF,
and the permission check every route declares."""

from __future__ import annotations

import hmac
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Annotated, Callable, Iterator

import sqlalchemy as sa
from fastapi import Depends, Request
from sqlalchemy.orm import Session

from kejin.api.inputs import DB_INT_MAX
from kejin.api.problems import Problem
from kejin.api.security import CSRF_HEADER, ROLE_PERMISSIONS, SESSION_COOKIE, as_utc, sha256
from kejin.store.models import ApiToken, Organisation, User, WebSession

SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}


def get_db_session(request: Request) -> Iterator[Session]:
    with request.app.state.db.sessions() as s:
        try:
            yield s
        finally:
            s.rollback()


SessionDep = Annotated[Session, Depends(get_db_session)]


@dataclass
class Principal:
    user: User
    org: Organisation
    scopes: frozenset[str]
    via: str  # "session" or "token"
    csrf_token: str | None = None
    session_id: str | None = None

    @property
    def role(self) -> str:
        return self.org.kind

    def can(self, permission: str) -> bool:
        return permission in self.scopes


def _unauthorised() -> Problem:
    return Problem(401, "auth.required", "请先登录或提供有效的令牌", "log in or send a valid bearer token")


def principal_from_request(request: Request, s: Session) -> Principal | None:
    auth = request.headers.get("authorization", "")
    if auth.lower().startswith("bearer "):
        token = s.scalars(sa.select(ApiToken).where(ApiToken.token_sha256 == sha256(auth[7:].strip()),
                                                   ApiToken.revoked_at.is_(None))).first()
        if token is None:
            raise _unauthorised()
        user = s.get(User, token.user_id)
        if user is None or not user.is_active:
            raise _unauthorised()
        org = s.get(Organisation, user.org_id)
        scopes = frozenset(token.scopes.split()) & ROLE_PERMISSIONS[org.kind]
        return Principal(user, org, scopes, "token")
    cookie = request.cookies.get(SESSION_COOKIE)
    if not cookie:
        return None
    ws = s.get(WebSession, sha256(cookie))
    if ws is None or as_utc(ws.expires_at) < datetime.now(timezone.utc):
        return None
    user = s.get(User, ws.user_id)
    if user is None or not user.is_active:
        return None
    org = s.get(Organisation, user.org_id)
    return Principal(user, org, ROLE_PERMISSIONS[org.kind], "session", ws.csrf_token, ws.id)


def check_csrf(principal: Principal, request: Request, submitted: str | None = None) -> None:
    """Cookie-authenticated writes must echo the session's CSRF token (header, or form field for pages)."""
    if principal.via != "session" or request.method in SAFE_METHODS:
        return
    sent = submitted or request.headers.get(CSRF_HEADER) or ""
    if not principal.csrf_token or not hmac.compare_digest(sent, principal.csrf_token):
        raise Problem(403, "auth.csrf", "缺少或错误的 CSRF 令牌", "missing or wrong CSRF token")


def current_principal(request: Request, s: SessionDep) -> Principal:
    p = principal_from_request(request, s)
    if p is None:
        raise _unauthorised()
    check_csrf(p, request)
    return p


CurrentPrincipal = Annotated[Principal, Depends(current_principal)]


def require(permission: str) -> Callable[..., Principal]:
    """A dependency that lets the call through only with ``permission`` (role, and token scope)."""

    def dep(p: CurrentPrincipal) -> Principal:
        if not p.can(permission):
            raise Problem(403, "auth.forbidden", f"当前角色或令牌无权执行此操作（需要 {permission}）",
                          f"this role or token may not do this (needs {permission})")
        return p

    dep.__name__ = f"require_{permission.replace(':', '_')}"
    dep.permission = permission  # type: ignore[attr-defined]  # read by the fuzz test to pick its senders
    return dep


def forbidden(zh: str = "无权访问该企业的数据", en: str = "no access to this enterprise's data") -> Problem:
    return Problem(403, "auth.forbidden", zh, en)


def not_found(what_zh: str, what_en: str) -> Problem:
    return Problem(404, "not_found", f"未找到{what_zh}", f"{what_en} not found")


class Page:
    """Pagination parameters shared by list routes (``page`` from 1, ``page_size`` ≤ 500)."""

    def __init__(self, page: int = 1, page_size: int = 50):
        if not 1 <= page <= DB_INT_MAX or not 1 <= page_size <= 500:
            raise Problem(422, "request.page", "page 从 1 开始，page_size 为 1–500", "page starts at 1; page_size is 1–500")
        self.page, self.page_size = page, page_size

    @property
    def offset(self) -> int:
        return (self.page - 1) * self.page_size


PageDep = Annotated[Page, Depends(Page)]


def paged(s: Session, query: sa.Select, page: Page) -> tuple[list, int]:
    total = s.scalar(sa.select(sa.func.count()).select_from(query.order_by(None).subquery()))
    items = s.execute(query.limit(page.page_size).offset(page.offset)).all()
    return items, int(total or 0)
