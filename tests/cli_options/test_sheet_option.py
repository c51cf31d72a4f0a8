"""`--sheet NAME` on every command that reads a facts file: a workbook whose first sheet is notes
and whose data are on sheet "企业数据" is read with `--sheet 企业数据`; an unknown sheet name is a
bilingual error naming it (exit status 2); a CSV file has no sheets and ignores the option, as
`kejin validate` always has."""

from __future__ import annotations

import csv
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from kejin.errors import InputError

SHEET = "企业数据"
FIRM = "91440305787789323F"
KEJIN = [shutil.which("kejin")] if shutil.which("kejin") else [sys.executable, "-m", "kejin"]


@pytest.fixture(scope="module")
def book(sample_csv, tmp_path_factory) -> Path:
    """The shared sample facts on the second sheet of a workbook; the first sheet holds notes."""
    from kejin.facts import testing

    path = tmp_path_factory.mktemp("sheet") / "facts.xlsx"
    with sample_csv.open(encoding="utf-8", newline="") as handle:  # every cell as text, as the CSV gives it (the codes stay intact)
        rows = list(csv.reader(handle))
    path.write_bytes(testing.two_sheet_workbook(rows, SHEET, [["本工作簿第二个工作表为企业数据 / the facts are on the second sheet"]], notes_title="说明"))
    return path


def _invoke(args: list[str]):
    import kejin.cli as cli

    cli._mount()
    return CliRunner().invoke(cli.app, [str(a) for a in args], env={"COLUMNS": "250"})


def _run(args: list[str]):
    env = {**os.environ, "COLUMNS": "200"}
    return subprocess.run([*KEJIN, *map(str, args)], capture_output=True, text=True, env=env, timeout=600)


def _commands(facts: Path, tmp: Path) -> dict[str, list]:
    """Each command that reads a facts file, reading ``facts`` (without --sheet)."""
    return {
        "validate": ["validate", facts],
        "points score": ["points", "score", "--input", facts, "--format", "json"],
        "points allocate": ["points", "allocate", "--budget", "1000000", "--input", facts, "--min-tier", "none", "--format", "json"],
        "recommend": ["recommend", "--input", facts, "--min-tier", "none", "--format", "json"],
        "record": ["record", "--uscc", FIRM, "--input", facts, "--format", "json"],
        "standards eval": ["standards", "eval", "--pack", "tech-sme", "--input", facts, "--format", "json"],
        "standards explain": ["standards", "explain", "--pack", "tech-sme", "--uscc", FIRM, "--input", facts, "--format", "json"],
        "credit features": ["credit", "features", "--input", facts, "--out", tmp / "features.csv"],
    }


COMMANDS = list(_commands(Path("x"), Path("y")))


@pytest.mark.parametrize("name", COMMANDS)
def test_the_named_sheet_is_read(name, book, sample_csv, tmp_path):
    (tmp_path / "xlsx").mkdir()
    (tmp_path / "csv").mkdir()
    result = _invoke([*_commands(book, tmp_path / "xlsx")[name], "--sheet", SHEET])
    assert result.exit_code == 0, result.output + repr(result.exception)
    # the same results as from the CSV file the workbook was made from
    from_csv = _invoke(_commands(sample_csv, tmp_path / "csv")[name])
    assert from_csv.exit_code == 0, from_csv.output
    if name == "validate":
        assert "24" in result.stdout
    elif name == "credit features":
        import polars as pl

        assert pl.read_csv(tmp_path / "xlsx" / "features.csv").equals(pl.read_csv(tmp_path / "csv" / "features.csv"))
    else:
        assert _results(result.stdout) == _results(from_csv.stdout)


def _results(text: str):
    """A command's JSON output without what names the input file or digests its bytes (a
    workbook's bytes differ from the CSV's)."""

    def strip(value):
        if isinstance(value, dict):
            return {k: strip(v) for k, v in value.items() if k not in ("input_digest", "file", "input")}
        if isinstance(value, list):
            return [strip(v) for v in value]
        return value

    return strip(json.loads(text))


def test_points_verify_reads_the_named_sheet(book, sample_csv, tmp_path):
    published = tmp_path / "points.csv"
    assert _invoke(["points", "score", "--input", sample_csv, "--format", "csv", "--output", published]).exit_code == 0
    result = _invoke(["points", "verify", published, "--input", book, "--sheet", SHEET])
    assert result.exit_code == 0, result.output + repr(result.exception)


@pytest.mark.parametrize("name", COMMANDS)
def test_an_unknown_sheet_is_named(name, book, tmp_path):
    result = _invoke([*_commands(book, tmp_path)[name], "--sheet", "Sheet9"])
    assert isinstance(result.exception, InputError), result.output
    [problem] = result.exception.problems
    assert problem.code == "xlsx.sheet" and problem.file == str(book)
    assert "Sheet9" in problem.zh and "Sheet9" in problem.en and SHEET in problem.zh and SHEET in problem.en
    assert result.exception.exit_code == 2


@pytest.mark.parametrize("name", ["points score", "recommend", "record", "standards eval", "credit features"])
def test_an_unknown_sheet_exits_2_with_a_bilingual_message(name, book, tmp_path):
    result = _run([*_commands(book, tmp_path)[name], "--sheet", "Sheet9"])
    assert result.returncode == 2, result.stderr
    assert "工作表“Sheet9”不存在" in result.stderr and "worksheet 'Sheet9' not found" in result.stderr
    assert str(book) in result.stderr and result.stdout == ""


def test_without_sheet_the_error_names_the_data_sheet(book, tmp_path):
    """The hint that sent the user to --sheet: the option now exists on the command."""
    result = _run(["points", "score", "--input", book])
    assert result.returncode == 2
    assert f"--sheet {SHEET}" in result.stderr
    assert _run(["points", "score", "--input", book, "--sheet", SHEET, "--format", "csv"]).returncode == 0


@pytest.mark.parametrize("name", ["points score", "standards eval"])
def test_a_csv_file_ignores_sheet_as_validate_does(name, sample_csv, tmp_path):
    plain = _invoke(_commands(sample_csv, tmp_path)[name])
    named = _invoke([*_commands(sample_csv, tmp_path)[name], "--sheet", "whatever"])
    assert plain.exit_code == named.exit_code == 0 and plain.stdout == named.stdout
    assert _invoke(["validate", sample_csv, "--sheet", "whatever"]).exit_code == 0


def test_every_command_reading_facts_has_the_same_sheet_option(every_command):
    """One option definition (kejin.cli._common.SHEET_OPTION) on every command with --input facts."""
    helps = {}
    for name, command in every_command:
        sheet = next((p for p in command.params if "--sheet" in getattr(p, "opts", [])), None)
        if name in COMMANDS or name == "points verify":
            assert sheet is not None, name
        if sheet is not None:
            helps[name] = sheet.help
    assert set(helps.values()) == {"Excel 工作表名（默认第一个）/ worksheet name (default: the first)"}
