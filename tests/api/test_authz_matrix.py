"""Every role against every route: allowed (anything but 401/403) or denied (403)."""

import io
import re

from api_helpers import token_client
from kejin.api.app import API_V1

FIRM1_USCC = None  # filled from the seeded data

USERS = ["bureau", "firm1", "firm2", "bank1", "bank2", "insurer1", "fund1"]
EVERYONE = set(USERS)
INSTITUTIONS = {"bank1", "bank2", "insurer1", "fund1"}
LISTS = {"bureau"} | INSTITUTIONS


def routes(uscc, consent_id):
    csv = io.BytesIO(b"uscc,name\n")
    return [
        # method, path, kwargs, who is let through
        ("GET", "/enterprises", {}, EVERYONE),
        ("GET", f"/enterprises/{uscc}", {}, {"bureau", "firm1", "bank1"}),  # bank1 holds firm1's consent
        ("GET", f"/enterprises/{uscc}/record", {}, {"bureau", "firm1", "bank1"}),
        ("PUT", f"/enterprises/{uscc}/facts/2024", {"json": {"facts": {}}}, {"firm1"}),
        ("POST", "/imports", {"files": {"file": ("x.csv", csv, "text/csv")}}, {"bureau"}),
        ("GET", "/imports", {}, {"bureau"}),
        ("GET", "/imports/999999", {}, {"bureau"}),
        ("POST", "/standards/runs", {"json": {"packs": "tech-sme", "year": 2024}}, {"bureau"}),
        ("POST", "/points/batches", {"json": {"year": 1990}}, {"bureau"}),
        ("GET", "/points/batches", {}, LISTS),
        ("GET", "/points/chain", {}, LISTS),
        ("GET", "/recommendations", {}, LISTS),
        ("GET", "/consents", {}, EVERYONE),
        ("POST", "/consents", {"json": {"institution_org_id": 999999}}, {"firm1", "firm2"}),
        ("DELETE", f"/consents/{consent_id}", {}, {"firm1", "firm2"}),  # firm2 passes the role check, then 404
        ("GET", "/institutions", {}, EVERYONE),
        ("GET", "/funds", {}, {"bureau", "fund1"}),
        ("POST", "/funds", {"json": {"id": "X"}}, {"fund1"}),
        ("GET", "/funds/VC-DEMO", {}, {"bureau", "fund1"}),
        ("GET", "/funds/VC-DEMO/cashflows", {}, {"bureau", "fund1"}),
        ("POST", "/funds/VC-DEMO/cashflows", {"json": {"flows": []}}, {"fund1"}),
        ("GET", "/funds/VC-DEMO/evaluation", {}, {"bureau", "fund1"}),
        ("GET", "/funds/VC-DEMO/portfolio", {}, {"bureau", "fund1"}),
        # an empty investment row: the manager gets its 422 (nothing written), everyone else a 403
        ("POST", "/funds/VC-DEMO/portfolio", {"json": {"investments": [{}]}}, {"fund1"}),
        ("PUT", "/funds/VC-DEMO/portfolio", {"json": {"investments": [{}]}}, {"fund1"}),
        ("GET", "/audit", {}, {"bureau", "firm1", "firm2"}),
    ]


def test_authorization_matrix(app):
    clients = {u: token_client(app, u) for u in USERS}
    firm1 = clients["firm1"]
    uscc = firm1.get("/api/v1/enterprises").json()["data"][0]["uscc"]
    consent_id = firm1.get("/api/v1/consents").json()["data"][0]["id"]
    table = routes(uscc, consent_id)
    # the matrix must cover every route of the API except login/tokens/health: each route template
    # (``/funds/{fund_id}/portfolio``) must match a path of the table with the same method
    for path, item in app.openapi()["paths"].items():
        rel = path[len(API_V1):]
        if rel.startswith(("/auth", "/tokens", "/health")):
            continue
        template = re.compile(re.sub(r"\\{[^}]+\\}", "[^/]+", re.escape(rel)))
        for method in item:
            assert any(m == method.upper() and template.fullmatch(p) for m, p, _, _ in table), (method, rel)
    failures = []
    for method, path, kwargs, allowed in table:
        for user in USERS:
            if "files" in kwargs:
                kwargs = {"files": {"file": ("x.csv", io.BytesIO(b"uscc,name\n"), "text/csv")}}
            r = clients[user].request(method, API_V1 + path, **kwargs)
            denied = r.status_code in (401, 403)
            if r.status_code == 500:
                failures.append(f"{user} {method} {path}: 500")
            elif (user in allowed) == denied:
                failures.append(f"{user} {method} {path}: expected {'allow' if user in allowed else 'deny'}, got {r.status_code}")
            if denied:
                assert r.json()["status"] == r.status_code
    assert not failures, "\n".join(failures)
