"""The scorecard report a credit team expects: IV per feature, Gini/AUC, KS, calibration,
score distribution and every feature's bins, as one HTML page with inline SVG charts."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from kejin.credit import svg
from kejin.credit.card import Evaluation, Scorecard
from kejin.credit.html import HtmlTable, Section, write_page
from kejin.i18n import Text

T = Text


def _performance_table(samples: dict[str, Evaluation]) -> HtmlTable:
    return HtmlTable(
        [T(zh="样本", en="sample"), T(zh="笔数", en="rows"), T(zh="违约数", en="defaults"), T(zh="违约率", en="default rate"),
         T(zh="AUC", en="AUC"), T(zh="基尼系数", en="Gini"), T(zh="KS", en="KS"), T(zh="HL 统计量", en="Hosmer–Lemeshow"), T(zh="HL p 值", en="HL p-value")],
        [[name, e.n, e.defaults, e.defaults / max(e.n, 1), e.auc, e.gini, e.ks, e.hosmer_lemeshow, e.hosmer_lemeshow_p] for name, e in samples.items()],
    )


def _calibration_section(name: str, e: Evaluation) -> Section:
    bands = e.calibration
    chart = svg.line_chart(
        f"校准 Calibration ({name})",
        {"观测违约率 observed": ([b.mean_pd for b in bands], [b.observed_rate for b in bands])},
        x_label="预测 PD predicted",
        y_label="观测违约率 observed rate",
        diagonal=True,
    )
    return Section(
        title=T(zh=f"校准表（{name}）", en=f"Calibration table ({name})"),
        note="按分数十等分，第 1 段风险最高 / score deciles, band 1 is the riskiest",
        charts=[chart],
        tables=[
            HtmlTable(
                [T(zh="分段", en="band"), T(zh="最低分", en="score low"), T(zh="最高分", en="score high"), T(zh="笔数", en="rows"),
                 T(zh="违约数", en="defaults"), T(zh="观测违约率", en="observed rate"), T(zh="平均 PD", en="mean PD")],
                [[b.band, b.score_low, b.score_high, b.n, b.defaults, b.observed_rate, b.mean_pd] for b in bands],
            )
        ],
    )


def scorecard_sections(card: Scorecard, validation: Evaluation | None = None) -> list[Section]:
    samples = {"开发 development": card.development.evaluation}
    if validation is not None:
        samples["验证 validation"] = validation
    s = card.scaling
    summary = Section(
        title=T(zh="概要", en="Summary"),
        note=(
            f"数据 data: {card.data.file or '-'} ({card.data.rows} 行 rows, sha256 {str(card.data.sha256)[:12]}…); "
            f"目标 target: {card.data.target} = {card.data.event_value}; "
            f"刻度 scaling: PDO {s.pdo:g}, 基准分 base score {s.base_score:g} @ 好坏比 odds {s.base_odds:g}:1; "
            f"样本违约率 sample default rate {card.calibration.sample_default_rate:.4f}"
            + (f"; 校准至长期 PD calibrated to long-run PD {card.calibration.target_pd:.4f}" if card.calibration.target_pd else "")
        ),
        tables=[_performance_table(samples)],
    )
    names = [f.name for f in card.features]
    iv_section = Section(
        title=T(zh="各特征信息值", en="Information value per feature"),
        charts=[svg.bar_chart("信息值 IV", names, {"IV": [f.iv for f in card.features]}, y_label="IV")],
        tables=[
            HtmlTable(
                [T(zh="特征", en="feature"), T(zh="类型", en="kind"), T(zh="信息值", en="IV"), T(zh="系数", en="coefficient"),
                 T(zh="箱数", en="bins"), T(zh="单调方向", en="trend"), T(zh="最高分", en="max points")],
                [[f.name, f.kind, f.iv, f.coefficient, len(f.bins) - 1, f.trend, f.max_points] for f in card.features],
            )
        ],
    )
    roc = Section(
        title=T(zh="ROC 曲线与分数分布", en="ROC curve and score distribution"),
        charts=[
            svg.line_chart("ROC", {name: (e.roc_fpr, e.roc_tpr) for name, e in samples.items()}, "假阳性率 FPR", "真阳性率 TPR", diagonal=True)
        ]
        + [_histogram(name, e) for name, e in samples.items()],
    )
    sections = [summary, iv_section, roc] + [_calibration_section(name, e) for name, e in samples.items()]
    sections += [_feature_section(card, f.name) for f in card.features]
    if card.excluded:
        sections.append(
            Section(
                title=T(zh="未入模特征", en="Features left out"),
                tables=[
                    HtmlTable(
                        [T(zh="特征", en="feature"), T(zh="原因代码", en="code"), T(zh="原因", en="reason (zh)"), T(zh="reason", en="reason (en)"), T(zh="信息值", en="IV")],
                        [[e.name, e.code, e.zh, e.en, e.iv] for e in card.excluded],
                    )
                ],
            )
        )
    return sections


def _histogram(name: str, e: Evaluation) -> str:
    edges = np.asarray(e.histogram_edges)
    labels = [f"{(a + b) / 2:.0f}" for a, b in zip(edges[:-1], edges[1:])]
    return svg.bar_chart(
        f"分数分布 Score distribution ({name})",
        labels,
        {"正常 non-default": e.histogram_goods, "违约 default": e.histogram_bads},
        y_label="笔数 count",
        x_label="分数 score",
    )


def _feature_section(card: Scorecard, name: str) -> Section:
    f = card.feature(name)
    rows = [[b.label, b.count, b.events, b.events / b.count if b.count else None, b.woe, b.points] for b in f.bins]
    return Section(
        title=T(zh=f"分箱：{f.name}", en=f"Bins: {f.name}"),
        note=f"IV {f.iv:.4f}; 未知类别得分 unseen-category points {f.neutral_points:.2f}" if f.kind == "categorical" else f"IV {f.iv:.4f}",
        charts=[svg.bar_chart(f"WOE · {f.name}", [b.label for b in f.bins], {"WOE": [b.woe for b in f.bins]}, y_label="WOE")],
        tables=[
            HtmlTable(
                [T(zh="箱", en="bin"), T(zh="笔数", en="count"), T(zh="违约数", en="defaults"), T(zh="违约率", en="default rate"),
                 T(zh="WOE", en="WOE"), T(zh="分数", en="points")],
                rows,
            )
        ],
    )


def write_scorecard_report(card: Scorecard, path: Path, validation: Evaluation | None = None) -> Path:
    return write_page(
        path,
        T(zh="科技信贷评分卡报告", en="Tech-credit scorecard report"),
        f"{card.model_id} v{card.version} · {card.format} · kejin {card.kejin_version}",
        scorecard_sections(card, validation),
    )
