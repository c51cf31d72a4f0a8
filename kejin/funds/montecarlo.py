"""Monte Carlo of whole funds, deal by deal: stage-dependent failure, power-law (Pareto) exit multiples,
geometric time to exit; yearly calls (deals and fees), distributions and NAV (unrealised deals at cost),
and each fund's IRR. Seeded and reproducible; vectorised NumPy, with an optional JAX path (jax is in
the ``gpu`` extra) that draws the same distributions with JAX's generator.

From the simulated funds: the distribution of TVPI, DPI and IRR by year, the probability that losses
exceed a tolerance rate, and how often a fixed annual rule or the lifecycle band would flag, at each
evaluation horizon, a fund that ends well.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import polars as pl

from kejin.errors import InputError, Problem
from kejin.funds.lifecycle import band
from kejin.funds.packs import Calibration, FixedRule, ScenarioAssumptions
from kejin.funds.xirr import IrrStatus, PaddedFlows, xirr_padded

PERCENTILES = (5, 25, 50, 75, 95)
# Funds × deals simulated at once: every cell takes ~100 bytes at the peak (draws, paths, bincount keys), so
# 50 M cells need ~5 GB; beyond that a run is refused up front instead of exhausting the memory.
MAX_DEAL_CELLS = 50_000_000


@dataclass(frozen=True)
class StageArrays:
    """Per-stage parameters as arrays indexed by stage number, plus the stage mix."""

    mix: np.ndarray
    failure: np.ndarray
    alpha: np.ndarray
    x_min: np.ndarray
    cap: np.ndarray
    hold: np.ndarray
    fail_years: np.ndarray

    @classmethod
    def of(cls, a: ScenarioAssumptions) -> "StageArrays":
        names = list(a.scenario.stage_mix)
        s = [a.stages[n] for n in names]
        return cls(
            np.array([a.scenario.stage_mix[n] for n in names]),
            np.array([x.failure_prob for x in s]), np.array([x.pareto_alpha for x in s]),
            np.array([x.x_min for x in s]), np.array([x.cap if x.cap is not None else np.inf for x in s]),
            np.array([x.hold_years_mean for x in s]), np.array([x.failure_years_mean for x in s]),
        )


@dataclass(frozen=True)
class Deals:
    """One fund per row, one deal per column: stage, year invested, year realised, cost and value out."""

    stage: np.ndarray
    invest_year: np.ndarray
    exit_year: np.ndarray
    cost: np.ndarray
    proceeds: np.ndarray
    failed: np.ndarray


@dataclass(frozen=True)
class SimulationResult:
    """Yearly paths (n_funds, years + 1) at year-ends 0..years, and each fund's IRR."""

    calls: np.ndarray
    distributions: np.ndarray
    nav: np.ndarray
    irr: np.ndarray
    irr_status: np.ndarray
    gross_loss_rate: np.ndarray  # Σ cost of failed deals ÷ Σ cost
    deal_loss_max: np.ndarray  # the largest single-deal loss rate in the fund

    @property
    def paid_in(self) -> np.ndarray:
        return np.cumsum(self.calls, axis=1)

    @property
    def dpi(self) -> np.ndarray:
        return np.cumsum(self.distributions, axis=1) / self.paid_in

    @property
    def tvpi(self) -> np.ndarray:
        return (np.cumsum(self.distributions, axis=1) + self.nav) / self.paid_in

    @property
    def net_loss_rate(self) -> np.ndarray:
        """Loss of paid-in capital at the end: max(0, 1 − final TVPI)."""
        return np.maximum(0.0, 1.0 - self.tvpi[:, -1])


def expected_multiple(a: ScenarioAssumptions) -> float:
    """Analytic mean gross multiple of a deal under the scenario's stage mix:
    Σ_s mix_s · (1 − p_s) · E[min(X, cap)],  X ~ Pareto(x_min, α):  E = x_min·(α − q)/(α − 1), q = (x_min/cap)^(α−1)
    (q = 0 without a cap, giving α·x_min/(α − 1))."""
    p = StageArrays.of(a)
    q = np.where(np.isfinite(p.cap), (p.x_min / p.cap) ** (p.alpha - 1.0), 0.0)
    success = p.x_min * (p.alpha - q) / (p.alpha - 1.0)
    return float((p.mix * (1.0 - p.failure) * success).sum())


def fees(assumptions: ScenarioAssumptions, years: int) -> np.ndarray:
    """Management fee paid at each year-end 0..years−1 (share of commitment)."""
    t = np.arange(years + 1)
    s = assumptions.scenario
    f = np.where(t < s.investment_years, s.fee_rate, s.fee_rate_after)
    f[-1] = 0.0
    return f


