"""Innovation-points benchmark: score 1,000,000 enterprise-years with national-core (cohort
percentiles per year × stage), Parquet in → CSV out, then the same method as one DuckDB query
rendered from the same pack (kejin.points.sql), and print the ratio. Asserts nothing.

    /usr/bin/time -v python benchmarks/bench_points.py [--rows 1000000] [--method national-core] [--repeat 3]

The issue's budget (2 cores): ≤ 1.5 s, peak memory < 4 GB. The input file is synthetic
(kejin.facts.synth), written once to bench-data/ sorted by (uscc, year) as a warehouse export
would be; ``--unsorted`` also times an input in random row order (the engine sorts it).
"""

from __future__ import annotations

import argparse
import os
import time
from pathlib import Path

import duckdb
import polars as pl

from kejin.facts.synth import synth_facts
from kejin.points.engine import prepare, score_prepared
from kejin.points.methods import resolve
from kejin.points.sql import method_sql


def data_file(rows: int, sort: bool) -> Path:
    out = Path("bench-data") / f"points_facts_{rows}{'_sorted' if sort else '_random'}.parquet"
    if not out.exists():
        out.parent.mkdir(exist_ok=True)
        f = synth_facts(rows, seed=42)
        f = f.sort(["uscc", "year"]) if sort else f.sample(fraction=1.0, shuffle=True, seed=1)
        f.write_parquet(out)
    return out


def run_engine(path: Path, method: str, out: Path) -> tuple[float, int]:
    m = resolve(method)
    start = time.perf_counter()
    cols = list(dict.fromkeys(["uscc", "year", "name", *m.input_columns()]))
    facts = pl.read_parquet(path, columns=cols)
    res = score_prepared(prepare(facts, m))
    res.write_csv(out)
    return time.perf_counter() - start, res.height


def run_duckdb(path: Path, method: str, out: Path) -> float:
    m = resolve(method)
    start = time.perf_counter()
    con = duckdb.connect()
    con.execute(f"CREATE VIEW facts AS SELECT * FROM read_parquet('{path}')")
    con.execute(f"COPY ({method_sql(m)}) TO '{out}' (HEADER, DELIMITER ',')")
    return time.perf_counter() - start


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--method", default="national-core")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--unsorted", action="store_true")
    ap.add_argument("--skip-duckdb", action="store_true")
    a = ap.parse_args()
    print(f"cores visible: {os.cpu_count()}, polars {pl.__version__}, duckdb {duckdb.__version__}")
    out = Path("bench-data") / "points_out.csv"
    for sort in [True] + ([False] if a.unsorted else []):
        path = data_file(a.rows, sort)
        best = min(run_engine(path, a.method, out)[0] for _ in range(a.repeat))
        print(f"engine  {a.rows:,} rows {a.method} ({'sorted' if sort else 'random order'} input) Parquet→CSV: best of {a.repeat} {best:6.2f} s  (budget 1.5 s)")
    if not a.skip_duckdb:
        path = data_file(a.rows, True)
        d = run_duckdb(path, a.method, Path("bench-data") / "points_out_duckdb.csv")
        print(f"duckdb  same method as one window query Parquet→CSV: {d:6.2f} s  → ratio duckdb/engine {d / best:4.1f}×")


if __name__ == "__main__":
    main()
