"""Stability monitoring: PSI of the score and CSI of each feature between the development
sample and a new period, per period when the data carries a period column, plus performance
drift when outcomes are known.

PSI = Σ (actual share − expected share) · ln(actual share / expected share) over the card's own
bands: score deciles fixed at development, and each feature's bins (with the missing bin, and
an extra band for categories unseen in training, expected share 0). Verdicts: < 0.10 stable,
0.10–0.25 warning, ≥ 0.25 alert (thresholds are options).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import polars as pl

from kejin.credit import metrics, svg
from kejin.credit.card import Evaluation, Scorecard
from kejin.credit.html import HtmlTable, Section, write_page
from kejin.credit.evaluation import evaluate
from kejin.credit.scorecard import FeaturePoints, _check_columns, feature_points, total_score
from kejin.credit.table import MAX_LISTED_ROWS, excel_row
from kejin.errors import InputError, Problem
from kejin.i18n import Text

T = Text
SCORE = "score"
ALL_PERIODS = "全部 all"


@dataclass
class BandShift:
    """One variable's distribution shift: per-band shares and PSI contributions."""

    variable: str
    labels: list[str]
    expected: np.ndarray
    actual: np.ndarray
    contributions: np.ndarray

    @property
    def psi(self) -> float:
        return float(self.contributions.sum())


@dataclass
class PeriodResult:
    period: str
    rows: int
    shifts: list[BandShift]  # the score first, then each feature
    evaluation: Evaluation | None = None
    observed_rate: float | None = None
    mean_pd: float | None = None

    def psi_of(self, variable: str) -> float:
        return next(s.psi for s in self.shifts if s.variable == variable)


@dataclass
class Monitoring:
    card: Scorecard
    overall: PeriodResult
    periods: list[PeriodResult] = field(default_factory=list)
    warning: float = metrics.PSI_WARNING
    alert: float = metrics.PSI_ALERT

    def verdict(self, value: float) -> str:
        return metrics.psi_verdict(value, self.warning, self.alert)

    def records(self) -> list[dict]:
        """One record per period × variable, for CSV/JSON output."""
        out = []
        for result in [self.overall, *self.periods]:
            for shift in result.shifts:
                out.append(
                    {
                        "period": result.period,
                        "variable": shift.variable,
                        "rows": result.rows,
                        "psi": round(shift.psi, 6),
                        "verdict": self.verdict(shift.psi),
                        "verdict_zh": metrics.VERDICT_ZH[self.verdict(shift.psi)],
                    }
                )
        return out


def _score_labels(edges: list[float]) -> list[str]:
    bounds = ["-inf", *[f"{e:.1f}" for e in edges], "inf"]
    return [f"[{a}, {b})" for a, b in zip(bounds[:-1], bounds[1:])]


def _shifts(card: Scorecard, found: list[FeaturePoints], score: np.ndarray) -> list[BandShift]:
    dev = card.development
    edges = np.asarray(dev.score_edges)
    # The score unrounded, as at fitting; the edges are development scores themselves (deciles of a
    # discrete score land on one), so a row scoring exactly an edge must fall on the same side again.
    actual = np.bincount(np.searchsorted(edges, score, side="right"), minlength=len(edges) + 1)
    expected = np.asarray(dev.score_counts)
    shifts = [BandShift(SCORE, _score_labels(dev.score_edges), expected, actual, metrics.psi(expected, actual))]
    for feature, points in zip(card.features, found):
        index = points.bin_index
        n_bins = len(feature.bins)
        # Unseen categories (index −1) get their own band after the missing bin.
        counts = np.bincount(np.where(index < 0, n_bins, index), minlength=n_bins + 1)
        expected = np.append([b.count for b in feature.bins], 0)
        labels = [b.label for b in feature.bins] + ["未知类别 unseen"]
        shifts.append(BandShift(feature.name, labels, expected, counts, metrics.psi(expected, counts)))
    return shifts


def _period_result(card: Scorecard, name: str, frame: pl.DataFrame, y: np.ndarray | None, file: str | None) -> PeriodResult:
    _check_columns(card, frame, file)
    # Unseen categories get neutral points here whatever the card's unseen policy: monitoring counts
    # them in their own band rather than refusing the data.
    found = [feature_points(f, frame, file) for f in card.features]
    score = total_score([p.points for p in found])
    pd = card.scaling.pd_from_score(score)
    result = PeriodResult(period=name, rows=frame.height, shifts=_shifts(card, found, score))
    if y is not None:
        result.observed_rate, result.mean_pd = float(y.mean()), float(pd.mean())
        if 0 < y.sum() < len(y):  # discrimination needs both outcomes in the period
            result.evaluation = evaluate(y, score, pd)
    return result


def _outcomes(card: Scorecard, frame: pl.DataFrame, target: str, file: str | None) -> np.ndarray:
    """0/1 outcomes with the card's event value; blank outcomes are errors naming the rows."""
    raw = frame.get_column(target).cast(pl.String).str.strip_chars()
    blanks = (raw.is_null() | (raw == "")).arg_true()
    if len(blanks):
        raise InputError(
            [Problem("input.blank_target", "目标值为空", "the target is blank", file=file, row=excel_row(int(i)), field=target) for i in blanks[:MAX_LISTED_ROWS]]
        )
    return (raw == card.data.event_value).to_numpy().astype(np.int8)


