"""A request the API cannot read is answered with a problem that names the field and the reason, in Chinese
and in English (not only pydantic's English)."""

from api_helpers import login


def test_invalid_body_names_field_and_reason_in_both_languages(app):
    firm = login(app, "firm1")
    r = firm.post("/api/v1/consents", json={"institution_org_id": "abc"})
    assert r.status_code == 422 and r.headers["content-type"].startswith("application/problem+json")
    body = r.json()
    (e,) = body["errors"]
    assert (e["where"], e["field"], e["value"]) == ("body", "institution_org_id", "abc")
    assert e["message_zh"] == "字段 institution_org_id：应为整数"
    assert "institution_org_id" in e["message_en"] and "integer" in e["message_en"]
    assert "institution_org_id" in body["detail"] and "institution_org_id" in body["detail_zh"]
    assert e["loc"] == ["body", "institution_org_id"] and e["type"] == "int_parsing"  # as before


def test_missing_and_out_of_range_values_are_explained(app):
    firm = login(app, "firm1")
    (e,) = firm.post("/api/v1/consents", json={}).json()["errors"]
    assert e["field"] == "institution_org_id" and "缺少" in e["message_zh"] and "required" in e["message_en"]
    errors = firm.post("/api/v1/consents", json={"institution_org_id": 0, "purpose": "x" * 201}).json()["errors"]
    zh = {x["field"]: x["message_zh"] for x in errors}
    assert zh == {"institution_org_id": "字段 institution_org_id：应不小于 1", "purpose": "字段 purpose：最多 200 个字符"}
    bureau = login(app, "bureau")
    (e,) = bureau.get("/api/v1/points/batches", params={"year": 1800}).json()["errors"]
    assert (e["where"], e["field"]) == ("query", "year") and "1990" in e["message_zh"] and "1990" in e["message_en"]


def test_broken_json_and_nul_keep_both_languages_apart(app):
    firm = login(app, "firm1")
    r = firm.post("/api/v1/consents", content=b'{"institution_org_id": ', headers={"content-type": "application/json"})
    (e,) = r.json()["errors"]
    assert r.status_code == 422 and e["field"] is None and "JSON" in e["message_zh"] and "JSON" in e["message_en"]
    (e,) = firm.post("/api/v1/consents", json={"institution_org_id": 3, "purpose": "a\x00"}).json()["errors"]
    assert e["message_zh"].startswith("输入含有 NUL") and e["message_en"].startswith("the input contains a NUL")
