"""The pages take the API's input rules (ids that fit the database, no NUL character): each case was a 500
before, on SQLite (integer overflow) or on PostgreSQL (integer out of range, NUL in text)."""

import pytest
from fastapi.testclient import TestClient

from kejin.api import demo
from kejin.web.app import create_app

BIG = 10**20


@pytest.fixture
def app(db):
    demo.seed(db, n_synthetic=10, points=False)
    return create_app(db)


def _login(app, username):
    c = TestClient(app, raise_server_exceptions=False)
    r = c.post("/api/v1/auth/login", json={"username": username, "password": demo.DEMO_PASSWORD})
    assert r.status_code == 200, r.text
    c.csrf = r.json()["csrf_token"]
    return c


def test_out_of_range_ids_and_nul_on_pages_are_422(app):
    bureau, firm = _login(app, "bureau"), _login(app, "firm1")
    cases = [
        (bureau, "GET", f"/import/{BIG}", {}),
        (firm, "POST", f"/consents/{BIG}/revoke", {"data": {"csrf_token": firm.csrf}}),
        (bureau, "GET", "/enterprises", {"params": {"q": "a\x00"}}),
        (bureau, "GET", "/enterprises/%00", {}),
        (bureau, "GET", "/funds/%00", {}),
    ]
    for client, method, path, kwargs in cases:
        r = client.request(method, path, follow_redirects=False, **kwargs)
        assert r.status_code == 422, (method, path, r.status_code, r.text[:300])


def test_consent_form_with_an_id_beyond_the_database_explains_in_both_languages(app):
    firm = _login(app, "firm1")
    r = firm.post("/consents", data={"institution_org_id": str(BIG), "csrf_token": firm.csrf}, follow_redirects=False)
    assert r.status_code == 422 and "institution_org_id" in r.text and "应不大于" in r.text
    r = firm.post("/consents?lang=en", data={"institution_org_id": "3", "purpose": "x" * 201, "csrf_token": firm.csrf},
                  follow_redirects=False)
    assert r.status_code == 422 and "at most 200 characters" in r.text


def test_login_form_with_a_nul_character_is_a_failed_login(app):
    r = TestClient(app, raise_server_exceptions=False).post("/login", data={"username": "bureau\x00", "password": "x"})
    assert r.status_code == 401
