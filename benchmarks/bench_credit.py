"""Credit benchmarks: scorecard fit on 1M loans × 30 features, scoring 1M, the portfolio loss
simulation of 100k loans × 10k scenarios, and kejin's tech features of 1M enterprise-years.
Prints the figures; asserts nothing.

    python benchmarks/bench_credit.py [--rows 1000000] [--loans 100000] [--scenarios 10000]
        [--facts 1000000] [--parts fit,simulate,features]

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
from kejin.credit.tech_features import tech_features
from kejin.facts.synth import synth_facts


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


def bench_fit_and_score(rows: int) -> None:
    book = wide_book(rows)
    start = time.perf_counter()
    card = fit_scorecard(book, "default", FitOptions())
    fit_s = time.perf_counter() - start
    e = card.development.evaluation
    print(f"fit   {rows:,} rows × {book.width - 1} features: {fit_s:6.2f} s  (budget 60 s; {len(card.features)} kept, Gini {e.gini:.4f})")

    start = time.perf_counter()
    score_frame(card, book)
    score_s = time.perf_counter() - start
    print(f"score {rows:,} rows with reason codes: {score_s:6.2f} s  (budget 5 s; {rows / score_s / 1e6:.2f} M rows/s)")


def bench_simulate(n: int, scenarios: int) -> None:
    rng = np.random.default_rng(1)
    loans = Loans(
        np.round(rng.uniform(1e6, 1e7, n), -4),
        rng.uniform(0.005, 0.05, n),
        np.full(n, 0.45),
        rng.choice(["tier_40", "tier_35", "tier_30", "none"], n),
    )
    sharing = load_sharing()
    start = time.perf_counter()
    simulation = simulate(sharing, loans, scenarios, rho=0.15, seed=1)
    sim_s = time.perf_counter() - start
    print(
        f"simulate {n:,} loans × {scenarios:,} scenarios: {sim_s:6.2f} s  (budget 30 s; "
        f"mean defaults {simulation.defaults.mean():,.0f}, P(pool dry) {simulation.pool_dry_probability:.3f})"
    )


def bench_features(rows: int, repeats: int = 2) -> None:
    """Points + standards + R&D continuity of synthetic facts (3 years per firm); best of ``repeats``."""
    facts = synth_facts(rows, seed=3)
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        features = tech_features(facts)
        times.append(time.perf_counter() - start)
    print(f"tech features {rows:,} enterprise-years → {features.width} columns: best {min(times):6.2f} s of {repeats} ({', '.join(f'{t:.2f}' for t in times)})")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--loans", type=int, default=100_000)
    parser.add_argument("--scenarios", type=int, default=10_000)
    parser.add_argument("--facts", type=int, default=1_000_000)
    parser.add_argument("--parts", default="fit,simulate,features", help="any of fit (fit + score), simulate, features")
    args = parser.parse_args()
    parts = set(args.parts.split(","))
    print(f"cores visible: {os.cpu_count()}")
    if "fit" in parts:
        bench_fit_and_score(args.rows)
    if "simulate" in parts:
        bench_simulate(args.loans, args.scenarios)
    if "features" in parts:
        bench_features(args.facts)


if __name__ == "__main__":
    main()
