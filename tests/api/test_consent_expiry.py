"""A consent may end at a set time: after it, the institution sees the firm's data nowhere — record, identity,
lists, search, the web pages — exactly as after a revocation."""

from datetime import datetime, timedelta, timezone

import sqlalchemy as sa

from api_helpers import login, token_client
from kejin.store.models import Consent
from kejin.web.app import create_app as create_web_app


def _bank2_id(firm):
    return next(i["id"] for i in firm.get("/api/v1/institutions").json() if i["name"] == "另一家示例银行")


def _expire(db, consent_id):
    with db.session() as s:
        s.get(Consent, consent_id).expires_at = datetime.now(timezone.utc) - timedelta(seconds=1)


def test_expired_consent_opens_nothing(seeded):
    app = create_web_app(seeded)
    firm, bank, bank_web = login(app, "firm1"), token_client(app, "bank2"), login(app, "bank2")
    uscc = firm.get("/api/v1/enterprises").json()["data"][0]["uscc"]
    ends = (datetime.now(timezone.utc) + timedelta(days=30)).replace(microsecond=0)
    r = firm.post("/api/v1/consents", json={"institution_org_id": _bank2_id(firm), "expires_at": ends.isoformat()})
    assert r.status_code == 201 and r.json()["in_force"], r.text
    c = r.json()
    assert datetime.fromisoformat(c["expires_at"]) == ends
    assert bank.get(f"/api/v1/enterprises/{uscc}/record").status_code == 200
    assert bank.get("/api/v1/enterprises", params={"q": uscc}).json()["count"] == 1
    assert bank_web.get(f"/enterprises/{uscc}").status_code == 200
    assert f'href="/enterprises/{uscc}"' in bank_web.get("/enterprises", params={"q": uscc}).text

    _expire(seeded, c["id"])
    assert bank.get(f"/api/v1/enterprises/{uscc}/record").status_code == 403
    assert bank.get(f"/api/v1/enterprises/{uscc}").status_code == 403
    assert bank.get("/api/v1/enterprises").json()["count"] == 0
    assert bank.get("/api/v1/enterprises", params={"q": uscc}).json()["count"] == 0
    page = bank_web.get(f"/enterprises/{uscc}")
    assert page.status_code == 403 and "未授权" in page.text
    assert f'href="/enterprises/{uscc}"' not in bank_web.get("/enterprises", params={"q": uscc}).text
    mine = firm.get("/api/v1/consents").json()["data"][0]
    assert mine["id"] == c["id"] and mine["in_force"] is False and mine["revoked_at"] is None
    assert firm.get("/api/v1/consents", params={"in_force": True}).json()["count"] == \
        len([x for x in firm.get("/api/v1/consents").json()["data"] if x["in_force"]])
    assert c["id"] not in [x["id"] for x in bank.get("/api/v1/consents", params={"in_force": True}).json()["data"]]
    # granting again opens a new consent
    again = firm.post("/api/v1/consents", json={"institution_org_id": _bank2_id(firm)})
    assert again.status_code == 201 and again.json()["id"] != c["id"] and again.json()["expires_at"] is None
    assert bank.get(f"/api/v1/enterprises/{uscc}/record").json()["access"]["consent_id"] == again.json()["id"]


def test_end_in_the_past_is_refused_in_both_languages(app, seeded):
    firm = login(app, "firm1")
    r = firm.post("/api/v1/consents", json={"institution_org_id": _bank2_id(firm), "expires_at": "2020-01-01T00:00:00Z"})
    assert r.status_code == 422
    (e,) = r.json()["errors"]
    assert e["field"] == "expires_at" and "晚于现在" in e["message_zh"] and "in the future" in e["message_en"]
    with seeded.session() as s:
        assert s.scalar(sa.select(sa.func.count()).select_from(Consent).where(Consent.expires_at.is_not(None))) == 0


def test_a_new_end_replaces_the_consent_in_force(app):
    firm, bank = login(app, "firm1"), token_client(app, "bank2")
    uscc = firm.get("/api/v1/enterprises").json()["data"][0]["uscc"]
    first = firm.post("/api/v1/consents", json={"institution_org_id": _bank2_id(firm)}).json()
    assert firm.post("/api/v1/consents", json={"institution_org_id": _bank2_id(firm)}).json()["id"] == first["id"]
    ends = (datetime.now(timezone.utc) + timedelta(days=7)).isoformat()
    second = firm.post("/api/v1/consents", json={"institution_org_id": _bank2_id(firm), "expires_at": ends}).json()
    assert second["id"] != first["id"] and second["in_force"]
    old = next(x for x in firm.get("/api/v1/consents").json()["data"] if x["id"] == first["id"])
    assert old["in_force"] is False and old["revoked_at"]
    assert bank.get(f"/api/v1/enterprises/{uscc}/record").json()["access"]["consent_id"] == second["id"]


def test_web_form_grants_until_the_end_of_a_day(seeded):
    app = create_web_app(seeded)
    firm = login(app, "firm1")
    day = (datetime.now(timezone.utc) + timedelta(days=10)).date()
    r = firm.post("/consents", data={"institution_org_id": _bank2_id(firm), "expires_on": day.isoformat(),
                                     "csrf_token": firm.headers["X-CSRF-Token"]}, follow_redirects=False)
    assert r.status_code == 303
    c = next(x for x in firm.get("/api/v1/consents").json()["data"] if x["in_force"] and x["expires_at"])
    ends = datetime.fromisoformat(c["expires_at"])
    assert ends == datetime(day.year, day.month, day.day, tzinfo=timezone(timedelta(hours=8))) + timedelta(days=1)
    page = firm.get("/consents").text
    assert f"{day + timedelta(days=1)} 00:00" in page
    bad = firm.post("/consents", data={"institution_org_id": _bank2_id(firm), "expires_on": "2020-01-01",
                                       "csrf_token": firm.headers["X-CSRF-Token"]}, follow_redirects=False)
    # the consents page again, the error next to the grant form in both languages
    assert bad.status_code == 422 and 'id="consent-error"' in bad.text
    assert "授权截止日期无效：须为今天或以后的日期" in bad.text and "invalid end date: it must be today or later" in bad.text
    bad = firm.post("/consents", data={"institution_org_id": _bank2_id(firm), "expires_on": "31/12/2030",
                                       "csrf_token": firm.headers["X-CSRF-Token"]}, follow_redirects=False)
    assert bad.status_code == 422 and "授权截止日期无效" in bad.text
