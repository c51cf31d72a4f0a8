"""Inputs the scoring API and `kejin record` refuse by name: untyped facts, a USCC with a wrong
check character; and a record that says why a firm has no points."""

from __future__ import annotations

import polars as pl
import pytest
from typer.testing import CliRunner

from kejin.errors import InputError
from kejin.facts.synth import synth_facts
from kejin.points import score


@pytest.fixture(scope="module")
def facts() -> pl.DataFrame:
    return synth_facts(200, seed=9)


def test_untyped_facts_are_refused_naming_the_column(facts):
    untyped = facts.with_columns(pl.col("year").cast(pl.String))
    with pytest.raises(InputError) as err:
        score(untyped)
    problem = err.value.problems[0]
    assert problem.code == "points.facts_type" and problem.field == "year" and "load_facts" in problem.en


def _cli(*args: str):
    import kejin.cli as cli

    cli._mount()
    return CliRunner().invoke(cli.app, list(args), env={"COLUMNS": "200"})


def test_record_names_a_wrong_check_character(tmp_path, facts):
    path = tmp_path / "f.csv"
    facts.with_columns(pl.col("frontier_sectors").list.join(";")).write_csv(path)
    code = facts["uscc"][0]
    wrong = code[:-1] + ("X" if code[-1] != "X" else "Y")
    error = _cli("record", "--uscc", wrong, "--input", str(path)).exception
    assert isinstance(error, InputError)
    problem = error.problems[0]
    assert problem.code == "uscc.check" and problem.field == "uscc" and "check character" in problem.en


def test_record_of_a_firm_outside_the_scope_says_so(tmp_path, facts):
    path = tmp_path / "f.csv"
    facts.with_columns(pl.col("frontier_sectors").list.join(";")).write_csv(path)
    from kejin.points.methods import resolve

    pilot = resolve("local-frontier-pilot")
    inside = score(facts, pilot)["uscc"].unique()
    outside = facts.filter(~pl.col("uscc").is_in(inside.implode()))["uscc"][0]
    r = _cli("record", "--uscc", outside, "--input", str(path), "--method", "local-frontier-pilot")
    assert r.exit_code == 0, r.output
    assert "outside the scope" in " ".join(r.output.split())


def _facts_file(tmp_path, facts) -> str:
    path = tmp_path / "f.csv"
    facts.with_columns(pl.col("frontier_sectors").list.join(";")).write_csv(path)
    return str(path)


def test_a_year_not_in_the_data_is_an_error_for_score_and_allocate(tmp_path, facts):
    path = _facts_file(tmp_path, facts)
    error = _cli("points", "score", "--input", path, "--year", "1999").exception
    assert isinstance(error, InputError) and error.problems[0].field == "year" and "1999" in error.problems[0].en
    from kejin.points.allocate import allocate

    with pytest.raises(InputError) as err:
        allocate(score(facts), "1000", "proportional", year=1999)
    assert err.value.problems[0].field == "year"


def test_allocate_takes_one_source_only(tmp_path, facts):
    path = _facts_file(tmp_path, facts)
    results = tmp_path / "r.json"
    score(facts).write_json(results)
    r = _cli("points", "allocate", "--budget", "1000", "--input", path, "--results", str(results))
    assert r.exit_code == 2 and "not both" in r.output


def test_recommend_names_the_option_of_an_unknown_standard(facts):
    from kejin.points.recommend import recommend

    with pytest.raises(InputError) as err:
        recommend(facts, standards=["bogus"], min_tier="none")
    assert err.value.problems[0].field == "standards" and "bogus" in err.value.problems[0].en


def test_demo_refuses_a_size_it_cannot_show_and_an_out_that_is_a_file(tmp_path):
    assert _cli("demo", "--n", "0").exit_code == 2
    afile = tmp_path / "afile"
    afile.write_text("x")
    error = _cli("demo", "--n", "30", "--out", str(afile)).exception
    assert isinstance(error, InputError) and error.problems[0].field == "out"
