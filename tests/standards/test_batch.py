"""The chunked export path (`kejin.standards.batch`, `kejin.facts.chunks`) equals the whole-table
engine, reports every problem of every chunk, and leaves nothing behind when the input is bad."""

import numpy as np
import polars as pl
import pytest
from hypothesis import given, settings, strategies as st

from kejin.errors import InputError
from kejin.facts import codes
from kejin.facts.chunks import FactChunks
from kejin.facts.synth import synth_facts
from kejin.output import publish
from kejin.rules.expr import Use
from kejin.rules.lags import with_lags
from kejin.standards import batch, engine, results
from kejin.standards.registry import resolve

PACKS = resolve("all")
FACTS = synth_facts(450, seed=5)  # firms of three consecutive years, firm after firm, not sorted by code


def whole_table(facts: pl.DataFrame, gaps: bool, year: int | None = None) -> pl.DataFrame:
    return results.wide(PACKS, engine.evaluate(facts, PACKS, gaps=gaps, year=year))


def chunked(path, chunk_rows: int, gaps: bool, year: int | None = None) -> tuple[pl.DataFrame, int]:
    source = batch.open_facts(path, PACKS, chunk_rows=chunk_rows)
    parts = list(batch.wide_chunks(source, PACKS, gaps=gaps, year=year))
    return pl.concat(parts), source.chunks


@pytest.mark.parametrize("suffix", [".parquet", ".csv"])
@pytest.mark.parametrize("gaps", [False, True])
def test_chunks_equal_the_whole_table(tmp_path, suffix, gaps):
    path = tmp_path / f"facts{suffix}"
    if suffix == ".parquet":
        FACTS.write_parquet(path)
    else:
        FACTS.with_columns(pl.col("frontier_sectors").list.join(";")).write_csv(path)
    got, n_chunks = chunked(path, 64, gaps)
    assert n_chunks > 5  # really cut into pieces, each at a firm boundary
    expected = whole_table(FACTS, gaps)
    assert got.columns == expected.columns
    assert got.dtypes == expected.dtypes  # the same types in every chunk (decided by the packs)
    assert got.equals(expected)


def test_year_filter_keeps_earlier_years_for_growth(tmp_path):
    path = tmp_path / "facts.parquet"
    FACTS.write_parquet(path)
    got, _ = chunked(path, 50, False, year=2024)
    assert got["year"].unique().to_list() == [2024]
    assert got.equals(whole_table(FACTS, False, year=2024))


def test_unordered_file_is_read_as_one_chunk_and_keeps_its_row_order(tmp_path):
    shuffled = FACTS.sample(fraction=1.0, shuffle=True, seed=3)
    path = tmp_path / "shuffled.parquet"
    shuffled.write_parquet(path)
    got, n_chunks = chunked(path, 64, False)
    assert n_chunks == 1
    assert got.equals(whole_table(shuffled, False))
    assert got["uscc"].to_list() == shuffled["uscc"].to_list()


def test_problems_of_every_chunk_are_reported_and_nothing_is_yielded_after_the_first(tmp_path):
    bad = FACTS.with_columns(
        pl.when(pl.int_range(pl.len()) == 10).then(-5.0).otherwise(pl.col("revenue")).alias("revenue"),
        pl.when(pl.int_range(pl.len()) == 400).then(-1).otherwise(pl.col("employees")).alias("employees"),
    )
    path = tmp_path / "bad.parquet"
    bad.write_parquet(path)
    source = FactChunks(path, fields=batch.input_fields(PACKS), chunk_rows=64)
    seen = []
    with pytest.raises(InputError) as err:
        for chunk in source:
            seen.append(chunk)
    assert seen == []  # the first chunk already fails
    located = {(p.row, p.field) for p in err.value.problems}
    assert (11, "revenue") in located and (401, "employees") in located


def test_cli_leaves_no_output_when_a_late_row_is_bad(tmp_path):
    import subprocess
    import sys

    bad = FACTS.with_columns(pl.when(pl.int_range(pl.len()) == 440).then(pl.lit("91110000XXXXXXXXX1")).otherwise(pl.col("uscc")).alias("uscc"))
    path = tmp_path / "bad.parquet"
    bad.write_parquet(path)
    out = tmp_path / "out.csv"
    result = subprocess.run(
        [sys.executable, "-m", "kejin", "standards", "eval", "--input", str(path), "--format", "csv", "--output", str(out), "--no-gaps", "--chunk-rows", "64"],
        capture_output=True, text=True, timeout=300,
    )
    assert result.returncode != 0
    assert "441" in result.stdout + result.stderr  # the row is named
    assert not out.exists()
    assert [p.name for p in tmp_path.iterdir()] == ["bad.parquet"]  # no temporary file left either


