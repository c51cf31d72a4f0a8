"""The web UI in a real browser (Debian's Chromium driven by Playwright)."""

import csv
import io
from pathlib import Path

import pytest

from kejin.api.demo import DEMO_PASSWORD

SAMPLE = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "enterprise_facts_sample.csv"
FIRM1 = "91440305787789323F"  # first firm of the shared sample; firm1 in the demo data


def login(browser, server, username):
    ctx = browser.new_context(accept_downloads=True, viewport={"width": 1280, "height": 900})
    page = ctx.new_page()
    page.goto(f"{server}/login")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", DEMO_PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_load_state("networkidle")
    return page


@pytest.mark.parametrize("user, role_zh, landing", [
    ("bureau", "科技局", "/"), ("bank1", "银行", "/"), ("fund1", "基金管理人", "/"),
    ("insurer1", "保险机构", "/"), ("firm1", "企业", f"/enterprises/{FIRM1}"),
])
def test_each_role_logs_in(browser, server, shot, user, role_zh, landing, request):
    if user == "firm1":  # firm1 is the first firm of the shared sample
        request.getfixturevalue("sample_csv")
    page = login(browser, server, user)
    assert page.url == server + landing
    assert role_zh in page.inner_text("#who")
    shot(page, f"home-{user}")
    page.context.close()


def test_wrong_password_stays_on_login(browser, server):
    page = browser.new_page()
    page.goto(f"{server}/login")
    page.fill("input[name=username]", "bureau")
    page.fill("input[name=password]", "wrong")
    page.click("button[type=submit]")
    assert page.is_visible("#login-error")
    page.close()


def test_overview_draws_charts_and_switches_language(browser, server, shot):
    page = login(browser, server, "bureau")
    page.wait_for_selector("#chart-tiers canvas")
    assert "区域概览" in page.inner_text("h1")
    page.click("#lang-switch")
    page.wait_for_load_state("networkidle")
    assert "Region overview" in page.inner_text("h1")
    shot(page, "overview-en")
    page.goto(f"{server}/?lang=zh")
    shot(page, "overview")
    page.context.close()


def upload(page, server, file: Path, sheet: str | None = None) -> None:
    """Submit ``file`` on the import page (with ``sheet`` in the worksheet field)."""
    page.goto(f"{server}/import")
    page.set_input_files("#import-form input[type=file]", str(file))
    if sheet is not None:
        page.fill("#import-sheet", sheet)
    page.click("#import-form button[type=submit]")


def test_import_sample_and_see_errors_of_a_broken_one(browser, server, shot, tmp_path):
    if not SAMPLE.exists():
        pytest.skip(f"shared sample file not found at {SAMPLE}")
    page = login(browser, server, "bureau")
    upload(page, server, SAMPLE)
    page.wait_for_selector("#job-status.ok", timeout=30000)
    assert page.inner_text("#job-rows") == "24"
    shot(page, "import-ok")
    rows = list(csv.reader(io.StringIO(SAMPLE.read_text(encoding="utf-8-sig"))))
    rows[3][rows[0].index("revenue")] = "lots"
    broken = tmp_path / "broken.csv"
    with broken.open("w", newline="", encoding="utf-8") as f:
        csv.writer(f).writerows(rows)
    upload(page, server, broken)
    page.wait_for_selector("#error-table", timeout=30000)
    cells = page.inner_text("#error-table tbody")
    assert "revenue" in cells and "4" in cells and "lots" in cells
    shot(page, "import-errors")
    page.context.close()


def _two_sheet_workbook(path: Path, data_sheet: str) -> Path:
    """A notes sheet first, synthetic facts under Chinese headers on ``data_sheet``."""
    from kejin.facts import testing

    path.write_bytes(testing.two_sheet_workbook(testing.facts_rows(5, seed=17), data_sheet))
    return path


