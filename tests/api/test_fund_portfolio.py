"""Filing a fund's investments, exits and exemption evidence, and the tolerance verdicts built on them."""

from api_helpers import login

# valid GB 32100 codes of the shared sample firms (any valid USCC will do for an investee)
USCC_A, USCC_B = "91440305787789323F", "91110108933283671B"
PORTFOLIO = "/api/v1/funds/{}/portfolio"


def _angel_fund(client, fund_id="ANG-T"):
    r = client.post("/api/v1/funds", json={"id": fund_id, "name": "天使测试基金", "strategy": "angel",
                                           "inception": "2021-01-01", "term_years": 8,
                                           "tolerance_scheme": "zhengzhou-angel-2024"})
    assert r.status_code == 201, r.text
    return fund_id


def test_demo_fund_shows_tolerance_verdicts(app, sample_csv):  # the demo fund invests in the sample firms
    tol = login(app, "bureau").get("/api/v1/funds/VC-DEMO/evaluation").json()["tolerance"]
    assert tol["scheme"]["id"] == "ndrc-2021-shenzhen-early-stage" and tol["scheme"]["from"] == "default"
    assert tol["fund"]["verdict"] == "beyond" and tol["fund"]["losses_beyond_tolerance"] == 2
    by_id = {x["investment_id"]: x for x in tol["losses"]}
    assert by_id["VC-DEMO-02"]["loss_rate"] == 1.0 and by_id["VC-DEMO-02"]["within_tolerance"] is False
    assert by_id["VC-DEMO-02"]["exemption"] == "missing_evidence"
    assert by_id["VC-DEMO-02"]["evidence_missing"] == ["no_improper_gain", "no_major_adverse"]
    assert by_id["VC-DEMO-03"]["within_tolerance"] is True and by_id["VC-DEMO-03"]["exemption"] == "ready_for_review"
    assert by_id["VC-DEMO-04"]["exemption"] == "not_available"
    assert by_id["VC-DEMO-04"]["exemption_label"]["zh"] and by_id["VC-DEMO-04"]["reason_en"]
    assert len(tol["investments"]) == 7 and tol["pack"]["sha256"]


def test_manager_files_portfolio_and_gets_verdicts(app):
    fund = login(app, "fund1")
    fid = _angel_fund(fund)
    empty = fund.get(f"/api/v1/funds/{fid}/evaluation").json()["tolerance"]
    assert empty["fund"]["verdict"] is None and empty["losses"] == []
    r = fund.post(PORTFOLIO.format(fid), json={
        "investments": [{"investment_id": "A1", "company_uscc": USCC_A, "stage": "angel", "amount": 4e6,
                         "date": "2021-03-01", "sectors": ["quantum"]},
                        {"investment_id": "A2", "company_uscc": USCC_B, "stage": "seed", "amount": "6,000,000",
                         "date": "2021/05/01", "fair_value": 5e6}],
        "exits": [{"investment_id": "A1", "date": "2023-01-01", "kind": "writeoff", "proceeds": 0}]})
    assert r.status_code == 201, r.text
    assert r.json()["written"] == {"investments": 2, "exits": 1, "evidence": 0}
    assert r.json()["investments"][1]["date"] == "2021-05-01" and r.json()["investments"][0]["sectors"] == ["quantum"]
    # evidence for an investment filed before: checked against the stored portfolio
    r = fund.post(PORTFOLIO.format(fid), json={"evidence": [
        {"investment_id": "A1", "precondition": p, "status": "met", "document": "doc.pdf"}
        for p in ("lawful_compliant", "diligence_documented", "no_improper_gain", "no_major_adverse")]})
    assert r.status_code == 201, r.text
    tol = fund.get(f"/api/v1/funds/{fid}/evaluation").json()["tolerance"]
    # Zhengzhou: net loss of principal (10M − 5M) / 10M = 50% > 40% at fund level
    assert tol["scheme"]["from"] == "fund" and tol["fund"]["net_loss_rate"] == 0.5
    assert tol["fund"]["portfolio_within"] is False and tol["fund"]["verdict"] == "beyond"
    a1 = next(x for x in tol["losses"] if x["investment_id"] == "A1")
    assert a1["exemption"] == "ready_for_review" and a1["decided_by"] == "zhengzhou-angel-2024.portfolio_loss_rate"
    # replacing the portfolio (new fair value): A2 recovers, the fund is within tolerance
    stored = fund.get(PORTFOLIO.format(fid)).json()
    stored["investments"][1]["fair_value"] = 7e6
    r = fund.put(PORTFOLIO.format(fid), json={k: stored[k] for k in ("investments", "exits", "evidence")})
    assert r.status_code == 200, r.text
    tol = fund.get(f"/api/v1/funds/{fid}/evaluation").json()["tolerance"]
    assert tol["fund"]["net_loss_rate"] == 0.3 and tol["fund"]["verdict"] == "within"


def test_filing_is_all_or_nothing_with_located_problems(app):
    fund = login(app, "fund1")
    before = fund.get(PORTFOLIO.format("VC-DEMO")).json()
    r = fund.post(PORTFOLIO.format("VC-DEMO"), json={
        "investments": [{"investment_id": "OK-1", "company_uscc": USCC_A, "stage": "vc", "amount": 1e6, "date": "2023-01-01"},
                        {"investment_id": "VC-DEMO-01", "company_uscc": "91440305787789323X", "stage": "vc",
                         "amount": "lots", "date": "2018-01-01"}],
        "exits": [{"investment_id": "NOPE", "date": "2024-01-01", "kind": "ipo", "proceeds": 1}],
        "evidence": [{"investment_id": "OK-1", "precondition": "bribery", "status": "met"}]})
    assert r.status_code == 422 and r.headers["content-type"].startswith("application/problem+json")
    found = {(p["file"], p["row"], p["field"]) for p in r.json()["problems"]}
    assert {("investments", 2, "amount"), ("investments", 2, "company_uscc"), ("investments", 2, "date"),
            ("investments", 2, "investment_id"), ("exits", 1, "investment_id"),
            ("evidence", 1, "precondition")} <= found, found
    assert all(p["message_zh"] and p["message_en"] for p in r.json()["problems"])
    assert fund.get(PORTFOLIO.format("VC-DEMO")).json() == before  # the good row was not written either


def test_only_the_manager_files(app):
    body = {"investments": [{"investment_id": "X", "company_uscc": USCC_A, "stage": "vc", "amount": 1, "date": "2023-01-01"}]}
    assert login(app, "bureau").post(PORTFOLIO.format("VC-DEMO"), json=body).status_code == 403
    assert login(app, "bank1").get(PORTFOLIO.format("VC-DEMO")).status_code == 403
    assert login(app, "bureau").get(PORTFOLIO.format("VC-DEMO")).status_code == 200


def test_unknown_tolerance_scheme_is_refused(app):
    r = login(app, "fund1").post("/api/v1/funds", json={"id": "F9", "name": "x", "strategy": "vc", "inception": "2022-01-01",
                                                        "term_years": 8, "tolerance_scheme": "generous"})
    assert r.status_code == 422 and "tolerance_scheme" in str(r.json()["errors"])
