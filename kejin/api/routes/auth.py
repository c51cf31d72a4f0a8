"""Log in and out (browser sessions), who am I, and scoped API tokens for institutions."""

from __future__ import annotations

from datetime import datetime, timezone

import sqlalchemy as sa
from fastapi import APIRouter, Request, Response
from pydantic import BaseModel, Field

from kejin.api.deps import CurrentPrincipal, SessionDep, not_found
from kejin.api.inputs import DbIdPath, InputModel
from kejin.api.problems import Problem
from kejin.api.security import (ALL_SCOPES, ROLE_PERMISSIONS, SESSION_COOKIE, TOKEN_PREFIX, hash_password, new_secret,
                                session_expiry, sha256, verify_password)
from kejin.store.models import ApiToken, Organisation, User, WebSession

router = APIRouter(tags=["auth"])
_DUMMY = hash_password("not-a-password")


class LoginIn(InputModel):
    username: str = Field(min_length=1, max_length=64)
    password: str = Field(min_length=1, max_length=256)


class Me(BaseModel):
    id: int
    username: str
    display_name: str | None
    org_id: int
    org_name: str
    role: str
    scopes: list[str]
    csrf_token: str | None = None


def authenticate(s, username: str, password: str) -> User | None:
    user = s.scalars(sa.select(User).where(User.username == username)).first()
    if user is None:
        verify_password(_DUMMY, password)  # same work either way: no user enumeration by timing
        return None
    return user if user.is_active and verify_password(user.password_hash, password) else None


def open_session(s, user: User, response: Response, secure: bool = False) -> WebSession:
    cookie = new_secret()
    ws = WebSession(id=sha256(cookie), user_id=user.id, csrf_token=new_secret(), expires_at=session_expiry())
    s.add(ws)
    response.set_cookie(SESSION_COOKIE, cookie, httponly=True, samesite="lax", secure=secure, path="/",
                        max_age=12 * 3600)
    return ws


def me_of(s, user: User, csrf: str | None) -> Me:
    org = s.get(Organisation, user.org_id)
    return Me(id=user.id, username=user.username, display_name=user.display_name, org_id=org.id, org_name=org.name,
              role=org.kind, scopes=sorted(ROLE_PERMISSIONS[org.kind]), csrf_token=csrf)


@router.post("/auth/login", response_model=Me)
def login(body: LoginIn, request: Request, response: Response, s: SessionDep) -> Me:
    """Log in with a password; sets an HttpOnly session cookie and returns the CSRF token for writes."""
    user = authenticate(s, body.username, body.password)
    if user is None:
        raise Problem(401, "auth.login_failed", "用户名或密码错误", "wrong username or password")
    ws = open_session(s, user, response, secure=request.url.scheme == "https")
    s.commit()
    return me_of(s, user, ws.csrf_token)


@router.post("/auth/logout", status_code=204)
def logout(p: CurrentPrincipal, response: Response, s: SessionDep) -> Response:
    """End the browser session."""
    if p.session_id:
        s.execute(sa.delete(WebSession).where(WebSession.id == p.session_id))
        s.commit()
    response.status_code = 204
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


@router.get("/auth/me", response_model=Me)
def me(p: CurrentPrincipal, s: SessionDep) -> Me:
    """Who is calling, with which role and permissions."""
    out = me_of(s, p.user, p.csrf_token)
    out.scopes = sorted(p.scopes)
    return out


class TokenIn(InputModel):
    name: str = Field(min_length=1, max_length=100)
    scopes: list[str] = Field(min_length=1, max_length=len(ALL_SCOPES))


class TokenOut(BaseModel):
    id: int
    name: str
    scopes: list[str]
    created_at: datetime
    revoked_at: datetime | None = None
    token: str | None = None  # shown once, at creation


@router.post("/tokens", response_model=TokenOut, status_code=201)
def create_token(body: TokenIn, p: CurrentPrincipal, s: SessionDep) -> TokenOut:
    """Create an API token with scopes within the caller's role (needs a browser session)."""
    if p.via != "session":
        raise Problem(403, "auth.session_required", "只能在登录会话中创建令牌", "tokens are created from a logged-in session")
    extra = set(body.scopes) - set(ROLE_PERMISSIONS[p.role])
    if extra:
        raise Problem(422, "token.scope", f"角色 {p.role} 不能授予这些权限：{sorted(extra)}",
                      f"role {p.role} cannot grant these scopes: {sorted(extra)}")
    secret = new_secret(TOKEN_PREFIX)
    t = ApiToken(user_id=p.user.id, name=body.name, token_sha256=sha256(secret), scopes=" ".join(sorted(set(body.scopes))))
    s.add(t)
    s.commit()
    return TokenOut(id=t.id, name=t.name, scopes=t.scopes.split(), created_at=t.created_at, token=secret)


@router.get("/tokens", response_model=list[TokenOut])
def list_tokens(p: CurrentPrincipal, s: SessionDep) -> list[TokenOut]:
    """The caller's own tokens (never their secrets)."""
    rows = s.scalars(sa.select(ApiToken).where(ApiToken.user_id == p.user.id).order_by(ApiToken.id)).all()
    return [TokenOut(id=t.id, name=t.name, scopes=t.scopes.split(), created_at=t.created_at, revoked_at=t.revoked_at)
            for t in rows]


@router.delete("/tokens/{token_id}", status_code=204)
def revoke_token(token_id: DbIdPath, p: CurrentPrincipal, s: SessionDep) -> Response:
    """Revoke one of the caller's tokens."""
    t = s.get(ApiToken, token_id)
    if t is None or t.user_id != p.user.id:
        raise not_found("令牌", "token")
    t.revoked_at = t.revoked_at or datetime.now(timezone.utc)
    s.commit()
    return Response(status_code=204)