def test_import_a_workbook_choosing_its_worksheet(browser, server, shot, tmp_path):
    book = _two_sheet_workbook(tmp_path / "firms.xlsx", "企业数据")
    page = login(browser, server, "bureau")
    upload(page, server, book)
    page.wait_for_selector("#error-table", timeout=30000)
    hint = page.inner_text("#error-table tbody")
    assert "“工作表/sheet”字段" in hint and "worksheet field of the upload page or API" in hint and "企业数据" in hint
    shot(page, "import-sheet-hint")
    page.goto(f"{server}/import")
    assert "工作表" in page.inner_text("#import-form")
    upload(page, server, book, "企业数据")
    page.wait_for_selector("#job-status.ok", timeout=30000)
    assert page.inner_text("#job-rows") == "5"
    page.context.close()


def test_import_form_error_is_shown_next_to_the_form(browser, server, shot, tmp_path):
    pdf = tmp_path / "report.pdf"
    pdf.write_bytes(b"%PDF-1.4")
    page = login(browser, server, "bureau")
    upload(page, server, pdf)
    page.wait_for_selector("#import-form #import-error")
    error = page.inner_text("#import-error")
    assert "只接受 CSV、XLSX 或 Parquet 文件" in error and "only CSV, XLSX or Parquet files are accepted" in error
    assert "problem+json" not in page.content() and page.is_visible("#import-form input[type=file]")
    shot(page, "import-form-error")
    page.context.close()


def test_consent_form_error_is_shown_next_to_the_form(browser, server, shot):
    firm = login(browser, server, "firm3")
    firm.goto(f"{server}/consents")
    firm.select_option("#grant-institution", index=0)
    firm.fill("#grant-form input[name=purpose]", "贷款审查")
    firm.fill("#grant-expires", "2001-01-01")
    firm.click("#grant-form button[type=submit]")
    firm.wait_for_selector("#grant-form #consent-error")
    error = firm.inner_text("#consent-error")
    assert "授权截止日期无效：须为今天或以后的日期" in error and "invalid end date: it must be today or later" in error
    assert firm.input_value("#grant-form input[name=purpose]") == "贷款审查"  # what was typed is kept
    assert firm.locator("#consent-table tbody tr[data-institution]").count() == 0
    shot(firm, "consent-form-error")
    firm.context.close()


def test_profile_page(browser, server, shot, sample_csv):  # a firm of the shared sample
    page = login(browser, server, "bureau")
    page.goto(f"{server}/enterprises/{FIRM1}")
    assert "深圳市示例量子科技有限公司" in page.inner_text("#profile-name")
    assert page.locator("#standards-table tr").count() > 2
    assert "（万元）" in page.inner_text("#facts-table tr:first-child")  # the unit in the header, bare numbers below
    assert "万元" not in page.inner_text("#facts-table tr:nth-child(2)")
    page.wait_for_selector("#chart-timeline canvas")
    shot(page, "profile")
    page.context.close()


def test_grant_consent_changes_the_banks_view(browser, server, shot, sample_csv):  # a firm of the shared sample
    bank = login(browser, server, "bank2")
    bank.goto(f"{server}/enterprises/{FIRM1}")
    assert bank.is_visible("#denied")
    firm = login(browser, server, "firm1")
    firm.goto(f"{server}/consents")
    firm.select_option("#grant-institution", label="另一家示例银行 · 银行")
    firm.fill("#grant-form input[name=purpose]", "贷款审查")
    firm.click("#grant-form button[type=submit]")
    firm.wait_for_selector("tr[data-institution='另一家示例银行']")
    shot(firm, "consents")
    bank.goto(f"{server}/enterprises/{FIRM1}")
    assert "深圳市示例量子科技有限公司" in bank.inner_text("#profile-name")
    shot(bank, "profile-bank-with-consent")
    firm.goto(f"{server}/enterprises/{FIRM1}")
    assert "bank2" in firm.inner_text("#reads-table")  # the firm sees who read its record
    firm.goto(f"{server}/consents")
    firm.locator("tr[data-institution='另一家示例银行'] button.danger").click()
    firm.wait_for_load_state("networkidle")
    bank.goto(f"{server}/enterprises/{FIRM1}")
    assert bank.is_visible("#denied")
    bank.context.close()
    firm.context.close()


