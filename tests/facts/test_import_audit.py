"""Import defects found by an audit: blank CSV lines, percent signs, short years, ratio scale,
columns no computation reads, Excel sheets / title rows / number cells / units in headers."""

import logging
import os
import shutil
import subprocess
import sys
from pathlib import Path

import polars as pl
import pytest
from openpyxl import Workbook

from kejin.errors import InputError
from kejin.facts import load_facts, schema
from kejin.facts.chunks import FactChunks


def lines_of(sample: Path) -> list[list[str]]:
    return [line.split(",") for line in sample.read_text(encoding="utf-8").splitlines()]


def write_csv(path: Path, rows: list[list[str]], extra: str = "") -> Path:
    path.write_text("\n".join(",".join(r) for r in rows) + "\n" + extra, encoding="utf-8")
    return path


def problems(path, **kw) -> list:
    with pytest.raises(InputError) as info:
        load_facts(path, **kw)
    return info.value.problems


def col(rows, name) -> int:
    return rows[0].index(name)


def write_xlsx(path: Path, rows: list[list], sheets_before: int = 0, title: str | None = None) -> Path:
    book = Workbook()
    ws = book.active
    for i in range(sheets_before):
        ws.title = f"说明{i + 1}"
        ws["A1"] = "这是说明页 / notes"
        ws = book.create_sheet(f"数据{i + 1}" if i else "数据")
    if title is not None:
        ws.append([title] + [None] * (len(rows[0]) - 1))
        ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(rows[0]))
    for r in rows:
        ws.append(r)
    book.save(path)
    return path


def chinese(rows):
    return [[schema.field(h).zh for h in rows[0]]] + rows[1:]


# ---------------------------------------------------------------- 1. blank CSV lines
def test_blank_and_comma_only_csv_lines_are_skipped_keeping_row_numbers(sample_csv, tmp_path):
    rows = lines_of(sample_csv)
    width = len(rows[0])
    # a blank line after the first record (line 3), a line of commas after the fifth, then a
    # trailing blank line, a comma-only line and another blank line as Excel leaves them
    body = [",".join(r) for r in rows]
    edited = body[:2] + [""] + body[2:5] + ["," * (width - 1)] + body[5:] + ["", "," * (width - 1), "  ", ""]
    path = tmp_path / "blank.csv"
    path.write_text("\n".join(edited) + "\n", encoding="utf-8")
    assert load_facts(path).equals(load_facts(sample_csv))

    # the rows after the blank lines keep the numbers the user sees in the file
    cells = edited[7].split(",")  # line 8 of the file: the fifth record (after 2 skipped lines)
    cells[col(rows, "total_assets")] = "-5"
    edited[7] = ",".join(cells)
    path.write_text("\n".join(edited) + "\n", encoding="utf-8")
    found = problems(path)
    assert [(p.row, p.field, p.code) for p in found] == [(8, "total_assets", "value.min")]


def test_crlf_file_with_trailing_empty_rows(sample_csv, tmp_path):
    rows = lines_of(sample_csv)
    path = tmp_path / "crlf.csv"
    text = "\r\n".join(",".join(r) for r in rows) + "\r\n\r\n" + "," * (len(rows[0]) - 1) + "\r\n"
    path.write_bytes(text.encode("utf-8-sig"))
    assert load_facts(path).equals(load_facts(sample_csv))


# ---------------------------------------------------------------- 2. percent sign on amounts/counts
def test_percent_sign_only_on_ratio_columns(sample_csv, tmp_path):
    rows = lines_of(sample_csv)
    rows[3][col(rows, "hi_tech_revenue")] = "65%"  # file row 4
    rows[4][col(rows, "employees")] = "180%"  # row 5
    rows[5][col(rows, "rd_expense")] = "5 ％"  # row 6, full-width sign
    found = problems(write_csv(tmp_path / "pct.csv", rows))
    got = {(p.row, p.field, p.code, p.value) for p in found}
    assert got == {
        (4, "hi_tech_revenue", "value.percent", "65%"),
        (5, "employees", "value.percent", "180%"),
        (6, "rd_expense", "value.percent", "5 ％"),
    }
    for p in found:
        assert "%" in p.zh and "percent" in p.en and p.file


