"""Credit benchmarks: scorecard fit on 1M loans × 30 features, scoring 1M, and the portfolio
loss simulation of 100k loans × 10k scenarios. Prints the figures; asserts nothing.

    python benchmarks/bench_credit.py [--rows 1000000] [--loans 100000] [--scenarios 10000]

The issue's budgets (2 cores): fit ≤ 60 s, score ≤ 5 s, simulation ≤ 30 s.
"""

from __future__ import annotations

import argparse
import os
import time

import numpy as np
import polars as pl
from scipy import special

from kejin.credit.portfolio import Loans, simulate
from kejin.credit.scorecard import FitOptions, fit_scorecard, score_frame
from kejin.credit.sharing import load_sharing


def wide_book(rows: int, n_numeric: int = 26, n_categorical: int = 4, seed: int = 0) -> pl.DataFrame:
    """Logistic data: skewed, discrete and 2 %-blank numeric columns plus categorical ones."""
    rng = np.random.default_rng(seed)
    columns: dict[str, np.ndarray] = {}
    logit = np.full(rows, -3.0)
    for j in range(n_numeric):
        x = rng.standard_normal(rows)
        logit += (0.25 if j % 3 else -0.15) * x
        if j % 4 == 1:
            x = np.exp(x)  # skewed
        elif j % 4 == 2:
            x = np.round(x * 3)  # discrete
        x[rng.random(rows) < 0.02] = np.nan
        columns[f"x{j:02d}"] = x
    for j in range(n_categorical):
        codes = rng.integers(0, 12, rows)
        logit += 0.08 * (codes % 5 - 2)
        columns[f"c{j}"] = np.array([f"k{c:02d}" for c in range(12)])[codes]
    columns["default"] = (rng.random(rows) < special.expit(logit)).astype(np.int8)
    return pl.DataFrame(columns).with_columns(pl.col(pl.Float64).fill_nan(None))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--loans", type=int, default=100_000)
    parser.add_argument("--scenarios", type=int, default=10_000)
    args = parser.parse_args()
    print(f"cores visible: {os.cpu_count()}")

    book = wide_book(args.rows)
    start = time.perf_counter()
    card = fit_scorecard(book, "default", FitOptions())
    fit_s = time.perf_counter() - start
    e = card.development.evaluation
    print(f"fit   {args.rows:,} rows × {book.width - 1} features: {fit_s:6.2f} s  (budget 60 s; {len(card.features)} kept, Gini {e.gini:.4f})")

    start = time.perf_counter()
    scored = score_frame(card, book)
    score_s = time.perf_counter() - start
    print(f"score {args.rows:,} rows with reason codes: {score_s:6.2f} s  (budget 5 s; {args.rows / score_s / 1e6:.2f} M rows/s)")
    del book, scored

    rng = np.random.default_rng(1)
    n = args.loans
    loans = Loans(
        np.round(rng.uniform(1e6, 1e7, n), -4),
        rng.uniform(0.005, 0.05, n),
        np.full(n, 0.45),
        rng.choice(["tier_40", "tier_35", "tier_30", "none"], n),
    )
    sharing = load_sharing()
    start = time.perf_counter()
    simulation = simulate(sharing, loans, args.scenarios, rho=0.15, seed=1)
    sim_s = time.perf_counter() - start
    print(
        f"simulate {n:,} loans × {args.scenarios:,} scenarios: {sim_s:6.2f} s  (budget 30 s; "
        f"mean defaults {simulation.defaults.mean():,.0f}, P(pool dry) {simulation.pool_dry_probability:.3f})"
    )


if __name__ == "__main__":
    main()
