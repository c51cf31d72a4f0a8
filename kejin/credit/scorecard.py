"""Fitting a scorecard on a loan book and scoring new firms with reason codes.

fit: choose features → optimal monotonic bins (``binning``) → WOE → logistic regression →
drop features whose coefficient has the wrong sign → calibrate the intercept (optionally to
a long-run PD) → points (``scaling``) → a ``Scorecard`` file.
score: a vectorised lookup of each feature's bin and points; PD from the score; the three
features that cost each firm the most points against their best bin are its reason codes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

import numpy as np
import polars as pl

from kejin.credit import binning
from kejin.credit.binning import BinningOptions, FeatureBinning
from kejin.credit.card import (
    CardBin,
    CardFeature,
    Calibration,
    DataInfo,
    Development,
    Evaluation,
    Excluded,
    FitSettings,
    Scorecard,
    UnseenPolicy,
    kejin_version,
)
from kejin.credit.evaluation import evaluate
from kejin.credit.logistic import fit_logistic
from kejin.credit.scaling import Scaling
from kejin.credit.table import (
    MAX_LISTED_ROWS,
    category_values,
    detect_kinds,
    excel_row,
    looks_numeric,
    numeric_values,
    read_target,
)
from kejin.errors import InputError, Problem
from kejin.rules.packfile import file_sha256

N_REASONS = 3
SCORE_BANDS = 10
# A text column whose values are mostly distinct is an identifier, not a feature.
IDENTIFIER_DISTINCT_SHARE = 0.5
IDENTIFIER_MIN_DISTINCT = 100


@dataclass
class FitOptions:
    features: list[str] | None = None  # None: every column except the target and `exclude`
    exclude: list[str] = field(default_factory=list)
    categorical: set[str] = field(default_factory=set)
    numeric: set[str] = field(default_factory=set)
    event: str | None = None
    settings: FitSettings = field(default_factory=FitSettings)
    scaling: Scaling = field(default_factory=Scaling)
    target_pd: float | None = None
    model_id: str = "scorecard"
    version: int = 1
    unseen_policy: UnseenPolicy = "neutral"


def _excluded(name: str, code: str, zh: str, en: str, iv: float | None = None) -> Excluded:
    return Excluded(name=name, code=code, zh=zh, en=en, iv=iv)


def _choose_features(frame: pl.DataFrame, target: str, options: FitOptions, file: str | None) -> tuple[list[str], list[Excluded]]:
    """Usable features; unusable ones are errors when asked for by name, excluded with a reason otherwise."""
    explicit = options.features is not None
    names = options.features if explicit else [c for c in frame.columns if c != target and c not in options.exclude]
    problems: list[Problem] = []
    usable: list[str] = []
    excluded: list[Excluded] = []
    for name in names:
        if name not in frame.columns:
            problems.append(Problem("input.no_feature", "数据中没有该特征列", "the feature column is not in the data", file=file, field=name))
            continue
        column = frame.get_column(name)
        distinct = column.drop_nulls().n_unique()
        if column.null_count() == len(column) or distinct == 0:
            reason = ("feature.blank", "特征列全部为空", "the feature is blank in every row")
        elif distinct == 1:
            reason = ("feature.constant", "特征列只有一个取值，不能区分风险", "the feature is constant and cannot separate risk")
        elif (
            not explicit
            and not column.dtype.is_numeric()
            and name not in options.categorical
            and name not in options.numeric
            and distinct >= IDENTIFIER_MIN_DISTINCT
            and distinct > IDENTIFIER_DISTINCT_SHARE * (len(column) - column.null_count())
            and not looks_numeric(column)  # figures with a stray word are a numeric feature, not an id
        ):
            reason = ("feature.identifier", "文本列取值几乎各不相同，视为编号而非特征", "text column with mostly distinct values: an identifier, not a feature")
        else:
            usable.append(name)
            continue
        if explicit:
            problems.append(Problem(reason[0], reason[1], reason[2], file=file, field=name))
        else:
            excluded.append(_excluded(name, *reason))
    if problems:
        raise InputError(problems)
    return usable, excluded


def _bin_label(feature: FeatureBinning, index: int) -> str:
    if index == feature.n_bins:
        return "缺失 Missing"
    if feature.kind == "categorical":
        return ", ".join(feature.groups[index])
    low = "-inf" if index == 0 else _edge_text(feature.splits[index - 1])
    high = "inf" if index == len(feature.splits) else _edge_text(feature.splits[index])
    return f"[{low}, {high})"


def _edge_text(value: float) -> str:
    """Large edges (money) in plain digits, small ones with six significant digits."""
    return f"{value:.0f}" if abs(value) >= 1e4 else f"{value:.6g}"


def _woe_matrix(binned: list[FeatureBinning], indices: list[np.ndarray]) -> np.ndarray:
    return np.column_stack([f.woe[i] for f, i in zip(binned, indices)])


def fit_scorecard(frame: pl.DataFrame, target: str, options: FitOptions | None = None, file: Path | str | None = None) -> Scorecard:
    options = options or FitOptions()
    file_name = str(file) if file else None
    y = read_target(frame, target, options.event, file_name)
    names, excluded = _choose_features(frame, target, options, file_name)
    kinds = detect_kinds(frame, names, options.categorical, options.numeric)
    settings = options.settings
    bin_options = BinningOptions(max_n_prebins=settings.max_n_prebins, min_bin_size=settings.min_bin_size, seed=settings.seed)

    binned: list[FeatureBinning] = []
    indices: list[np.ndarray] = []
    for name in names:
        if kinds[name] == "numeric":
            x = numeric_values(frame, name, file_name)
            feature = binning.bin_numeric(name, x, y.y, bin_options)
            index = binning.numeric_bin_index(feature.splits, x)
        else:
            values = category_values(frame, name)
            feature = binning.bin_categorical(name, values, y.y, bin_options)
            index = binning.categorical_bin_index(feature.groups, values)
        if feature.iv < settings.min_iv:
            excluded.append(
                _excluded(name, "feature.low_iv", f"信息值低于 {settings.min_iv}", f"information value below {settings.min_iv}", feature.iv)
            )
            continue
        binned.append(feature)
        indices.append(index)

    intercept, coefficients = _fit_signed(binned, indices, y.y, excluded, settings.l2)
    calibration = Calibration(sample_default_rate=float(y.y.mean()), target_pd=options.target_pd)
    if options.target_pd is not None:
        # Prior correction: move the intercept so the average PD matches the long-run PD.
        shift = _logit(options.target_pd) - _logit(float(y.y.mean()))
        calibration = calibration.model_copy(update={"intercept_shift": shift})
        intercept += shift

    scaling = options.scaling
    features = [
        _card_feature(feature, coefficient, intercept, len(binned), scaling)
        for feature, coefficient in zip(binned, coefficients)
    ]
    score = total_score([np.asarray([b.points for b in f.bins])[i] for f, i in zip(features, indices)])
    pd = scaling.pd_from_score(score)
    edges = np.unique(np.quantile(score, np.linspace(0, 1, SCORE_BANDS + 1)[1:-1]))
    counts = np.bincount(np.searchsorted(edges, score, side="right"), minlength=len(edges) + 1)
    return Scorecard(
        model_id=options.model_id,
        version=options.version,
        created=datetime.now(timezone.utc).replace(microsecond=0),
        kejin_version=kejin_version(),
        data=DataInfo(
            file=Path(file).name if file else None,
            sha256=file_sha256(Path(file)) if file and Path(file).exists() else None,
            rows=frame.height,
            target=target,
            event_value=y.event_value,
        ),
        scaling=scaling,
        settings=settings,
        calibration=calibration,
        intercept=intercept,
        unseen_policy=options.unseen_policy,
        features=features,
        excluded=excluded,
        development=Development(
            score_edges=[float(e) for e in edges],
            score_counts=[int(c) for c in counts],
            evaluation=evaluate(y.y, score, pd),
        ),
    )


def _logit(p: float) -> float:
    return float(np.log(p / (1 - p)))


def _fit_signed(
    binned: list[FeatureBinning], indices: list[np.ndarray], y: np.ndarray, excluded: list[Excluded], l2: float
) -> tuple[float, np.ndarray]:
    """Fit, then drop the feature with the most wrong-signed coefficient and refit until none is left.

    With WOE = ln(non-default share / default share) every coefficient should be negative; a
    positive one means collinearity turned the feature's meaning around.
    """
    while True:
        if not binned:
            raise InputError(
                Problem(
                    "fit.no_features",
                    "没有任何特征能区分风险（全部被排除，见排除原因）",
                    "no feature separates risk (all were excluded; see the reasons): "
                    + "; ".join(f"{e.name}: {e.en}" for e in excluded[:10]),
                )
            )
        intercept, coefficients = fit_logistic(_woe_matrix(binned, indices), y, l2)
        worst = int(np.argmax(coefficients))
        if coefficients[worst] <= 0:
            return intercept, coefficients
        excluded.append(
            _excluded(
                binned[worst].name,
                "feature.wrong_sign",
                "回归系数符号与 WOE 方向相反（与其他特征共线），已剔除",
                "regression coefficient has the wrong sign (collinear with other features); dropped",
                binned[worst].iv,
            )
        )
        del binned[worst], indices[worst]


def _card_feature(feature: FeatureBinning, coefficient: float, intercept: float, n_features: int, scaling: Scaling) -> CardFeature:
    woe = feature.woe
    points = scaling.bin_points(float(coefficient), woe, intercept, n_features)
    neutral = float(scaling.bin_points(float(coefficient), np.zeros(1), intercept, n_features)[0])
    return CardFeature(
        name=feature.name,
        kind=feature.kind,
        splits=feature.splits,
        groups=feature.groups,
        bins=[
            CardBin(
                label=_bin_label(feature, i),
                count=int(feature.events[i] + feature.nonevents[i]),
                events=int(feature.events[i]),
                woe=float(woe[i]),
                points=float(points[i]),
            )
            for i in range(feature.n_bins + 1)
        ],
        coefficient=float(coefficient),
        iv=feature.iv,
        trend=feature.trend,
        neutral_points=neutral,
    )


# ---------------------------------------------------------------- scoring


@dataclass
class FeaturePoints:
    bin_index: np.ndarray
    points: np.ndarray
    unseen: np.ndarray  # bool: a category not seen in training


def feature_points(card_feature: CardFeature, frame: pl.DataFrame, file: str | None) -> FeaturePoints:
    table = np.asarray([b.points for b in card_feature.bins], dtype=np.float64)
    if card_feature.kind == "numeric":
        index = binning.numeric_bin_index(card_feature.splits, numeric_values(frame, card_feature.name, file))
        return FeaturePoints(index, table[index], np.zeros(len(index), dtype=bool))
    index = binning.categorical_bin_index(card_feature.groups, category_values(frame, card_feature.name))
    unseen = index == binning.UNSEEN
    points = np.where(unseen, card_feature.neutral_points, table[np.where(unseen, 0, index)])
    return FeaturePoints(index, points, unseen)


def total_score(points: list[np.ndarray]) -> np.ndarray:
    """Unrounded score: the features' points added in one fixed way, so that fitting (the development
    deciles) and monitoring give bit-identical scores to the same rows."""
    return np.column_stack(points).astype(np.float64).sum(axis=1)


def _check_columns(card: Scorecard, frame: pl.DataFrame, file: str | None) -> None:
    missing = [f.name for f in card.features if f.name not in frame.columns]
    if missing:
        raise InputError(
            [Problem("score.no_feature", "数据中缺少评分卡需要的特征列", "a feature the card needs is not in the data", file=file, field=m) for m in missing]
        )


def _unseen_problems(card: Scorecard, frame: pl.DataFrame, found: list[FeaturePoints], file: str | None) -> list[Problem]:
    problems = []
    for feature, points in zip(card.features, found):
        for row in np.flatnonzero(points.unseen)[:MAX_LISTED_ROWS]:
            problems.append(
                Problem(
                    "score.unseen_category",
                    "训练样本中没有出现过的类别（未知类别策略为 error）",
                    "a category not seen in training (unseen policy is 'error')",
                    file=file,
                    row=excel_row(int(row)),
                    field=feature.name,
                    value=frame.get_column(feature.name)[int(row)],
                )
            )
    return problems


def score_frame(
    card: Scorecard,
    frame: pl.DataFrame,
    file: Path | str | None = None,
    keep: list[str] | None = None,
    unseen_policy: UnseenPolicy | None = None,
    with_points: bool = False,
) -> pl.DataFrame:
    """One row per input row: score, pd, reason codes, unseen categories (and optionally points per feature)."""
    file_name = str(file) if file else None
    _check_columns(card, frame, file_name)
    found = [feature_points(f, frame, file_name) for f in card.features]
    if (unseen_policy or card.unseen_policy) == "error":
        problems = _unseen_problems(card, frame, found, file_name)
        if problems:
            raise InputError(problems)
    points = np.column_stack([p.points for p in found]).astype(np.float64)
    score = total_score([p.points for p in found])
    pd = card.scaling.pd_from_score(score)
    columns: dict[str, pl.Series | np.ndarray] = {}
    for name in keep or []:
        columns[name] = frame.get_column(name)
    columns["score"] = np.round(score, 4)
    columns["pd"] = pd
    columns.update(reason_codes(card, points))
    columns["unseen"] = _unseen_column(card, found)
    if with_points:
        for feature, p in zip(card.features, found):
            columns[f"points_{feature.name}"] = p.points
    return pl.DataFrame(columns)


def reason_codes(card: Scorecard, points: np.ndarray) -> dict[str, pl.Series]:
    """The features that cost the most points against each feature's best bin, largest first."""
    best = np.asarray([f.max_points for f in card.features], dtype=np.float64)
    shortfall = (best[None, :] - points).astype(np.float32)
    k = min(N_REASONS, shortfall.shape[1])
    top = np.argpartition(-shortfall, k - 1, axis=1)[:, :k] if shortfall.shape[1] > k else np.tile(np.arange(k), (len(points), 1))
    lost = np.take_along_axis(shortfall, top, axis=1)
    order = np.argsort(-lost, axis=1, kind="stable")
    top, lost = np.take_along_axis(top, order, axis=1), np.take_along_axis(lost, order, axis=1)
    names = pl.Series([f.name for f in card.features], dtype=pl.String)
    out: dict[str, pl.Series] = {}
    for r in range(N_REASONS):
        if r < k:
            # A feature already in its best bin is not a reason.
            label = names.gather(top[:, r]).set(pl.Series(lost[:, r] <= 1e-6), None)
            out[f"reason_{r + 1}"] = label
            out[f"reason_{r + 1}_points"] = pl.Series(np.round(lost[:, r].astype(np.float64), 4))
        else:
            out[f"reason_{r + 1}"] = pl.Series([None] * len(points), dtype=pl.String)
            out[f"reason_{r + 1}_points"] = pl.Series(np.zeros(len(points)))
    return out


def _unseen_column(card: Scorecard, found: list[FeaturePoints]) -> pl.Series:
    flags = [(f.name, p.unseen) for f, p in zip(card.features, found) if p.unseen.any()]
    if not flags:
        return pl.Series("unseen", [""] * len(found[0].points), dtype=pl.String)
    parts = [pl.when(pl.lit(pl.Series(mask))).then(pl.lit(name)).otherwise(None) for name, mask in flags]
    return pl.select(pl.concat_str(parts, separator=",", ignore_nulls=True).fill_null("")).to_series().alias("unseen")


def evaluate_on(card: Scorecard, frame: pl.DataFrame, file: Path | str | None = None, target: str | None = None) -> Evaluation:
    """Performance of the card on a labelled table (a hold-out or a later period)."""
    target = target or card.data.target
    y = read_target(frame, target, card.data.event_value, str(file) if file else None)
    scored = score_frame(card, frame, file)
    return evaluate(y.y, scored.get_column("score").to_numpy(), scored.get_column("pd").to_numpy())
