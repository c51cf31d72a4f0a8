"""Broken and awkward input files: headers that repeat or are blank, other delimiters and
encodings, dates as Excel writes them, files that are not what their extension says, a header
without rows, merged cells. Each is read correctly or refused with a located bilingual problem.
Every file is built here (bytes, openpyxl), none is committed."""

import csv
import io
import os
import subprocess
import sys
import zipfile
from datetime import date
from pathlib import Path

import polars as pl
import pytest
from openpyxl import Workbook

from kejin.errors import InputError
from kejin.facts import load_facts, schema


def sample_rows(sample: Path, chinese: bool = True) -> list[list[str]]:
    rows = [line.split(",") for line in sample.read_text(encoding="utf-8").splitlines()]
    if chinese:
        rows[0] = [schema.field(h).header_zh() for h in rows[0]]
    return rows


def csv_text(rows: list[list[str]], sep: str = ",") -> str:
    out = io.StringIO()
    csv.writer(out, delimiter=sep, lineterminator="\n").writerows(rows)  # `embodied_ai;ai` quoted where `;` separates
    return out.getvalue()


def write_xlsx(path: Path, rows: list[list], merge: str | None = None) -> Path:
    book = Workbook()
    ws = book.active
    for r in rows:
        ws.append(r)
    if merge:
        ws.merge_cells(merge)
    book.save(path)
    return path


def problems(path, **kw) -> list:
    with pytest.raises(InputError) as info:
        load_facts(path, **kw)
    return info.value.problems


# ---------------------------------------------------------------- headers
@pytest.mark.parametrize("suffix", [".csv", ".xlsx"])
def test_a_repeated_header_is_named_once_with_its_columns(sample_csv, tmp_path, suffix):
    rows = sample_rows(sample_csv)
    rev = rows[0].index("营业收入(元)")
    rows[0][rev + 1] = "营业收入(元)"  # 主营业务收入 typed over with 营业收入 again
    path = tmp_path / f"dup{suffix}"
    if suffix == ".csv":
        path.write_text(csv_text(rows), encoding="utf-8")
    else:
        write_xlsx(path, rows)
    found = problems(path, strict=True)
    assert [p.code for p in found] == ["header.duplicate"], [p.text() for p in found]
    p = found[0]
    assert p.row == 1 and p.field == "营业收入(元)"
    assert "重复" in p.zh and "more than once" in p.en
    where = ("K", "L") if suffix == ".xlsx" else (str(rev + 1), str(rev + 2))
    assert all(w in p.zh and w in p.en for w in where)


def test_an_empty_unnamed_column_is_skipped(sample_csv, tmp_path):
    rows = sample_rows(sample_csv)
    csv_path = tmp_path / "trailing.csv"
    csv_path.write_text(csv_text([r + [""] for r in rows]), encoding="utf-8")  # a stray comma on every line
    assert load_facts(csv_path, strict=True).height == len(rows) - 1
    xlsx_rows = [r[:5] + [None] + r[5:] for r in rows]  # an empty spacer column F
    xlsx_path = write_xlsx(tmp_path / "spacer.xlsx", xlsx_rows)
    assert load_facts(xlsx_path, strict=True).height == len(rows) - 1


@pytest.mark.parametrize("suffix", [".csv", ".xlsx"])
def test_a_column_with_data_but_no_header_is_named_by_its_position(sample_csv, tmp_path, suffix):
    rows = sample_rows(sample_csv)
    rows = [r[:5] + ([""] if i == 0 else ["备注"]) + r[5:] for i, r in enumerate(rows)]
    path = tmp_path / f"noheader{suffix}"
    if suffix == ".csv":
        path.write_text(csv_text(rows), encoding="utf-8")
    else:
        write_xlsx(path, [[None if c == "" else c for c in r] for r in rows])
    found = problems(path, strict=True)
    assert [p.code for p in found] == ["header.blank"]
    where = "F" if suffix == ".xlsx" else "6"
    assert found[0].row == 1 and where in found[0].zh and where in found[0].en and "表头" in found[0].zh
    # a computation leaves such a column out, as it does a column that is no field
    assert load_facts(path).height == len(rows) - 1


# ---------------------------------------------------------------- delimiters and encodings
@pytest.mark.parametrize("sep, suffix", [(";", ".csv"), ("\t", ".csv"), ("\t", ".tsv"), ("\t", ".txt")])
def test_other_delimiters_are_recognised(sample_csv, tmp_path, sep, suffix):
    rows = sample_rows(sample_csv)
    path = tmp_path / f"sep{suffix}"
    path.write_text(csv_text(rows, sep), encoding="gb18030")
    frame = load_facts(path, strict=True)
    assert frame.height == len(rows) - 1 and frame["uscc"][0] == rows[1][0]


