"""What the points commands write: data on stdout stays well-formed (an empty list's explanation
goes to stderr), CSV files for Excel carry a BOM so that Chinese opens intact, and the console
tables head their columns in Chinese and English."""

from __future__ import annotations

import csv
import io
import json

import polars as pl
import pytest
from typer.testing import CliRunner

from kejin.facts.synth import synth_facts


@pytest.fixture(scope="module")
def small(tmp_path_factory) -> str:
    """Three firms: every cohort is below the minimum, so no firm has a tier."""
    facts = synth_facts(300, seed=11)
    path = tmp_path_factory.mktemp("facts") / "small.csv"
    firms = facts["uscc"].unique(maintain_order=True).head(3).implode()
    facts.filter(pl.col("uscc").is_in(firms)).with_columns(pl.col("frontier_sectors").list.join(";")).write_csv(path)
    return str(path)


def _run(args: list[str]):
    import kejin.cli as cli

    cli._mount()
    return CliRunner().invoke(cli.app, args, env={"COLUMNS": "250"})


@pytest.mark.parametrize("fmt", ["json", "csv"])
def test_an_empty_list_on_stdout_is_still_well_formed(small, fmt):
    r = _run(["recommend", "--input", small, "--format", fmt])
    assert r.exit_code == 0, r.output
    if fmt == "json":
        assert json.loads(r.stdout) == []
    else:
        assert "no firm meets the filters" not in r.stdout
    assert "no firm meets the filters" in r.stderr and "--min-tier none" in r.stderr


def test_recommend_and_allocate_csv_files_open_in_excel(small, tmp_path):
    out = tmp_path / "list.csv"
    r = _run(["recommend", "--input", small, "--min-tier", "none", "--format", "csv", "--output", str(out)])
    assert r.exit_code == 0, r.output
    raw = out.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # UTF-8 BOM: Excel reads the Chinese names as UTF-8
    rows = list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"))))
    assert rows and list(rows[0])[0] == "position" and all("【合成】" in row["name"] for row in rows)
    assert pl.read_csv(out)["position"].to_list() == list(range(1, len(rows) + 1))  # the ids stay the column names
    alloc = tmp_path / "alloc.csv"
    r = _run(["points", "allocate", "-b", "1000.00", "--min-tier", "none", "--input", small, "--format", "csv", "--output", str(alloc)])
    assert r.exit_code == 0, r.output
    raw = alloc.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    back = pl.read_csv(alloc, infer_schema_length=0)
    assert back.columns[0] == "uscc" and sum(int(v) for v in back["amount_fen"]) == 100000


@pytest.mark.parametrize(
    ("args", "labels"),
    [
        (["points", "score"], ["统一社会信用代码", "积分", "百分位", "名次", "榜单", "状态", "无法使用"]),
        (["recommend", "--min-tier", "none"], ["序号", "统一社会信用代码", "创新积分", "榜单", "推荐理由"]),
        (["points", "allocate", "-b", "1000", "--min-tier", "none"], ["统一社会信用代码", "积分", "榜单", "金额"]),
    ],
)
def test_console_tables_have_chinese_and_english_headers(small, args, labels):
    r = _run([*args, "--input", small])
    assert r.exit_code == 0, r.output
    header = r.stdout.split("┡")[0]
    for label in labels:
        assert label in header, (label, header)


def test_record_shows_status_and_tier_in_both_languages(small, tmp_path):
    facts = pl.read_csv(small, infer_schema_length=0)
    uscc = facts["uscc"][0]
    r = _run(["record", "--uscc", uscc, "--input", small])
    assert r.exit_code == 0, r.output
    text = " ".join(r.stdout.split())
    assert "比较组过小" in r.stdout and "cohort" in text.split("积分与名次轨迹")[1]  # the status, zh and en
    out = tmp_path / "rec.html"
    r = _run(["record", "--uscc", uscc, "--input", small, "--format", "html", "--output", str(out)])
    assert r.exit_code == 0, r.output
    html = out.read_text(encoding="utf-8")
    assert "<th>状态 status</th>" in html and "比较组过小" in html and "no tier" in html


def test_an_allocation_table_cut_short_says_how_many_rows_there_are(tmp_path):
    path = tmp_path / "facts.csv"
    synth_facts(900, seed=11).with_columns(pl.col("frontier_sectors").list.join(";")).write_csv(path)
    r = _run(["points", "allocate", "-b", "1000000", "--min-tier", "none", "--input", str(path)])
    assert r.exit_code == 0, r.output
    firms = int(r.stdout.split(" 家 firms")[0].split("·")[-1])
    text = " ".join(r.stdout.split())
    assert firms > 50 and f"共 {firms} 行" in text and f"{firms} rows in all" in text


@pytest.mark.parametrize("fmt", ["csv", "json"])
def test_score_year_zero_is_a_year_not_in_the_data_not_every_year(small, fmt):
    r = _run(["points", "score", "--input", small, "--year", "0", "--format", fmt])
    from kejin.errors import InputError

    assert isinstance(r.exception, InputError) and r.exception.problems[0].field == "year"  # exit 2 under `kejin`
    assert not r.stdout.strip()