# ---------------------------------------------------------------- 3. short or implausible years
def test_two_digit_and_implausible_years_are_errors(sample_csv, tmp_path):
    rows = lines_of(sample_csv)
    e = col(rows, "established")
    rows[1][e] = "16-07-01"  # row 2: was read as the year 16
    rows[2][e] = "0016-07-01"  # row 3: four digits but before 1900
    rows[3][e] = "1899-12-31"  # row 4
    found = problems(write_csv(tmp_path / "dates.csv", rows))
    got = [(p.row, p.field, p.code) for p in found]
    assert got == [(2, "established", "value.type"), (3, "established", "value.date_min"), (4, "established", "value.date_min")]
    assert "四位" in found[0].zh and "four-digit" in found[0].en


def test_accepted_date_forms_still_read(sample_csv, tmp_path):
    rows = lines_of(sample_csv)
    e = col(rows, "established")
    forms = [lambda y, m, d: f"{y}/{int(m)}/{int(d)}", lambda y, m, d: f"{y}年{m}月{d}日", lambda y, m, d: f"{y}{m}{d}",
             lambda y, m, d: f"{y}.{m}.{d}", lambda y, m, d: f"{y}-{int(m)}-{int(d)}"]
    for i, form in enumerate(forms, start=1):
        rows[i][e] = form(*rows[i][e].split("-"))
    assert load_facts(write_csv(tmp_path / "forms.csv", rows)).equals(load_facts(sample_csv))


# ---------------------------------------------------------------- 4. ratio scale
def with_roe(rows, values, header="roe_weighted"):
    out = [rows[0] + [header]] + [r + [""] for r in rows[1:]]
    for i, v in enumerate(values, start=1):
        out[i][-1] = v
    return out


def test_ratio_fraction_percent_and_bare_number(sample_csv, tmp_path):
    rows = lines_of(sample_csv)
    ok = load_facts(write_csv(tmp_path / "ok.csv", with_roe(rows, ["0.05", "5%", "-12.5%", "1", " 8 ％"])))
    assert ok["roe_weighted"].head(5).to_list() == [0.05, 0.05, -0.125, 1.0, 0.08]

    found = problems(write_csv(tmp_path / "bad.csv", with_roe(rows, ["5", "150%", "-3", "abc"])))
    got = [(p.row, p.field, p.code, p.value) for p in found]
    assert got == [
        (2, "roe_weighted", "value.ratio_scale", "5"),  # 5 % or 500 %? refused, not read as 500 %
        (3, "roe_weighted", "value.max", "150%"),  # beyond the plausible range
        (4, "roe_weighted", "value.ratio_scale", "-3"),
        (5, "roe_weighted", "value.type", "abc"),
    ]
    assert "5%" in found[0].zh and "0.05" in found[0].en
    assert "100%" in found[1].zh and "100%" in found[1].en


@pytest.mark.parametrize("header", ["加权平均净资产收益率(%)", "加权平均净资产收益率（%）", "roe_weighted(％)"])
def test_percent_header_reads_the_column_in_percent(sample_csv, tmp_path, header):
    rows = lines_of(sample_csv)
    facts = load_facts(write_csv(tmp_path / "pct.csv", with_roe(rows, ["5", "12.5", "-3", "8%"], header)))
    assert facts["roe_weighted"].head(4).to_list() == [0.05, 0.125, -0.03, 0.08]


def test_percent_header_in_parquet_and_range_of_typed_ratios(sample_csv, tmp_path):
    base = load_facts(sample_csv).drop("roe_weighted")
    n = base.height
    in_pct = base.with_columns(pl.Series("加权平均净资产收益率(%)", [5.0] * n))
    in_pct.write_parquet(tmp_path / "pct.parquet")
    assert load_facts(tmp_path / "pct.parquet")["roe_weighted"].to_list() == [0.05] * n
    base.with_columns(pl.Series("roe_weighted", [5.0] + [0.05] * (n - 1))).write_parquet(tmp_path / "typed.parquet")
    assert [(p.row, p.code) for p in problems(tmp_path / "typed.parquet")] == [(1, "value.max")]


