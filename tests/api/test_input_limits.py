"""What fuzzing found (500s before, 4xx problems now), pinned down as plain cases on both databases."""

from api_helpers import login

BIG = 2**40  # beyond PostgreSQL INTEGER; 2**63 is beyond SQLite's integers too


OUT_OF_RANGE = [
    ("bureau", "GET", f"/api/v1/imports/{BIG}", {}),
    ("bureau", "GET", "/api/v1/recommendations", {"params": {"batch": BIG}}),
    ("bureau", "GET", "/api/v1/points/batches", {"params": {"year": BIG}}),
    ("bureau", "GET", "/api/v1/enterprises", {"params": {"page": BIG}}),
    ("firm1", "DELETE", f"/api/v1/consents/{BIG}", {}),
    ("firm1", "POST", "/api/v1/consents", {"json": {"institution_org_id": 2**63}}),
    ("bank1", "DELETE", f"/api/v1/tokens/{2**63}", {}),
]
NUL = [
    ("bureau", "GET", "/api/v1/enterprises", {"params": {"q": "a\x00b"}}),
    ("bureau", "GET", "/api/v1/audit", {"params": {"target": "\x00"}}),
    ("bureau", "GET", "/api/v1/funds/VC%00DEMO", {}),
    ("bureau", "POST", "/api/v1/auth/login", {"json": {"username": "bureau\x00", "password": "x"}}),
    ("fund1", "POST", "/api/v1/funds", {"json": {"id": "F1", "name": "名\x00", "strategy": "vc",
                                                 "inception": "2020-01-01", "term_years": 10}}),
    ("fund1", "POST", "/api/v1/funds/VC-DEMO/portfolio", {"json": {"evidence": [
        {"investment_id": "VC-DEMO-01", "precondition": "lawful_compliant", "status": "met", "document": "a\x00"}]}}),
]


def _answers(app, cases):
    clients = {user: login(app, user) for user in {c[0] for c in cases}}
    return [(method, path, clients[user].request(method, path, **kwargs)) for user, method, path, kwargs in cases]


def test_out_of_range_ids_are_422(app):
    for method, path, r in _answers(app, OUT_OF_RANGE):
        assert r.status_code == 422 and r.headers["content-type"].startswith("application/problem+json"), (method, path, r.text)


def test_nul_characters_are_422(app):
    for method, path, r in _answers(app, NUL):
        assert r.status_code == 422 and "NUL" in r.text, (method, path, r.text)


def test_amounts_must_be_finite_money(app):
    fund = login(app, "fund1")
    r = fund.post("/api/v1/funds/VC-DEMO/cashflows", json={"flows": [{"date": "2024-01-01", "amount": -1e300,
                                                                       "type": "investment"}]})
    assert r.status_code == 422
    r = fund.post("/api/v1/funds/VC-DEMO/portfolio", json={"investments": [
        {"investment_id": "HUGE", "company_uscc": "91440305787789323F", "stage": "vc", "amount": 1e300, "date": "2024-01-01"}]})
    assert r.status_code == 422 and r.json()["problems"][0]["code"] == "cell.maximum"


def test_overlong_enterprise_name_is_422_and_nothing_saved(app):
    firm = login(app, "firm1")
    uscc = firm.get("/api/v1/enterprises").json()["data"][0]["uscc"]
    before = firm.get(f"/api/v1/enterprises/{uscc}").json()["name"]
    row = next(f for f in firm.get(f"/api/v1/enterprises/{uscc}/record").json()["facts"] if f["year"] == 2024)
    r = firm.put(f"/api/v1/enterprises/{uscc}/facts/2024", json={"facts": {**row, "name": "长" * 201}})
    assert r.status_code == 422 and r.json()["problems"][0]["code"] == "value.too_long"
    assert firm.get(f"/api/v1/enterprises/{uscc}").json()["name"] == before
