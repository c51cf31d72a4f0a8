from __future__ import annotations

import numpy as np
import polars as pl
import pytest

from kejin.credit.monitoring import monitor, write_monitoring_report
from kejin.credit.scorecard import score_frame
from kejin.credit.synthetic import make_loan_book
from kejin.errors import InputError


def test_development_sample_is_perfectly_stable(card, train_book):
    result = monitor(card, train_book)
    assert all(s.psi == pytest.approx(0.0, abs=1e-12) for s in result.overall.shifts)


def test_feature_psi_by_hand(card, test_book):
    result = monitor(card, test_book)
    feature = card.feature("debt_ratio")
    bins = np.searchsorted(feature.splits, test_book["debt_ratio"].to_numpy(), side="right")
    counts = np.bincount(bins, minlength=len(feature.bins))
    dev = np.array([b.count for b in feature.bins], dtype=float)
    by_hand = 0.0
    for e, a in zip(dev / dev.sum(), counts / counts.sum()):
        e, a = max(e, 1e-4), max(a, 1e-4)
        by_hand += (a - e) * np.log(a / e)
    assert result.overall.psi_of("debt_ratio") == pytest.approx(by_hand, abs=1e-12)


def test_score_psi_by_hand(card, test_book):
    result = monitor(card, test_book)
    score = score_frame(card, test_book)["score"].to_numpy()
    edges = card.development.score_edges
    actual = np.bincount(np.searchsorted(edges, score, side="right"), minlength=len(edges) + 1) / len(score)
    expected = np.array(card.development.score_counts) / sum(card.development.score_counts)
    assert result.overall.psi_of("score") == pytest.approx(float(((actual - expected) * np.log(actual / expected)).sum()))


def test_drift_over_periods_raises_warnings(card, tmp_path):
    periods = pl.concat([make_loan_book(3_000, seed=20 + i, drift=0.6 * i, period=f"2025-0{i + 1}") for i in range(3)])
    result = monitor(card, periods, period="period", target="default")
    psi = [p.psi_of("score") for p in result.periods]
    assert [p.period for p in result.periods] == ["2025-01", "2025-02", "2025-03"]
    assert psi[0] < 0.10 and psi[2] >= 0.25 and psi[0] < psi[1] < psi[2]
    assert result.verdict(psi[2]) == "alert"
    assert result.periods[2].observed_rate > result.periods[0].observed_rate
    records = result.records()
    assert {r["verdict"] for r in records} >= {"stable", "alert"}
    html = write_monitoring_report(result, tmp_path / "drift.html").read_text(encoding="utf-8")
    assert "<svg" in html and "稳定性总览" in html and "Stability over time" in html


def test_unseen_categories_get_their_own_band(train_book):
    from kejin.credit.card import FitSettings
    from kejin.credit.scorecard import FitOptions, fit_scorecard

    card = fit_scorecard(train_book, "default", FitOptions(features=["industry", "debt_ratio"], settings=FitSettings(min_iv=0.0)))
    new = train_book.head(1_000).with_columns(pl.lit("X99").alias("industry"))
    shift = next(s for s in monitor(card, new).overall.shifts if s.variable == "industry")
    assert shift.labels[-1] == "未知类别 unseen" and shift.actual[-1] == 1_000
    assert shift.psi > 0.25


def test_bad_thresholds_and_columns(card, test_book):
    with pytest.raises(InputError):
        monitor(card, test_book, warning=0.3, alert=0.2)
    with pytest.raises(InputError) as caught:
        monitor(card, test_book, period="month")
    assert caught.value.problems[0].field == "month"


def test_development_sample_is_stable_with_a_discrete_score(train_book):
    """Deciles of a score with few distinct values are development scores themselves: a row scoring exactly
    an edge must land in the same band when monitored (not one band lower after rounding)."""
    from kejin.credit.scorecard import FitOptions, fit_scorecard

    card = fit_scorecard(train_book, "default", FitOptions(features=["standards_met", "industry"]))
    edges = card.development.score_edges
    assert len(edges) >= 3
    result = monitor(card, train_book)
    assert result.overall.psi_of("score") == pytest.approx(0.0, abs=1e-12)
    assert result.overall.shifts[0].actual.tolist() == card.development.score_counts


def test_monitoring_counts_unseen_categories_even_when_the_card_refuses_them(train_book):
    from kejin.credit.card import FitSettings
    from kejin.credit.scorecard import FitOptions, fit_scorecard

    card = fit_scorecard(train_book, "default", FitOptions(features=["industry", "debt_ratio"], unseen_policy="error",
                                                           settings=FitSettings(min_iv=0.0)))
    new = train_book.head(500).with_columns(pl.lit("X99").alias("industry"))
    with pytest.raises(InputError):
        score_frame(card, new)
    shift = next(s for s in monitor(card, new).overall.shifts if s.variable == "industry")
    assert shift.actual[-1] == 500 and shift.labels[-1] == "未知类别 unseen"
