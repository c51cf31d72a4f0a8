"""Portfolio loss simulation: who carries what in a year of defaults, and how big the pool must be.

Defaults follow the one-factor Gaussian (Vasicek) model: loan ``i`` defaults in scenario ``s`` when
``√ρ·Z_s + √(1−ρ)·ε_is < Φ⁻¹(PD_i)``. The loss on a default is ``loan × LGD`` (LGD fixed per
loan) and is split by the risk-sharing waterfall of ``sharing``. Scenario-level rules follow:

* the pool pays its claims until its balance is spent; what it cannot pay stays with the party
  it covers, and the pool "runs dry" in a scenario whose claims exceed its balance;
* the national fund shares compensations only up to ``compensation_rate_cap`` × the guaranteed
  balance; its share above that falls to the programme's ``overflow_to`` party.

Scenarios are simulated in chunks (never a loans × scenarios float64 matrix), each chunk with
its own seed from one ``SeedSequence``, so results do not depend on the number of threads.
"""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace

import numpy as np
import polars as pl
from scipy import special

from kejin.credit.sharing import MAX_YUAN, Sharing, check_yuan
from kejin.credit.table import MAX_LISTED_ROWS, excel_row, read_amounts
from kejin.errors import InputError, Problem

CELLS_PER_CHUNK = 8_000_000  # loans × scenarios drawn at once: ~32 MB of float32 per worker


@dataclass(frozen=True)
class Loans:
    amount: np.ndarray  # yuan
    pd: np.ndarray
    lgd: np.ndarray
    tier: np.ndarray


def loans_from_frame(
    frame: pl.DataFrame,
    file: str | None = None,
    amount: str = "loan_amount",
    pd: str = "pd",
    lgd: str = "lgd",
    tier: str = "tier",
    default_lgd: float | None = None,
    sharing: Sharing | None = None,
) -> Loans:
    """Read and check the loan columns; every bad value is reported with its row. With ``sharing``, each
    loan's tier is checked against the pack's tiers (a blank or unknown tier names its row)."""
    needed = [amount, pd, tier] + ([] if default_lgd is not None else [lgd])
    absent = [c for c in needed if c not in frame.columns]
    if absent:
        raise InputError(
            [
                Problem("input.no_column", f"数据中没有该列（现有：{', '.join(frame.columns[:20])}）", f"the column is not in the data (present: {', '.join(frame.columns[:20])})", file=file, field=c)
                for c in absent
            ]
        )
    if default_lgd is not None and not 0 <= default_lgd <= 1:
        raise InputError(Problem("input.out_of_range", "--default-lgd 必须在 [0, 1] 内", "--default-lgd must lie in [0, 1]", field="--default-lgd", value=default_lgd))
    problems: list[Problem] = []

    def column(name: str, low: float, high: float, low_open: bool) -> np.ndarray:
        read = read_amounts(frame.get_column(name))
        values = read.values
        with np.errstate(invalid="ignore"):
            bad = read.bad | (values <= low if low_open else values < low) | (values > high)
        for i in np.flatnonzero(bad)[:MAX_LISTED_ROWS]:
            zh = "取值为空" if read.blank[i] else "取值不是数字" if read.text[i] else f"取值必须在 {'(' if low_open else '['}{low:g}, {high:g}] 内"
            en = "the value is blank" if read.blank[i] else "the value is not a number" if read.text[i] else f"the value must lie in {'(' if low_open else '['}{low:g}, {high:g}]"
            problems.append(Problem("input.out_of_range", zh, en, file=file, row=excel_row(int(i)), field=name, value=frame.get_column(name)[int(i)]))
        return values

    amounts = column(amount, 0, MAX_YUAN, True)
    pds = column(pd, 0, 1, False)
    lgds = np.full(frame.height, default_lgd) if default_lgd is not None else column(lgd, 0, 1, False)
    raw_tiers = frame.get_column(tier).cast(pl.String)
    tiers = raw_tiers.str.strip_chars().fill_null("").to_numpy()
    if sharing is not None:
        for value in np.unique(tiers):
            rows = np.flatnonzero(tiers == value)
            try:
                sharing.tier_id(str(value), file, excel_row(int(rows[0])), tier)
            except InputError as exc:
                for i in rows[:MAX_LISTED_ROWS]:
                    problems += [replace(p, row=excel_row(int(i)), value=raw_tiers[int(i)]) for p in exc.problems]
    if problems:
        raise InputError(problems)
    return Loans(amounts, np.clip(pds, 0, 1), lgds, tiers)


@dataclass
class PartyRisk:
    party: str
    expected_loss: float
    loss_99: float
    expected_shortfall_99: float


@dataclass
class Simulation:
    scenarios: int
    rho: float
    seed: int
    party_losses: dict[str, np.ndarray]  # per scenario, yuan
    pool_claims: np.ndarray | None  # what the pool was asked to pay, per scenario
    pool_balance: float | None
    defaults: np.ndarray  # number of defaults per scenario
    total_loss: np.ndarray

    def party_risk(self, quantile: float = 0.99) -> list[PartyRisk]:
        out = []
        for party, losses in self.party_losses.items():
            var = float(np.quantile(losses, quantile))
            tail = losses[losses >= var]
            out.append(PartyRisk(party, float(losses.mean()), var, float(tail.mean()) if len(tail) else var))
        return out

    @property
    def pool_dry_probability(self) -> float | None:
        if self.pool_claims is None or self.pool_balance is None:
            return None
        return float(np.mean(self.pool_claims > self.pool_balance))

    def pool_needed(self, target_probability: float) -> float | None:
        """Smallest balance whose chance of running dry in the year is at most the target."""
        if self.pool_claims is None:
            return None
        if not 0 < target_probability < 1:
            raise InputError(Problem("sharing.target", "目标概率必须在 0 与 1 之间", "the target probability must lie between 0 and 1", value=target_probability))
        claims = np.sort(self.pool_claims)
        allowed = int(np.floor(target_probability * len(claims)))  # scenarios that may exceed it
        return float(claims[len(claims) - allowed - 1]) if allowed < len(claims) else 0.0


