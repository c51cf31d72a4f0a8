"""Innovation-points benchmark: score 1,000,000 enterprise-years with national-core (cohort
percentiles per year × stage), Parquet in → CSV out, as the user runs it — the whole
``kejin points score`` process (interpreter start, imports, reading and validating the facts,
scoring, writing the CSV) — then the same method as one DuckDB query rendered from the same pack
(``kejin.points.sql``), also a whole process, and the ratio. Asserts nothing.

    python benchmarks/bench_points.py [--rows 1000000] [--method national-core] [--repeat 3]
        [--layouts sorted,firms,random] [--stages] [--skip-duckdb]

Printed per command: best-of-N wall time, the CPU time (user + sys) and the peak RSS of that
process, and the load average around the runs — the 2 cores of the build machine are shared,
so a wall time means little without the load beside it. ``--stages`` adds one in-process run
timed stage by stage. The issue's budget (2 cores): ≤ 1.5 s, peak memory < 4 GB. Because machines
differ, the script times the issue's own yardstick (18 cohort percentile ranks and a weighted
sum as one Polars expression, 0.9 s where the budget was set) and prints the engine's time as a
multiple of it (the budget is 1.67× the yardstick); a shared machine's speed drifts within
minutes, so the yardstick is timed again right before each run of the engine and the best of
those is the one each layout is compared with. The input facts are synthetic
(kejin.facts.synth), written once to bench-data/ in three row layouts (``--layouts``, default
all): ``sorted`` by (uscc, year) as a warehouse export ordered by its key; ``firms``, firm after
firm in no order of firms, as ``kejin synth`` writes them; ``random`` row order.
"""

from __future__ import annotations

import argparse
import compileall
import os
import subprocess
import sys
import sysconfig
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import duckdb
import polars as pl

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


LAYOUTS = ("sorted", "firms", "random")


def data_file(rows: int, layout: str) -> Path:
    """The synthetic input in one of ``LAYOUTS``, made once — in a child process, like every
    large piece of work here: a child started by this process reports this process's peak memory
    as part of its own (Linux counts the memory a process had before it became the command), so
    this one stays small."""
    out = DATA / f"points_facts_{rows}_{layout}.parquet"
    if not out.exists():
        DATA.mkdir(exist_ok=True)
        subprocess.run([sys.executable, "-c", MAKE_DATA, str(rows), layout, str(out)], check=True)
    return out


MAKE_DATA = """
import sys
from kejin.facts.synth import synth_facts
rows, layout, out = int(sys.argv[1]), sys.argv[2], sys.argv[3]
f = synth_facts(rows, seed=42)  # firm after firm, each firm's years ascending
if layout == "sorted":
    f = f.sort(["uscc", "year"])
elif layout == "random":
    f = f.sample(fraction=1.0, shuffle=True, seed=1)
f.write_parquet(out)
"""


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


def best(cmd: list[str], repeat: int, output: Path, yardstick: Yardstick | None = None) -> tuple[Run, float | None]:
    """Best of ``repeat`` runs, each writing a new ``output`` (the previous one is deleted first,
    untimed: replacing a 370 MB file costs the file system 0.2–0.5 s on its own), and the best of
    the yardstick timed just before each run (None without a yardstick)."""
    runs, beside = [], []
    for _ in range(repeat):
        output.unlink(missing_ok=True)
        if yardstick:
            beside.append(yardstick.time())
        runs.append(timed(cmd))
    return min(runs, key=lambda r: r.wall), min(beside, default=None)


def kejin_command() -> list[str]:
    """The ``kejin`` console script of this interpreter (what a virtual environment's ``bin/kejin``
    is), not whatever ``kejin`` is first on PATH: a version manager's shim there (pyenv's is a
    shell script that starts ``pyenv exec``) would add its own start-up to the time measured."""
    script = Path(sysconfig.get_path("scripts")) / "kejin"
    return [str(script)] if script.exists() else [sys.executable, "-c", "from kejin.cli import main; main()"]


def compile_bytecode() -> None:
    """Compile the kejin package's bytecode, as installing a wheel does (pip compiles it) and as
    the first run of an editable install does — except where ``PYTHONDONTWRITEBYTECODE`` is set
    (some build machines set it), which would otherwise make every timed run compile kejin's
    own modules from source again (about 60 ms)."""
    import kejin

    compileall.compile_dir(Path(kejin.__file__).parent, quiet=1)


def load() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def stages(path: Path, method: str, out: Path, yardstick: float) -> None:
    """One in-process run of the CLI's path (no interpreter start-up), stage by stage."""
    from kejin.facts import load_facts
    from kejin.points import engine

    m = engine.as_method(method)
    marks = [("start", time.perf_counter())]
    facts = load_facts(path, fields=m.input_columns())
    marks.append(("read + validate the method's fields", time.perf_counter()))
    ranked = engine._ranked

    def timed_ranked(*args, **kwargs):  # marks the end of the scoring stage inside write_scores_csv
        result = ranked(*args, **kwargs)
        marks.append(("prepare + score (stage one, whole table)", time.perf_counter()))
        return result
    engine._ranked = timed_ranked
    try:
        out.unlink(missing_ok=True)
        engine.write_scores_csv(facts, m, out)
    finally:
        engine._ranked = ranked
    marks.append(("finish block by block + write the CSV", time.perf_counter()))
    for (_, a), (name, b) in zip(marks, marks[1:]):
        print(f"  {name:44s} {b - a:6.2f} s")
    total = marks[-1][1] - marks[0][1]
    print(f"  {'in process, Parquet to CSV (no start-up)':44s} {total:6.2f} s = {total / yardstick:.2f}× the yardstick")