def test_points_ratio_is_a_plain_number(sample_csv, tmp_path):
    rows = lines_of(sample_csv)
    plain = [rows[0] + ["local_feature_points"]] + [r + ["12.5"] for r in rows[1:]]
    assert load_facts(write_csv(tmp_path / "pts.csv", plain))["local_feature_points"][0] == 12.5
    plain[1][-1] = "12%"
    assert [(p.row, p.code) for p in problems(write_csv(tmp_path / "pts2.csv", plain))] == [(2, "value.percent")]


# ---------------------------------------------------------------- 5. columns that are no field
def with_remark(rows):
    return [rows[0] + ["备注"]] + [r + ["见附件"] for r in rows[1:]]


def test_unknown_column_is_ignored_by_computations(sample_csv, tmp_path, caplog):
    path = write_csv(tmp_path / "remark.csv", with_remark(lines_of(sample_csv)))
    with caplog.at_level(logging.WARNING, logger="kejin.facts"):
        assert load_facts(path).equals(load_facts(sample_csv))
    assert "备注" in caplog.text
    source = FactChunks(path, fields={"revenue", "rd_expense"})
    assert source.ignored == ("备注",)
    (chunk,) = list(source)
    assert chunk.height == 24
    # Parquet, the `points score` path: the column is not even read
    load_facts(sample_csv).with_columns(pl.lit("x").alias("备注")).write_parquet(tmp_path / "remark.parquet")
    assert load_facts(tmp_path / "remark.parquet", fields={"revenue"}).height == 24


def test_validate_stays_strict_about_unknown_columns(sample_csv, tmp_path):
    path = write_csv(tmp_path / "remark.csv", with_remark(lines_of(sample_csv)))
    assert [(p.code, p.field, p.row) for p in problems(path, strict=True)] == [("header.unknown", "备注", 1)]


def test_misspelt_header_of_a_field_that_is_read_stays_an_error(sample_csv, tmp_path):
    rows = lines_of(sample_csv)
    rows[0][col(rows, "rd_staff")] = "研发人员"  # optional, close to 研发人员数
    path = write_csv(tmp_path / "typo.csv", rows)
    found = problems(path)  # every field is read: reading rd_staff as blank would be wrong
    assert [(p.code, p.field) for p in found] == [("header.unknown", "研发人员")] and "rd_staff" in found[0].en
    assert load_facts(path, fields={"revenue"}).height == 24  # a computation that does not read it


KEJIN = [shutil.which("kejin")] if shutil.which("kejin") else [sys.executable, "-m", "kejin"]


def test_cli_eval_ignores_and_validate_reports_an_unknown_column(sample_csv, tmp_path):
    path = write_csv(tmp_path / "remark.csv", with_remark(lines_of(sample_csv)))
    env = {**os.environ, "COLUMNS": "200"}
    out = tmp_path / "r.csv"
    ev = subprocess.run([*KEJIN, "standards", "eval", "--pack", "tech-sme", "--input", str(path), "--format", "csv", "--output", str(out)],
                        capture_output=True, text=True, env=env, timeout=600)
    assert ev.returncode == 0, ev.stderr
    assert "备注" in ev.stderr and pl.read_csv(out).height == 24
    va = subprocess.run([*KEJIN, "validate", str(path)], capture_output=True, text=True, env=env, timeout=600)
    assert va.returncode == 2 and "备注" in va.stderr and "unknown column" in va.stderr


