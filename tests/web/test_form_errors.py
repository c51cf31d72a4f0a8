"""Every form of the web UI answers bad input with its page again and the error next to the form, in
Chinese and English — never the API's raw JSON problem; the API keeps its JSON answers.

Forms: login, logout, import (file and worksheet), grant consent, revoke consent, and the GET filters of the
enterprise and recommendation lists (whose only typed parameter is ``page``)."""

import html
import re
from datetime import date, timedelta

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from kejin.api import demo
from kejin.facts import testing
from kejin.store.models import Organisation
from kejin.web.app import create_app

DATA_SHEET = "企业数据"


@pytest.fixture
def seeded(db):
    demo.seed(db, n_synthetic=10, points=False)
    return db


@pytest.fixture
def app(seeded):
    return create_app(seeded)


def page_login(app, username):
    """A browser-like client: logged in through the login form, the CSRF token read off a page."""
    c = TestClient(app, raise_server_exceptions=False)
    r = c.post("/login", data={"username": username, "password": demo.DEMO_PASSWORD}, follow_redirects=False)
    assert r.status_code == 303, r.text
    c.csrf = re.search(r'name="csrf_token" value="([^"]+)"', c.get("/consents").text).group(1)
    return c


def text_of(fragment: str) -> str:
    return html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", fragment))).strip()


def error_box(page: str, box_id: str, inside: str | None = None) -> tuple[str, str]:
    """The (page language, other language) lines of the error box ``box_id``; with ``inside``, the box must
    be inside the element of that id (the form it belongs to)."""
    scope = page
    if inside is not None:
        m = re.search(rf'<form[^>]*id="{inside}".*?</form>', page, re.S)
        assert m, f"no form #{inside}"
        scope = m.group(0)
    m = re.search(rf'<div class="error form-error" id="{box_id}"[^>]*>\s*<p[^>]*>(.*?)</p>\s*<p[^>]*>(.*?)</p>', scope, re.S)
    assert m, f"no error box #{box_id}" + (f" in #{inside}" if inside else "")
    return text_of(m.group(1)), text_of(m.group(2))


def is_html(r) -> bool:
    return r.headers["content-type"].startswith("text/html")


def has_cjk(s: str) -> bool:
    return re.search(r"[\u4e00-\u9fff]", s) is not None


def bilingual(lines: tuple[str, str], zh: str, en: str, page_lang: str = "zh") -> None:
    first, second = lines
    if page_lang == "en":
        first, second = second, first
    assert zh in first and has_cjk(first), lines
    assert en in second and not has_cjk(second), lines


# ---------------------------------------------------------------- login
def test_login_form_with_empty_fields_or_a_wrong_password(app):
    c = TestClient(app, raise_server_exceptions=False)
    r = c.post("/login", data={"username": "", "password": ""})
    assert r.status_code == 422 and is_html(r)
    bilingual(error_box(r.text, "login-error", inside="login-form"), "请填写用户名和密码", "enter your username and password")
    r = c.post("/login", data={"username": "bureau"})  # no password field at all
    assert r.status_code == 422 and is_html(r)
    r = c.post("/login?lang=en", data={"username": "bureau", "password": "wrong"})
    assert r.status_code == 401
    bilingual(error_box(r.text, "login-error", inside="login-form"), "用户名或密码错误", "Wrong username or password", "en")
    assert 'value="bureau"' in r.text  # the username stays filled in


# ---------------------------------------------------------------- import
def two_sheet_workbook() -> bytes:
    return testing.two_sheet_workbook(testing.facts_rows(6, seed=9), DATA_SHEET)


def test_import_form_has_an_optional_worksheet_field(app):
    bureau = page_login(app, "bureau")
    form = re.search(r'<form[^>]*id="import-form".*?</form>', bureau.get("/import").text, re.S).group(0)
    field = re.search(r'<input[^>]*name="sheet"[^>]*>', form).group(0)
    assert "required" not in field and 'maxlength="31"' in field
    assert "工作表" in text_of(form)
    assert "Worksheet" in text_of(re.search(r'<form[^>]*id="import-form".*?</form>', bureau.get("/import?lang=en").text, re.S).group(0))


