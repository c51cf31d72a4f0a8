from __future__ import annotations

import duckdb
import numpy as np
import polars as pl
import pytest
from sklearn.linear_model import LogisticRegression

from kejin.credit.card import FitSettings, load_card, save_card, versioned_path
from kejin.credit.export import to_sql
from kejin.credit.logistic import fit_logistic
from kejin.credit.scaling import Scaling
from kejin.credit.scorecard import FitOptions, fit_scorecard, score_frame
from kejin.credit.synthetic import FINANCIAL_FEATURES, TECH_FEATURES
from kejin.errors import InputError

FEATURES = FINANCIAL_FEATURES + TECH_FEATURES


def test_logistic_matches_sklearn_unpenalised():
    rng = np.random.default_rng(5)
    x = rng.normal(size=(5_000, 4))
    y = (rng.random(5_000) < 1 / (1 + np.exp(-(-2 + x @ [0.8, -0.5, 0.3, 0.0])))).astype(int)
    intercept, coefficients = fit_logistic(x, y)
    reference = LogisticRegression(C=np.inf, tol=1e-10, max_iter=1000).fit(x, y)
    assert intercept == pytest.approx(reference.intercept_[0], abs=1e-4)
    assert coefficients == pytest.approx(reference.coef_[0], abs=1e-4)


def test_logistic_with_l2_matches_sklearn_default():
    """``l2 = 1`` is scikit-learn's default penalty (C = 1), the card's default."""
    rng = np.random.default_rng(6)
    x = rng.normal(size=(700, 5))
    y = (rng.random(700) < 1 / (1 + np.exp(-(-1 + x @ [0.9, -0.6, 0.4, 0.1, 0.0])))).astype(int)
    intercept, coefficients = fit_logistic(x, y, l2=1.0)
    reference = LogisticRegression(C=1.0, tol=1e-10, max_iter=1000).fit(x, y)
    assert intercept == pytest.approx(reference.intercept_[0], abs=1e-5)
    assert coefficients == pytest.approx(reference.coef_[0], abs=1e-5)


def test_card_round_trip_scores_identically(card, test_book, tmp_path):
    path, version = versioned_path(tmp_path, card.model_id)
    assert (path.name, version) == ("synthetic-v1.json", 1)
    save_card(card, path)
    assert versioned_path(tmp_path, card.model_id)[1] == 2  # next save gets the next version
    reloaded = load_card(path)
    assert reloaded.scaling == card.scaling
    before, after = score_frame(card, test_book), score_frame(reloaded, test_book)
    assert before.equals(after)


def test_custom_scaling_survives_reload(train_book, tmp_path):
    scaling = Scaling(pdo=40, base_score=700, base_odds=20, rounding=True)
    card = fit_scorecard(train_book, "default", FitOptions(features=["debt_ratio", "points_tech"], scaling=scaling))
    path = save_card(card, tmp_path / "c.json")
    reloaded = load_card(path)
    assert reloaded.scaling == scaling
    points = [b.points for f in reloaded.features for b in f.bins]
    assert all(p == round(p) for p in points)
    # At the base odds (non-default:default = 20) the score is the base score.
    assert scaling.score_from_pd(np.array([1 / 21]))[0] == pytest.approx(700)
    assert scaling.score_from_pd(np.array([1 / 41]))[0] == pytest.approx(740)


def test_pd_is_calibrated_on_development(card, train_book):
    scored = score_frame(card, train_book)
    assert scored["pd"].mean() == pytest.approx(train_book["default"].mean(), rel=0.02)


def test_target_pd_shifts_the_average(train_book):
    card = fit_scorecard(train_book, "default", FitOptions(features=FEATURES, target_pd=0.02))
    assert card.calibration.intercept_shift < 0
    assert score_frame(card, train_book)["pd"].mean() == pytest.approx(0.02, rel=0.1)


