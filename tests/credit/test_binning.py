from __future__ import annotations

import itertools

import numpy as np
import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kejin.credit import binning
from kejin.credit.binning import BinningOptions, iv_terms, optimal_partition, woe_of


def brute_force(events: np.ndarray, nonevents: np.ndarray, min_size: float, trend: str) -> float:
    """Best IV over every partition of the pre-bins, by enumeration (the oracle)."""
    m, best = len(events), 0.0
    for cuts in itertools.chain.from_iterable(itertools.combinations(range(1, m), k) for k in range(m)):
        starts = [0, *cuts]
        ev, ne = np.add.reduceat(events, starts), np.add.reduceat(nonevents, starts)
        if (ev <= 0).any() or (ne <= 0).any() or ((ev + ne) < min_size).any():
            continue
        rate = ev / (ev + ne)
        step = np.diff(rate)
        if (step < 0).any() if trend == "ascending" else (step > 0).any():
            continue
        best = max(best, float(iv_terms(ev, ne).sum()))
    return best


@settings(max_examples=40, deadline=None)
@given(
    st.lists(st.tuples(st.integers(0, 30), st.integers(1, 200)), min_size=2, max_size=8),
    st.sampled_from(["ascending", "descending"]),
)
def test_dynamic_programme_matches_enumeration(prebins, trend):
    events = np.array([e for e, _ in prebins], dtype=float)
    nonevents = np.array([n for _, n in prebins], dtype=float)
    if events.sum() == 0:
        events[0] = 1
    min_size = 0.05 * (events.sum() + nonevents.sum())
    starts, value = optimal_partition(events, nonevents, min_size, trend)
    assert value == pytest.approx(brute_force(events, nonevents, min_size, trend), abs=1e-9)
    ev, ne = np.add.reduceat(events, starts), np.add.reduceat(nonevents, starts)
    if value > 0:
        rate = ev / (ev + ne)
        assert (np.diff(rate) >= -1e-12).all() if trend == "ascending" else (np.diff(rate) <= 1e-12).all()
        assert ((ev + ne) >= min_size).all()


def test_woe_and_iv_by_hand():
    events, nonevents = np.array([10.0, 30.0, 0.0]), np.array([90.0, 70.0, 0.0])
    # shares: defaults 0.25 / 0.75, non-defaults 90/160 / 70/160; the empty missing bin is neutral
    woe = woe_of(events, nonevents)
    assert woe[0] == pytest.approx(np.log((90 / 160) / 0.25))
    assert woe[1] == pytest.approx(np.log((70 / 160) / 0.75))
    assert woe[2] == 0.0
    iv = (90 / 160 - 0.25) * np.log((90 / 160) / 0.25) + (70 / 160 - 0.75) * np.log((70 / 160) / 0.75)
    assert iv_terms(events, nonevents).sum() == pytest.approx(iv)


def test_numeric_binning_is_monotonic_and_counts_missing():
    rng = np.random.default_rng(0)
    x = rng.normal(size=20_000)
    y = (rng.random(20_000) < 1 / (1 + np.exp(2 + 1.2 * x))).astype(np.int8)
    x[:300] = np.nan
    feature = binning.bin_numeric("x", x, y, BinningOptions())
    rates = feature.events[:-1] / (feature.events[:-1] + feature.nonevents[:-1])
    assert feature.trend == "descending" and (np.diff(rates) <= 0).all()
    assert feature.events[-1] + feature.nonevents[-1] == 300
    assert feature.events.sum() == y.sum()
    index = binning.numeric_bin_index(feature.splits, np.array([np.nan, -10.0, feature.splits[0], 10.0]))
    assert index.tolist() == [feature.n_bins, 0, 1, feature.n_bins - 1]


def test_categorical_binning_groups_by_rate_and_flags_unseen():
    cats = pl.Series(["a"] * 400 + ["b"] * 400 + ["c"] * 400 + [None] * 50)
    y = np.array([0] * 380 + [1] * 20 + [0] * 300 + [1] * 100 + [0] * 200 + [1] * 200 + [0] * 40 + [1] * 10, dtype=np.int8)
    feature = binning.bin_categorical("c", cats, y, BinningOptions())
    assert feature.groups == [["a"], ["b"], ["c"]]
    assert (feature.events[-1], feature.nonevents[-1]) == (10, 40)
    index = binning.categorical_bin_index(feature.groups, pl.Series(["c", None, "zzz", "a"]))
    assert index.tolist() == [2, 3, binning.UNSEEN, 0]
