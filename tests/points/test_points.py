"""Engine, verification, allocation, record and CLI tests for kejin.points."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kejin.errors import InputError, PackError
from kejin.facts import load_facts
from kejin.facts.synth import synth_facts
from kejin.points import record, score
from kejin.points.allocate import allocate
from kejin.points.methods import load_method_file, resolve
from kejin.points.sql import method_sql
from kejin.points.verify import read_results, verify

SAMPLE = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "enterprise_facts_sample.csv"
PACKS = Path(__file__).resolve().parents[2] / "kejin" / "packs" / "points"


@pytest.fixture(scope="module")
def synth() -> pl.DataFrame:
    return synth_facts(900, seed=11)


@pytest.fixture(scope="module")
def synth_scores(synth) -> pl.DataFrame:
    return score(synth)


@pytest.fixture(scope="module")
def sample() -> pl.DataFrame:
    if not SAMPLE.exists():
        pytest.skip("shared sample not present")
    return load_facts(SAMPLE)


# ---------------------------------------------------------------- contract and determinism


def test_contract_columns(synth_scores):
    for c in ("uscc", "year", "points", "stage", "tier", "percentile", "method", "method_version", "method_sha256", "row_digest", "input_digest", "group_innovation", "group_growth", "group_auxiliary"):
        assert c in synth_scores.columns
    assert synth_scores.select(pl.struct("uscc", "year").is_unique().all()).item()
    # groups add up to the base points (reweighting applies to each group alike)
    diff = (synth_scores["group_innovation"] + synth_scores["group_growth"] + synth_scores["group_auxiliary"] - synth_scores["base_points"]).abs().max()
    assert diff < 1e-3


def in_order_of(facts: pl.DataFrame, results: pl.DataFrame) -> pl.DataFrame:
    """``results`` with its rows in the order of the enterprise-years of ``facts``."""
    return facts.select("uscc", "year").join(results, on=["uscc", "year"], how="left", maintain_order="left").select(results.columns)


@settings(max_examples=5, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(seed=st.integers(0, 10_000))
def test_percentiles_invariant_to_row_order(synth, synth_scores, seed):
    """Every result is the same whatever the order of the rows, and comes out in the rows' order
    (rows not listed firm after firm are scored through the order of their keys, not moved)."""
    from kejin.facts.layout import firm_runs

    shuffled = synth.sample(fraction=1.0, shuffle=True, seed=seed)
    assert firm_runs(shuffled) is None
    assert score(shuffled).equals(in_order_of(shuffled, synth_scores))


@pytest.mark.parametrize("layout", ["sorted", "shuffled"])
def test_a_repeated_enterprise_year_is_refused(synth, layout):
    """Facts handed to the API unvalidated with one enterprise-year twice: refused by name, in
    whatever order the rows lie."""
    twice = pl.concat([synth, synth.slice(17, 1)])
    twice = twice.sort("uscc", "year") if layout == "sorted" else twice.sample(fraction=1.0, shuffle=True, seed=3)
    with pytest.raises(InputError) as err:
        score(twice)
    problem = err.value.problems[0]
    assert problem.code == "points.duplicate"
    assert problem.value == f"{synth['uscc'][17]} {synth['year'][17]}"


def test_firm_after_firm_in_any_firm_order_scores_the_same(synth, synth_scores):
    """A file listing firm after firm (as `kejin synth` writes it) is scored as it stands (its
    firms are sorted only for the input digest, kejin.facts.layout); the results equal the other
    layouts', in the file's order."""
    from kejin.facts.layout import firm_runs

    firms = synth.select("uscc").unique(maintain_order=True).sample(fraction=1.0, shuffle=True, seed=5)
    grouped = firms.with_row_index("firm").join(synth, on="uscc").sort(["firm", "year"]).drop("firm")
    assert firm_runs(grouped) is not None and not grouped.equals(grouped.sort(["uscc", "year"]))
    assert score(grouped).equals(in_order_of(grouped, synth_scores))
    assert score(grouped.sort(["uscc", "year"])).equals(synth_scores.sort(["uscc", "year"]))


def test_repeat_runs_bit_identical(synth, synth_scores):
    again = score(synth)
    assert again.equals(synth_scores)
    assert again["input_digest"][0] == synth_scores["input_digest"][0]


@pytest.mark.parametrize("year,detail", [(None, False), (2023, False), (None, True), (1999, False)])
def test_csv_written_block_by_block_equals_the_whole_table(tmp_path, monkeypatch, synth, year, detail):
    from kejin.points import engine

    monkeypatch.setattr(engine, "CSV_BLOCK_ROWS", 97)  # many blocks, cut inside firms
    out = tmp_path / "scores.csv"
    rows = engine.write_scores_csv(synth, "national-core", out, year=year, detail=detail)
    whole = score(synth, detail=detail)
    if year is not None:
        whole = whole.filter(pl.col("year") == year)
    assert rows == whole.height
    assert out.read_bytes() == whole.write_csv().encode()


def test_csv_line_ends_quote_the_method_like_any_cell(tmp_path, synth):
    """The method columns are written once per line as its end: a version that needs quoting in
    CSV is quoted there exactly as the CSV writer quotes a cell."""
    from kejin.points import engine

    m = resolve("national-core")
    odd = m.model_copy(update={"meta": m.meta.model_copy(update={"version": 'draft, "b"'})})
    out = tmp_path / "scores.csv"
    engine.write_scores_csv(synth.head(300), odd, out)
    whole = score(synth.head(300), odd)
    assert out.read_bytes() == whole.write_csv().encode()
    assert pl.read_csv(out, infer_schema_length=0)["method_version"].unique().to_list() == ['draft, "b"']


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(pick=st.integers(0, 10_000), factor=st.floats(1.0001, 20.0))
def test_own_rd_rise_never_lowers_points(synth, synth_scores, pick, factor):
    last = synth_scores.filter(pl.col("year") == 2024)
    firm = last["uscc"][pick % last.height]
    cond = (pl.col("uscc") == firm) & (pl.col("year") == 2024)
    bumped = synth.with_columns(pl.when(cond).then(pl.col("rd_expense") * factor).otherwise(pl.col("rd_expense")).alias("rd_expense"))
    before = synth_scores.filter(pl.col("uscc") == firm, pl.col("year") == 2024)["points"][0]
    after = score(bumped).filter(pl.col("uscc") == firm, pl.col("year") == 2024)["points"][0]
    if before is None:
        return
    assert after >= before - 1e-9


def test_tiers_follow_longwan_shares(synth):
    big = score(synth_facts(6000, seed=3))
    for (_year, _stage), g in big.filter(pl.col("status") == "scored").group_by(["year", "stage"]):
        n = g.height
        lead = g.filter(pl.col("tier") == "lead")
        assert lead.height <= int(0.05 * n) + 1
        assert (g.filter(pl.col("tier").is_in(["lead", "race", "strive"])).height) <= int(0.20 * n) + 1
        assert lead["points"].min() >= g.filter(pl.col("tier") == "none")["points"].max()


def _agree_with_duckdb(facts: pl.DataFrame, m) -> None:
    con = duckdb.connect()
    con.register("facts", facts.to_arrow())
    sql = pl.from_arrow(con.sql(method_sql(m)).to_arrow_table())
    eng = score(facts, m)
    j = eng.join(sql, on=["uscc", "year"], suffix="_sql", how="full", coalesce=True)
    assert j.height == eng.height == sql.height > 0
    assert (j["points"] - j["points_sql"]).abs().max() < 1e-6
    assert (j["tier"] == j["tier_sql"]).all()
    assert (j["stage"] == j["stage_sql"]).all()


@pytest.mark.parametrize("name", ["national-core", "v2", "local-frontier-pilot"])
def test_duckdb_query_agrees_on_10000_rows(name):
    _agree_with_duckdb(synth_facts(10_000, seed=5), resolve(name))


@pytest.mark.parametrize(
    "old,new",
    [
        ("region_digits: 0, industry: none", "region_digits: 2, industry: none"),
        ("region_digits: 0, industry: none", "region_digits: 4, industry: section"),
        ("region_digits: 0, industry: none", "region_digits: 0, industry: division"),
        ('value: "rd_expense / lag(rd_expense, 1) - 1"', 'value: "sum_years(rd_expense, 2) / years_present(3)"'),
    ],
    ids=["province cohorts", "city × industry-section cohorts", "industry-division cohorts", "year windows"],
)
def test_duckdb_query_agrees_on_cohort_and_window_variants(tmp_path, old, new):
    method = load_method_file(_variant(tmp_path, old, new.replace("min_size: 20", "min_size: 5")))
    _agree_with_duckdb(synth_facts(6_000, seed=9), method)


def test_a_firm_without_the_industry_its_cohort_needs_is_not_scored(tmp_path):
    """An industry cohort cannot place a firm whose industry code is blank: it is not ranked
    among the other blank ones but left unscored, and says why; the DuckDB query agrees."""
    method = load_method_file(_variant(tmp_path, "region_digits: 0, industry: none", "region_digits: 0, industry: section"))
    facts = synth_facts(3_000, seed=4)
    blank = facts["uscc"].unique(maintain_order=True).head(40)
    facts = facts.with_columns(pl.when(pl.col("uscc").is_in(blank.implode())).then(None).otherwise(pl.col("industry_code")).alias("industry_code"))
    res = score(facts, method)
    unplaced = res.filter(pl.col("uscc").is_in(blank.implode()))
    assert unplaced.height and (unplaced["status"] == "cohort_unknown").all()
    assert unplaced["points"].null_count() == unplaced.height and unplaced["tier"].null_count() == unplaced.height
    assert res.filter(~pl.col("uscc").is_in(blank.implode()))["points"].null_count() < res.height // 2
    con = duckdb.connect()
    con.register("facts", facts.to_arrow())
    sql = pl.from_arrow(con.sql(method_sql(method)).to_arrow_table())
    j = res.join(sql, on=["uscc", "year"], suffix="_sql")
    assert j.height == res.height
    assert (j["points"].is_null() == j["points_sql"].is_null()).all()
    assert (j["points"] - j["points_sql"]).abs().max() < 1e-6
    assert j["tier"].eq_missing(j["tier_sql"]).all()


# ---------------------------------------------------------------- packs


def test_local_pack_inherits(synth):
    local, parent = resolve("local-frontier-pilot"), resolve("national-core")
    assert {i.id for i in parent.indicators} < {i.id for i in local.indicators}
    assert local.stage_weights("startup")["rd_intensity"] == 7 and parent.stage_weights("startup")["rd_intensity"] == 10
    assert local.stage_weights("growth")["rd_amount"] == parent.stage_weights("growth")["rd_amount"]
    assert local.bonus.cap == 8 and [b.id for b in local.bonus.indicators] == ["frontier_sector", "st_projects"]
    res = score(synth, local)
    assert res.height and res.select(pl.col("uscc").str.slice(2, 2).is_in(["44"]).all()).item()
    assert local.sha256 != parent.sha256 and len(local.files) == 2


def _write(tmp: Path, text: str, name: str = "bad.yaml") -> Path:
    p = tmp / name
    p.write_text(text, encoding="utf-8")
    return p


def _variant(tmp: Path, old: str, new: str) -> Path:
    text = (PACKS / "national-core" / "2024.1.yaml").read_text(encoding="utf-8")
    assert old in text
    return _write(tmp, text.replace(old, new, 1))


@pytest.mark.parametrize(
    "old,new,key",
    [
        ("startup: {rd_amount: 8,", "startup: {rd_amount: 9,", "weights.startup"),
        ("value: rd_expense\n", "value: rd_spend\n", "indicators.rd_amount.value"),
        ("normalise: {method: percentile}", "normalise: {method: zscore}", "indicators[0].normalise.method"),
        ("scale: 100", "scale: 100\nderived: {a: b + 1, b: a * 2}", "derived.a"),
    ],
)
def test_bad_packs_name_file_and_key(tmp_path, old, new, key):
    path = _variant(tmp_path, old, new)
    with pytest.raises(PackError) as err:
        load_method_file(path)
    keys = [p.key for p in err.value.problems]
    assert any(k and k.startswith(key) for k in keys), keys
    assert all(p.file == str(path) for p in err.value.problems)


def test_small_cohort_error(tmp_path, sample):
    path = _variant(tmp_path, "on_small: flag", "on_small: error")
    with pytest.raises(InputError) as err:
        score(sample, load_method_file(path))
    assert err.value.problems[0].key == "cohort.min_size"
    flagged = score(sample)
    assert (flagged["status"] == "small_cohort").all() and flagged["tier"].is_null().all()


def test_require_policy_drops_firms_with_blanks(tmp_path, synth):
    path = _variant(tmp_path, "policy: reweight", "policy: require")
    res = score(synth, load_method_file(path))
    # the first year of every firm has no R&D growth → not scored under "require"
    assert (res.filter(pl.col("year") == 2022)["status"] == "insufficient_data").all()


# ---------------------------------------------------------------- verify


def test_verify_passes_and_catches_one_fen_and_weight(tmp_path, synth, synth_scores):
    out = tmp_path / "r.csv"
    synth_scores.write_csv(out)
    assert verify(read_results(out), synth).ok
    one_fen = synth.with_columns(pl.when(pl.int_range(pl.len()) == 17).then(pl.col("revenue") + 0.01).otherwise(pl.col("revenue")).alias("revenue"))
    rep = verify(read_results(out), one_fen)
    # the row digest names the enterprise-year whose input changed; the input digest differs too
    assert not rep.ok and rep.first.column == "row_digest"
    assert (rep.first.uscc, rep.first.year) == (synth["uscc"][17], synth["year"][17])
    assert any(d.column == "input_digest" for d in rep.differences)
    changed = _variant(tmp_path, "growth: {rd_amount: 7, rd_growth: 5,", "growth: {rd_amount: 8, rd_growth: 4,")
    rep = verify(read_results(out), synth, str(changed))
    assert not rep.ok and rep.first.column == "method_sha256"
    assert any(d.column == "points" for d in rep.differences)
    assert not any(d.column == "row_digest" for d in rep.differences)  # rows compared only under the published method


# ---------------------------------------------------------------- allocation


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(fen=st.integers(10_000_00, 10**11), rule=st.sampled_from(["proportional", "tiered", "capped"]))
def test_allocation_exhausts_budget_to_the_fen(synth_scores, fen, rule):
    budget = f"{fen // 100}.{fen % 100:02d}"
    a = allocate(synth_scores, budget, rule)
    assert int(a.table["amount_fen"].sum()) == fen
    assert (a.table["amount_fen"] >= 0).all()
    if rule == "capped":
        assert a.table["amount_fen"].max() <= a.parameters["cap_fen"]


def test_allocation_floor_and_cap_and_errors(synth_scores):
    a = allocate(synth_scores, "100000", "proportional", floor="1000", cap="5000")
    t = a.table
    assert t["amount_fen"].sum() == 10_000_000 and t["amount_fen"].min() >= 100_000 and t["amount_fen"].max() <= 500_000
    pts = t["points"].to_list()
    amt = t["amount_fen"].to_list()
    assert all(amt[i] >= amt[i + 1] - 1 for i in range(len(amt) - 1) if pts[i] > pts[i + 1])
    with pytest.raises(InputError):
        allocate(synth_scores, "100", "proportional", floor="50")
    with pytest.raises(InputError):
        allocate(synth_scores, "1000000", "proportional", cap="1")
    with pytest.raises(InputError):
        allocate(synth_scores, "12.345", "proportional")


def test_allocation_hand_example():
    res = pl.DataFrame({"uscc": ["A", "B", "C"], "year": [2024] * 3, "points": [60.0, 30.0, 10.0], "tier": ["lead", "race", "strive"],
                        "method": ["m"] * 3, "method_sha256": ["s"] * 3, "input_digest": ["d"] * 3})
    a = allocate(res, "100.00", "proportional")
    assert a.table["amount_fen"].to_list() == [6000, 3000, 1000]
    a = allocate(res, "0.10", "proportional")  # 6, 3, 1 fen
    assert a.table["amount_fen"].to_list() == [6, 3, 1]
    a = allocate(res, "100.00", "proportional", cap="50")  # A capped at 50, rest 50 split 3:1
    assert a.table["amount_fen"].to_list() == [5000, 3750, 1250]
    a = allocate(res, "60.00", "tiered")  # 3:2:1
    assert a.table["amount_fen"].to_list() == [3000, 2000, 1000]
    a = allocate(res, "0.01", "proportional")
    assert a.table["amount_fen"].to_list() == [1, 0, 0]


# ---------------------------------------------------------------- record


def test_record_of_sample_firm(sample, tmp_path):
    patents = pl.DataFrame({
        "专利号": ["P1", "P2", "P3", "P4"], "专利类型": ["发明", "实用新型", "发明", "发明"],
        "IPC分类号": ["G06N 10/00", "H04L 9/08", "G06N 10/40", "G06N 10/20"],
        "申请日": ["2022-03-01", "2022-06-01", "2023-02-01", "2024-01-20"], "授权日": ["2023-09-10", "2022-12-01", None, None],
    })
    rec = record(sample, "91440305787789323F", patents=patents)
    assert [y["year"] for y in rec["years"]] == [2022, 2023, 2024]
    rd = rec["rd_continuity"]
    assert rd["unbroken_rd_years"] == 3
    assert rd["cumulative_rd"] == pytest.approx(1746910.48 + 4576177.67 + 7120369.48, abs=0.01)
    assert rec["years"][1]["ip_flow"]["ip_class2"] == 7 and rec["years"][2]["ip_flow"]["ip_class2"] == 4
    assert rec["years"][0]["ip_flow"]["ip_class1"] is None
    assert all("tech-sme" in y["standards_met"] for y in rec["years"])
    tp = rec["tech_path"]
    assert tp["patents"] == 4 and tp["main_class"] == "G06N" and tp["years"][0]["hhi"] == 0.5
    assert tp["years"][1]["classes"] == {"G06N": 1} and tp["years"][1]["new_classes"] == []
    assert rec["method_sha256"] == resolve("national-core").sha256
    from kejin.points.report_html import render

    html = render(rec)
    assert "<svg" in html and "<script" not in html and "技术侧信用记录" in html and "Technology-side credit record" in html


# ---------------------------------------------------------------- CLI

_MOUNTED = False


def _app():
    global _MOUNTED
    import kejin.cli as cli

    if not _MOUNTED:
        cli._mount()
        _MOUNTED = True
    return cli.app


def test_cli_score_verify_allocate_recommend_record(tmp_path, sample):
    from typer.testing import CliRunner

    runner = CliRunner()
    app = _app()
    out = tmp_path / "r.json"
    r = runner.invoke(app, ["points", "score", "--method", "national-core", "--input", str(SAMPLE), "--format", "json", "--output", str(out)])
    assert r.exit_code == 0, r.output
    rows = json.loads(out.read_text(encoding="utf-8"))
    assert len(rows) == 24 and {"uscc", "year", "points", "stage", "tier", "percentile", "method", "method_sha256", "row_digest", "input_digest"} <= set(rows[0])
    r = runner.invoke(app, ["points", "verify", str(out), "--input", str(SAMPLE)])
    assert r.exit_code == 0, r.output
    rows[3]["points"] += 0.0001
    out.write_text(json.dumps(rows, ensure_ascii=False), encoding="utf-8")
    r = runner.invoke(app, ["points", "verify", str(out), "--input", str(SAMPLE)])
    assert r.exit_code == 1 and "points" in r.output
    r = runner.invoke(app, ["points", "sql", "local-frontier-pilot", "--table", "my_facts"])
    assert r.exit_code == 0 and "FROM my_facts WHERE" in r.output and r.output.startswith("-- local-frontier-pilot@")
    for args in (["points", "methods"], ["points", "show", "v2"], ["record", "--uscc", "91440305787789323F", "--input", str(SAMPLE)],
                 ["recommend", "--input", str(SAMPLE), "--min-tier", "none", "--format", "json"],
                 ["points", "allocate", "--budget", "1000000", "--rule", "capped", "--input", str(SAMPLE), "--min-tier", "none", "--cap", "200000", "--format", "json"]):
        r = runner.invoke(app, args)
        assert r.exit_code == 0, (args, r.output)
    r = runner.invoke(app, ["record", "--uscc", "91440305787789323F", "--input", str(SAMPLE), "--format", "html", "--output", str(tmp_path / "r.html")])
    assert r.exit_code == 0 and (tmp_path / "r.html").read_text(encoding="utf-8").count("<svg") >= 4


def test_age_functions_agree_with_their_sql_rendering_at_date_edges():
    """``age_years()`` and ``age_days()`` (days to 31 December of the fiscal year) in Polars and in
    the DuckDB rendering, on the dates either side of a year, in leap and common years."""
    import ast
    from datetime import date

    import duckdb

    from kejin.points.sql import _Render
    from kejin.rules import expr as ex

    frame = pl.DataFrame(
        {
            "year": [2024, 2024, 2024, 2023, 2023, 2023, 2024],
            "established": [date(2023, 12, 31), date(2024, 1, 1), date(2024, 1, 2), date(2022, 12, 31), date(2023, 1, 1), date(2020, 2, 29), None],
        }
    )
    for function, expected in (("age_days()", [366, 365, 364, 365, 364, 1401, None]), ("age_years()", [1, 0, 0, 1, 0, 3, None])):
        polars_values = frame.select(ex.Compiler({}).compile(function).alias("v"))["v"].to_list()
        sql = _Render({}).r(ast.parse(function, mode="eval").body, 0)
        duck_values = [row[0] for row in duckdb.sql(f"SELECT {sql} FROM frame AS f").fetchall()]
        assert polars_values == expected == duck_values, function
