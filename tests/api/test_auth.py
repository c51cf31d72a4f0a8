import sqlalchemy as sa
from fastapi.testclient import TestClient

from kejin.store.models import ApiToken, User
from api_helpers import login, token_client


def test_password_is_argon2_and_login_sets_safe_cookie(app, seeded):
    with seeded.session() as s:
        h = s.scalars(sa.select(User.password_hash).where(User.username == "bureau")).one()
    assert h.startswith("$argon2id$")
    c = TestClient(app)
    r = c.post("/api/v1/auth/login", json={"username": "bureau", "password": "kejin-demo"})
    assert r.status_code == 200
    cookie = r.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=lax" in cookie
    assert c.get("/api/v1/auth/me").json()["role"] == "bureau"


def test_wrong_password_is_problem_json(app):
    c = TestClient(app)
    r = c.post("/api/v1/auth/login", json={"username": "bureau", "password": "nope"})
    assert r.status_code == 401
    assert r.headers["content-type"].startswith("application/problem+json")
    body = r.json()
    assert body["status"] == 401 and body["detail_zh"] and body["detail"]


def test_unauthenticated_is_401(app):
    r = TestClient(app).get("/api/v1/enterprises")
    assert r.status_code == 401 and r.json()["code"] == "auth.required"


def test_csrf_required_for_cookie_writes(app):
    c = login(app, "firm1")
    del c.headers["X-CSRF-Token"]
    r = c.post("/api/v1/consents", json={"institution_org_id": 3})
    assert r.status_code == 403 and r.json()["code"] == "auth.csrf"
    c.headers["X-CSRF-Token"] = "wrong"
    assert c.post("/api/v1/consents", json={"institution_org_id": 3}).status_code == 403


def test_token_scopes_limit_a_role(app, seeded):
    t = token_client(app, "bank1", scopes=["recommendations:read"])
    assert t.get("/api/v1/recommendations").status_code == 200
    assert t.get("/api/v1/consents").status_code == 403
    with seeded.session() as s:
        stored = s.scalars(sa.select(ApiToken.token_sha256)).all()
    assert all(len(x) == 64 for x in stored)  # only hashes are stored


def test_token_cannot_exceed_role(app):
    c = login(app, "bank1")
    r = c.post("/api/v1/tokens", json={"name": "x", "scopes": ["imports:write"]})
    assert r.status_code == 422


def test_revoked_token_is_refused(app):
    c = login(app, "bank1")
    r = c.post("/api/v1/tokens", json={"name": "x", "scopes": ["points:read"]})
    secret, tid = r.json()["token"], r.json()["id"]
    t = TestClient(app)
    t.headers["Authorization"] = f"Bearer {secret}"
    assert t.get("/api/v1/points/batches").status_code == 200
    assert c.delete(f"/api/v1/tokens/{tid}").status_code == 204
    assert t.get("/api/v1/points/batches").status_code == 401


def test_logout_ends_session(app):
    c = login(app, "bank1")
    assert c.post("/api/v1/auth/logout").status_code == 204
    assert c.get("/api/v1/auth/me").status_code == 401


def test_no_stack_trace_on_server_error(app, monkeypatch):
    from kejin.api.routes import funds

    def boom(*a, **k):
        raise RuntimeError("secret internals /etc/passwd")

    monkeypatch.setattr(funds, "evaluate_fund", boom)
    c = login(app, "fund1")
    r = c.get("/api/v1/funds/VC-DEMO/evaluation")
    assert r.status_code == 500
    assert "secret" not in r.text and "Traceback" not in r.text
    assert r.headers["content-type"].startswith("application/problem+json")
