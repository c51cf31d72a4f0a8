"""Performance of a card on a labelled sample: AUC, Gini, KS, calibration, score histogram."""

from __future__ import annotations

import numpy as np

from kejin.credit import metrics
from kejin.credit.card import Evaluation

HISTOGRAM_BINS = 20


def evaluate(y: np.ndarray, score: np.ndarray, pd: np.ndarray) -> Evaluation:
    y = np.asarray(y).astype(np.int64)
    found = metrics.discrimination(y, pd)
    bands = metrics.calibration_table(y, pd, score)
    hl, hl_p = metrics.hosmer_lemeshow(bands)
    low, high = float(np.min(score)), float(np.max(score))
    edges = np.linspace(low, high if high > low else low + 1, HISTOGRAM_BINS + 1)
    goods, _ = np.histogram(score[y == 0], bins=edges)
    bads, _ = np.histogram(score[y == 1], bins=edges)
    fpr, tpr = metrics.roc_points(y, pd)
    return Evaluation(
        n=found.n,
        defaults=found.defaults,
        auc=found.auc,
        gini=found.gini,
        ks=found.ks,
        calibration=bands,
        hosmer_lemeshow=hl,
        hosmer_lemeshow_p=hl_p,
        histogram_edges=[float(e) for e in edges],
        histogram_goods=[int(g) for g in goods],
        histogram_bads=[int(b) for b in bads],
        roc_fpr=[float(v) for v in fpr],
        roc_tpr=[float(v) for v in tpr],
    )