def test_import_of_a_two_sheet_workbook_through_the_form(app):
    bureau = page_login(app, "bureau")
    body = two_sheet_workbook()
    r = bureau.post("/import", data={"csrf_token": bureau.csrf}, files={"file": ("firms.xlsx", body, "application/octet-stream")})
    assert r.status_code == 200 and re.search(r'id="job-status" class="bad"', r.text)
    table = text_of(re.search(r'<table class="data" id="error-table">.*?</table>', r.text, re.S).group(0))
    # the hint in both languages, naming the worksheet field
    assert "“工作表/sheet”字段" in table and "worksheet field of the upload page or API" in table and DATA_SHEET in table

    r = bureau.post("/import", data={"csrf_token": bureau.csrf, "sheet": DATA_SHEET},
                    files={"file": ("firms.xlsx", body, "application/octet-stream")})
    assert r.status_code == 200 and re.search(r'id="job-status" class="ok"', r.text), text_of(r.text)[:500]
    assert re.search(r'id="job-rows">6<', r.text)

    r = bureau.post("/import", data={"csrf_token": bureau.csrf, "sheet": "数据表"},
                    files={"file": ("firms.xlsx", body, "application/octet-stream")})
    table = text_of(re.search(r'<table class="data" id="error-table">.*?</table>', r.text, re.S).group(0))
    assert "工作表“数据表”不存在" in table and "worksheet '数据表' not found" in table and "填写说明" in table


@pytest.mark.parametrize("data, files, status, zh, en", [
    ({}, None, 422, "请选择要上传的文件", "choose a file to upload"),
    ({}, {"file": ("", b"", "application/octet-stream")}, 422, "请选择要上传的文件", "choose a file to upload"),
    ({}, {"file": ("report.pdf", b"%PDF-1.4", "application/pdf")}, 415, "只接受 CSV、XLSX 或 Parquet 文件", "only CSV, XLSX or Parquet"),
    ({"sheet": "a/b"}, {"file": ("f.xlsx", b"PK", "application/octet-stream")}, 422, "工作表名不能含有 /", "cannot hold /"),
    ({"sheet": "长" * 32}, {"file": ("f.xlsx", b"PK", "application/octet-stream")}, 422, "最多 31 个字符", "at most 31 characters"),
])
def test_import_form_errors_are_shown_next_to_the_form(app, data, files, status, zh, en):
    bureau = page_login(app, "bureau")
    r = bureau.post("/import", data={"csrf_token": bureau.csrf, **data}, files=files, follow_redirects=False)
    assert r.status_code == status and is_html(r)
    bilingual(error_box(r.text, "import-error", inside="import-form"), zh, en)
    if "sheet" in data:  # what was typed stays in the field
        assert f'value="{html.escape(data["sheet"])}"' in r.text


def test_a_broken_file_is_shown_as_the_jobs_problems_in_both_languages(app):
    bureau = page_login(app, "bureau")
    r = bureau.post("/import", data={"csrf_token": bureau.csrf}, files={"file": ("f.xlsx", b"not a workbook", "application/octet-stream")})
    assert r.status_code == 200
    table = text_of(re.search(r'<table class="data" id="error-table">.*?</table>', r.text, re.S).group(0))
    assert "不是 Excel 工作簿" in table and "not an Excel workbook" in table


def test_a_stale_csrf_token_is_a_page_asking_to_reload(app):
    bureau = page_login(app, "bureau")
    r = bureau.post("/import", data={"csrf_token": "stale"}, files={"file": ("f.csv", b"a,b\n1,2\n", "text/csv")})
    assert r.status_code == 403 and is_html(r)
    bilingual(error_box(r.text, "import-error", inside="import-form"), "请刷新页面后重新提交", "reload it and submit again")
    r = bureau.post("/logout", data={"csrf_token": "stale"})
    assert r.status_code == 403 and is_html(r)
    bilingual(error_box(r.text, "denied"), "请刷新页面后重新提交", "reload it and submit again")


# ---------------------------------------------------------------- consents
def _org_id(db, kind: str) -> int:
    with db.session() as s:
        return s.scalars(sa.select(Organisation.id).where(Organisation.kind == kind).order_by(Organisation.id)).first()


