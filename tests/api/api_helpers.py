"""Clients for the API tests (a module with a unique name, importable from the test files)."""

from fastapi.testclient import TestClient

from kejin.api import demo
from kejin.api.security import ROLE_PERMISSIONS


def login(app, username, password=demo.DEMO_PASSWORD):
    """A TestClient logged in by session cookie, with the CSRF header set."""
    c = TestClient(app, raise_server_exceptions=False)
    r = c.post("/api/v1/auth/login", json={"username": username, "password": password})
    assert r.status_code == 200, r.text
    c.headers["X-CSRF-Token"] = r.json()["csrf_token"]
    c.me = r.json()
    return c


def token_client(app, username, scopes=None):
    """A TestClient with a bearer token (no cookies) carrying ``scopes`` (default: all of the role's)."""
    c = login(app, username)
    scopes = scopes or sorted(ROLE_PERMISSIONS[c.me["role"]])
    r = c.post("/api/v1/tokens", json={"name": "test", "scopes": scopes})
    assert r.status_code == 201, r.text
    t = TestClient(app, raise_server_exceptions=False)
    t.headers["Authorization"] = f"Bearer {r.json()['token']}"
    t.me = c.me
    return t
