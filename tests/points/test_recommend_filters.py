"""Recommendation lists: filters are checked (an unknown sector, a malformed region, a year not in
the data are errors, not silently empty lists), sectors are accepted by code or label, an empty
list says why, and a spreadsheet carries bilingual headers."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys

import polars as pl
import pytest
from openpyxl import load_workbook
from typer.testing import CliRunner

from kejin.errors import InputError
from kejin.facts.synth import synth_facts
from kejin.points import score
from kejin.points.labels import COLUMN_LABELS
from kejin.points.recommend import recommend


@pytest.fixture(scope="module")
def facts() -> pl.DataFrame:
    return synth_facts(1500, seed=7)


@pytest.fixture(scope="module")
def scored(facts) -> pl.DataFrame:
    return score(facts)


@pytest.mark.parametrize(
    ("options", "field"),
    [({"sectors": ["foo"]}, "sectors"), ({"region": "44x"}, "region"), ({"region": "4403001"}, "region"), ({"year": 2030}, "year"), ({"min_tier": "gold"}, "min_tier")],
)
def test_a_bad_filter_is_an_error_naming_it(facts, scored, options, field):
    with pytest.raises(InputError) as err:
        recommend(facts, scored=scored, **options)
    problem = err.value.problems[0]
    assert problem.field == field and problem.zh and problem.en


def test_sectors_by_code_in_any_case_or_by_label(facts, scored):
    by_code = recommend(facts, scored=scored, min_tier="none", sectors=["quantum"])
    assert by_code.height and by_code["frontier_sectors"].str.contains("quantum").all()
    for given in ("QUANTUM", "量子科技", "quantum technology"):
        try:
            other = recommend(facts, scored=scored, min_tier="none", sectors=[given])
        except InputError:  # a label this build's norms spell otherwise
            continue
        assert other["uscc"].to_list() == by_code["uscc"].to_list()
    assert recommend(facts, scored=scored, min_tier="none", sectors=["QUANTUM"])["uscc"].to_list() == by_code["uscc"].to_list()


def test_the_funnel_counts_the_firms_left_after_each_filter(facts, scored):
    funnel: dict[str, int] = {}
    listed = recommend(facts, scored=scored, min_tier="race", region="44", funnel=funnel)
    year = scored["year"].max()
    this_year = scored.filter((pl.col("year") == year) & pl.col("points").is_not_null())
    assert funnel["scored"] == this_year.height
    assert funnel["tier"] == this_year.filter(pl.col("tier").is_in(["lead", "race"])).height
    assert funnel["region"] == listed.height <= funnel["tier"]


def test_the_chinese_reason_is_chinese(facts, scored):
    listed = recommend(facts, scored=scored, min_tier="none", standards=["tech-sme"])
    assert listed.height
    reason = listed["reason_zh"][0]
    assert not any(stage in reason for stage in ("startup", "growth", "stable"))
    assert "tech-sme" not in reason and "科技型中小企业" in reason


def test_cli_empty_list_says_why_and_xlsx_has_bilingual_headers(tmp_path, facts):
    import kejin.cli as cli

    cli._mount()
    small = tmp_path / "small.csv"
    # three firms: every cohort is below the minimum, so no firm has a tier
    facts.filter(pl.col("uscc").is_in(facts["uscc"].unique(maintain_order=True).head(3).implode())).with_columns(pl.col("frontier_sectors").list.join(";")).write_csv(small)
    runner = CliRunner()
    r = runner.invoke(cli.app, ["recommend", "--input", str(small)], env={"COLUMNS": "200"})
    assert r.exit_code == 0, r.output
    assert "no firm meets the filters" in r.output and "--min-tier none" in r.output
    out = tmp_path / "list.xlsx"
    r = runner.invoke(cli.app, ["recommend", "--input", str(small), "--min-tier", "none", "--format", "xlsx", "--output", str(out)])
    assert r.exit_code == 0, r.output
    sheet = load_workbook(out).active
    assert sheet.title == "推荐名单"
    header = [c.value for c in sheet[1]]
    assert header[0] == " / ".join(COLUMN_LABELS["position"]) and all(" / " in h for h in header)


def test_cli_output_into_a_missing_folder_is_a_clear_error(tmp_path, facts):
    """As a process: the error names the file asked for (not a temporary one) in both languages."""
    path = tmp_path / "f.csv"
    facts.head(30).with_columns(pl.col("frontier_sectors").list.join(";")).write_csv(path)
    target = tmp_path / "missing" / "out.csv"
    kejin = [shutil.which("kejin")] if shutil.which("kejin") else [sys.executable, "-m", "kejin"]
    r = subprocess.run([*kejin, "points", "score", "--input", str(path), "--format", "csv", "--output", str(target)], capture_output=True, text=True, env={**os.environ, "COLUMNS": "300"}, timeout=300)
    assert r.returncode == 2
    text = " ".join((r.stdout + r.stderr).split())
    assert str(target) in text and "does not exist" in text and "不存在" in text and "Traceback" not in text
    assert not list(tmp_path.glob("missing*"))


def test_a_method_without_an_otherwise_tier_still_separates_listed_from_unlisted(tmp_path, facts):
    """A local pack may replace the tiers without an ``otherwise`` label: --min-tier strive then
    lists only the strive tier and above (not every scored firm), and none lists everyone."""
    from kejin.points.methods import resolve

    pack = tmp_path / "no-otherwise.yaml"
    pack.write_text(
        "id: no-otherwise\nversion: '1'\nkind: points-method\nname: {zh: 无未上榜标签, en: No otherwise tier}\n"
        "issuer: {zh: 测试, en: test}\nsource: {document: test, confidence: reference}\neffective: {from: '2024-01-01'}\n"
        "extends: national-core@2024.1\n"
        "tiers:\n  rules:\n    - {id: lead, name: {zh: 领跑榜, en: Leaders}, top: 0.05}\n"
        "    - {id: race, name: {zh: 竞跑榜, en: Runners}, top: 0.10}\n    - {id: strive, name: {zh: 进取榜, en: Strivers}, top: 0.20}\n",
        encoding="utf-8",
    )
    m = resolve(str(pack))
    scored = score(facts, m)
    year = int(scored["year"].max())
    listed = scored.filter((pl.col("year") == year) & pl.col("tier").is_in(["lead", "race", "strive"])).height
    every = scored.filter((pl.col("year") == year) & pl.col("points").is_not_null()).height
    assert 0 < listed < every
    assert recommend(facts, m, "strive", scored=scored).height == listed
    assert recommend(facts, m, "none", scored=scored).height == every


@pytest.mark.parametrize(("region", "expected"), [("440305", ["440305"]), ("440300", ["440305"]), ("4403", ["440305"]), ("440000", ["440106", "440305"]), ("44", ["440106", "440305"]), ("440100", ["440106"])])
def test_a_city_or_province_code_selects_its_districts(region, expected, sample_csv):
    """GB/T 2260: 440300 is Shenzhen as a whole and 440000 Guangdong; firms carry their
    district's code (440305), so a code ending in 00 or 0000 means every district under it."""
    from kejin.facts import load_facts

    facts = load_facts(sample_csv)
    listed = recommend(facts, min_tier="none", region=region)
    assert sorted(listed["region_code"].to_list()) == expected


def test_english_reasons_name_stages_and_standards_in_english():
    """The English reason reads like the Chinese one: the stage's and the standard's English names,
    not their ids."""
    facts = synth_facts(300, seed=3)
    rec = recommend(facts, min_tier="none", standards=["tech-sme"])
    assert rec.height
    first = rec.row(0, named=True)
    assert "Technology-based SME" in first["reason_en"] and "tech-sme" not in first["reason_en"]
    assert " cohort, percentile " in first["reason_en"] and f"in {first['stage']} cohort" not in first["reason_en"]
