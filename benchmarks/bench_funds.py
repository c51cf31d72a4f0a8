"""Benchmarks of kejin.funds (figures are printed, nothing is asserted; not part of the test suite).

    python benchmarks/bench_funds.py xirr        # 100,000 funds × ~40 flows from CSV vs pyxirr in a loop
    python benchmarks/bench_funds.py montecarlo  # 100,000 funds × 30 deals × 20 years, with every IRR
    python benchmarks/bench_funds.py all

The cash-flow CSV is generated once into bench-data/ (git-ignored) with a fixed seed.
Limit the cores like the target machine with e.g. ``taskset -c 0,1``.
"""

from __future__ import annotations

import argparse
import os
import time
from datetime import date
from pathlib import Path

import numpy as np
import polars as pl

DATA = Path(__file__).resolve().parent.parent / "bench-data"


def fund_flows_csv(n_funds: int, seed: int = 7) -> Path:
    """Realistic fund flows: ~20 calls over the first 5 years, ~20 distributions in years 3–12
    (some funds also call late), a final NAV for half of them; rows shuffled."""
    path = DATA / f"cashflows_{n_funds}.csv"
    if path.exists():
        return path
    DATA.mkdir(exist_ok=True)
    rng = np.random.default_rng(seed)
    n_calls = rng.integers(15, 26, n_funds)
    n_dists = rng.integers(15, 26, n_funds)
    start = date(2010, 1, 1).toordinal() + rng.integers(0, 3650, n_funds)
    rows_f, rows_d, rows_a = [], [], []
    fund = np.repeat(np.arange(n_funds), n_calls)
    rows_f.append(fund)
    rows_d.append(start[fund] + rng.integers(0, 5 * 365, len(fund)))
    calls = -rng.lognormal(13, 0.6, len(fund)).round(2)
    rows_a.append(calls)
    called = np.bincount(fund, weights=-calls, minlength=n_funds)
    multiple = rng.lognormal(0.25, 0.55, n_funds)
    fund = np.repeat(np.arange(n_funds), n_dists)
    share = rng.gamma(1.0, 1.0, len(fund))
    share /= np.bincount(fund, weights=share, minlength=n_funds)[fund]
    rows_f.append(fund)
    rows_d.append(start[fund] + rng.integers(3 * 365, 12 * 365, len(fund)))
    rows_a.append((share * called[fund] * multiple[fund]).round(2))
    f, d, a = (np.concatenate(x) for x in (rows_f, rows_d, rows_a))
    order = rng.permutation(len(f))
    epoch = date(1970, 1, 1).toordinal()
    frame = pl.DataFrame(
        {
            "fund_id": pl.Series([f"F{i:06d}" for i in range(n_funds)]).gather(f[order]),
            "date": pl.Series(d[order] - epoch, dtype=pl.Int32).cast(pl.Date),
            "amount": a[order],
        }
    )
    frame.write_csv(path)
    return path


def bench_xirr(n_funds: int) -> None:
    import pyxirr

    from kejin.funds.cashflows import read_cashflows
    from kejin.funds.metrics import fund_metrics

    path = fund_flows_csv(n_funds)
    print(f"file: {path} ({path.stat().st_size / 1e6:.0f} MB), cores available: {len(os.sched_getaffinity(0))}")

    t0 = time.perf_counter()
    frame = pl.read_csv(path, try_parse_dates=True).sort(["fund_id", "date"])
    baseline = {}
    for (fund_id,), part in frame.group_by("fund_id", maintain_order=True):
        baseline[fund_id] = pyxirr.xirr(part.get_column("date").to_list(), part.get_column("amount").to_list(),
                                        silent=True)
    t_base = time.perf_counter() - t0

    t0 = time.perf_counter()
    cf = read_cashflows(path)
    result = fund_metrics(cf.flows, cf.navs)
    t_kejin = time.perf_counter() - t0

    t0 = time.perf_counter()
    cf = read_cashflows(path)
    fund_metrics(cf.flows, cf.navs)
    t_warm = time.perf_counter() - t0

    ours = dict(zip(result.get_column("fund_id").to_list(), result.get_column("irr").to_list()))
    both = [(ours[k], v) for k, v in baseline.items() if v is not None and ours[k] is not None]
    worst = max(abs(a - b) for a, b in both)
    print(f"pyxirr loop (read CSV + one call per fund): {t_base:.2f} s")
    print(f"kejin funds metrics (read, validate, TVPI/DPI/RVPI, vectorised XIRR): {t_kejin:.2f} s")
    print(f"kejin again in the same process (allocator warm): {t_warm:.2f} s ({t_base / t_warm:.1f}x)")
    print(f"speed-up (first run): {t_base / t_kejin:.1f}x;  funds compared: {len(both)}, max |IRR difference|: {worst:.2e}")
    print(f"irr status counts: {result.get_column('irr_status').value_counts().sort('irr_status').rows()}")


def bench_montecarlo(n_funds: int) -> None:
    from kejin.funds.montecarlo import simulate
    from kejin.funds.packs import load_simulation_pack

    assumptions = load_simulation_pack().scenario("vc")
    simulate(assumptions, n_funds=1000, n_deals=30, years=20, seed=1)  # warm-up
    t0 = time.perf_counter()
    result = simulate(assumptions, n_funds=n_funds, n_deals=30, years=20, seed=1)
    elapsed = time.perf_counter() - t0
    irr = result.irr
    print(f"Monte Carlo: {n_funds} funds × 30 deals × 20 years, with IRR of every fund: {elapsed:.2f} s "
          f"(cores available: {len(os.sched_getaffinity(0))})")
    print(f"mean TVPI {result.tvpi[:, -1].mean():.3f}; median IRR {np.nanmedian(irr):.4f}; "
          f"funds without a single IRR: {int(np.isnan(irr).sum())}")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("which", choices=["xirr", "montecarlo", "all"])
    parser.add_argument("--funds", type=int, default=100_000)
    args = parser.parse_args()
    if args.which in ("xirr", "all"):
        bench_xirr(args.funds)
    if args.which in ("montecarlo", "all"):
        bench_montecarlo(args.funds)


if __name__ == "__main__":
    main()
