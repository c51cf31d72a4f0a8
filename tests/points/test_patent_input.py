"""Reading and checking the patent list of `kejin record --patents` (kejin.points.patents).

The list is read like a fact file (XLSX via openpyxl, CSV in UTF-8 or GB18030) and checked
all-or-nothing: every problem is reported at once with its row (header = row 1), field and a
Chinese and an English reason.
"""

from __future__ import annotations

import json
from datetime import date, datetime
from pathlib import Path

import openpyxl
import polars as pl
import pytest

from kejin.errors import InputError
from kejin.points.patents import clean_patents, load_patents, patent_list

FIRM = "91440305787789323F"  # valid GB 32100 code (the shared sample's firm)
OTHER = "91110108933283671B"
ZH_HEADER = ["专利号", "专利类型", "IPC分类号", "申请日", "授权日", "统一社会信用代码"]
EN_HEADER = ["patent_id", "type", "ipc", "application_date", "grant_date", "uscc"]
ROWS = [
    ["CN202110000001.1", "发明", "G06N 3/08", "2021-03-01", "2023-01-10", FIRM],
    ["CN202110000002.2", "实用新型", "G06N 3/04", "2021-05-01", "2021-12-01", FIRM],
    ["CN202210000003.3", "invention", "H04L 9/08", "2022-02-01", "", FIRM],
    ["CN202310000009.9", "发明", "A61K 9/00", "2023-06-01", "", OTHER],
]


def _csv(path: Path, header: list[str], rows: list[list[str]], encoding: str = "utf-8") -> Path:
    text = "\n".join(",".join(r) for r in [header, *rows]) + "\n"
    path.write_bytes(text.encode(encoding))
    return path


def _problems(exc: pytest.ExceptionInfo[InputError]) -> list[tuple[int | None, str | None, str]]:
    return [(p.row, p.field, p.code) for p in exc.value.problems]


def _bilingual(exc: pytest.ExceptionInfo[InputError]) -> None:
    for p in exc.value.problems:
        assert p.zh and p.en and any("\u4e00" <= ch <= "\u9fff" for ch in p.zh), p


# ---------------------------------------------------------------- formats


def test_xlsx_with_chinese_headers_read_by_openpyxl(tmp_path):
    path = tmp_path / "patents.xlsx"
    book = openpyxl.Workbook()
    ws = book.active
    ws.append(["专利名称", *ZH_HEADER])  # an extra column of an export is ignored
    ws.append(["量子计算方法", "CN202110000001.1", "发明", "G06N 3/08", datetime(2021, 3, 1), datetime(2023, 1, 10), FIRM])
    ws.append(["散热装置", "CN202110000002.2", "实用新型", "H05K 7/20", datetime(2022, 3, 1), None, FIRM])
    ws.append([None] * 7)  # a blank row is skipped, the numbering of the others kept
    ws.append(["外观", "CN202310000004.4", "外观设计", "G06F 17/10", "2023-04-01", "2024/01/05", FIRM])
    book.save(path)
    p = load_patents(path)
    assert p["patent_id"].to_list() == ["CN202110000001.1", "CN202110000002.2", "CN202310000004.4"]
    assert p["type"].to_list() == ["invention", "utility", "design"]
    assert p["ipc_subclass"].to_list() == ["G06N", "H05K", "G06F"]
    assert p["application_date"].to_list() == [date(2021, 3, 1), date(2022, 3, 1), date(2023, 4, 1)]
    assert p["grant_date"].to_list() == [date(2023, 1, 10), None, date(2024, 1, 5)]
    assert p["uscc"].to_list() == [FIRM] * 3


def test_xlsx_problem_rows_are_excel_rows(tmp_path):
    path = tmp_path / "patents.xlsx"
    book = openpyxl.Workbook()
    ws = book.active
    ws.append(ZH_HEADER)
    ws.append(["CN1", "发明", "G06N 3/08", "2021-03-01", None, FIRM])
    ws.append([None] * 6)
    ws.append(["CN2", "发明", "G06N 3/08", "2021-03-01", "2023-13-45", FIRM])  # Excel row 4
    book.save(path)
    with pytest.raises(InputError) as exc:
        load_patents(path)
    assert _problems(exc) == [(4, "grant_date", "patents.date")]