def test_grant_consent_with_an_end_date(browser, server, shot):
    from datetime import date, timedelta

    day = date.today() + timedelta(days=20)
    firm = login(browser, server, "firm2")
    firm.goto(f"{server}/consents")
    firm.select_option("#grant-institution", index=0)
    firm.fill("#grant-expires", day.isoformat())
    firm.click("#grant-form button[type=submit]")
    firm.wait_for_selector("#consent-table tbody tr[data-institution]")
    row = firm.inner_text("#consent-table tbody tr[data-institution]")
    assert f"{day + timedelta(days=1)} 00:00" in row and "生效中" in row
    shot(firm, "consent-with-end")
    firm.context.close()


def test_export_recommendations(browser, server, shot, tmp_path):
    page = login(browser, server, "bank1")
    page.goto(f"{server}/recommendations?stage=growth")
    assert page.input_value("input[name=stage]") == "growth"  # the filter keeps its value
    assert set(page.locator("#rec-table tbody td:nth-child(6)").all_inner_texts()) == {"成长期"}  # stage names, not codes
    page.goto(f"{server}/recommendations")
    shot(page, "recommendations")
    n = page.locator("#rec-table tbody tr").count()
    with page.expect_download() as dl:
        page.click("#export-csv")
    path = tmp_path / "list.csv"
    dl.value.save_as(path)
    lines = path.read_text(encoding="utf-8-sig").strip().splitlines()
    assert lines[0].startswith("排名 rank") and len(lines) - 1 >= n > 0
    page.context.close()


def test_fund_dashboard(browser, server, shot):
    page = login(browser, server, "fund1")
    page.goto(f"{server}/funds/VC-DEMO")
    page.wait_for_selector("#chart-jcurve canvas")
    assert page.inner_text("#verdict").strip() in {"符合预期", "关注", "偏离", "为时尚早"}
    # amounts in one unit named in the header; fixed rules by name, their results in words
    assert "（亿元）" in page.inner_text("#fund-history thead") and "第3年起DPI不低于0.3" in page.inner_text("#fund-history thead")
    assert "not_yet" not in page.inner_text("#fund-history tbody")
    shot(page, "fund")
    page.context.close()


def test_fund_dashboard_tolerance_verdicts(browser, server, shot):
    page = login(browser, server, "bureau")
    page.goto(f"{server}/funds/VC-DEMO")
    table = page.locator("#tolerance-table")
    table.scroll_into_view_if_needed()
    assert table.is_visible() and page.is_visible("#tolerance-verdict")
    assert page.inner_text("#tolerance-verdict").strip() == "超出容错范围"
    writeoff = page.inner_text("#tolerance-table tr[data-investment='VC-DEMO-02']")
    assert "100.0%" in writeoff and "超出" in writeoff and "尚缺证明材料" in writeoff
    assert "材料齐备" in page.inner_text("#tolerance-table tr[data-investment='VC-DEMO-03']")
    assert page.locator("#portfolio-table tbody tr").count() == 7
    page.locator("#tolerance").screenshot(path=str(shot.folder / "fund-tolerance.png"))
    page.goto(f"{server}/funds/VC-DEMO?lang=en")
    assert page.inner_text("#tolerance-verdict").strip() == "beyond tolerance"
    assert "evidence still missing" in page.inner_text("#tolerance-table")
    shot(page, "fund-en")
    page.context.close()


def test_api_docs_page_works_without_internet(browser, server, shot):
    """/docs (Swagger UI) draws the operations of the OpenAPI 3.1 document with every request
    kept on this server: any other host is refused, as on a machine without internet."""
    page = browser.new_page()
    elsewhere: list[str] = []

    def only_this_server(route):
        if route.request.url.startswith(server):
            route.continue_()
        else:
            elsewhere.append(route.request.url)
            route.abort()

    page.route("**/*", only_this_server)
    page.goto(f"{server}/docs")
    page.wait_for_selector(".opblock", timeout=15_000)
    assert page.locator(".opblock").count() > 10
    assert "kejin" in page.inner_text(".info")
    assert elsewhere == []
    shot(page, "api-docs")
    page.close()
