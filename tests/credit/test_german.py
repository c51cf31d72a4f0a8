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


def test_kejin_keeps_up_with_optbinning_over_several_splits(german: pl.DataFrame):
    """Over eight stratified 70/30 splits (scikit-learn's, seeds 0–7) kejin's hold-out Gini is on
    average no worse than optbinning's, and never far behind on any one split (a 300-loan hold-out
    moves Gini by a few hundredths between two good models)."""
    from sklearn.model_selection import train_test_split

    y_all = (german[TARGET] == "bad").to_numpy().astype(int)
    categorical = [c for c in german.columns if c != TARGET and german.schema[c] == pl.String]
    gaps = []
    for seed in range(8):
        train_idx, test_idx = train_test_split(np.arange(german.height), test_size=0.3, random_state=seed, stratify=y_all)
        train, hold_out = german[train_idx], german[test_idx]
        card = fit_scorecard(train, TARGET, FitOptions(event="bad"))
        ours = metrics.discrimination(y_all[test_idx], score_frame(card, hold_out)["pd"].to_numpy())
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            x_train = train.drop(TARGET).to_pandas()
            reference = Scorecard(
                binning_process=BinningProcess(list(x_train.columns), categorical_variables=categorical),
                estimator=LogisticRegression(),
            ).fit(x_train, y_all[train_idx])
            theirs = metrics.discrimination(y_all[test_idx], reference.predict_proba(hold_out.drop(TARGET).to_pandas())[:, 1])
        gaps.append(ours.gini - theirs.gini)
    print("\nGini kejin − optbinning per split:", " ".join(f"{g:+.3f}" for g in gaps))
    assert np.mean(gaps) >= 0.0
    assert min(gaps) >= -0.04
