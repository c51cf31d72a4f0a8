"""Discrimination, calibration and stability measures used by reports and monitoring.

All take a risk measure where larger means riskier (a PD); pass ``-score`` for a score.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import stats

from kejin.credit.card import CalibrationBand

# Verdict thresholds for PSI/CSI, the industry convention optbinning also uses.
PSI_WARNING = 0.10
PSI_ALERT = 0.25
# An empty band in either sample would make PSI infinite; a tiny share keeps it finite.
PSI_EPSILON = 1e-4


def auc(y: np.ndarray, risk: np.ndarray) -> float:
    """Area under the ROC curve by ranks (Mann–Whitney), ties counted as one half."""
    y = np.asarray(y).astype(bool)
    n1, n0 = int(y.sum()), int((~y).sum())
    if n1 == 0 or n0 == 0:
        return float("nan")
    ranks = stats.rankdata(risk)
    return float((ranks[y].sum() - n1 * (n1 + 1) / 2) / (n1 * n0))


def gini(y: np.ndarray, risk: np.ndarray) -> float:
    return 2 * auc(y, risk) - 1


def _cumulative_rates(y: np.ndarray, risk: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Share of defaults and non-defaults at or above each distinct risk level (riskiest first)."""
    order = np.argsort(-risk, kind="stable")
    r, t = risk[order], np.asarray(y)[order].astype(np.float64)
    last_of_tie = np.append(r[1:] != r[:-1], True)
    cum_bad = np.cumsum(t)[last_of_tie] / max(t.sum(), 1)
    cum_good = np.cumsum(1 - t)[last_of_tie] / max((1 - t).sum(), 1)
    return np.concatenate([[0.0], cum_good]), np.concatenate([[0.0], cum_bad])


def ks(y: np.ndarray, risk: np.ndarray) -> float:
    """Kolmogorov–Smirnov: largest gap between the cumulative default and non-default curves."""
    good, bad = _cumulative_rates(y, risk)
    return float(np.max(np.abs(bad - good)))


def roc_points(y: np.ndarray, risk: np.ndarray, max_points: int = 200) -> tuple[np.ndarray, np.ndarray]:
    """False- and true-positive rates, thinned for a chart."""
    fpr, tpr = _cumulative_rates(y, risk)
    keep = np.unique(np.linspace(0, len(fpr) - 1, min(max_points, len(fpr))).astype(int))
    return fpr[keep], tpr[keep]


@dataclass(frozen=True)
class Discrimination:
    n: int
    defaults: int
    auc: float
    gini: float
    ks: float

    def as_dict(self) -> dict[str, float | int]:
        return {"n": self.n, "defaults": self.defaults, "auc": self.auc, "gini": self.gini, "ks": self.ks}


def discrimination(y: np.ndarray, risk: np.ndarray) -> Discrimination:
    a = auc(y, risk)
    return Discrimination(n=len(y), defaults=int(np.sum(y)), auc=a, gini=2 * a - 1, ks=ks(y, risk))


def psi(expected_counts: np.ndarray, actual_counts: np.ndarray) -> np.ndarray:
    """PSI contribution per band: (a − e)·ln(a / e) on shares; sum them for the index."""
    e = np.asarray(expected_counts, dtype=np.float64)
    a = np.asarray(actual_counts, dtype=np.float64)
    e_share = np.maximum(e / max(e.sum(), 1.0), PSI_EPSILON)
    a_share = np.maximum(a / max(a.sum(), 1.0), PSI_EPSILON)
    return (a_share - e_share) * np.log(a_share / e_share)


def psi_verdict(value: float, warning: float = PSI_WARNING, alert: float = PSI_ALERT) -> str:
    if value >= alert:
        return "alert"
    if value >= warning:
        return "warning"
    return "stable"


VERDICT_ZH = {"stable": "稳定", "warning": "预警", "alert": "警报"}


CalibrationRow = CalibrationBand  # a band of the calibration table, stored in the card as it is


def calibration_table(y: np.ndarray, pd: np.ndarray, score: np.ndarray, n_bands: int = 10) -> list[CalibrationRow]:
    """Score bands of (nearly) equal size, riskiest first, with observed vs predicted default rate."""
    order = np.argsort(score, kind="stable")
    rows = []
    for band, idx in enumerate(np.array_split(order, min(n_bands, len(order)))):
        if len(idx) == 0:
            continue
        rows.append(
            CalibrationRow(
                band=band + 1,
                score_low=float(score[idx].min()),
                score_high=float(score[idx].max()),
                n=len(idx),
                defaults=int(y[idx].sum()),
                observed_rate=float(y[idx].mean()),
                mean_pd=float(pd[idx].mean()),
            )
        )
    return rows


def hosmer_lemeshow(rows: list[CalibrationRow]) -> tuple[float, float]:
    """Hosmer–Lemeshow statistic and p-value over the calibration bands (g − 2 degrees of freedom)."""
    expected = np.array([r.mean_pd * r.n for r in rows])
    observed = np.array([r.defaults for r in rows], dtype=np.float64)
    n = np.array([r.n for r in rows], dtype=np.float64)
    variance = np.maximum(expected * (1 - expected / n), 1e-12)
    statistic = float(((observed - expected) ** 2 / variance).sum())
    dof = max(len(rows) - 2, 1)
    return statistic, float(stats.chi2.sf(statistic, dof))
