"""Benchmarks of kejin.funds (figures are printed, nothing is asserted; not part of the test suite).

    python benchmarks/bench_funds.py xirr        # 100,000 funds × ~40 flows from CSV vs pyxirr in a loop (3 rounds)
    python benchmarks/bench_funds.py montecarlo  # 100,000 funds × 30 deals × 20 years, with every IRR
    python benchmarks/bench_funds.py all

The cash-flow CSV is generated once into bench-data/ (git-ignored) with a fixed seed. Each side of the XIRR
benchmark runs in a fresh process per round (a cold first run, imports not timed, the same for both);
the rounds alternate which side goes first, and the best of each side is compared. On a shared machine
compare the ratios, not the seconds. Limit the cores like the target machine with e.g. ``taskset -c 0,1``.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from datetime import date
from pathlib import Path
from typing import Any

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


def time_one(side: str, path: Path, out: Path) -> dict[str, Any]:
    """One side of the XIRR benchmark, run in a fresh process so that its first run is a cold one: imports
    first (not timed), then the timed path (wall and CPU seconds); every fund's IRR goes to ``out``."""
    if side == "pyxirr":
        import pyxirr

        t0, c0 = time.perf_counter(), time.process_time()
        frame = pl.read_csv(path, try_parse_dates=True).sort(["fund_id", "date"])
        baseline = {}
        for (fund_id,), part in frame.group_by("fund_id", maintain_order=True):
            baseline[fund_id] = pyxirr.xirr(part.get_column("date").to_list(), part.get_column("amount").to_list(),
                                            silent=True)
        times = {"first": time.perf_counter() - t0, "cpu": time.process_time() - c0}
        result = pl.DataFrame({"fund_id": list(baseline), "irr": list(baseline.values())},
                              schema={"fund_id": pl.String, "irr": pl.Float64})
    else:
        import kejin
        from kejin.funds.cashflows import read_cashflows
        from kejin.funds.metrics import fund_metrics

        t0, c0 = time.perf_counter(), time.process_time()
        cf = read_cashflows(path)
        result = fund_metrics(cf.flows, cf.navs)
        times = {"first": time.perf_counter() - t0, "cpu": time.process_time() - c0}
        t0 = time.perf_counter()
        cf = read_cashflows(path)
        fund_metrics(cf.flows, cf.navs)
        times["again"] = time.perf_counter() - t0
        times["from"] = str(Path(kejin.__file__).parent)  # which checkout was measured
    result.write_parquet(out)
    return times


def bench_xirr(n_funds: int, rounds: int) -> None:
    path = fund_flows_csv(n_funds)
    print(f"file: {path} ({path.stat().st_size / 1e6:.0f} MB), cores available: {len(os.sched_getaffinity(0))}, "
          f"load average: {os.getloadavg()[0]:.2f}")
    runs: dict[str, list[dict[str, Any]]] = {"pyxirr": [], "kejin": []}
    out = {side: DATA / f"_irr_{side}.parquet" for side in runs}
    for r in range(rounds):
        # each side in its own fresh process, the order alternating so that neither always runs after the other
        for side in ("pyxirr", "kejin") if r % 2 == 0 else ("kejin", "pyxirr"):
            proc = subprocess.run([sys.executable, __file__, "--one", side, str(path), str(out[side])],
                                  capture_output=True, text=True, check=True)
            runs[side].append(json.loads(proc.stdout.splitlines()[-1]))
        base, ours = runs["pyxirr"][-1], runs["kejin"][-1]
        print(f"round {r + 1}: pyxirr loop (read CSV + one call per fund) {base['first']:.2f} s; kejin funds metrics "
              f"(read, validate, TVPI/DPI/RVPI, vectorised XIRR) {ours['first']:.2f} s, again in the same process "
              f"{ours['again']:.2f} s; speed-up (first run) {base['first'] / ours['first']:.1f}x "
              f"(CPU time {base['cpu']:.2f} s / {ours['cpu']:.2f} s = {base['cpu'] / ours['cpu']:.1f}x)")
    base = min(run["first"] for run in runs["pyxirr"])
    ours = min(run["first"] for run in runs["kejin"])
    print(f"best of {rounds}: pyxirr loop {base:.2f} s, kejin first run in a fresh process {ours:.2f} s: "
          f"speed-up {base / ours:.1f}x (load average now {os.getloadavg()[0]:.2f}; kejin from {runs['kejin'][0]['from']})")

    theirs, result = pl.read_parquet(out["pyxirr"]), pl.read_parquet(out["kejin"])
    both = result.join(theirs, on="fund_id", suffix="_pyxirr").drop_nulls(["irr", "irr_pyxirr"])
    worst = both.select((pl.col("irr") - pl.col("irr_pyxirr")).abs().max()).item()
    print(f"funds compared: {both.height}, max |IRR difference|: {worst:.2e}")
    print(f"irr status counts: {result.get_column('irr_status').value_counts().sort('irr_status').rows()}")
    for file in out.values():
        file.unlink()


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
    parser.add_argument("which", nargs="?", choices=["xirr", "montecarlo", "all"])
    parser.add_argument("--funds", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=3, help="XIRR: fresh-process runs of each side (best is kept)")
    parser.add_argument("--one", nargs=3, metavar=("SIDE", "CSV", "OUT"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        side, csv, out = args.one
        print(json.dumps(time_one(side, Path(csv), Path(out))))
        return
    if args.which is None:
        parser.error("name a benchmark: xirr, montecarlo or all")
    if args.which in ("xirr", "all"):
        bench_xirr(args.funds, args.rounds)
    if args.which in ("montecarlo", "all"):
        bench_montecarlo(args.funds)


if __name__ == "__main__":
    main()