def test_a_semicolon_file_still_names_its_bad_rows(sample_csv, tmp_path):
    rows = sample_rows(sample_csv)
    rows[3][rows[0].index("营业收入(元)")] = "abc"
    path = tmp_path / "bad.csv"
    path.write_text(csv_text(rows, ";"), encoding="utf-8-sig")
    (p,) = problems(path)
    assert (p.row, p.field, p.value) == (4, "revenue", "abc")


def test_excel_unicode_text_utf16_tab_separated(sample_csv, tmp_path):
    """Excel's "Unicode 文本 (*.txt)": UTF-16 with a byte-order mark, tab-separated."""
    rows = sample_rows(sample_csv)
    path = tmp_path / "unicode.txt"
    path.write_bytes(csv_text(rows, "\t").replace("\n", "\r\n").encode("utf-16"))
    assert load_facts(path, strict=True).height == len(rows) - 1


# ---------------------------------------------------------------- dates
@pytest.mark.parametrize("cell", ["44260", "2021/3/5 0:00", "2021/3/5 00:00:00", "2021-03-05 10:30", "2021年3月5日", "2021.3.5"])
def test_dates_as_excel_writes_them(sample_csv, tmp_path, cell):
    rows = sample_rows(sample_csv)
    rows[1][rows[0].index("成立日期")] = cell
    path = tmp_path / "d.csv"
    path.write_text(csv_text(rows), encoding="utf-8")
    assert load_facts(path)["established"][0] == date(2021, 3, 5)


def test_an_excel_date_cell_that_lost_its_format_is_a_serial_number(sample_csv, tmp_path):
    rows = sample_rows(sample_csv)
    at = rows[0].index("成立日期")
    for r in rows[1:]:
        r[at] = 44260  # a number cell: the column was formatted General
    assert set(load_facts(write_xlsx(tmp_path / "serial.xlsx", rows))["established"]) == {date(2021, 3, 5)}


@pytest.mark.parametrize("cell", ["2016", "05/03/2021", "123456"])
def test_a_year_alone_or_day_first_is_still_no_date(sample_csv, tmp_path, cell):
    rows = sample_rows(sample_csv)
    rows[1][rows[0].index("成立日期")] = cell
    path = tmp_path / "d.csv"
    path.write_text(csv_text(rows), encoding="utf-8")
    (p,) = problems(path)
    assert (p.row, p.field, p.code, p.value) == (2, "established", "value.type", cell)


# ---------------------------------------------------------------- files that are not what they say
def test_a_text_file_named_xlsx(sample_csv, tmp_path):
    path = tmp_path / "data.xlsx"
    path.write_text(sample_csv.read_text(encoding="utf-8"), encoding="utf-8")
    (p,) = problems(path)
    assert p.code == "xlsx.broken" and "文本" in p.zh and "text" in p.en and ".csv" in p.zh and ".csv" in p.en


def test_a_zip_that_is_no_workbook(tmp_path):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("readme.txt", "hello")
    path = tmp_path / "archive.xlsx"
    path.write_bytes(buf.getvalue())
    (p,) = problems(path)
    assert p.code == "xlsx.broken" and "ZIP" in p.zh and "ZIP" in p.en and "不是 Excel" in p.zh


