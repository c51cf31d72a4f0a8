"""Cohort statistics by sorting (kejin.points.cohorts) against the Polars windows they replace,
and the NumPy explanations against a plain-Python reading of the method."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from kejin.facts.synth import synth_facts
from kejin.points.cohorts import Cohorts, _by_value
from kejin.points.engine import score
from kejin.points.methods import resolve

STAGES = pl.Enum(["startup", "growth", "mature"])
# 1 + 2**-52 and -1 - 2**-52 differ from 1.0 and -1.0 only in the lowest bits, where the value sort keeps positions
NEAR = [1.0, 1.0 + 2**-52, 1.0 + 2**-50, -1.0, -1.0 - 2**-52]
VALUES = st.one_of(st.none(), st.sampled_from([0.0, -0.0, 1.0, 2.5, -3.0, 1e9, 7.25, *NEAR]), st.floats(-1e6, 1e6, allow_nan=False))


@st.composite
def tables(draw: st.DrawFn) -> pl.DataFrame:
    n = draw(st.integers(1, 60))
    return pl.DataFrame(
        {
            "year": draw(st.lists(st.integers(2020, 2023), min_size=n, max_size=n)),
            "stage": pl.Series(draw(st.lists(st.sampled_from(["startup", "growth", "mature", None]), min_size=n, max_size=n)), dtype=STAGES),
            "region": draw(st.lists(st.sampled_from(["4403", "1101", None]), min_size=n, max_size=n)),
            "x": pl.Series(draw(st.lists(VALUES, min_size=n, max_size=n)), dtype=pl.Float64),
        }
    )


def _windows(frame: pl.DataFrame, keys: list[str], qs: list[float]) -> pl.DataFrame:
    """The Polars windows; the quantiles of the known values only (Polars interpolates a column
    with nulls at a position offset by the null count, which may differ in the last bit)."""
    x = pl.col("x")
    quantiles = frame.filter(x.is_not_null()).group_by(keys).agg(x.quantile(q, "linear").alias(f"q{i}") for i, q in enumerate(qs))
    return frame.select(
        *keys,
        ((x.rank("average").over(keys) - 0.5) / x.count().over(keys).cast(pl.Float64)).alias("percentile"),
        x.count().over(keys).alias("size"),
        x.rank("min", descending=True).over(keys).cast(pl.Float64).alias("top"),
        x.rank("average").over(keys).alias("average"),
    ).join(quantiles, on=keys, how="left", nulls_equal=True, maintain_order="left")


def _same(mine: np.ndarray, theirs: pl.Series) -> None:
    expected = theirs.cast(pl.Float64).to_numpy()
    assert np.array_equal(np.isnan(mine), np.isnan(expected))
    # bit for bit, with -0.0 and 0.0 alike
    assert np.array_equal(mine[~np.isnan(mine)], expected[~np.isnan(expected)])


@pytest.mark.parametrize("segmented", [True, False], ids=["per-cohort", "all-at-once"])
@pytest.mark.parametrize("keys", [["year", "stage"], ["year", "stage", "region"]])
@settings(max_examples=60, deadline=None)
@given(frame=tables(), qs=st.lists(st.sampled_from([0.0, 0.02, 0.05, 0.5, 0.95, 0.98, 1.0]), min_size=1, max_size=3))
def test_statistics_equal_polars_windows(segmented, keys, frame, qs):
    c = Cohorts.of(frame, keys, segmented_max=1_000_000 if segmented else 0)
    x = frame.get_column("x").to_numpy()
    ref = _windows(frame, keys, qs)
    _same(c.percentile(x), ref["percentile"])
    for i, q in enumerate(c.quantiles(x, qs)):
        _same(q, ref[f"q{i}"])
    size, top, average = c.points_ranks(x)
    assert np.array_equal(size, ref["size"].to_numpy())
    _same(top, ref["top"])
    _same(average, ref["average"])


@pytest.mark.parametrize("segmented", [True, False], ids=["per-cohort", "all-at-once"])
def test_quantiles_of_large_cohorts_equal_polars(segmented):
    """Cohorts of thousands of values, where a partial sort leaves most of a run out of order:
    both ends of every quantile's position must still be the true order statistics."""
    rng = np.random.default_rng(11)
    n = 20_000
    x = rng.normal(0, 1e4, n).round(1)
    x[rng.random(n) < 0.05] = np.nan
    x[rng.random(n) < 0.05] = -0.0
    frame = pl.DataFrame({
        "year": rng.integers(2021, 2024, n),
        "stage": pl.Series(rng.choice(["startup", "growth", "mature"], n), dtype=STAGES),
        "x": pl.Series(x, nan_to_null=True),
    })
    qs = [0.05, 0.5, 0.95, 0.333]
    c = Cohorts.of(frame, ["year", "stage"], segmented_max=1_000_000 if segmented else 0)
    ref = _windows(frame, ["year", "stage"], qs)
    for i, q in enumerate(c.quantiles(x, qs)):
        _same(q, ref[f"q{i}"])