@pytest.mark.parametrize("payload", [b"PK\x03\x04garbage", b"not a zip file at all", b""])
def test_broken_xlsx_is_a_clear_bilingual_error(tmp_path, payload):
    path = tmp_path / "broken.xlsx"
    path.write_bytes(payload)
    with pytest.raises(InputError) as exc:
        load_patents(path)
    assert [p.code for p in exc.value.problems] == ["xlsx.broken"]
    assert exc.value.problems[0].file == str(path)
    _bilingual(exc)


def test_truncated_xlsx_is_a_clear_error(tmp_path):
    good = tmp_path / "good.xlsx"
    book = openpyxl.Workbook()
    book.active.append(ZH_HEADER)
    book.active.append(ROWS[0])
    book.save(good)
    path = tmp_path / "trunc.xlsx"
    path.write_bytes(good.read_bytes()[: good.stat().st_size // 2])
    with pytest.raises(InputError) as exc:
        load_patents(path)
    assert [p.code for p in exc.value.problems] == ["xlsx.broken"]


def test_gb18030_csv_with_chinese_headers(tmp_path):
    path = _csv(tmp_path / "gb.csv", ZH_HEADER, ROWS, encoding="gb18030")
    with pytest.raises(UnicodeDecodeError):
        path.read_bytes().decode("utf-8")  # really not UTF-8
    p = load_patents(path)
    assert p.height == 4
    assert p["type"].to_list() == ["invention", "utility", "invention", "invention"]
    assert p["uscc"].to_list() == [FIRM, FIRM, FIRM, OTHER]


def test_utf8_bom_csv_and_english_headers(tmp_path):
    p = load_patents(_csv(tmp_path / "bom.csv", ZH_HEADER, ROWS, encoding="utf-8-sig"))
    assert p.height == 4
    p = load_patents(_csv(tmp_path / "en.csv", ["Patent ID", "Type", "IPC", "Application Date", "Grant Date", "USCC"], ROWS))
    assert p["grant_date"].to_list()[:2] == [date(2023, 1, 10), date(2021, 12, 1)]


def test_missing_columns_all_reported(tmp_path):
    path = _csv(tmp_path / "cols.csv", ["专利号", "授权日"], [["CN1", "2023-01-10"]])
    with pytest.raises(InputError) as exc:
        load_patents(path)
    assert _problems(exc) == [(1, "type", "patents.column"), (1, "ipc", "patents.column"), (1, "application_date", "patents.column")]
    _bilingual(exc)


def test_two_columns_for_one_field_reported(tmp_path):
    path = _csv(tmp_path / "two.csv", ["申请号", "公开号", "专利类型", "IPC分类号", "申请日"], [["CN1", "CN1A", "发明", "G06N 3/08", "2021-03-01"]])
    with pytest.raises(InputError) as exc:
        load_patents(path)
    assert _problems(exc) == [(1, "patent_id", "patents.header.duplicate")]


# ---------------------------------------------------------------- dates


def test_bad_grant_date_is_reported_like_a_bad_application_date(tmp_path):
    rows = [list(r) for r in ROWS]
    rows[0][4] = "2023-13-45"
    rows[2][3] = "2022-02-30"
    with pytest.raises(InputError) as exc:
        load_patents(_csv(tmp_path / "dates.csv", EN_HEADER, rows))
    assert _problems(exc) == [(2, "grant_date", "patents.date"), (4, "application_date", "patents.date")]
    assert [p.value for p in exc.value.problems] == ["2023-13-45", "2022-02-30"]
    assert "授权日" in exc.value.problems[0].zh and "grant date" in exc.value.problems[0].en
    _bilingual(exc)


def test_blank_application_date_is_an_error(tmp_path):
    rows = [list(r) for r in ROWS]
    rows[1][3] = " "
    with pytest.raises(InputError) as exc:
        load_patents(_csv(tmp_path / "blank.csv", EN_HEADER, rows))
    assert _problems(exc) == [(3, "application_date", "patents.required")]


def test_date_formats_of_fact_files_accepted(tmp_path):
    rows = [list(r) for r in ROWS]
    rows[0][3], rows[0][4] = "2021/03/01 ", "2023年1月10日"
    rows[1][3] = "20210501"
    p = load_patents(_csv(tmp_path / "fmt.csv", EN_HEADER, rows))
    assert p["application_date"].to_list()[:2] == [date(2021, 3, 1), date(2021, 5, 1)]
    assert p["grant_date"][0] == date(2023, 1, 10)


def test_future_application_date_is_an_error(tmp_path):
    rows = [list(r) for r in ROWS]
    rows[3][3] = "2099-06-01"
    with pytest.raises(InputError) as exc:
        load_patents(_csv(tmp_path / "future.csv", EN_HEADER, rows))
    assert _problems(exc) == [(5, "application_date", "patents.future")]
    _bilingual(exc)


def test_today_is_the_limit():
    today = date(2024, 6, 30)
    frame = pl.DataFrame({"patent_id": ["A", "B", "C"], "type": ["发明"] * 3, "ipc": ["G06N 3/08"] * 3,
                          "application_date": ["2024-06-30", "2024-07-01", "2024-01-01"], "grant_date": [None, None, "2024-07-01"]})
    with pytest.raises(InputError) as exc:
        clean_patents(frame, today=today)
    assert _problems(exc) == [(3, "application_date", "patents.future"), (4, "grant_date", "patents.future")]


def test_grant_before_application_is_an_error(tmp_path):
    rows = [list(r) for r in ROWS]
    rows[1][4] = "2021-04-30"  # applied 2021-05-01
    with pytest.raises(InputError) as exc:
        load_patents(_csv(tmp_path / "order.csv", EN_HEADER, rows))
    assert _problems(exc) == [(3, "grant_date", "patents.grant")]
    assert exc.value.problems[0].value == "2021-04-30"


# ---------------------------------------------------------------- duplicates


def test_duplicate_patent_ids_name_the_rows(tmp_path):
    rows = [list(r) for r in ROWS]
    rows.append(list(ROWS[0]))  # row 6: identical to row 2
    changed = list(ROWS[2])
    changed[0] = " cn202210000003.3 "  # row 7: same id (spaces, case), other content
    changed[2] = "H04L 9/32"
    rows.append(changed)
    with pytest.raises(InputError) as exc:
        load_patents(_csv(tmp_path / "dup.csv", EN_HEADER, rows))
    assert _problems(exc) == [(6, "patent_id", "patents.duplicate"), (7, "patent_id", "patents.duplicate")]
    first, second = exc.value.problems
    assert "rows 2, 6" in first.en and "exact repeat of row 2" in first.en and "第2、6行" in first.zh
    assert "rows 4, 7" in second.en and "different content" in second.en
    _bilingual(exc)


def test_duplicates_without_a_uscc_column(tmp_path):
    rows = [r[:5] for r in ROWS] + [ROWS[1][:5]]
    with pytest.raises(InputError) as exc:
        load_patents(_csv(tmp_path / "dup.csv", EN_HEADER[:5], rows))
    assert _problems(exc) == [(6, "patent_id", "patents.duplicate")]


def test_one_patent_held_by_two_firms_is_not_a_duplicate(tmp_path):
    rows = [list(r) for r in ROWS]
    joint = list(ROWS[0])
    joint[5] = OTHER
    p = load_patents(_csv(tmp_path / "joint.csv", EN_HEADER, [*rows, joint]))
    assert p.height == 5


# ---------------------------------------------------------------- uscc


def test_invalid_uscc_names_row_and_field(tmp_path):
    rows = [list(r) for r in ROWS]
    rows[0][5] = FIRM[:-1] + "X"  # wrong check character
    rows[1][5] = FIRM.lower()  # lower case
    rows[2][5] = ""  # blank while the column is there
    with pytest.raises(InputError) as exc:
        load_patents(_csv(tmp_path / "uscc.csv", EN_HEADER, rows))
    assert _problems(exc) == [(2, "uscc", "uscc.check"), (3, "uscc", "uscc.charset"), (4, "uscc", "patents.required")]
    assert "position 18 should be F" in exc.value.problems[0].en
    _bilingual(exc)


# ---------------------------------------------------------------- all or nothing


def test_every_problem_reported_at_once_in_row_order(tmp_path):
    rows = [list(r) for r in ROWS]
    rows[0][1] = "软件著作权"  # bad type
    rows[0][4] = "2023-13-45"  # bad grant date, same row
    rows[1][2] = "Z99"  # bad IPC
    rows[2][5] = FIRM.lower()
    rows[3][3] = "2099-01-01"
    rows.append(list(ROWS[1]))
    with pytest.raises(InputError) as exc:
        load_patents(_csv(tmp_path / "all.csv", ZH_HEADER, rows))
    assert _problems(exc) == [
        (2, "type", "patents.type"), (2, "grant_date", "patents.date"), (3, "ipc", "patents.ipc"),
        (4, "uscc", "uscc.charset"), (5, "application_date", "patents.future"), (6, "patent_id", "patents.duplicate"),
    ]
    assert "6 problems" in str(exc.value)
    _bilingual(exc)


# ---------------------------------------------------------------- record output


def test_patent_list_of_a_firm():
    p = clean_patents(pl.DataFrame(dict(zip(EN_HEADER, map(list, zip(*ROWS))))))
    listed = patent_list(p.filter(pl.col("uscc") == FIRM))
    assert listed[0] == {"patent_id": "CN202110000001.1", "type": "invention", "ipc": "G06N 3/08", "ipc_subclass": "G06N",
                         "application_date": "2021-03-01", "grant_date": "2023-01-10"}
    assert [x["patent_id"] for x in listed] == ["CN202110000001.1", "CN202110000002.2", "CN202210000003.3"]
    assert listed[2]["grant_date"] is None
    json.dumps(listed)  # plain JSON values


def test_record_json_and_html_list_the_patents(tmp_path, sample_csv):
    from kejin.facts import load_facts
    from kejin.points.credit_record import record
    from kejin.points.report_html import render

    rows = [list(r) for r in ROWS]
    rows[1][0] = "CN<script>alert(1)</script>"
    facts = load_facts(sample_csv)
    book = openpyxl.Workbook()
    book.active.append(ZH_HEADER)
    for r in rows:
        book.active.append(r)
    book.save(tmp_path / "p.xlsx")
    rec = record(facts, FIRM, patents=load_patents(tmp_path / "p.xlsx"))
    assert [x["patent_id"] for x in rec["patent_list"]] == ["CN202110000001.1", "CN<script>alert(1)</script>", "CN202210000003.3"]
    assert rec["tech_path"]["patents"] == 3
    assert json.loads(json.dumps(rec, default=str))["patent_list"][2]["ipc"] == "H04L 9/08"
    html = render(rec)
    assert "专利清单" in html and "Patent list" in html
    assert "<td>CN202110000001.1</td><td>发明 invention</td><td>G06N 3/08</td><td>2021-03-01</td><td>2023-01-10</td>" in html
    assert "<script" not in html and "&lt;script&gt;" in html
    # no list supplied: no patent_list; a list without this firm's patents: an empty one
    assert record(facts, FIRM)["patent_list"] is None
    rec = record(facts, FIRM, patents=load_patents(_csv(tmp_path / "o.csv", EN_HEADER, [ROWS[3]])))
    assert rec["patent_list"] == [] and rec["tech_path"] is None
    assert "没有该企业的专利" in render(rec)


def test_record_cli_reads_gb18030_and_xlsx(tmp_path, sample_csv):
    from typer.testing import CliRunner

    import kejin.cli as cli

    cli._mount()
    runner = CliRunner()
    gb = _csv(tmp_path / "gb.csv", ZH_HEADER, ROWS, encoding="gb18030")
    r = runner.invoke(cli.app, ["record", "--uscc", FIRM, "-i", str(sample_csv), "--patents", str(gb), "--format", "json"])
    assert r.exit_code == 0, r.output
    rec = json.loads(r.stdout)
    assert len(rec["patent_list"]) == 3 and rec["patent_list"][1]["type"] == "utility"
    bad = tmp_path / "bad.xlsx"
    bad.write_bytes(b"PK\x03\x04garbage")
    r = runner.invoke(cli.app, ["record", "--uscc", FIRM, "-i", str(sample_csv), "--patents", str(bad)])
    assert isinstance(r.exception, InputError), r.exception  # `kejin` (main) prints it bilingual, exit code 2
    assert [p.code for p in r.exception.problems] == ["xlsx.broken"]
