"""The `kejin` command as a user runs it: a separate process, exit codes, files written."""

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path


KEJIN = [shutil.which("kejin")] if shutil.which("kejin") else [sys.executable, "-m", "kejin"]


def run(*args, cwd=None):
    env = {**os.environ, "COLUMNS": "200"}
    return subprocess.run([*KEJIN, *map(str, args)], capture_output=True, text=True, cwd=cwd, env=env, timeout=600)


def test_readme_demo_end_to_end(tmp_path):
    result = run("demo", "--n", "900", "--out", tmp_path / "demo")
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "demo" / "evaluation.csv").stat().st_size > 1000
    assert "tech-sme@2022" in result.stdout and "差距分析" in result.stdout or "gap" in result.stdout


def test_validate_ok_and_bad(sample_csv, tmp_path):
    ok = run("validate", sample_csv)
    assert ok.returncode == 0 and "24" in ok.stdout
    bad = tmp_path / "bad.csv"
    lines = sample_csv.read_text(encoding="utf-8").splitlines()
    lines[2] = lines[2].replace("91440305787789323F", "91440305787789323A", 1)
    bad.write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = run("validate", bad)
    assert result.returncode == 2
    assert "校验码" in result.stderr and "check character" in result.stderr


def test_eval_json_shape(sample_csv, tmp_path):
    out = tmp_path / "r.json"
    result = run("standards", "eval", "--pack", "tech-sme,hnte", "--input", sample_csv, "--year", "2024", "--format", "json", "--output", out)
    assert result.returncode == 0, result.stderr
    records = json.loads(out.read_text(encoding="utf-8"))
    assert len(records) == 16
    for r in records:
        assert {"uscc", "year", "pack", "pack_version", "total", "passed", "indicators", "gaps"} <= set(r)
        assert r["year"] == 2024


def test_eval_csv_one_row_per_enterprise_year(sample_csv, tmp_path):
    out = tmp_path / "r.csv"
    assert run("standards", "eval", "--input", sample_csv, "--format", "csv", "--output", out).returncode == 0
    import polars as pl

    table = pl.read_csv(out)
    assert table.height == 24 and "tech-sme.status" in table.columns and "star-listing.status" in table.columns


def test_explain_one_firm(sample_csv):
    result = run("standards", "explain", "--pack", "tech-sme", "--uscc", "91440305787789323F", "--input", sample_csv)
    assert result.returncode == 0, result.stderr
    assert "科技人员指标" in result.stdout and "Tech staff share" in result.stdout
    missing = run("standards", "explain", "--pack", "tech-sme", "--uscc", "91440305787789323X", "--input", sample_csv)
    assert missing.returncode == 2


def test_unknown_pack():
    result = run("standards", "show", "no-such-pack")
    assert result.returncode == 2 and "未知的规则包" in result.stderr and "unknown pack" in result.stderr


def test_malformed_pack_names_file_and_key(sample_csv, tmp_path):
    src = Path(__file__).resolve().parents[1] / "kejin" / "packs" / "standards" / "tech-sme" / "2022.yaml"
    bad = tmp_path / "bad-pack.yaml"
    bad.write_text(src.read_text(encoding="utf-8").replace("value: tech_staff / employees", "value: tech_staf / employees"), encoding="utf-8")
    result = run("standards", "eval", "--pack", bad, "--input", sample_csv)
    assert result.returncode == 2
    assert "bad-pack.yaml" in result.stderr and "indicators[0].value" in result.stderr and "tech_staf" in result.stderr


def test_list_show_template_synth(tmp_path):
    assert "star-attributes" in run("standards", "list").stdout
    shown = run("standards", "show", "star-attributes@2020")
    assert shown.returncode == 0 and "60000000" in shown.stdout
    assert run("template", "--out", tmp_path / "t.xlsx").returncode == 0
    assert run("synth", "--n", "30", "--seed", "3", "--out", tmp_path / "s.parquet").returncode == 0
    assert run("validate", tmp_path / "s.parquet").returncode == 0


def test_as_of_picks_the_version_in_force(sample_csv, tmp_path):
    out = tmp_path / "r.json"
    result = run("standards", "eval", "--pack", "star-attributes", "--as-of", "2020-06-01", "--input", sample_csv, "--format", "json", "--output", out)
    assert result.returncode == 0, result.stderr
    assert {r["pack_version"] for r in json.loads(out.read_text(encoding="utf-8"))} == {"2020"}
    assert run("standards", "eval", "--pack", "tech-sme", "--as-of", "2019-01-01", "--input", sample_csv).returncode == 2