def test_reason_codes_are_the_largest_point_losses(card, test_book):
    scored = score_frame(card, test_book.head(300), with_points=True)
    best = {f.name: f.max_points for f in card.features}
    for row in scored.iter_rows(named=True):
        lost = sorted(((best[n] - row[f"points_{n}"], n) for n in best), reverse=True)
        expected = [n for value, n in lost[:3] if value > 1e-6]
        got = [row[f"reason_{i}"] for i in (1, 2, 3) if row[f"reason_{i}"] is not None]
        assert got == expected
        assert row["reason_1_points"] == pytest.approx(lost[0][0], abs=1e-3)
        assert row["score"] == pytest.approx(sum(row[f"points_{n}"] for n in best), abs=1e-3)


def test_sql_export_scores_like_python_in_duckdb(card, test_book):
    book = test_book.head(2_000)
    python = score_frame(card, book)
    sql = duckdb.sql(to_sql(card, table="book")).pl()
    assert np.allclose(sql["score"].cast(pl.Float64).to_numpy(), python["score"].to_numpy(), atol=1e-3)
    assert np.allclose(sql["pd"].to_numpy(), python["pd"].to_numpy(), atol=1e-9)


def test_unseen_category_is_neutral_or_an_error(train_book):
    # min_iv 0 keeps the weak industry feature for this test
    card = fit_scorecard(train_book, "default", FitOptions(features=["industry", "debt_ratio"], settings=FitSettings(min_iv=0.0)))
    industry = card.feature("industry")
    firms = train_book.head(3).with_columns(pl.Series("industry", ["C27", "NEW", None]))
    scored = score_frame(card, firms, with_points=True)
    assert scored["unseen"].to_list() == ["", "industry", ""]
    assert scored["points_industry"][1] == pytest.approx(industry.neutral_points)
    assert scored["points_industry"][2] == pytest.approx(industry.missing_bin.points)
    with pytest.raises(InputError) as caught:
        score_frame(card, firms, unseen_policy="error")
    problem = caught.value.problems[0]
    assert (problem.code, problem.row, problem.field, problem.value) == ("score.unseen_category", 3, "industry", "NEW")


def test_blank_numeric_uses_the_missing_bin(card, test_book):
    firms = test_book.head(2).with_columns(pl.Series("current_ratio", [None, None], dtype=pl.Float64))
    scored = score_frame(card, firms, with_points=True)
    assert scored["points_current_ratio"].to_list() == [card.feature("current_ratio").missing_bin.points] * 2


def test_single_class_target_is_an_error(train_book):
    with pytest.raises(InputError) as caught:
        fit_scorecard(train_book.with_columns(pl.lit(0).alias("default")), "default", FitOptions(features=FEATURES))
    assert caught.value.problems[0].code == "input.one_class"


def test_constant_and_blank_features(train_book):
    book = train_book.with_columns(pl.lit(1.0).alias("flat"), pl.lit(None, dtype=pl.Float64).alias("empty"))
    with pytest.raises(InputError) as caught:
        fit_scorecard(book, "default", FitOptions(features=["debt_ratio", "flat", "empty"]))
    assert {(p.code, p.field) for p in caught.value.problems} == {("feature.constant", "flat"), ("feature.blank", "empty")}
    card = fit_scorecard(book.select("debt_ratio", "firm_id", "flat", "empty", "default"), "default")
    assert {(e.name, e.code) for e in card.excluded} == {("flat", "feature.constant"), ("empty", "feature.blank"), ("firm_id", "feature.identifier")}
    assert [f.name for f in card.features] == ["debt_ratio"]


def test_text_in_a_numeric_feature_names_the_row(train_book):
    book = train_book.head(500).with_columns(pl.col("roa").cast(pl.String)).with_columns(
        pl.when(pl.int_range(pl.len()) == 7).then(pl.lit("n/a?")).otherwise(pl.col("roa")).alias("roa")
    )
    with pytest.raises(InputError) as caught:
        fit_scorecard(book, "default", FitOptions(features=["roa"], numeric={"roa"}))
    problem = caught.value.problems[0]
    assert (problem.code, problem.row, problem.field) == ("input.not_numeric", 9, "roa")


def test_string_target_needs_a_known_event(german):
    with pytest.raises(InputError) as caught:
        fit_scorecard(german.with_columns(pl.col("creditability").replace({"bad": "x", "good": "y"})), "creditability")
    assert caught.value.problems[0].code == "input.event_value"
    card = fit_scorecard(german, "creditability")  # good/bad is recognised
    assert card.data.event_value == "bad"