def test_grant_form_errors_are_shown_next_to_the_form(app, seeded):
    firm = page_login(app, "firm1")
    bank, bureau = _org_id(seeded, "bank"), _org_id(seeded, "bureau")
    yesterday = (date.today() - timedelta(days=2)).isoformat()
    consents = firm.get("/api/v1/consents").json()["data"]
    cases = [
        ({"institution_org_id": ""}, 422, "请选择要授权的机构", "choose the institution"),
        ({"institution_org_id": "abc"}, 422, "应为整数", "valid integer"),
        ({"institution_org_id": "-3"}, 422, "应不小于 1", "greater than or equal to 1"),
        ({"institution_org_id": str(bureau)}, 422, "只能授权给银行、基金管理人或保险机构", "only be granted to a bank"),
        ({"institution_org_id": str(bank), "expires_on": yesterday}, 422, "授权截止日期无效：须为今天或以后的日期", "invalid end date: it must be today or later"),
        ({"institution_org_id": str(bank), "expires_on": "31/12/2030"}, 422, "授权截止日期无效：须为今天或以后的日期", "invalid end date: it must be today or later"),
        ({"institution_org_id": str(bank), "purpose": "x" * 201}, 422, "最多 200 个字符", "at most 200 characters"),
    ]
    for data, status, zh, en in cases:
        r = firm.post("/consents", data={"csrf_token": firm.csrf, **data}, follow_redirects=False)
        assert r.status_code == status and is_html(r), (data, r.status_code, r.text[:200])
        bilingual(error_box(r.text, "consent-error", inside="grant-form"), zh, en)
    # what was entered stays in the form
    r = firm.post("/consents", data={"csrf_token": firm.csrf, "institution_org_id": str(bank), "purpose": "贷款审查",
                                     "expires_on": yesterday})
    form = re.search(r'<form[^>]*id="grant-form".*?</form>', r.text, re.S).group(0)
    assert f'<option value="{bank}" selected>' in form and 'value="贷款审查"' in form and f'value="{yesterday}"' in form
    # English page: English first, Chinese below
    r = firm.post("/consents?lang=en", data={"csrf_token": firm.csrf, "institution_org_id": ""})
    bilingual(error_box(r.text, "consent-error", inside="grant-form"), "请选择要授权的机构", "choose the institution", "en")
    assert firm.get("/api/v1/consents").json()["data"] == consents  # nothing was granted


def test_revoking_a_consent_that_is_not_there_says_so_on_the_consents_page(app):
    firm = page_login(app, "firm1")
    r = firm.post("/consents/999999/revoke", data={"csrf_token": firm.csrf}, follow_redirects=False)
    assert r.status_code == 404 and is_html(r)
    bilingual(error_box(r.text, "consent-error", inside="grant-form"), "未找到授权", "consent not found")


# ---------------------------------------------------------------- any other page error
def test_other_page_errors_are_pages_in_both_languages_and_the_api_keeps_json(app):
    bureau = page_login(app, "bureau")
    for path, status, zh, en in [("/enterprises?page=x", 422, "字段 page：应为整数", "field page"),
                                 ("/recommendations?page=x", 422, "字段 page：应为整数", "field page"),
                                 ("/consents/abc/revoke", 422, "字段 consent_id：应为整数", "field consent_id"),
                                 ("/no-such-page", 404, "没有这个页面", "there is no such page")]:
        method = "POST" if path.endswith("revoke") else "GET"
        r = bureau.request(method, path, data={"csrf_token": bureau.csrf} if method == "POST" else None)
        assert r.status_code == status and is_html(r), (path, r.text[:200])
        bilingual(error_box(r.text, "denied"), zh, en)
        assert 'id="who"' in r.text  # the page keeps its header and navigation
    for path, status in [("/api/v1/enterprises?page=x", 422), ("/api/v1/no-such-route", 404)]:
        r = bureau.get(path)
        assert r.status_code == status and r.headers["content-type"].startswith("application/problem+json")
        assert r.json()["detail_zh"] and r.json()["detail"]
    r = bureau.post("/api/v1/imports", files={"file": ("x.pdf", b"%PDF", "application/pdf")}, headers={"X-CSRF-Token": bureau.csrf})
    assert r.status_code == 415 and r.json()["code"] == "import.type"
