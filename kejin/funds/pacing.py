"""Commitment pacing for a fund of funds: Takahashi–Alexander forecasts of calls, distributions and NAV
of the funds it already holds and of a plan of new commitments, and the constant yearly commitment that
reaches a target NAV (or deployment) in a target year.

The model is linear in the commitment, so the pacing suggestion is solved exactly, not searched for.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path

import numpy as np
import polars as pl

from kejin.errors import InputError, Problem
from kejin.funds.ledger import Ledger
from kejin.funds.metrics import final_nav
from kejin.funds.packs import LifecyclePack
from kejin.funds.tables import Column, TableSpec, raise_if, read_typed
from kejin.funds.takahashi import Projection, TAParams, project
from kejin.funds.vocab import STRATEGIES
from kejin.i18n import Text

PLAN = TableSpec("plan", Text(zh="出资计划", en="commitment plan"), (
    Column("year", Text(zh="年份", en="year"), "int", required=True, minimum=1990),
    Column("strategy", Text(zh="策略", en="strategy"), "enum", required=True, choices=tuple(STRATEGIES)),
    Column("commitment", Text(zh="认缴金额", en="commitment"), "amount", required=True, minimum=0),
))


@dataclass(frozen=True)
class Forecast:
    """Yearly totals for the fund of funds; year k covers calendar year ``years[k]``."""

    years: np.ndarray
    calls: np.ndarray
    distributions: np.ndarray
    nav: np.ndarray
    unfunded: np.ndarray

    def table(self) -> pl.DataFrame:
        return pl.DataFrame({
            "year": self.years, "calls": self.calls, "distributions": self.distributions,
            "net_cash_flow": self.distributions - self.calls, "nav": self.nav, "unfunded": self.unfunded,
        })


def read_plan(path: Path | str) -> pl.DataFrame:
    frame, problems, _ = read_typed(str(path), PLAN)
    raise_if(problems)
    return frame.drop("_row")


def _placed(proj: Projection, offset: int, horizon: int, scale: np.ndarray | float = 1.0) -> list[np.ndarray]:
    """Calls, distributions and NAV of a projection (funds on the leading axis, scaled by ``scale``), summed
    into ``horizon`` calendar years starting ``offset`` years in."""
    out = []
    for series in (proj.contributions, proj.distributions, proj.nav):
        scaled = np.atleast_2d(series * (np.asarray(scale)[:, None] if np.ndim(scale) else scale))
        total = np.zeros(horizon)
        width = min(horizon - offset, scaled.shape[-1])
        if width > 0:
            total[offset:offset + width] = scaled[:, :width].sum(axis=0)
        out.append(total)
    return out


def existing(ledger: Ledger, fof: str, pack: LifecyclePack, start: date, horizon: int) -> Forecast:
    """Forecast of the funds ``fof`` holds directly, from their state at ``start``, scaled by its share. A fund
    that has not started by ``start`` is not held yet; a ``start`` before the fund of funds' own inception
    is an error naming ``--as-of``."""
    commitments = ledger.commitments
    if fof not in ledger.fund_ids():
        raise InputError(Problem("fund.unknown", f"未知基金 {fof}（现有：{', '.join(sorted(ledger.fund_ids()))}）",
                                 f"unknown fund {fof} (funds: {', '.join(sorted(ledger.fund_ids()))})", field="--fof",
                                 value=fof))
    inception = ledger.fund(fof)["inception"]
    if start < inception:
        raise InputError(Problem("pacing.as_of", f"预测起点 {start} 早于母基金 {fof} 的成立日 {inception}",
                                 f"the forecast start {start} is before the inception of {fof} ({inception})",
                                 field="--as-of", value=str(start)))
    held = (
        commitments.filter((pl.col("lp_type") == "fund") & (pl.col("lp_id") == fof))
        .group_by("fund_id").agg(pl.col("amount").sum().alias("mine"))
        .join(commitments.group_by("fund_id").agg(pl.col("amount").sum().alias("size")), on="fund_id")
        .join(ledger.funds.select("fund_id", "strategy", "inception"), on="fund_id")
        .filter(pl.col("inception") <= start)
    )
    flows = ledger.signed_flows().filter(pl.col("date") <= start)
    paid = flows.group_by("fund_id").agg((-pl.col("amount").clip(upper_bound=0)).sum().alias("paid_in"))
    nav = final_nav(ledger.navs.filter(pl.col("date") <= start)).select("fund_id", "nav")
    state = held.join(paid, on="fund_id", how="left").join(nav, on="fund_id", how="left").fill_null(0.0)
    years = np.arange(start.year + 1, start.year + 1 + horizon)
    totals = [np.zeros(horizon) for _ in range(3)]
    age = pl.Series([(start - d).days // 365 for d in state.get_column("inception").to_list()])
    state = state.with_columns(age.alias("age")).join(ledger.funds.select("fund_id", "term_years"), on="fund_id")
    for (strategy, a, term), group in state.group_by("strategy", "age", "term_years"):  # one projection per kind
        cal = pack.strategies[strategy]
        params = TAParams(tuple(cal.rc), float(term), cal.bow, cal.yield_)  # the fund's own term is its life
        proj = project(params, cal.growth.mid, horizon, group.get_column("size").to_numpy(), start_age=int(a),
                       nav0=group.get_column("nav").to_numpy(), paid_in0=group.get_column("paid_in").to_numpy())
        share = (group.get_column("mine") / group.get_column("size")).to_numpy()
        for t, part in zip(totals, _placed(proj, 0, horizon, share)):
            t += part
    mine_total = float(state.get_column("mine").sum())
    paid_mine = float((state.get_column("paid_in") * state.get_column("mine") / state.get_column("size")).sum())
    unfunded = mine_total - paid_mine - np.cumsum(totals[0])
    return Forecast(years, totals[0], totals[1], totals[2], np.maximum(unfunded, 0.0))


def planned(plan: pl.DataFrame, pack: LifecyclePack, first_year: int, horizon: int) -> Forecast:
    """Forecast of new commitments: a plan of (year, strategy, commitment)."""
    totals = [np.zeros(horizon) for _ in range(3)]
    committed = np.zeros(horizon)
    for year, strategy, amount in plan.select("year", "strategy", "commitment").iter_rows():
        offset = year - first_year
        if offset < 0 or offset >= horizon:
            continue
        cal = pack.strategies[strategy]
        proj = project(TAParams.of(cal), cal.growth.mid, horizon - offset, amount, early=tuple(cal.j_curve),
                       drag=tuple(cal.fee_drag))
        for t, part in zip(totals, _placed(proj, offset, horizon)):
            t += part
        committed[offset:] += amount
    years = np.arange(first_year, first_year + horizon)
    return Forecast(years, totals[0], totals[1], totals[2], np.maximum(committed - np.cumsum(totals[0]), 0.0))


def combine(*parts: Forecast) -> Forecast:
    return Forecast(parts[0].years, *(sum(getattr(p, f) for p in parts) for f in ("calls", "distributions", "nav",
                                                                                     "unfunded")))


@dataclass(frozen=True)
class Suggestion:
    yearly_commitment: float
    strategy: str
    years_committing: int
    target_year: int
    target_nav: float
    nav_without: float
    text: Text


def suggest(base: Forecast, pack: LifecyclePack, strategy: str, target_nav: float, target_year: int,
            years_committing: int) -> Suggestion:
    """The constant commitment k per year (for ``years_committing`` years from the first forecast year) so that
    NAV in ``target_year`` equals ``target_nav``: NAV = base + k·unit, solved for k."""
    first = int(base.years[0])
    h = len(base.years)
    if not first <= target_year < first + h:
        raise InputError(Problem("pacing.target_year", f"目标年份须在 {first}–{first + h - 1} 之间",
                                 f"the target year must be within {first}–{first + h - 1}", field="target_year",
                                 value=target_year))
    unit_plan = pl.DataFrame({"year": list(range(first, first + years_committing)),
                              "strategy": [strategy] * years_committing, "commitment": [1.0] * years_committing})
    unit = planned(unit_plan, pack, first, h).nav[target_year - first]
    now = float(base.nav[target_year - first])
    k = max((target_nav - now) / unit, 0.0) if unit > 0 else 0.0
    if k == 0.0:
        text = Text(zh=f"{target_year}年预计净值 {now:,.0f} 已达到目标 {target_nav:,.0f}，无需新增认缴",
                    en=f"the NAV forecast for {target_year} ({now:,.0f}) already reaches the target {target_nav:,.0f}; no new commitments needed")
    else:
        text = Text(zh=f"{first}–{first + years_committing - 1}年每年新增认缴 {k:,.0f}（{STRATEGIES[strategy].zh}），{target_year}年净值可达 {target_nav:,.0f}",
                    en=f"commit {k:,.0f} a year to {STRATEGIES[strategy].en} funds in {first}–{first + years_committing - 1} to reach a NAV of {target_nav:,.0f} in {target_year}")
    return Suggestion(k, strategy, years_committing, target_year, target_nav, now, text)
