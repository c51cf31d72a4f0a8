"""`verify` confirms a results file completely: every published column the engine writes, each
enterprise-year exactly once, the required columns present — in CSV and JSON alike."""

from __future__ import annotations

import polars as pl
import pytest

from kejin.errors import InputError
from kejin.facts.synth import synth_facts
from kejin.points import score
from kejin.points.verify import read_results, verify


@pytest.fixture(scope="module")
def facts() -> pl.DataFrame:
    return synth_facts(300, seed=3)


@pytest.fixture(scope="module")
def published(facts) -> pl.DataFrame:
    return score(facts)


def _edited(frame: pl.DataFrame, row: int, column: str, value) -> pl.DataFrame:
    """``frame`` with one cell replaced (the column becomes text when the value is text)."""
    if isinstance(value, str) and frame.schema[column] != pl.String:
        frame = frame.with_columns(pl.col(column).cast(pl.String))
    edited = pl.when(pl.int_range(pl.len()) == row).then(pl.lit(value)).otherwise(pl.col(column))
    return frame.with_columns(edited.alias(column))


@pytest.mark.parametrize("suffix", [".csv", ".json"])
def test_a_written_results_file_verifies(tmp_path, facts, published, suffix):
    path = tmp_path / f"r{suffix}"
    published.write_csv(path) if suffix == ".csv" else published.write_json(path)
    report = verify(read_results(path), facts)
    assert report.ok, report.first
    assert report.years == sorted(published["year"].unique().to_list())
    for column in ("stage", "cohort_size", "points", "percentile", "rank", "tier", "status", "raised", "lowered", "unusable"):
        assert column in report.columns


@pytest.mark.parametrize(
    ("column", "value"),
    [("cohort_size", 99), ("raised", "foo"), ("lowered", "foo"), ("unusable", "bar"), ("rank", "abc"), ("status", "scored?"), ("group_growth", 1.5)],
)
def test_every_published_column_is_compared(facts, published, column, value):
    row = 7
    report = verify(_edited(published, row, column, value), facts)
    assert not report.ok
    first = report.first
    assert (first.uscc, first.year, first.column) == (published["uscc"][row], published["year"][row], column)


def test_the_name_is_a_label_not_a_verified_input(facts, published):
    assert verify(_edited(published, 3, "name", "另一个名字"), facts).ok


@pytest.mark.parametrize("column", ["points", "stage", "tier", "percentile", "method_sha256", "input_digest"])
def test_a_results_file_without_a_required_column_is_refused(facts, published, column):
    with pytest.raises(InputError) as err:
        verify(published.drop(column), facts)
    assert err.value.problems[0].field == column


def test_a_results_file_without_rows_is_refused(tmp_path, facts, published):
    path = tmp_path / "empty.csv"
    published.head(0).write_csv(path)
    with pytest.raises(InputError) as err:
        verify(read_results(path), facts)
    assert "no rows" in err.value.problems[0].en


def test_a_row_published_twice_is_a_difference(facts, published):
    report = verify(pl.concat([published, published.slice(11, 1)]), facts)
    assert not report.ok
    assert (report.first.uscc, report.first.year, report.first.column) == (published["uscc"][11], published["year"][11], "row")
    assert "more than once" in report.first.text()


def test_a_missing_row_is_named_in_plain_words(facts, published):
    report = verify(published.filter(pl.int_range(pl.len()) != 5), facts)
    assert not report.ok
    assert (report.first.uscc, report.first.year) == (published["uscc"][5], published["year"][5])
    assert "missing from the published results" in report.first.text() and "发布结果中缺少" in report.first.text()


def test_results_of_one_year_verify_and_are_checked_in_full(facts, published):
    year = published["year"].max()
    one_year = published.filter(pl.col("year") == year)
    report = verify(one_year, facts)
    assert report.ok and report.years == [year] and report.checked == one_year.height
    assert not verify(one_year.slice(1), facts).ok  # within the year, every enterprise-year must be there


def test_detail_columns_are_verified_too(facts):
    detailed = score(facts, detail=True)
    assert verify(detailed, facts).ok
    raw = next(c for c in detailed.columns if c.startswith("raw__"))
    report = verify(_edited(detailed, 2, raw, 12345.678), facts)
    assert not report.ok and report.first.column == raw


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("broken.json", b'[{"uscc": "91440305787789323F",'),  # cut off
        ("number.json", b"5"),
        ("wrapped.json", b'{"results": 5}'),
        ("text.json", b"\xff\xfe not utf-8"),
        ("book.xlsx", b"PK\x03\x04 not a results table"),
        ("binary.csv", b"uscc,year\n\xff\xfe\xfa,2024\n"),
    ],
)
def test_a_results_file_that_cannot_be_read_is_an_input_error(tmp_path, name, content):
    """Not a traceback and not a "mismatch" (exit 1): a bilingual input error naming the file (exit 2)."""
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(InputError) as err:
        read_results(path)
    problem = err.value.problems[0]
    assert problem.code == "points.results_unreadable" and problem.file == str(path)
    assert problem.zh and problem.en and problem.zh != problem.en