# ---------------------------------------------------------------- 6. Excel
def test_data_on_the_second_sheet_names_the_sheets_and_sheet_option(sample_csv, tmp_path):
    rows = chinese(lines_of(sample_csv))
    path = write_xlsx(tmp_path / "two.xlsx", rows, sheets_before=1)
    (p,) = problems(path)
    assert p.code == "xlsx.sheet_hint"
    assert "说明1" in p.zh and "数据" in p.zh and "--sheet 数据" in p.zh and "--sheet" in p.en
    assert load_facts(path, sheet="数据").equals(load_facts(sample_csv))


def test_title_rows_above_the_header_are_skipped_with_excel_row_numbers(sample_csv, tmp_path):
    rows = chinese(lines_of(sample_csv))
    path = write_xlsx(tmp_path / "title.xlsx", rows, title="2024 年企业年度数据")
    assert load_facts(path).equals(load_facts(sample_csv))
    rows[1][col(lines_of(sample_csv), "total_assets")] = "-5"  # the first record: Excel row 3
    path = write_xlsx(tmp_path / "title_bad.xlsx", rows, title="企业年度数据")
    assert [(p.row, p.field, p.code) for p in problems(path)] == [(3, "total_assets", "value.min")]


def test_header_problems_name_the_real_header_row(sample_csv, tmp_path):
    rows = chinese(lines_of(sample_csv))
    rows[0][1] = "企业名"  # not a header of the norms: name is missing
    book = Workbook()
    ws = book.active
    ws.append([])
    ws.append(["填报单位：示例区科技局"])
    for r in rows:
        ws.append(r)
    book.save(tmp_path / "hdr3.xlsx")
    found = problems(tmp_path / "hdr3.xlsx")
    assert {(p.code, p.row) for p in found} == {("header.unknown", 3), ("header.missing", 3)}


def test_uscc_stored_as_an_excel_number_gets_a_hint(sample_csv, tmp_path):
    rows = chinese(lines_of(sample_csv))
    number = int("914403000001000064")  # an all-digit code; Excel keeps 15 significant digits
    rows[1][0] = float(number)
    path = write_xlsx(tmp_path / "num.xlsx", rows)
    found = [p for p in problems(path) if p.field == "uscc"]
    assert found and found[0].row == 2
    assert "文本" in found[0].zh and "Text" in found[0].en


@pytest.mark.parametrize(
    "header, factor",
    [("营业收入（单位：万元）", 1e4), ("营业收入(万)", 1e4), ("营业收入(千元)", 1e3), ("营业收入【万元】", 1e4),
     ("营业收入(百万元)", 1e6), ("营业收入(万元人民币)", 1e4), ("营业收入(单位：元)", 1.0)],
)
def test_units_in_headers_are_converted(sample_csv, tmp_path, header, factor):
    from decimal import Decimal

    rows = lines_of(sample_csv)
    i = col(rows, "revenue")
    rows[0][i] = header
    for r in rows[1:]:
        r[i] = str(Decimal(r[i]) / Decimal(str(factor)))
    assert load_facts(write_csv(tmp_path / "unit.csv", rows)).equals(load_facts(sample_csv))


@pytest.mark.parametrize("header", ["营业收入(美元)", "营业收入万元", "营业收入 万元", "职工总数(万人)"])
def test_a_unit_not_understood_is_an_error_never_the_plain_field(sample_csv, tmp_path, header):
    rows = lines_of(sample_csv)
    field = "employees" if "职工" in header else "revenue"
    rows[0][col(rows, field)] = header
    found = problems(write_csv(tmp_path / "unit.csv", rows))
    unit = [p for p in found if p.code == "header.unit"]
    assert unit and unit[0].field == header and unit[0].row == 1
    assert "did you mean" not in unit[0].en and "单位" in unit[0].zh and "unit" in unit[0].en


def test_a_malformed_csv_names_the_row_in_both_languages(tmp_path, sample_csv):
    rows = lines_of(sample_csv)
    rows[4][1] = '"' + rows[4][1]  # a quote opened in row 5 and never closed
    found = problems(write_csv(tmp_path / "quote.csv", rows))
    assert found[0].code == "file.csv" and found[0].row == 5
    assert "引号未闭合" in found[0].zh and "unclosed quote" in found[0].en
