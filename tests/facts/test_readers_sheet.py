"""Choosing the worksheet of a workbook: the hint names both ways to choose it (the command line and the
upload page / API), an unknown name lists the sheets there are, and a CSV file has no sheets."""

import csv
from pathlib import Path

import pytest
from openpyxl import Workbook

from kejin.errors import InputError
from kejin.facts import testing
from kejin.facts.validate import load_facts


def facts_rows() -> list[list[str]]:
    return testing.facts_rows(6, seed=11)


def workbook(path: Path, data_sheet: str, first_rows: list[list[str]] | None = None) -> Path:
    path.write_bytes(testing.two_sheet_workbook(facts_rows(), data_sheet, first_rows or [["这是说明页 / notes"]], notes_title="说明"))
    return path


def problems(path, **kw):
    with pytest.raises(InputError) as info:
        load_facts(path, **kw)
    return info.value.problems


def test_the_hint_names_the_command_line_option_and_the_upload_field(tmp_path):
    (p,) = problems(workbook(tmp_path / "two.xlsx", "企业数据"))
    assert p.code == "xlsx.sheet_hint"
    assert "--sheet 企业数据" in p.zh and "网页或接口的“工作表/sheet”字段" in p.zh and "“说明”、“企业数据”" in p.zh
    assert "--sheet 企业数据 on the command line" in p.en and "the worksheet field of the upload page or API" in p.en


def test_a_sheet_name_with_a_space_is_quoted_for_the_shell(tmp_path):
    (p,) = problems(workbook(tmp_path / "two.xlsx", "企业 数据"))
    assert "--sheet '企业 数据'" in p.zh and "--sheet '企业 数据'" in p.en
    assert load_facts(tmp_path / "two.xlsx", sheet="企业 数据").height == 6


def test_the_note_when_the_first_sheet_is_read_names_both_ways(tmp_path):
    # the first sheet has a header of its own but lacks required columns; no other sheet has facts either
    book = Workbook()
    book.active.title = "Sheet1"
    book.active.append(["统一社会信用代码", "年度", "企业名称"])
    book.active.append(["91440300MA5XXXXX00", "2024", "x"])
    book.create_sheet("备注")["A1"] = "备注"
    path = tmp_path / "one.xlsx"
    book.save(path)
    hints = [p for p in problems(path) if p.code == "xlsx.sheet_hint"]
    assert not hints  # a header was found: no hint
    book = Workbook()
    book.active.title = "Sheet1"
    book.active["A1"] = "nothing here"
    book.create_sheet("备注")["A1"] = "备注"
    book.save(path)
    (hint, *_) = problems(path)
    assert hint.code == "xlsx.sheet_hint"
    assert "命令行 --sheet NAME" in hint.zh and "“工作表/sheet”字段" in hint.zh
    assert "--sheet NAME on the command line" in hint.en and "worksheet field of the upload page or API" in hint.en


def test_an_unknown_sheet_names_itself_and_the_sheets_there_are(tmp_path):
    path = workbook(tmp_path / "two.xlsx", "企业数据")
    (p,) = problems(path, sheet="数据")
    assert p.code == "xlsx.sheet" and p.value == "数据"
    assert "工作表“数据”不存在" in p.zh and "“说明”、“企业数据”" in p.zh
    assert "worksheet '数据' not found" in p.en and "'说明', '企业数据'" in p.en


def test_a_sheet_name_differing_only_in_case_or_surrounding_spaces_is_found(tmp_path):
    path = workbook(tmp_path / "two.xlsx", "Facts")
    assert load_facts(path, sheet=" facts ").height == 6
    assert load_facts(path, sheet="FACTS").height == 6


def test_a_csv_file_has_no_sheets_and_ignores_the_name(tmp_path):
    path = tmp_path / "f.csv"
    with path.open("w", newline="", encoding="utf-8") as f:
        csv.writer(f).writerows(facts_rows())
    assert load_facts(path, sheet="企业数据").equals(load_facts(path))