def draw_deals(assumptions: ScenarioAssumptions, n_funds: int, n_deals: int, years: int, seed: int) -> Deals:
    rng = np.random.default_rng(seed)
    p = StageArrays.of(assumptions)
    invest_years = min(assumptions.scenario.investment_years, years)
    shape = (n_funds, n_deals)
    stage = np.searchsorted(np.cumsum(p.mix), rng.random(shape) * p.mix.sum(), side="right").astype(np.int8)
    stage = np.minimum(stage, len(p.mix) - 1)
    invest_year = rng.integers(0, invest_years, shape, dtype=np.int16)
    failed = rng.random(shape) < p.failure[stage]
    # Pareto(x_min, α) by inversion: x_min · U^(−1/α); capped
    multiple = np.minimum(p.x_min[stage] * rng.random(shape) ** (-1.0 / p.alpha[stage]), p.cap[stage])
    multiple[failed] = 0.0
    hold = rng.geometric(1.0 / np.where(failed, p.fail_years[stage], p.hold[stage]))
    exit_year = np.minimum(invest_year + hold, years).astype(np.int16)
    investable = 1.0 - fees(assumptions, years).sum()
    cost = np.full(shape, investable / n_deals)
    return Deals(stage, invest_year, exit_year, cost, cost * multiple, failed)