def test_a_truncated_workbook_is_still_called_damaged(sample_csv, tmp_path):
    good = write_xlsx(tmp_path / "good.xlsx", sample_rows(sample_csv)).read_bytes()
    path = tmp_path / "cut.xlsx"
    path.write_bytes(good[: len(good) // 2])
    (p,) = problems(path)
    assert p.code == "xlsx.broken" and "损坏" in p.zh and "damaged" in p.en and "ZIP" not in p.en


@pytest.mark.parametrize("kind", ["xlsx", "parquet"])
def test_a_workbook_or_parquet_file_named_csv(sample_csv, tmp_path, kind):
    path = tmp_path / "data.csv"
    if kind == "xlsx":
        path.write_bytes(write_xlsx(tmp_path / "w.xlsx", sample_rows(sample_csv)).read_bytes())
    else:
        pl.read_csv(sample_csv, infer_schema=False).write_parquet(path)
    (p,) = problems(path)
    assert p.code == "file.not_csv" and f".{kind}" in p.zh and f".{kind}" in p.en


# ---------------------------------------------------------------- header without rows
@pytest.mark.parametrize("suffix", [".csv", ".xlsx", ".parquet"])
def test_a_header_without_rows_imports_nothing_and_says_so(sample_csv, tmp_path, suffix):
    rows = sample_rows(sample_csv)[:1]
    path = tmp_path / f"only-header{suffix}"
    if suffix == ".csv":
        path.write_text(csv_text(rows), encoding="utf-8")
    elif suffix == ".xlsx":
        write_xlsx(path, rows)
    else:
        pl.read_csv(sample_csv, infer_schema=False).head(0).write_parquet(path)
    (p,) = problems(path)
    assert p.code == "file.no_rows" and "没有数据行" in p.zh and "no data rows" in p.en
    (p,) = problems(path, fields={"revenue"})
    assert p.code == "file.no_rows"


# ---------------------------------------------------------------- merged cells
def test_merged_cells_in_data_rows_hold_their_value_in_every_row(sample_csv, tmp_path):
    rows = sample_rows(sample_csv)
    first_firm = rows[1][1]
    assert rows[2][1] == rows[3][1] == first_firm  # the sample's first firm has three years
    rows[2][1] = rows[3][1] = None  # as openpyxl leaves the cells a merge covers
    path = write_xlsx(tmp_path / "merged.xlsx", rows, merge="B2:B4")
    frame = load_facts(path, strict=True)
    assert frame["name"].head(3).to_list() == [first_firm] * 3


# ---------------------------------------------------------------- the command line
def run(*args, cwd=None) -> subprocess.CompletedProcess:
    env = dict(os.environ, COLUMNS="200")
    return subprocess.run([sys.executable, "-m", "kejin", *map(str, args)], capture_output=True, text=True, env=env, cwd=cwd)


def test_cli_header_only_and_bad_delimiter_outcomes(sample_csv, tmp_path):
    header_only = tmp_path / "h.csv"
    header_only.write_text(csv_text(sample_rows(sample_csv)[:1]), encoding="utf-8")
    result = run("validate", header_only)
    assert result.returncode == 2 and "没有数据行" in result.stderr and "no data rows" in result.stderr
    semicolons = tmp_path / "s.csv"
    semicolons.write_text(csv_text(sample_rows(sample_csv), ";"), encoding="gb18030")
    assert run("validate", semicolons).returncode == 0


def test_cli_a_failed_evaluation_writes_no_output(sample_csv, tmp_path):
    rows = sample_rows(sample_csv)
    rows[-1][rows[0].index("营业收入(元)")] = "-5"
    path = tmp_path / "neg.csv"
    path.write_text(csv_text(rows), encoding="utf-8")
    out = tmp_path / "result.csv"
    result = run("standards", "eval", "--input", path, "--format", "csv", "--output", out, "--chunk-rows", "3")
    assert result.returncode == 2 and f"第{len(rows)}行" in result.stderr and f"row {len(rows)}" in result.stderr
    assert "revenue" in result.stderr
    assert not out.exists() and os.listdir(tmp_path) == ["neg.csv"]


def test_full_width_letters_and_digits_in_headers(sample_csv, tmp_path):
    """A Chinese input method in full-width mode types ｒｅｖｅｎｕｅ or Ⅰ as I: the same header."""
    rows = sample_rows(sample_csv, chinese=False)
    rows[0] = ["".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in h) for h in rows[0]]
    path = tmp_path / "fw.csv"
    path.write_text(csv_text(rows), encoding="utf-8")
    assert load_facts(path, strict=True).height == len(rows) - 1
    rows = sample_rows(sample_csv)
    rows[0] = [h.replace("Ⅰ", "I").replace("Ⅱ", "II") for h in rows[0]]  # Latin capitals for the Roman numerals
    path.write_text(csv_text(rows), encoding="utf-8")
    assert load_facts(path, strict=True)["ip_class2"].to_list() == [int(r[rows[0].index("II类知识产权数")]) for r in rows[1:]]


def test_a_second_header_row_in_english_is_no_data(sample_csv, tmp_path):
    english = sample_rows(sample_csv, chinese=False)[0]
    rows = sample_rows(sample_csv)
    rows.insert(1, english)
    at = rows[0].index("营业收入(元)")
    kept, rows[5][at] = rows[5][at], "abc"
    path = write_xlsx(tmp_path / "two-headers.xlsx", rows)
    (p,) = problems(path)
    assert (p.row, p.field, p.value) == (6, "revenue", "abc")  # Excel row numbers are kept
    rows[5][at] = kept
    assert load_facts(write_xlsx(path, rows), strict=True).height == len(rows) - 2