def test_cohort_codes_group_like_the_keys():
    frame = pl.DataFrame({"year": [2024, 2023, 2024, 2024], "stage": pl.Series(["growth", None, "growth", None], dtype=STAGES), "region": ["4403", "4403", "1101", "4403"]})
    c = Cohorts.of(frame, ["year", "stage", "region"])
    codes = c.codes.tolist()
    assert c.count == 4 and len(set(codes)) == 4  # (2024, growth, 4403) ≠ (2024, growth, 1101); blank stage is its own
    two = Cohorts.of(frame, ["year", "stage"])
    assert two.count == 3 and two.codes[0] == two.codes[2] and two.codes[1] != two.codes[3]


def test_not_a_number_counts_as_blank():
    frame = pl.DataFrame({"year": [2024] * 4, "stage": pl.Series(["growth"] * 4, dtype=STAGES)})
    c = Cohorts.of(frame, ["year", "stage"])
    with_nan = c.percentile(np.array([1.0, np.nan, 3.0, 2.0]))
    assert np.isnan(with_nan[1]) and with_nan[[0, 3, 2]].tolist() == [0.5 / 3, 1.5 / 3, 2.5 / 3]


def _reference_explanations(method_id: str, facts: pl.DataFrame, rows: int) -> None:
    """raised / lowered / unusable of the first ``rows`` rows, recomputed in plain Python from
    the indicator scores (``detail``) and the pack's weights."""
    m = resolve(method_id)
    out = score(facts, m, detail=True).head(rows)
    k = len(m.indicators)
    for r in out.iter_rows(named=True):
        unusable = [i.id for i in m.all_indicators() if r[f"score__{i.id}"] is None]
        assert r["unusable"] == ";".join(unusable)
        if r["stage"] is None or r["points"] is None:
            continue
        weights = m.stage_weights(r["stage"])
        scores = [r[f"score__{i.id}"] for i in m.indicators]
        known = 0.0
        for i, s in zip(m.indicators, scores):
            known = known + (0.0 if s is None else float(weights.get(i.id, 0.0)))
        factor = m.scale / known if m.missing.policy == "reweight" else 1.0
        c = [0.0 if s is None else float(weights.get(i.id, 0.0)) * factor * (s - 0.5) for i, s in zip(m.indicators, scores)]

        def top_two(sign: int) -> str | None:
            order = sorted(range(k), key=lambda j: (-sign * c[j], j))  # best first, pack order on ties
            picked = [m.indicators[j].id for j in order[:2] if sign * c[j] > 1e-12]
            return ";".join(picked) or None

        assert (r["raised"], r["lowered"]) == (top_two(1), top_two(-1)), r["uscc"]


@pytest.mark.parametrize("method_id", ["national-core", "v2", "local-frontier-pilot"])
def test_explanations_match_a_plain_reading_of_the_method(method_id):
    _reference_explanations(method_id, synth_facts(2000, seed=7), 2000)


def test_unusable_for_a_method_wider_than_the_bit_mask(monkeypatch):
    """More indicators than a 64-bit mask holds: the ids are joined row by row, same text."""
    from kejin.points import explain

    facts = synth_facts(300, seed=4)
    expected = score(facts, "national-core")["unusable"]
    assert (expected != "").any() and (expected == "").any()
    monkeypatch.setattr(explain, "MASK_BITS", 3)
    assert score(facts, "national-core")["unusable"].equals(expected)


CONTRIBUTIONS = st.sampled_from([0.0, -0.0, 1e-13, -1e-13, 2.0, -2.0, 0.5, -0.5, 3.25, -7.0])


@pytest.mark.parametrize("k", [1, 2, 18, 33, 65])  # one word of 32 bits, of 64, more than a word
@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(data=st.data())
def test_explanation_codes_match_a_plain_top_two(k, data):
    """The two largest and two smallest contributions of every row, pack order on ties, beyond
    ``EPS`` — against sorting each row in plain Python; blocks of 7 rows, so rows cross blocks."""
    from types import SimpleNamespace

    from kejin.points import explain

    n = data.draw(st.integers(1, 20))
    rows = [data.draw(st.lists(CONTRIBUTIONS | st.floats(-5, 5), min_size=k, max_size=k)) for _ in range(n)]
    frame = pl.DataFrame({f"__c{j}": [r[j] for r in rows] for j in range(k)}, schema={f"__c{j}": pl.Float64 for j in range(k)})
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(explain, "BLOCK", 7)
        raised, lowered = explain.explanation_codes(SimpleNamespace(indicators=[None] * k), frame)

    def code(c: list[float], sign: int) -> int:
        order = sorted(range(k), key=lambda j: (-sign * c[j], j))
        picked = [j for j in order[:2] if sign * c[j] > explain.EPS]
        first, second = (picked + [k, k])[:2]
        return first * (k + 1) + second

    assert raised.to_list() == [code(r, 1) for r in rows]
    assert lowered.to_list() == [code(r, -1) for r in rows]


@settings(max_examples=200, deadline=None)
@given(st.lists(st.one_of(st.sampled_from([0.0, -0.0, float("inf"), -float("inf"), *NEAR]), st.floats(allow_nan=False)), max_size=300))
def test_value_sort_is_a_sort(values):
    """``_by_value`` gives an order that sorts the values (ties in any order) and the sorted
    values, also for values apart only in their lowest bits (then it falls back to argsort)."""
    x = np.array(values, dtype=np.float64)
    order, ordered = _by_value(x)
    assert sorted(order.tolist()) == list(range(len(x)))
    assert np.array_equal(ordered, x[order])
    assert np.array_equal(ordered, np.sort(x))