def test_eval_checks_the_fields_the_packs_read_and_ignores_the_rest(tmp_path):
    """A broken cell in a column no chosen pack reads does not block an evaluation (``kejin
    validate`` still reports it); one in a column the pack reads does."""
    unused = FACTS.with_columns(pl.lit(-3, dtype=pl.Int64).alias("years_in_niche"))
    tech_sme = resolve("tech-sme")
    assert "years_in_niche" not in batch.input_fields(tech_sme)
    assert "years_in_niche" in batch.input_fields(resolve("srdi-sme"))
    path = tmp_path / "facts.parquet"
    unused.write_parquet(path)
    got = pl.concat(list(batch.wide_chunks(batch.open_facts(path, tech_sme, chunk_rows=100), tech_sme, gaps=False)))
    assert got.height == FACTS.height
    with pytest.raises(InputError):
        list(batch.open_facts(path, resolve("srdi-sme"), chunk_rows=100))


@settings(max_examples=30, deadline=None)
@given(st.lists(st.sampled_from(["91350100M000100Y0H", "91110108MA01XYZ123", "9144030071526726XG", None, "bad"]), min_size=1, max_size=40))
def test_uscc_check_of_repeated_codes_equals_code_by_code(values):
    series = pl.Series(values, dtype=pl.String)
    expected = np.array([codes.uscc_valid_mask(pl.Series([v], dtype=pl.String))[0] for v in values])
    assert (codes.uscc_valid_mask(series) == expected).all()


@settings(max_examples=30, deadline=None)
@given(st.randoms(use_true_random=False))
def test_lags_of_a_firm_grouped_table_equal_those_of_the_sorted_table(rnd):
    firms = FACTS["uscc"].unique(maintain_order=True).to_list()
    rnd.shuffle(firms)
    grouped = FACTS.join(pl.DataFrame({"uscc": firms, "o": range(len(firms))}), on="uscc").sort("o", "year").drop("o")
    grouped = grouped.filter(pl.int_range(pl.len()) % 7 != 3)  # gap years
    needed = {Use("revenue", 1), Use("revenue", 2), Use("rd_expense", 1), Use("__present__", 2)}
    fast = with_lags(grouped, needed)
    slow = with_lags(grouped.sort("uscc", "year"), needed)
    assert fast.sort("uscc", "year").equals(slow)


@settings(max_examples=30, deadline=None)
@given(st.randoms(use_true_random=False))
def test_lags_through_a_given_key_order_equal_those_of_the_sorted_table(rnd):
    """Rows in no firm-after-firm order: the lags found through the order that sorts the keys
    (as the points engine hands it over) are those of the sorted table, in the rows' own order."""
    from kejin.facts.layout import firm_runs, sorted_keys

    shuffled = FACTS.filter(pl.int_range(pl.len()) % 5 != 2).sample(fraction=1.0, shuffle=True, seed=rnd.randrange(1 << 30))
    if firm_runs(shuffled) is not None:
        return
    needed = {Use("revenue", 1), Use("revenue", 3), Use("rd_expense", 1), Use("__present__", 2)}
    through_order = with_lags(shuffled, needed, keys=sorted_keys(shuffled))
    assert through_order.select("uscc", "year").equals(shuffled.select("uscc", "year"))
    assert through_order.equals(with_lags(shuffled, needed))
    assert through_order.sort("uscc", "year").equals(with_lags(shuffled.sort("uscc", "year"), needed))



def test_published_output_has_the_usual_file_mode(tmp_path):
    import os

    out = tmp_path / "out.csv"
    with publish(out) as handle:
        handle.write(b"a\n")
    plain = tmp_path / "plain.csv"
    plain.write_bytes(b"a\n")
    assert out.read_bytes() == b"a\n"
    assert os.stat(out).st_mode == os.stat(plain).st_mode
