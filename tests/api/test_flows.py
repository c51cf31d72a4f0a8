import csv
import io
from pathlib import Path

import pytest

from api_helpers import login, token_client

SAMPLE = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "enterprise_facts_sample.csv"


def _bank2_id(firm):
    return next(i["id"] for i in firm.get("/api/v1/institutions").json() if i["name"] == "另一家示例银行")


def test_consent_grant_access_revoke_denied_and_audited(app):
    firm, bank = login(app, "firm1"), token_client(app, "bank2")
    uscc = firm.get("/api/v1/enterprises").json()["data"][0]["uscc"]
    assert bank.get(f"/api/v1/enterprises/{uscc}/record").status_code == 403
    assert bank.get("/api/v1/enterprises").json()["count"] == 0
    r = firm.post("/api/v1/consents", json={"institution_org_id": _bank2_id(firm), "purpose": "loan"})
    assert r.status_code == 201 and r.json()["in_force"]
    cid = r.json()["id"]
    rec = bank.get(f"/api/v1/enterprises/{uscc}/record")
    assert rec.status_code == 200
    assert rec.json()["access"]["consent_id"] == cid
    assert len(rec.json()["facts"]) == 3 and rec.json()["standards"]
    assert bank.get("/api/v1/enterprises").json()["data"][0]["uscc"] == uscc
    # the read is in the audit log, visible to the firm: who, when, under which consent
    log = firm.get("/api/v1/audit", params={"action": "record.read"}).json()["data"]
    assert log[0]["actor"] == "bank2" and log[0]["consent_id"] == cid and log[0]["target"] == uscc and log[0]["at"]
    assert firm.delete(f"/api/v1/consents/{cid}").json()["in_force"] is False
    assert bank.get(f"/api/v1/enterprises/{uscc}/record").status_code == 403
    # the firm's own reads are not logged as institution reads; bureau sees the whole log
    firm.get(f"/api/v1/enterprises/{uscc}/record")
    all_reads = login(app, "bureau").get("/api/v1/audit", params={"action": "record.read"}).json()["data"]
    assert [e["actor"] for e in all_reads] == ["bank2"]


def test_firm_cannot_grant_for_another_firm_or_to_a_firm(app):
    firm2 = login(app, "firm2")
    own = firm2.get("/api/v1/consents").json()["data"]
    firm1 = login(app, "firm1")
    cid = firm1.get("/api/v1/consents").json()["data"][0]["id"]
    assert firm2.delete(f"/api/v1/consents/{cid}").status_code == 404
    assert own == []
    bureau_org = firm2.me["org_id"]
    assert firm2.post("/api/v1/consents", json={"institution_org_id": bureau_org}).status_code == 422


def test_import_sample_then_broken_file(app, tmp_path):
    if not SAMPLE.exists():
        pytest.skip(f"shared sample file not found at {SAMPLE}")
    bureau = login(app, "bureau")
    r = bureau.post("/api/v1/imports", files={"file": ("sample.csv", SAMPLE.read_bytes(), "text/csv")})
    assert r.status_code == 202
    job = bureau.get(f"/api/v1/imports/{r.json()['id']}").json()
    assert job["status"] == "succeeded" and job["rows_written"] == 24 and job["progress"] == 1.0
    before = bureau.get("/api/v1/enterprises", params={"page_size": 500}).json()["count"]
    text = SAMPLE.read_text(encoding="utf-8-sig").splitlines()
    rows = list(csv.reader(text))
    rows[2][rows[0].index("employees")] = "-5"
    rows[5][rows[0].index("uscc")] = "91440305787789323X"
    buf = io.StringIO()
    csv.writer(buf).writerows(rows)
    r = bureau.post("/api/v1/imports", files={"file": ("broken.csv", buf.getvalue().encode(), "text/csv")})
    job = bureau.get(f"/api/v1/imports/{r.json()['id']}").json()
    assert job["status"] == "failed" and job["rows_written"] == 0
    where = {(p["row"], p["field"]) for p in job["problems"]}
    assert (3, "employees") in where and (6, "uscc") in where
    assert all(p["file"] == "broken.csv" and p["message_zh"] and p["message_en"] for p in job["problems"])
    assert bureau.get("/api/v1/enterprises", params={"page_size": 500}).json()["count"] == before


def test_upload_limits(app):
    app.state.settings.max_upload_bytes = 1000
    bureau = login(app, "bureau")
    r = bureau.post("/api/v1/imports", files={"file": ("big.csv", b"x" * 5000, "text/csv")})
    assert r.status_code == 413 and r.headers["content-type"].startswith("application/problem+json")
    r = bureau.post("/api/v1/imports", files={"file": ("evil.exe", b"x", "application/octet-stream")})
    assert r.status_code == 415