def _chunk_defaults(threshold: np.ndarray, rho: float, n_scenarios: int, seed: np.random.SeedSequence) -> tuple[np.ndarray, np.ndarray]:
    """(scenario, loan) pairs that default in one chunk of scenarios."""
    rng = np.random.default_rng(seed)
    z = rng.standard_normal(n_scenarios).astype(np.float32)
    latent = rng.standard_normal((n_scenarios, len(threshold)), dtype=np.float32)
    # √ρ·Z + √(1−ρ)·ε < Φ⁻¹(PD), computed in place in float32 (one buffer per chunk).
    latent *= np.float32(np.sqrt(1 - rho))
    latent += (np.float32(np.sqrt(rho)) * z)[:, None]
    return np.nonzero(latent < threshold[None, :])


def simulate(
    sharing: Sharing,
    loans: Loans,
    scenarios: int = 10_000,
    rho: float = 0.15,
    seed: int = 0,
    pool_balance: float | None = None,
    workers: int | None = None,
) -> Simulation:
    if not 0 <= rho < 1:
        raise InputError(Problem("sharing.rho", "资产相关系数必须在 [0, 1) 内", "the asset correlation must lie in [0, 1)", value=rho))
    if scenarios < 1:
        raise InputError(Problem("sharing.scenarios", "情景数必须为正", "the number of scenarios must be positive", value=scenarios))
    if pool_balance is not None:
        check_yuan(pool_balance, "--pool-balance")
    for tier in np.unique(loans.tier):
        sharing.tier_id(str(tier))
    loss = loans.amount * loans.lgd
    split = sharing.waterfall(loss, loans.amount, loans.tier)  # pool limited by per-firm cap only
    parties = list(split)
    per_loan = np.column_stack([split[p] for p in parties])
    threshold = special.ndtri(np.clip(loans.pd, 1e-12, 1 - 1e-12)).astype(np.float32)
    threshold[loans.pd <= 0] = -np.inf
    threshold[loans.pd >= 1] = np.inf

    n = len(loss)
    per_chunk = max(1, min(scenarios, CELLS_PER_CHUNK // max(n, 1)))
    starts = list(range(0, scenarios, per_chunk))
    seeds = np.random.SeedSequence(seed).spawn(len(starts))
    totals = np.zeros((scenarios, len(parties)))
    counts = np.zeros(scenarios, dtype=np.int64)

    def run(k: int) -> None:
        size = min(per_chunk, scenarios - starts[k])
        s, i = _chunk_defaults(threshold, rho, size, seeds[k])
        counts[starts[k] : starts[k] + size] = np.bincount(s, minlength=size)
        for p in range(len(parties)):
            totals[starts[k] : starts[k] + size, p] = np.bincount(s, weights=per_loan[i, p], minlength=size)

    # NumPy's random fills and comparisons release the GIL, so threads use both cores.
    with ThreadPoolExecutor(max_workers=workers or min(4, os.cpu_count() or 1)) as pool:
        list(pool.map(run, range(len(starts))))

    losses = {p: totals[:, j].copy() for j, p in enumerate(parties)}
    claims, balance = _apply_pool(sharing, losses, pool_balance)
    _apply_compensation_cap(sharing, loans, losses)
    return Simulation(scenarios, rho, seed, losses, claims, balance, counts, loss_total(losses))


def loss_total(losses: dict[str, np.ndarray]) -> np.ndarray:
    return np.sum(list(losses.values()), axis=0)


def _apply_pool(sharing: Sharing, losses: dict[str, np.ndarray], pool_balance: float | None) -> tuple[np.ndarray | None, float | None]:
    pool = sharing.pool
    if pool is None:
        return None, None
    balance = pool_balance if pool_balance is not None else pool.balance_yuan
    claims = losses[pool.id].copy()
    if balance is not None:
        unpaid = np.maximum(claims - balance, 0.0)
        losses[pool.id] = claims - unpaid
        losses[pool.covers] = losses[pool.covers] + unpaid
    return claims, balance


def _apply_compensation_cap(sharing: Sharing, loans: Loans, losses: dict[str, np.ndarray]) -> None:
    fund = sharing.by_role.get("national_fund")
    if fund is None:
        return
    policy = sharing.pack.policy
    bank = sharing.by_role["bank"].id
    system_share = {
        t: (1 - sharing.split_shares(t)[bank]) if tier.covered else 0.0 for t, tier in sharing.pack.tiers.items()
    }
    share = np.array([system_share[str(t)] for t in loans.tier])
    guaranteed_balance = float((np.minimum(loans.amount, policy.single_firm_cap_yuan) * share).sum())
    limit = policy.compensation_rate_cap * guaranteed_balance
    system = [p.id for r in ("national_fund", "reguarantor", "guarantor") if (p := sharing.by_role.get(r))]
    compensated = np.sum([losses[p] for p in system], axis=0)
    scale = np.where(compensated > limit, limit / np.maximum(compensated, 1e-9), 1.0)
    overflow = losses[fund.id] * (1 - scale)
    losses[fund.id] = losses[fund.id] - overflow
    target = sharing.pack.programme.overflow_to
    losses[target] = losses[target] + overflow
