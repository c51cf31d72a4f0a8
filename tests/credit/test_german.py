"""Proof on real data: kejin's scorecard vs optbinning's Scorecard on the German credit data.

Same fixed split (seeded permutation, 700 train / 300 hold-out), same scaling, each with its
defaults. kejin must not be worse than optbinning by more than 0.02 Gini on the hold-out.
"""

from __future__ import annotations

import warnings

import numpy as np
import polars as pl
from optbinning import BinningProcess, Scorecard
from sklearn.linear_model import LogisticRegression

from kejin.credit import metrics
from kejin.credit.scorecard import FitOptions, fit_scorecard, score_frame

TARGET = "creditability"
SPLIT_SEED = 0
N_TRAIN = 700


def test_kejin_matches_optbinning_on_german_credit(german: pl.DataFrame):
    order = np.random.default_rng(SPLIT_SEED).permutation(german.height)
    train, hold_out = german[order[:N_TRAIN]], german[order[N_TRAIN:]]
    y_train = (train[TARGET] == "bad").to_numpy().astype(int)
    y_test = (hold_out[TARGET] == "bad").to_numpy().astype(int)

    card = fit_scorecard(train, TARGET, FitOptions(event="bad"))
    ours = metrics.discrimination(y_test, score_frame(card, hold_out)["pd"].to_numpy())

    x_train, x_test = train.drop(TARGET).to_pandas(), hold_out.drop(TARGET).to_pandas()
    categorical = [c for c in train.columns if c != TARGET and train.schema[c] == pl.String]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        reference = Scorecard(
            binning_process=BinningProcess(list(x_train.columns), categorical_variables=categorical),
            estimator=LogisticRegression(),
            scaling_method="pdo_odds",
            scaling_method_params={"pdo": 20, "odds": 50, "scorecard_points": 600},
        ).fit(x_train, y_train)
        theirs = metrics.discrimination(y_test, reference.predict_proba(x_test)[:, 1])

    print(
        f"\nGerman credit hold-out (n={ours.n}, defaults={ours.defaults}): "
        f"kejin AUC {ours.auc:.4f} Gini {ours.gini:.4f} KS {ours.ks:.4f} | "
        f"optbinning AUC {theirs.auc:.4f} Gini {theirs.gini:.4f} KS {theirs.ks:.4f}"
    )
    assert ours.gini >= theirs.gini - 0.02
    assert ours.auc > 0.7
