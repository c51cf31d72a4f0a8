"""Passwords (Argon2id), browser sessions with a CSRF token, and scoped API tokens (stored as SHA-256)."""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta, timezone

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

_hasher = PasswordHasher()
SESSION_COOKIE = "kejin_session"
CSRF_HEADER = "X-CSRF-Token"
CSRF_FIELD = "csrf_token"
SESSION_HOURS = 12
TOKEN_PREFIX = "kj_"

# Permissions a role holds; a token carries a subset of its user's role as its scopes.
ROLE_PERMISSIONS: dict[str, frozenset[str]] = {
    "bureau": frozenset({"enterprises:read", "records:read", "imports:write", "standards:run", "points:publish",
                         "points:read", "recommendations:read", "consents:read", "funds:read", "audit:read"}),
    "enterprise": frozenset({"enterprises:read", "records:read", "facts:write", "consents:read", "consents:write",
                             "audit:read"}),
    "bank": frozenset({"enterprises:read", "records:read", "points:read", "recommendations:read", "consents:read"}),
    "insurer": frozenset({"enterprises:read", "records:read", "points:read", "recommendations:read", "consents:read"}),
    "fund_manager": frozenset({"enterprises:read", "records:read", "points:read", "recommendations:read",
                               "consents:read", "funds:read", "funds:write"}),
}
ALL_SCOPES = sorted(set().union(*ROLE_PERMISSIONS.values()))


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(stored: str, password: str) -> bool:
    try:
        return _hasher.verify(stored, password)
    except (VerificationError, InvalidHashError):
        return False


def sha256(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def new_secret(prefix: str = "") -> str:
    return prefix + secrets.token_urlsafe(32)


def session_expiry() -> datetime:
    return datetime.now(timezone.utc) + timedelta(hours=SESSION_HOURS)


def as_utc(t: datetime) -> datetime:
    return t if t.tzinfo else t.replace(tzinfo=timezone.utc)
