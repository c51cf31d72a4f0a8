"""`kejin credit line` and `credit sharing split` for one case given by options: a bad value is
reported as the option it came from, not as "row 2" of a table the user never wrote; a table
given with --data still has its problems reported by row and field."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys

import polars as pl
import pytest
from typer.testing import CliRunner

from kejin.errors import InputError

GOOD = {"--tier": "tier_35", "--points": "78", "--standards-met": "2", "--revenue": "8000000", "--debt": "1000000"}
KEJIN = [shutil.which("kejin")] if shutil.which("kejin") else [sys.executable, "-m", "kejin"]


def _line(cli_app, **changes: str):
    options = {**GOOD, **{f"--{k.replace('_', '-')}": v for k, v in changes.items()}}
    args = [part for option, value in options.items() for part in (option, value)]
    return CliRunner().invoke(cli_app, ["credit", "line", *args])


def _problems(result) -> list:
    assert isinstance(result.exception, InputError), result.output
    assert result.exception.exit_code == 2
    return result.exception.problems


@pytest.mark.parametrize(
    ("changes", "option", "code"),
    [
        ({"points": "-1"}, "--points", "line.bad_value"),
        ({"revenue": "-5"}, "--revenue", "line.bad_value"),
        ({"debt": "inf"}, "--debt", "line.bad_value"),
        ({"tier": "tier_99"}, "--tier", "line.unknown_tier"),
        ({"pd": "1.5"}, "--pd", "line.bad_pd"),
    ],
)
def test_a_bad_option_value_is_reported_as_the_option(cli_app, changes, option, code):
    [problem] = _problems(_line(cli_app, **changes))
    assert (problem.code, problem.field) == (code, option)
    assert problem.row is None and problem.file is None
    assert "第2行" not in problem.text() and "row 2" not in problem.text()
    assert f"选项 {option}" in problem.text() and f"option {option}" in problem.text()  # named as an option, not a field


def test_every_bad_option_is_reported_at_once(cli_app):
    problems = _problems(_line(cli_app, tier="x", points="-1", pd="2"))
    assert [p.field for p in problems] == ["--tier", "--points", "--pd"]


def test_a_missing_option_is_named_as_typed(cli_app):
    result = CliRunner().invoke(cli_app, ["credit", "line", "--tier", "tier_35", "--points", "78", "--standards-met", "2", "--revenue", "8000000"])
    assert result.exit_code == 2
    assert "missing: --debt" in result.output and "缺少 --debt" in result.output and "existing_debt" not in result.output


def test_a_table_is_still_reported_by_row_and_field(cli_app, tmp_path):
    data = tmp_path / "firms.csv"
    pl.DataFrame({"tier": ["tier_35", "tier_35"], "innovation_points": [78.0, -1.0], "standards_met": [2, 2],
                  "revenue": [8e6, 8e6], "existing_debt": [1e6, 1e6]}).write_csv(data)
    [problem] = _problems(CliRunner().invoke(cli_app, ["credit", "line", "--data", str(data)]))
    assert (problem.file, problem.row, problem.field) == (str(data), 3, "innovation_points")


def test_sharing_split_options_are_named_too(cli_app):
    [problem] = _problems(CliRunner().invoke(cli_app, ["credit", "sharing", "split", "--tier", "tier_40", "--loan", "100", "--loss", "-5"]))
    assert (problem.field, problem.row, problem.file) == ("--loss", None, None)
    problems = _problems(CliRunner().invoke(cli_app, ["credit", "sharing", "split", "--tier", "tier_40", "--loan", "100", "--loss", "200"]))
    assert problems[0].code == "sharing.loss_exceeds_loan" and problems[0].field == "--loss"


def test_as_a_process_the_option_is_named_and_the_exit_status_is_2():
    env = {**os.environ, "COLUMNS": "200"}
    args = [part for option, value in {**GOOD, "--points": "-1"}.items() for part in (option, value)]
    result = subprocess.run([*KEJIN, "credit", "line", *args], capture_output=True, text=True, env=env, timeout=600)
    assert result.returncode == 2
    assert "--points" in result.stderr and "必须是非负的有限数" in result.stderr and "must be a finite non-negative number" in result.stderr
    assert "第2行" not in result.stderr and "row 2" not in result.stderr
