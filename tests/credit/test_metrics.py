from __future__ import annotations

import numpy as np
import pytest
from scipy import stats
from sklearn.metrics import roc_auc_score

from kejin.credit import metrics


@pytest.fixture
def sample():
    rng = np.random.default_rng(3)
    y = (rng.random(3_000) < 0.1).astype(int)
    risk = np.round(rng.normal(size=3_000) + y, 1)  # rounded: many ties
    return y, risk


def test_auc_matches_sklearn_with_ties(sample):
    y, risk = sample
    assert metrics.auc(y, risk) == pytest.approx(roc_auc_score(y, risk), abs=1e-12)
    assert metrics.gini(y, risk) == pytest.approx(2 * roc_auc_score(y, risk) - 1, abs=1e-12)


def test_ks_matches_two_sample_statistic(sample):
    y, risk = sample
    assert metrics.ks(y, risk) == pytest.approx(stats.ks_2samp(risk[y == 1], risk[y == 0]).statistic, abs=1e-12)


def test_psi_by_hand():
    expected, actual = np.array([100, 300, 600]), np.array([200, 300, 500])
    e, a = expected / 1000, actual / 1000
    by_hand = sum((ai - ei) * np.log(ai / ei) for ai, ei in zip(a, e))
    assert metrics.psi(expected, actual).sum() == pytest.approx(by_hand)
    assert by_hand == pytest.approx(0.1 * np.log(2) - 0.1 * np.log(5 / 6))  # ≈ 0.0875
    assert metrics.psi_verdict(0.09) == "stable"
    assert metrics.psi_verdict(0.10) == "warning"
    assert metrics.psi_verdict(0.25) == "alert"


def test_psi_empty_band_is_finite():
    assert np.isfinite(metrics.psi(np.array([10, 0]), np.array([5, 5])).sum())


def test_hosmer_lemeshow_by_hand():
    rows = [
        metrics.CalibrationRow(band=1, score_low=0, score_high=1, n=100, defaults=12, observed_rate=0.12, mean_pd=0.10),
        metrics.CalibrationRow(band=2, score_low=1, score_high=2, n=100, defaults=3, observed_rate=0.03, mean_pd=0.05),
        metrics.CalibrationRow(band=3, score_low=2, score_high=3, n=100, defaults=1, observed_rate=0.01, mean_pd=0.01),
    ]
    statistic = (12 - 10) ** 2 / (10 * 0.9) + (3 - 5) ** 2 / (5 * 0.95) + 0.0
    value, p = metrics.hosmer_lemeshow(rows)
    assert value == pytest.approx(statistic)
    assert p == pytest.approx(stats.chi2.sf(statistic, 1))