def test_points_verify_exit_status_as_a_process(sample_csv, tmp_path):
    """`kejin points verify` exits 0 on a match and non-zero on any mismatch (as a real process)."""
    out = tmp_path / "points.csv"
    assert run("points", "score", "--input", sample_csv, "--format", "csv", "--output", out).returncode == 0
    assert run("points", "verify", out, "--input", sample_csv).returncode == 0
    import polars as pl

    published = pl.read_csv(out, infer_schema=False)
    tampered = tmp_path / "tampered.csv"
    published.with_columns(pl.when(pl.int_range(pl.len()) == 0).then(pl.lit("99.9999")).otherwise(pl.col("points")).alias("points")).write_csv(tampered)
    result = run("points", "verify", tampered, "--input", sample_csv)
    assert result.returncode == 1, result.stdout


def test_usage_errors_are_a_message_not_a_traceback():
    """An unknown option, a bad choice or a missing option: exit status 2, a bilingual heading,
    the reason in Chinese and click's own one-line reason — never a Python traceback."""
    for args, reason, zh, en, detail in (
        (["synth", "--rows", "5"], "No such option: --rows", "没有这个选项", "no such option", "没有选项 --rows"),
        (["points", "score", "--input", "x.csv", "--format", "nope"], "'--format'", "值无效", "invalid value", "'--format' 的值无效：nope 不是可选值之一"),
        (["standards", "eval"], "Missing option '--input'", "缺少必需的选项", "is missing", "缺少必需的选项 '--input'"),
        (["points", "score", "--input", "x.csv", "--year", "abc"], "'--year'", "值无效", "invalid value", "'--year' 的值无效：应为整数"),
        (["demo", "--n", "3"], "'--n'", "值无效", "invalid value", "'--n' 的值无效：应不小于 30"),
        (["points", "scor"], "No such command 'scor'", "命令用法有误", "usage error", "没有命令 scor；是否想用 score？"),
        (["points", "score", "--input"], "requires an argument", "选项用法有误", "used wrongly", "选项 --input 后面缺少取值"),
    ):
        result = run(*args)
        assert result.returncode == 2, (args, result.stderr)
        heading = " ".join(result.stderr.split())
        assert zh in heading and en in heading and "--help" in heading and reason in result.stderr
        assert detail in result.stderr, (args, result.stderr)  # click's reason in Chinese too
        assert "Traceback" not in result.stderr


def test_top_level_help_lists_every_domain_without_loading_scipy():
    """`kejin --help` mounts every command group; the bank side's statistics libraries load only
    when a credit command runs."""
    code = (
        "import sys\nsys.argv = ['kejin', '--help']\nfrom kejin.cli import main\n"
        "try:\n    main()\nexcept SystemExit:\n    pass\nprint('SCIPY', 'scipy' in sys.modules)"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, env={**os.environ, "COLUMNS": "200"})
    assert done.returncode == 0, done.stderr
    for group in ("standards", "points", "credit", "funds", "serve"):
        assert group in done.stdout
    assert done.stdout.strip().endswith("SCIPY False")


def _mallopt_calls(args: list[str], libc: str) -> list[tuple[int, int, int]]:
    """The mallopt calls `kejin ARGS` makes, as (parameter, value, glibc's answer); ``libc``:
    ``real`` (glibc's own, its answers recorded) or ``missing`` (a C library without mallopt)."""
    code = (
        "import sys\n"
        "import kejin.cli as cli\n"
        "calls = []\n"
        "real = cli._glibc_mallopt()\n"
        "def recorded(parameter, value):\n"
        "    calls.append((parameter, value, real(parameter, value)))\n"
        f"cli._glibc_mallopt = (lambda: recorded) if {libc!r} == 'real' else (lambda: None)\n"
        f"sys.argv = ['kejin', *{args!r}]\n"
        "try:\n    cli.main()\nexcept SystemExit:\n    pass\n"
        "print('MALLOPT', calls)"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, env={**os.environ, "COLUMNS": "200"})
    assert done.returncode == 0, done.stderr
    assert "kejin" in done.stdout or "national-core" in done.stdout or "Usage" in done.stdout  # the command itself ran
    return eval(done.stdout.rsplit("MALLOPT", 1)[1])


def test_batch_commands_keep_freed_memory_the_server_gives_it_back():
    """A batch command asks glibc to keep freed memory (one arena, fixed mmap threshold, no trim)
    and glibc takes each setting; `kejin serve` asks nothing; without mallopt the command runs."""
    if not sys.platform.startswith("linux") or not os.confstr("CS_GNU_LIBC_VERSION"):
        import pytest

        pytest.skip("glibc only")
    calls = _mallopt_calls(["points", "methods"], "real")
    assert [(p, v) for p, v, _ in calls] == [(-8, 1), (-3, 32 << 20), (-1, (1 << 31) - 1)]
    assert all(answer == 1 for _, _, answer in calls)
    assert _mallopt_calls(["serve", "--help"], "real") == []
    assert _mallopt_calls(["points", "methods"], "missing") == []