def monitor(
    card: Scorecard,
    frame: pl.DataFrame,
    period: str | None = None,
    target: str | None = None,
    file: Path | str | None = None,
    warning: float = metrics.PSI_WARNING,
    alert: float = metrics.PSI_ALERT,
) -> Monitoring:
    """PSI/CSI of ``frame`` against the card's development sample, overall and per period."""
    file_name = str(file) if file else None
    if not 0 < warning < alert:
        raise InputError(Problem("monitor.thresholds", "需要 0 < 预警阈值 < 警报阈值", "need 0 < warning < alert", value=f"{warning}, {alert}"))
    for column in [c for c in (period, target) if c is not None]:
        if column not in frame.columns:
            raise InputError(Problem("input.no_column", "数据中没有该列", "the column is not in the data", file=file_name, field=column))
    if frame.height == 0:
        raise InputError(Problem("input.empty", "数据为空", "the data has no rows", file=file_name))
    y = _outcomes(card, frame, target, file_name) if target is not None else None
    overall = _period_result(card, ALL_PERIODS, frame, y, file_name)
    periods = []
    if period is not None:
        keys = frame.get_column(period).cast(pl.String).fill_null("(空 blank)")
        for key in sorted(keys.unique().to_list()):
            mask = (keys == key).to_numpy()
            periods.append(_period_result(card, key, frame.filter(mask), None if y is None else y[mask], file_name))
    return Monitoring(card=card, overall=overall, periods=periods, warning=warning, alert=alert)


def monitoring_sections(result: Monitoring) -> list[Section]:
    overall = result.overall
    verdict_rows = [
        [s.variable, s.psi, result.verdict(s.psi), metrics.VERDICT_ZH[result.verdict(s.psi)]] for s in overall.shifts
    ]
    sections = [
        Section(
            title=T(zh="稳定性总览", en="Stability overview"),
            note=f"新样本 {overall.rows} 行，开发样本 {result.card.development.evaluation.n} 行；阈值 预警 {result.warning} / 警报 {result.alert} · "
            f"new sample {overall.rows} rows vs development {result.card.development.evaluation.n}; thresholds warning {result.warning} / alert {result.alert}",
            charts=[
                svg.bar_chart(
                    "PSI / CSI",
                    [s.variable for s in overall.shifts],
                    {"PSI": [s.psi for s in overall.shifts]},
                    y_label="PSI",
                    thresholds=[(result.warning, f"预警 {result.warning}"), (result.alert, f"警报 {result.alert}")],
                )
            ],
            tables=[HtmlTable([T(zh="变量", en="variable"), T(zh="PSI/CSI", en="PSI/CSI"), T(zh="结论", en="verdict"), T(zh="结论", en="verdict (zh)")], verdict_rows)],
        )
    ]
    if result.periods:
        names = [s.variable for s in overall.shifts]
        x = list(range(len(result.periods)))
        top = sorted(names, key=lambda n: -overall.psi_of(n))[:6]
        sections.append(
            Section(
                title=T(zh="随时间的稳定性", en="Stability over time"),
                charts=[
                    svg.line_chart(
                        "PSI 随期间变化 PSI by period",
                        {n: (x, [p.psi_of(n) for p in result.periods]) for n in top},
                        x_label="期间 period",
                        y_label="PSI",
                        x_ticks=[p.period for p in result.periods],
                    )
                ],
                tables=[
                    HtmlTable(
                        [T(zh="期间", en="period"), T(zh="笔数", en="rows")] + [T(zh=n, en=n) for n in names],
                        [[p.period, p.rows] + [p.psi_of(n) for n in names] for p in result.periods],
                    )
                ],
            )
        )
    performance = [r for r in [overall, *result.periods] if r.mean_pd is not None]
    if performance:
        dev = result.card.development.evaluation
        rows = [["开发 development", dev.n, dev.defaults / dev.n, None, dev.auc, dev.gini, dev.ks]]
        rows += [
            [r.period, r.rows, r.observed_rate, r.mean_pd]
            + ([r.evaluation.auc, r.evaluation.gini, r.evaluation.ks] if r.evaluation else [None, None, None])
            for r in performance
        ]
        sections.append(
            Section(
                title=T(zh="表现漂移", en="Performance drift"),
                note="有结果标签时比较区分度与校准 / with outcomes: discrimination and calibration against development",
                tables=[
                    HtmlTable(
                        [T(zh="样本", en="sample"), T(zh="笔数", en="rows"), T(zh="观测违约率", en="observed rate"), T(zh="平均 PD", en="mean PD"),
                         T(zh="AUC", en="AUC"), T(zh="基尼系数", en="Gini"), T(zh="KS", en="KS")],
                        rows,
                    )
                ],
            )
        )
    for shift in overall.shifts:
        sections.append(
            Section(
                title=T(zh=f"分布对比：{shift.variable}", en=f"Distribution: {shift.variable}"),
                note=f"PSI {shift.psi:.4f} · {result.verdict(shift.psi)}",
                tables=[
                    HtmlTable(
                        [T(zh="区间/箱", en="band"), T(zh="开发占比", en="development share"), T(zh="新样本占比", en="new share"), T(zh="PSI 贡献", en="PSI contribution")],
                        [
                            [label, e / max(shift.expected.sum(), 1), a / max(shift.actual.sum(), 1), c]
                            for label, e, a, c in zip(shift.labels, shift.expected, shift.actual, shift.contributions)
                        ],
                    )
                ],
            )
        )
    return sections


def write_monitoring_report(result: Monitoring, path: Path) -> Path:
    card = result.card
    return write_page(
        path,
        T(zh="评分卡稳定性与漂移报告", en="Scorecard stability and drift report"),
        f"{card.model_id} v{card.version}",
        monitoring_sections(result),
    )
