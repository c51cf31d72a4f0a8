"""Speed of the standards engine (issue 2). Prints figures; not a test.

1. `kejin standards eval --pack all` on 1,000,000 synthetic enterprise-years, Parquet in, CSV
   out, timed as a whole CLI process with its peak memory (verdicts only, then with gaps).
2. Rows per second per pack (in process, verdicts only and with gap analysis).
3. The tech-SME rules as one hand-written DuckDB query on the same rows.
4. A plain row-by-row Python evaluation of tech-SME on 20,000 rows.

Usage: python benchmarks/bench_standards.py [--rows 1000000]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
DATA = HERE.parent / "bench-data"


def facts_file(rows: int) -> Path:
    """The synthetic input, made once in a child process: Linux counts the memory a process had
    before it started a command as part of that command's peak, so this process stays small."""
    DATA.mkdir(exist_ok=True)
    path = DATA / f"facts-{rows}.parquet"
    if not path.exists():
        make = "import sys; from kejin.facts.synth import synth_facts; synth_facts(int(sys.argv[1]), seed=1).write_parquet(sys.argv[2])"
        subprocess.run([sys.executable, "-c", make, str(rows), str(path)], check=True)
    return path


def run_cli(args: list[str]) -> tuple[float, float]:
    """Wall time and peak RSS (GiB) of one `kejin` process (its own rusage, not the maximum over
    every child so far)."""
    start = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-m", "kejin", *args], stdout=subprocess.DEVNULL)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    if os.waitstatus_to_exitcode(status):
        raise SystemExit(f"kejin {' '.join(args)} failed")
    return wall, usage.ru_maxrss / 1024 / 1024


def row_by_row_tech_sme(rows: list[dict]) -> list[tuple[float, bool]]:
    """The tech-SME rules one row at a time in plain Python (the approach the engine replaces)."""
    def tier(value, bands):
        for threshold, pts in bands:
            if value >= threshold:
                return pts
        return 0

    out = []
    for r in rows:
        staff = tier(r["tech_staff"] / r["employees"], [(0.30, 20), (0.25, 16), (0.20, 12), (0.15, 8), (0.10, 4)]) if r["employees"] else 0
        rd1 = tier(r["rd_expense"] / r["revenue"], [(0.06, 50), (0.05, 40), (0.04, 30), (0.03, 20), (0.02, 10)]) if r["revenue"] else 0
        rd2 = tier(r["rd_expense"] / r["total_cost"], [(0.30, 50), (0.25, 40), (0.20, 30), (0.15, 20), (0.10, 10)]) if r["total_cost"] else 0
        ip = 30 if r["ip_class1"] >= 1 else tier(r["ip_class2"], [(4, 24), (3, 18), (2, 12), (1, 6)])
        total = staff + max(rd1, rd2) + ip
        eligible = r["employees"] <= 500 and r["revenue"] <= 2e8 and r["total_assets"] <= 2e8 and not r["serious_violation"]
        direct = r["high_tech_certified"] or r["national_award_top3_5y"] or r["provincial_rd_institution"] or r["led_standard_5y"]
        out.append((total, eligible and (direct or (total >= 60 and staff > 0))))
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=1_000_000)
    args = parser.parse_args()
    import duckdb

    from kejin.facts import load_facts
    from kejin.standards import engine
    from kejin.standards.registry import resolve

    print(f"cores: {os.cpu_count()}, rows: {args.rows:,}")
    path = facts_file(args.rows)
    out = DATA / "evaluation.csv"

    wall, peak = run_cli(["standards", "eval", "--pack", "all", "--input", str(path), "--format", "csv", "--output", str(out), "--no-gaps"])
    print(f"CLI, all packs, verdicts only (--no-gaps): {wall:.2f} s, peak memory {peak:.2f} GiB  (target ≤ 3 s, < 4 GiB)")
    wall_g, peak_g = run_cli(["standards", "eval", "--pack", "all", "--input", str(path), "--format", "csv", "--output", str(out)])
    print(f"CLI, all packs, with gap analysis:           {wall_g:.2f} s, peak memory {peak_g:.2f} GiB")

    facts = load_facts(path)
    packs = resolve("all")
    prepared = engine.prepare(facts, packs)
    print(f"{'pack':24} {'verdicts rows/s':>16} {'with gaps rows/s':>17}")
    tech_sme_time = None
    for p in packs:
        t = time.perf_counter()
        engine.evaluate_pack(prepared, p, gaps=False)
        plain = time.perf_counter() - t
        t = time.perf_counter()
        engine.evaluate_pack(prepared, p, gaps=True)
        gaps = time.perf_counter() - t
        if p.id == "tech-sme":
            tech_sme_time = plain
        print(f"{p.ref:24} {facts.height / plain:16,.0f} {facts.height / gaps:17,.0f}")

    con = duckdb.connect()
    con.register("facts", facts.to_arrow())
    sql = (HERE / "sql" / "tech_sme.sql").read_text()
    t = time.perf_counter()
    con.sql(sql).pl()
    duck = time.perf_counter() - t
    print(f"DuckDB tech-sme query: {duck:.3f} s; kejin engine tech-sme (verdicts): {tech_sme_time:.3f} s; ratio engine/DuckDB = {tech_sme_time / duck:.2f}")

    sample = facts.head(20_000).to_dicts()
    t = time.perf_counter()
    row_by_row_tech_sme(sample)
    loop = time.perf_counter() - t
    per_row_loop = loop / len(sample)
    per_row_engine = tech_sme_time / facts.height
    print(f"row-by-row Python tech-sme on 20,000 rows: {loop:.3f} s ({len(sample) / loop:,.0f} rows/s); engine is {per_row_loop / per_row_engine:.1f}× faster per row")


if __name__ == "__main__":
    main()
