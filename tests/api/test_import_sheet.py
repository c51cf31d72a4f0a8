"""`POST /imports` takes the worksheet of a workbook (`sheet`), as `kejin validate --sheet` does: without it a
workbook whose facts are on another sheet fails with a hint that names the field; an unknown sheet names the
sheets the workbook has; a name no workbook can hold is refused at once; a CSV file has no sheets and ignores it."""

import csv
import io

import sqlalchemy as sa

from api_helpers import login
from kejin.facts import testing
from kejin.store.models import AuditLog, ImportJob

DATA_SHEET = "企业数据"


def facts_rows(n: int = 12) -> list[list[str]]:
    return testing.facts_rows(n, seed=5)


def two_sheet_workbook(rows: list[list[str]], data_sheet: str = DATA_SHEET) -> bytes:
    return testing.two_sheet_workbook(rows, data_sheet)


def upload(client, name: str, body: bytes, **form):
    return client.post("/api/v1/imports", files={"file": (name, body, "application/octet-stream")}, data=form)


def finished(client, r) -> dict:
    assert r.status_code == 202, r.text
    return client.get(f"/api/v1/imports/{r.json()['id']}").json()


def test_workbook_with_facts_on_a_second_sheet_needs_the_sheet_field(app):
    bureau = login(app, "bureau")
    rows = facts_rows()
    body = two_sheet_workbook(rows)

    job = finished(bureau, upload(bureau, "firms.xlsx", body))
    assert job["status"] == "failed" and job["rows_written"] == 0
    (p,) = job["problems"]
    assert p["code"] == "xlsx.sheet_hint" and p["file"] == "firms.xlsx"
    # the hint names the sheet and both ways to choose it: the command line and the upload's field
    assert DATA_SHEET in p["message_zh"] and "--sheet 企业数据" in p["message_zh"] and "“工作表/sheet”字段" in p["message_zh"]
    assert DATA_SHEET in p["message_en"] and "worksheet field of the upload page or API" in p["message_en"]

    job = finished(bureau, upload(bureau, "firms.xlsx", body, sheet=DATA_SHEET))
    assert job["status"] == "succeeded", job["problems"]
    assert job["rows_total"] == job["rows_written"] == len(rows) - 1


def test_sheet_name_differing_in_case_or_spaces_finds_the_sheet(app):
    bureau = login(app, "bureau")
    body = two_sheet_workbook(facts_rows(4), data_sheet="Facts 2024")
    job = finished(bureau, upload(bureau, "firms.xlsx", body, sheet="  facts 2024 "))
    assert job["status"] == "succeeded", job["problems"]


def test_unknown_sheet_names_the_sheets_of_the_workbook(app):
    bureau = login(app, "bureau")
    job = finished(bureau, upload(bureau, "firms.xlsx", two_sheet_workbook(facts_rows(4)), sheet="数据表"))
    assert job["status"] == "failed" and job["rows_written"] == 0
    (p,) = job["problems"]
    assert p["code"] == "xlsx.sheet" and p["value"] == "数据表"
    for name in ("数据表", "填写说明", DATA_SHEET):
        assert name in p["message_zh"] and name in p["message_en"]
    assert "not found" in p["message_en"] and "不存在" in p["message_zh"]


def test_a_sheet_name_no_workbook_can_hold_is_refused_before_anything_is_stored(app, seeded):
    bureau = login(app, "bureau")
    with seeded.session() as s:
        jobs_before = s.scalar(sa.select(sa.func.count()).select_from(ImportJob))
    for sheet, zh, en in [("长" * 32, "31", "31 characters"), ("a/b", "/", "cannot hold /"), ("数据\x00", "不可打印", "cannot be printed"),
                          ("a\tb", "不可打印", "cannot be printed")]:
        r = upload(bureau, "firms.xlsx", b"PK", sheet=sheet)
        assert r.status_code == 422, (sheet, r.text)
        body = r.json()
        assert r.headers["content-type"].startswith("application/problem+json")
        assert body["code"] == "import.sheet" and body["field"] == "sheet"
        assert zh in body["detail_zh"] and en in body["detail"]
    with seeded.session() as s:
        assert s.scalar(sa.select(sa.func.count()).select_from(ImportJob)) == jobs_before


def test_csv_ignores_the_sheet_field_as_the_command_line_does(app, seeded):
    bureau = login(app, "bureau")
    rows = facts_rows(4)
    out = io.StringIO()
    csv.writer(out).writerows(rows)
    body = out.getvalue().encode()
    job = finished(bureau, upload(bureau, "firms.csv", body, sheet=DATA_SHEET))
    assert job["status"] == "succeeded", job["problems"]
    with seeded.session() as s:  # the audit entry names the worksheet only where one was read
        detail = s.scalars(sa.select(AuditLog.detail).where(AuditLog.target == f"import:{job['id']}")).one()
    assert "sheet" not in detail


def test_the_audit_entry_names_the_worksheet_read(app, seeded):
    bureau = login(app, "bureau")
    job = finished(bureau, upload(bureau, "firms.xlsx", two_sheet_workbook(facts_rows(4)), sheet=DATA_SHEET))
    assert job["status"] == "succeeded", job["problems"]
    with seeded.session() as s:
        detail = s.scalars(sa.select(AuditLog.detail).where(AuditLog.target == f"import:{job['id']}")).one()
    assert detail["sheet"] == DATA_SHEET and detail["file"] == "firms.xlsx"
