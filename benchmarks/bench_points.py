"""Innovation-points benchmark: score 1,000,000 enterprise-years with national-core (cohort
percentiles per year × stage), Parquet in → CSV out, as the user runs it — the whole
``kejin points score`` process (interpreter start, imports, reading and validating the facts,
scoring, writing the CSV) — then the same method as one DuckDB query rendered from the same pack
(``kejin.points.sql``), also a whole process, and the ratio. Asserts nothing.

    python benchmarks/bench_points.py [--rows 1000000] [--method national-core] [--repeat 3] [--unsorted] [--stages]

Printed per command: best-of-N wall time, the CPU time (user + sys) and the peak RSS of that
process, and the load average around the runs — the 2 cores of the build machine are shared,
so a wall time means little without the load beside it. ``--stages`` adds one in-process run
timed stage by stage. The issue's budget (2 cores): ≤ 1.5 s, peak memory < 4 GB. The input file
is synthetic (kejin.facts.synth), written once to bench-data/ sorted by (uscc, year) as a
warehouse export would be; ``--unsorted`` also times an input in random row order.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import duckdb
import polars as pl

from kejin.facts.synth import synth_facts
from kejin.points.methods import resolve
from kejin.points.sql import method_sql

DATA = Path("bench-data")
# The DuckDB side as its own process, like the CLI: connect, run the rendered query, COPY to CSV.
DUCKDB_SCRIPT = """
import sys, duckdb
facts, sql, out = sys.argv[1:4]
con = duckdb.connect()
con.execute(f"CREATE VIEW facts AS SELECT * FROM read_parquet('{facts}')")
con.execute(f"COPY ({open(sql, encoding='utf-8').read()}) TO '{out}' (HEADER, DELIMITER ',')")
"""


@dataclass
class Run:
    wall: float  # seconds
    cpu: float  # user + sys seconds of the process
    peak_mb: float  # peak resident set size


def data_file(rows: int, sort: bool) -> Path:
    out = DATA / f"points_facts_{rows}{'_sorted' if sort else '_random'}.parquet"
    if not out.exists():
        DATA.mkdir(exist_ok=True)
        f = synth_facts(rows, seed=42)
        f = f.sort(["uscc", "year"]) if sort else f.sample(fraction=1.0, shuffle=True, seed=1)
        f.write_parquet(out)
    return out


def timed(cmd: list[str]) -> Run:
    """Run a command to completion; wall time, CPU time and peak RSS of exactly that process."""
    with tempfile.TemporaryFile() as err:
        start = time.perf_counter()
        proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=err)
        _, status, usage = os.wait4(proc.pid, 0)  # this child's own rusage (peak RSS, CPU)
        wall = time.perf_counter() - start
        proc.returncode = os.waitstatus_to_exitcode(status)
        if proc.returncode:
            err.seek(0)
            raise SystemExit(f"{' '.join(cmd)} failed ({proc.returncode}): {err.read().decode(errors='replace')}")
    return Run(wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024)


def best(cmd: list[str], repeat: int) -> Run:
    return min((timed(cmd) for _ in range(repeat)), key=lambda r: r.wall)


def kejin_command() -> list[str]:
    script = shutil.which("kejin")
    return [script] if script else [sys.executable, "-c", "from kejin.cli import main; main()"]


def load() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def stages(path: Path, method: str, out: Path) -> None:
    """One in-process run of the CLI's path, stage by stage."""
    from kejin.facts import load_facts
    from kejin.points.engine import as_method, prepare, score_prepared

    m = as_method(method)
    marks = [("start", time.perf_counter())]
    facts = load_facts(path, fields=m.input_columns())
    marks.append(("read + validate the method's fields", time.perf_counter()))
    p = prepare(facts, m, digest_in_background=True)
    marks.append(("prepare (scope, sort, lags; digests start)", time.perf_counter()))
    scores = score_prepared(p)
    marks.append(("scoring query (+ waiting for the digests)", time.perf_counter()))
    scores.write_csv(out)
    marks.append(("CSV written", time.perf_counter()))
    for (_, a), (name, b) in zip(marks, marks[1:]):
        print(f"  {name:44s} {b - a:6.2f} s")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--method", default="national-core")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--unsorted", action="store_true")
    ap.add_argument("--skip-duckdb", action="store_true")
    ap.add_argument("--stages", action="store_true", help="also time one in-process run stage by stage")
    a = ap.parse_args()
    print(f"cores visible: {os.cpu_count()}, polars {pl.__version__}, duckdb {duckdb.__version__}")
    out = DATA / "points_out.csv"
    engine = None
    for sort in [True] + ([False] if a.unsorted else []):
        path = data_file(a.rows, sort)
        before = load()
        r = best([*kejin_command(), "points", "score", "--method", a.method, "--input", str(path), "--format", "csv", "--output", str(out)], a.repeat)
        engine = engine or r
        print(f"kejin points score, {a.rows:,} rows {a.method} ({'sorted' if sort else 'random order'} input) Parquet→CSV, whole process: "
              f"best of {a.repeat} {r.wall:5.2f} s (CPU {r.cpu:5.2f} s), peak RSS {r.peak_mb:,.0f} MB  (budget 1.5 s, 4 GB; load average {before} → {load()})")
    if a.stages:
        stages(data_file(a.rows, True), a.method, out)
    if not a.skip_duckdb and engine:
        sql = DATA / "points_method.sql"
        sql.write_text(method_sql(resolve(a.method)), encoding="utf-8")
        before = load()
        d = best([sys.executable, "-c", DUCKDB_SCRIPT, str(data_file(a.rows, True)), str(sql), str(DATA / "points_out_duckdb.csv")], 1)
        print(f"duckdb  same method as one window query Parquet→CSV (uscc, year, stage, points, tier only), whole process: {d.wall:5.2f} s "
              f"(CPU {d.cpu:5.2f} s), peak RSS {d.peak_mb:,.0f} MB  (load average {before} → {load()})  → ratio duckdb/engine {d.wall / engine.wall:4.1f}× wall, {d.cpu / engine.cpu:4.1f}× CPU")


if __name__ == "__main__":
    main()