def test_firm_edits_own_facts_only_with_valid_values(app):
    firm = login(app, "firm1")
    uscc = firm.me and firm.get("/api/v1/enterprises").json()["data"][0]["uscc"]
    facts = firm.get(f"/api/v1/enterprises/{uscc}/record").json()["facts"]
    row = next(f for f in facts if f["year"] == 2024)
    row["employees"] = row["employees"] + 1
    r = firm.put(f"/api/v1/enterprises/{uscc}/facts/2024", json={"facts": row})
    assert r.status_code == 200, r.text
    assert r.json()["employees"] == row["employees"]
    row["tech_staff"] = row["employees"] + 10
    bad = firm.put(f"/api/v1/enterprises/{uscc}/facts/2024", json={"facts": row})
    assert bad.status_code == 422 and bad.json()["problems"][0]["field"]


def test_publish_points_chain_and_recommendations_export(app):
    pytest.importorskip("kejin.points.engine", reason="the points engine (kejin.points) is not installed yet")
    bureau = login(app, "bureau")
    r = bureau.post("/api/v1/points/batches", json={"year": 2024, "method": "national-core"})
    assert r.status_code == 201, r.text
    b = r.json()
    chain = bureau.get("/api/v1/points/chain").json()
    assert chain["intact"] and chain["head"] == b["hash"] and chain["batches"] == b["seq"]
    bank = token_client(app, "bank2")
    rec = bank.get("/api/v1/recommendations", params={"page_size": 5}).json()
    assert rec["batch"]["seq"] == b["seq"] and len(rec["data"]) <= 5
    pts = [x["points"] for x in rec["data"] if x["points"] is not None]
    assert pts == sorted(pts, reverse=True)
    exp = bank.get("/api/v1/recommendations", params={"format": "csv"})
    assert exp.status_code == 200 and exp.text.startswith("\ufeff排名 rank")
    assert len(exp.text.strip().splitlines()) == rec["count"] + 1


def test_standards_run_stores_results(app):
    bureau = login(app, "bureau")
    r = bureau.post("/api/v1/standards/runs", json={"packs": "tech-sme", "year": 2024})
    assert r.status_code == 201 and r.json()["rows"] > 0


def test_fund_ledger_and_lifecycle_verdict(app):
    fund = login(app, "fund1")
    r = fund.get("/api/v1/funds/VC-DEMO/evaluation").json()
    assert r["latest"]["verdict"] in {"on_track", "watch", "off_track", "too_early"}
    assert len(r["history"]) == 6 and r["band"]["ages"][0] == 1
    assert fund.post("/api/v1/funds", json={"id": "F2", "name": "二号基金", "strategy": "seed",
                                            "inception": "2022-01-01", "term_years": 8}).status_code == 201
    bad = fund.post("/api/v1/funds/F2/cashflows", json={"flows": [{"date": "2022-02-01", "amount": 5, "type": "investment"}]})
    assert bad.status_code == 422
    ok = fund.post("/api/v1/funds/F2/cashflows", json={"flows": [{"date": "2022-02-01", "amount": -5e6, "type": "investment"},
                                                                 {"date": "2022-12-31", "nav": 4.5e6}]})
    assert ok.status_code == 201
    assert login(app, "bureau").get("/api/v1/funds").json()["count"] == 2
    assert login(app, "bank1").get("/api/v1/funds/F2").status_code == 403


def test_pagination_and_filters(app):
    bureau = login(app, "bureau")
    p1 = bureau.get("/api/v1/enterprises", params={"page": 1, "page_size": 5}).json()
    p2 = bureau.get("/api/v1/enterprises", params={"page": 2, "page_size": 5}).json()
    assert len(p1["data"]) == 5 and p1["count"] == p2["count"] > 10
    assert not {e["uscc"] for e in p1["data"]} & {e["uscc"] for e in p2["data"]}
    sz = bureau.get("/api/v1/enterprises", params={"region_code": "4403"}).json()
    assert sz["count"] >= 1 and all(e["region_code"].startswith("4403") for e in sz["data"])
    assert bureau.get("/api/v1/enterprises", params={"page_size": 100000}).status_code == 422


def test_api_docs_page_is_served_without_a_cdn(app):
    """The Swagger UI page and its script and style come from the service itself."""
    from fastapi.testclient import TestClient

    client = TestClient(app)
    page = client.get("/docs")
    assert page.status_code == 200 and "text/html" in page.headers["content-type"]
    assert "cdn." not in page.text and "/docs-assets/swagger-ui-bundle.js" in page.text and "/api/v1/openapi.json" in page.text
    for asset, kind in (("swagger-ui-bundle.js", "javascript"), ("swagger-ui.css", "text/css")):
        r = client.get(f"/docs-assets/{asset}")
        assert r.status_code == 200 and kind in r.headers["content-type"] and len(r.content) > 10_000
