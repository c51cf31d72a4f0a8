"""HTML report of a portfolio loss simulation: each party's expected and 99 % loss, the pool."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from kejin.credit import svg
from kejin.credit.html import HtmlTable, Section, write_page
from kejin.credit.portfolio import Simulation
from kejin.credit.sharing import Sharing
from kejin.i18n import Text

T = Text


def party_rows(sharing: Sharing, simulation: Simulation) -> list[list]:
    return [
        [sharing.names[r.party].zh, sharing.names[r.party].en, round(r.expected_loss, 2), round(r.loss_99, 2), round(r.expected_shortfall_99, 2)]
        for r in simulation.party_risk()
    ]


def simulation_sections(sharing: Sharing, simulation: Simulation, target_dry: float | None) -> list[Section]:
    risks = simulation.party_risk()
    labels = [sharing.names[r.party].zh for r in risks]
    total = simulation.total_loss
    sections = [
        Section(
            title=T(zh="各方损失", en="Loss by party"),
            note=(
                f"{simulation.scenarios} 个情景，单因子相关系数 ρ={simulation.rho}，种子 {simulation.seed}；组合损失均值 {total.mean():,.0f} 元，99% 分位 {np.quantile(total, 0.99):,.0f} 元 · "
                f"{simulation.scenarios} scenarios, one-factor ρ={simulation.rho}, seed {simulation.seed}; portfolio loss mean {total.mean():,.0f}, 99% {np.quantile(total, 0.99):,.0f} yuan"
            ),
            charts=[
                svg.bar_chart(
                    "预期损失与 99% 损失 Expected and 99% loss",
                    labels,
                    {"预期 expected": [r.expected_loss for r in risks], "99%": [r.loss_99 for r in risks]},
                    y_label="元 yuan",
                )
            ],
            tables=[
                HtmlTable(
                    [T(zh="参与方", en="party"), T(zh="party", en="(en)"), T(zh="预期损失（元）", en="expected loss (yuan)"),
                     T(zh="99% 损失（元）", en="99% loss (yuan)"), T(zh="99% 尾部均值（元）", en="99% expected shortfall (yuan)")],
                    party_rows(sharing, simulation),
                )
            ],
        )
    ]
    if simulation.pool_claims is not None:
        claims = simulation.pool_claims
        counts, edges = np.histogram(claims, bins=30)
        rows = [["资金池余额 pool balance", simulation.pool_balance], ["资金池耗尽概率 P(pool runs dry)", simulation.pool_dry_probability], ["预期索赔 expected claims", float(claims.mean())]]
        if target_dry is not None:
            rows.append([f"耗尽概率 ≤ {target_dry:g} 所需余额 balance for P(dry) ≤ {target_dry:g}", simulation.pool_needed(target_dry)])
        sections.append(
            Section(
                title=T(zh="风险补偿资金池", en="Risk compensation pool"),
                charts=[
                    svg.bar_chart(
                        "年度索赔分布 Annual claims",
                        [f"{(a + b) / 2 / 1e4:,.0f}万" for a, b in zip(edges[:-1], edges[1:])],
                        {"情景数 scenarios": counts.tolist()},
                        y_label="情景数 scenarios",
                        x_label="索赔 claims",
                    )
                ],
                tables=[HtmlTable([T(zh="项目", en="item"), T(zh="数值", en="value")], rows)],
            )
        )
    return sections


def write_simulation_report(sharing: Sharing, simulation: Simulation, path: Path, target_dry: float | None = None) -> Path:
    return write_page(
        path,
        T(zh="科技信贷风险分担组合模拟", en="Tech-lending risk sharing: portfolio simulation"),
        f"{sharing.pack.id} v{sharing.pack.version} (sha256 {sharing.sha256[:12]}…)",
        simulation_sections(sharing, simulation, target_dry),
    )