def fund_paths(deals: Deals, fee: np.ndarray, years: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Yearly calls, distributions and NAV (unrealised deals at cost) of every fund, by bincount. Fees stop
    once the last deal is realised: the fund is wound up then."""
    n, k = deals.cost.shape
    width = years + 1
    wound_up = deals.exit_year.max(axis=1)
    fee = np.where(np.arange(width)[None, :] < wound_up[:, None], fee[None, :], 0.0)
    row = np.repeat(np.arange(n) * width, k)
    at_in = row + deals.invest_year.ravel()
    at_out = row + deals.exit_year.ravel()
    cost = deals.cost.ravel()
    calls = np.bincount(at_in, weights=cost, minlength=n * width).reshape(n, width) + fee
    dist = np.bincount(at_out, weights=deals.proceeds.ravel(), minlength=n * width).reshape(n, width)
    held = np.bincount(at_in, weights=cost, minlength=n * width) - np.bincount(at_out, weights=cost, minlength=n * width)
    nav = np.cumsum(held.reshape(n, width), axis=1)
    nav[np.abs(nav) < 1e-12] = 0.0  # +cost −cost leaves rounding dust, which would be a (spurious) last flow
    return calls, dist, nav


def yearly_irr(flows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """IRR of yearly flows (n, years+1) at t = 0, 1, … (annual periods), all rows on one time grid."""
    times = np.broadcast_to(np.arange(flows.shape[1], dtype=float), flows.shape)
    nonzero = flows != 0
    first = np.argmax(nonzero, axis=1).astype(float)
    last = (flows.shape[1] - 1 - np.argmax(nonzero[:, ::-1], axis=1)).astype(float)
    result = xirr_padded(PaddedFlows(times, flows, last, first))
    return result.rate, result.status


BACKENDS = ("numpy", "jax")


def require_jax() -> None:
    """The JAX path needs jax (the ``gpu`` extra); say so, and how to install it, when it is absent."""
    import importlib.util

    if importlib.util.find_spec("jax") is None:
        raise InputError(Problem(
            "simulate.no_jax",
            "未安装 jax，无法使用 --backend jax；请安装：pip install 'kejin[gpu]'（或 pip install jax），或改用 --backend numpy",
            "jax is not installed, so --backend jax cannot run; install it with pip install 'kejin[gpu]' "
            "(or pip install jax), or use --backend numpy",
            field="--backend", value="jax"))


def simulate(assumptions: ScenarioAssumptions, n_funds: int, n_deals: int, years: int | None = None,
             seed: int = 0, backend: str = "numpy") -> SimulationResult:
    """Simulate ``n_funds`` funds of ``n_deals`` deals over ``years`` (default: the scenario's life)."""
    years = years or assumptions.scenario.life
    if n_funds < 1 or n_deals < 1:
        raise InputError(Problem("simulate.size", "基金数与每只基金项目数都至少为 1", "the number of funds and of deals per fund "
                                 "must each be at least 1", field="--funds/--deals", value=f"{n_funds}, {n_deals}"))
    if n_funds * n_deals > MAX_DEAL_CELLS:
        raise InputError(Problem(
            "simulate.too_large",
            f"基金数 × 项目数 = {n_funds * n_deals:,} 超过单次上限 {MAX_DEAL_CELLS:,}（约需 {n_funds * n_deals * 100 / 1e9:,.0f} GB 内存）；"
            "请减少 --funds 或 --deals，或分几次以不同 --seed 运行",
            f"funds × deals = {n_funds * n_deals:,} exceeds the limit of {MAX_DEAL_CELLS:,} per run (about "
            f"{n_funds * n_deals * 100 / 1e9:,.0f} GB of memory); lower --funds or --deals, or run several times with "
            "different --seed values",
            field="--funds", value=n_funds))
    if backend not in BACKENDS:
        raise InputError(Problem("simulate.backend", f"未知的计算后端 {backend}（可用：{', '.join(BACKENDS)}）",
                                 f"unknown backend {backend} (known: {', '.join(BACKENDS)})", field="--backend",
                                 value=backend))
    if backend == "jax":
        require_jax()
        from kejin.funds.montecarlo_jax import draw_deals_jax

        deals = draw_deals_jax(assumptions, n_funds, n_deals, years, seed)
    else:
        deals = draw_deals(assumptions, n_funds, n_deals, years, seed)
    calls, dist, nav = fund_paths(deals, fees(assumptions, years), years)
    irr, status = yearly_irr(dist - calls + np.pad(nav[:, -1:], ((0, 0), (years, 0))))
    failed_cost = (deals.cost * deals.failed).sum(axis=1)
    loss = np.where(deals.proceeds < deals.cost, 1.0 - deals.proceeds / deals.cost, 0.0)
    return SimulationResult(calls, dist, nav, irr, status, failed_cost / deals.cost.sum(axis=1), loss.max(axis=1))


# ---------------------------------------------------------------- summaries
def by_year(result: SimulationResult) -> pl.DataFrame:
    """Percentiles of TVPI and DPI at each year-end."""
    tvpi, dpi = result.tvpi, result.dpi
    cols: dict[str, np.ndarray] = {"year": np.arange(tvpi.shape[1])}
    for q in PERCENTILES:
        cols[f"tvpi_p{q}"] = np.percentile(tvpi, q, axis=0)
    for q in PERCENTILES:
        cols[f"dpi_p{q}"] = np.percentile(dpi, q, axis=0)
    cols["tvpi_mean"] = tvpi.mean(axis=0)
    return pl.DataFrame(cols).filter(pl.col("year") > 0)


def irr_summary(result: SimulationResult) -> dict[str, float]:
    ok = result.irr_status == IrrStatus.UNIQUE
    irr = result.irr[ok]
    out = {f"irr_p{q}": float(np.percentile(irr, q)) for q in PERCENTILES} if len(irr) else {}
    out.update({
        "irr_below_zero": float((irr < 0).mean()) if len(irr) else float("nan"),
        "funds_without_single_irr": int((~ok).sum()),
        "tvpi_mean": float(result.tvpi[:, -1].mean()),
        "tvpi_below_one": float((result.tvpi[:, -1] < 1).mean()),
    })
    return out


def loss_exceedance(result: SimulationResult, rates: list[float], project_caps: list[float]) -> pl.DataFrame:
    """P(fund loss rate > r) for portfolio rates, net and gross; P(some deal loses more than the cap)."""
    rows = [{"rule": "portfolio", "rate": r, "p_net_loss_above": float((result.net_loss_rate > r + 1e-12).mean()),
             "p_gross_loss_above": float((result.gross_loss_rate > r + 1e-12).mean())} for r in rates]
    rows += [{"rule": "project_cap", "rate": c, "p_net_loss_above": None,
              "p_gross_loss_above": float((result.deal_loss_max > c + 1e-12).mean())} for c in project_caps]
    return pl.DataFrame(rows, infer_schema_length=None)


def false_alarms(result: SimulationResult, calibration: Calibration, rules: list[FixedRule],
                 ends_well_tvpi: float = 1.0) -> pl.DataFrame:
    """For each horizon h (years): among funds whose final TVPI ≥ ``ends_well_tvpi``, the share that each
    fixed annual rule has flagged by year h, and the share the lifecycle band calls off track at year h."""
    good = result.tvpi[:, -1] >= ends_well_tvpi
    years = result.tvpi.shape[1] - 1
    tvpi, dpi = result.tvpi[good], result.dpi[good]
    with np.errstate(invalid="ignore"):
        irr_to_date = np.full_like(tvpi, np.nan)  # filled only if a rule needs it
    if any(r.metric == "irr" for r in rules):
        flows = result.distributions[good] - result.calls[good]
        for h in range(1, years + 1):
            f = flows[:, : h + 1].copy()
            f[:, h] += result.nav[good][:, h]
            irr_to_date[:, h] = yearly_irr(f)[0]
    metric = {"tvpi": tvpi, "dpi": dpi, "irr": irr_to_date}
    b = band("sim", calibration, years=years)
    floor = np.concatenate(([1.0], b.tvpi["floor"]))[: years + 1]
    rows = []
    for h in range(1, years + 1):
        judged = h >= calibration.judge_from_age
        row = {"horizon": h, "funds_ending_well": int(good.sum()),
               "lifecycle_off_track": (float((tvpi[:, h] < floor[h]).mean()) if judged else 0.0) if good.any() else None}
        for r in rules:
            ages = np.arange(1, h + 1)
            applies = ages >= r.from_age
            values = metric[r.metric][:, 1 : h + 1][:, applies]
            row[f"rule_{r.id}"] = float((values < r.minimum).any(axis=1).mean()) if good.any() else None
        rows.append(row)
    return pl.DataFrame(rows, infer_schema_length=None)
