"""Engine properties: batch == single firm, gaps verified by re-evaluation, DuckDB as an oracle."""

from pathlib import Path

import duckdb
import polars as pl
from hypothesis import given, settings, strategies as st

from kejin.facts.synth import synth_facts
from kejin.standards import engine, results
from kejin.standards.registry import resolve

PACKS = resolve("all")
FACTS = synth_facts(600, seed=11)
BATCH = engine.evaluate(FACTS, PACKS)
SQL = Path(__file__).resolve().parents[2] / "benchmarks" / "sql" / "tech_sme.sql"


@settings(max_examples=25, deadline=None)
@given(st.integers(min_value=0, max_value=FACTS["uscc"].n_unique() - 1))
def test_batch_equals_single_firm(i):
    uscc = FACTS["uscc"].unique(maintain_order=True)[i]
    single = engine.evaluate(FACTS.filter(pl.col("uscc") == uscc), PACKS)
    for ref, frame in single.items():
        batch_rows = BATCH[ref].filter(pl.col("uscc") == uscc)
        assert frame.equals(batch_rows.select(frame.columns)), ref



def test_gaps_reach_the_promised_points_when_applied():
    checked = 0
    for pack in PACKS:
        frame = BATCH[pack.ref]
        for spec in engine.gap_specs(pack):
            col = f"{spec.key}__to"
            rows = frame.filter(pl.col(col).is_not_null()).head(15)
            for row in rows.iter_rows(named=True):
                firm = FACTS.filter(pl.col("uscc") == row["uscc"])
                changed = firm.with_columns(
                    pl.when(pl.col("year") == row["year"]).then(pl.lit(row[col])).otherwise(pl.col(spec.lever)).cast(firm.schema[spec.lever]).alias(spec.lever)
                )
                after = engine.evaluate(changed, [pack], gaps=False)[pack.ref].filter(pl.col("year") == row["year"]).row(0, named=True)
                assert after[f"{spec.indicator.id}__lo"] >= row[f"{spec.key}__points"], (pack.ref, spec.key, row["uscc"])
                assert after[f"{spec.indicator.id}__lo"] > row[f"{spec.indicator.id}__lo"]
                if row[f"{spec.key}__flips"]:
                    assert after["passed"] is True
                # smallest: one unit less does not reach the tier
                unit = 1 if FACTS.schema[spec.lever] == pl.Int64 else 0.01
                less = row[col] - unit if row[col] > (row[spec.lever] or 0) else row[col] + unit
                back = firm.with_columns(
                    pl.when(pl.col("year") == row["year"]).then(pl.lit(less)).otherwise(pl.col(spec.lever)).cast(firm.schema[spec.lever]).alias(spec.lever)
                )
                before = engine.evaluate(back, [pack], gaps=False)[pack.ref].filter(pl.col("year") == row["year"]).row(0, named=True)
                assert before[f"{spec.indicator.id}__lo"] < row[f"{spec.key}__points"] or spec.indicator.alternatives
                checked += 1
    assert checked > 50


def test_duckdb_query_agrees_with_engine_on_tech_sme():
    facts = synth_facts(10_000, seed=5)
    pack = resolve("tech-sme")[0]
    ours = engine.evaluate(facts, [pack], gaps=False)[pack.ref]
    con = duckdb.connect()
    con.register("facts", facts.to_arrow())
    theirs = con.sql(SQL.read_text()).pl()
    joined = ours.join(theirs, on=["uscc", "year"])
    assert joined.height == facts.height
    both = joined.filter(pl.col("total_lo") == pl.col("total_hi"))
    assert both.height > 9000
    assert (both["total_lo"] == both["sql_total"].cast(pl.Float64)).all()
    decided = joined.filter(pl.col("passed").is_not_null())
    assert (decided["passed"] == decided["sql_passed"]).all()


def test_unknown_input_is_never_a_silent_zero():
    facts = synth_facts(30, seed=2).with_columns(pl.lit(None, dtype=pl.Float64).alias("total_cost"), pl.lit(0.0).alias("rd_expense"))
    frame = engine.evaluate(facts, resolve("tech-sme"), gaps=False)["tech-sme@2022"]
    assert (frame["rd_input__hi"] == 50).all() and (frame["rd_input__lo"] == 0).all()


def test_json_record_shape():
    pack = resolve("tech-sme")[0]
    rec = next(results.records(pack, BATCH[pack.ref]))
    for key in ("uscc", "year", "pack", "pack_version", "total", "passed", "indicators", "gaps", "reason"):
        assert key in rec
    assert rec["reason"]["zh"] and rec["reason"]["en"]


def test_condition_gaps_make_the_condition_hold_and_are_smallest():
    checked = 0
    for pack in PACKS:
        frame = BATCH[pack.ref]
        for spec in engine.condition_gap_specs(pack):
            col = f"{spec.key}__to"
            if col not in frame.columns:
                continue
            for row in frame.filter(pl.col(col).is_not_null()).head(10).iter_rows(named=True):
                firm = FACTS.filter(pl.col("uscc") == row["uscc"])
                unit = 1 if FACTS.schema[spec.lever] == pl.Int64 else 0.01

                def condition_after(value):
                    changed = firm.with_columns(
                        pl.when(pl.col("year") == row["year"]).then(pl.lit(value)).otherwise(pl.col(spec.lever)).cast(firm.schema[spec.lever]).alias(spec.lever)
                    )
                    out = engine.evaluate(changed, [pack], gaps=False)[pack.ref].filter(pl.col("year") == row["year"]).row(0, named=True)
                    return out[spec.column], out["passed"]

                met, passed = condition_after(row[col])
                assert met is True, (pack.ref, spec.key, row["uscc"], row["year"])
                if row[f"{spec.key}__flips"]:
                    assert passed is True
                step = unit if row[col] < (row[spec.lever] or 0) else -unit
                assert condition_after(row[col] + step)[0] is not True, (pack.ref, spec.key, "not the smallest change")
                checked += 1
    assert checked > 30


def test_flip_prefilter_misses_no_flip():
    """The cheap 'could pass' filter must never hide a change that does flip the verdict."""
    prepared = engine.prepare(FACTS, PACKS)
    for pack in PACKS:
        frame = BATCH[pack.ref]
        keys = [(s.key, s.lever) for s in engine.gap_specs(pack)]
        keys += [(c.key, c.lever) for c in engine.condition_gap_specs(pack) if f"{c.key}__to" in frame.columns]
        inputs = prepared.select(engine.needed_columns(pack, prepared.columns))
        for key, lever in keys:
            to = frame[f"{key}__to"]
            changed = inputs.with_columns(to.fill_null(inputs[lever]).cast(inputs.schema[lever]).alias(lever))
            brute = engine.verdict_frame(changed.lazy(), pack).collect()["passed"].fill_null(False)
            expected = (brute & ~frame["passed"].fill_null(False)).zip_with(to.is_not_null(), pl.Series([None] * frame.height, dtype=pl.Boolean))
            assert frame[f"{key}__flips"].equals(expected.alias(f"{key}__flips")), (pack.ref, key)
