"""The kejin service API (floor 6): FastAPI app under /api/v1, auth (Argon2, sessions + CSRF, scoped
tokens), roles and consent, audit log, RFC 9457 problem+json errors. Build it with ``create_app``."""

from kejin.api.app import create_app

__all__ = ["create_app"]