YARDSTICK = """
import sys, time
import polars as pl
frame = pl.read_parquet(sys.argv[1])
numeric = [c for c, t in frame.schema.items() if t.is_numeric() and c != "year"][:18]
frame = frame.with_columns((pl.col("employees").fill_null(0) // 100).clip(0, 2).alias("stage"))
keys = ["year", "stage"]
expression = pl.sum_horizontal(((pl.col(c).rank("average").over(keys) - 0.5) / pl.col(c).count().over(keys)) * (1 / 18) for c in numeric)
print("ready", flush=True)
for _ in sys.stdin:  # one timing per line asked for
    start = time.perf_counter()
    frame.select(expression)
    print(time.perf_counter() - start, flush=True)
"""


class Yardstick:
    """The issue's yardstick for the machine: 18 cohort percentile ranks (cohort = year × one of
    three stages) and a weighted sum over the 1M rows in memory, as one hand-written Polars
    expression — measured at 0.9 s where the 1.5 s budget was set. A child process (see
    ``data_file``) holds the rows and times the expression whenever asked, so that it can be
    timed right beside each run of the engine: a shared machine's speed drifts within minutes."""

    def __init__(self, path: Path):
        self.proc = subprocess.Popen([sys.executable, "-c", YARDSTICK, str(path)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        assert self.proc.stdout is not None and self.proc.stdout.readline().strip() == "ready"

    def time(self) -> float:
        """One timing of the expression, seconds."""
        assert self.proc.stdin is not None and self.proc.stdout is not None
        self.proc.stdin.write("\n")
        self.proc.stdin.flush()
        return float(self.proc.stdout.readline())

    def close(self) -> None:
        if self.proc.stdin:
            self.proc.stdin.close()
        self.proc.wait()


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--method", default="national-core")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--layouts", default=",".join(LAYOUTS), help="comma-separated: " + ", ".join(LAYOUTS))
    ap.add_argument("--skip-duckdb", action="store_true")
    ap.add_argument("--stages", action="store_true", help="also time one in-process run stage by stage")
    a = ap.parse_args()
    print(f"cores visible: {os.cpu_count()}, polars {pl.__version__}, duckdb {duckdb.__version__}")
    layouts = [x for x in a.layouts.split(",") if x]
    unknown = set(layouts) - set(LAYOUTS)
    if unknown:
        ap.error(f"unknown layout(s): {', '.join(sorted(unknown))}")
    compile_bytecode()
    ruler = Yardstick(data_file(a.rows, "sorted"))
    try:
        yardstick = min(ruler.time() for _ in range(a.repeat))
        print(f"yardstick: 18 cohort percentile ranks + weighted sum, one Polars expression, in memory: best of {a.repeat} {yardstick:5.2f} s "
              f"(0.9 s on the machine the 1.5 s budget was set on; the budget is {1.5 / 0.9:.2f}× the yardstick); "
              "timed again before each run below")
        out = DATA / "points_out.csv"
        engine = None
        for layout in layouts:
            path = data_file(a.rows, layout)
            before = load()
            r, beside = best([*kejin_command(), "points", "score", "--method", a.method, "--input", str(path), "--format", "csv", "--output", str(out)], a.repeat, out, ruler)
            assert beside is not None
            engine = engine or r
            print(f"kejin points score, {a.rows:,} rows {a.method} ({layout} input) Parquet→CSV, whole process: "
                  f"best of {a.repeat} {r.wall:5.2f} s = {r.wall / beside:.2f}× the yardstick timed beside it ({beside:.2f} s) (CPU {r.cpu:5.2f} s), "
                  f"peak RSS {r.peak_mb:,.0f} MB  (budget 1.5 s, 4 GB; load average {before} → {load()})")
            yardstick = min(yardstick, beside)
    finally:
        ruler.close()
    if not a.skip_duckdb and engine:
        sql = DATA / "points_method.sql"
        sql.write_text(method_sql(resolve(a.method)), encoding="utf-8")
        before = load()
        duck_out = DATA / "points_out_duckdb.csv"
        d, _ = best([sys.executable, "-c", DUCKDB_SCRIPT, str(data_file(a.rows, "sorted")), str(sql), str(duck_out)], 1, duck_out)
        print(f"duckdb  same method as one window query Parquet→CSV (uscc, year, stage, points, tier only), whole process: {d.wall:5.2f} s "
              f"(CPU {d.cpu:5.2f} s), peak RSS {d.peak_mb:,.0f} MB  (load average {before} → {load()})  → ratio duckdb/engine {d.wall / engine.wall:4.1f}× wall, {d.cpu / engine.cpu:4.1f}× CPU")
    if a.stages:  # last: it loads the facts into this process (see data_file)
        for layout in layouts:
            print(f"in process, {layout} input:")
            stages(data_file(a.rows, layout), a.method, out, yardstick)


if __name__ == "__main__":
    main()
