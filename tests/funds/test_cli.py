"""The `kejin funds` commands through Typer's runner."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from kejin.cli import _mount, app

_mount()
runner = CliRunner()


def run(*args):
    return runner.invoke(app, ["funds", *map(str, args)])


def test_metrics_from_a_cashflow_file(data_dir):
    r = run("metrics", "--cashflows", data_dir / "cashflows.csv", "--format", "json")
    assert r.exit_code == 0, r.output
    rows = {x["fund_id"]: x for x in json.loads(r.stdout)}
    assert set(rows) == {"ALPHA", "BETA", "GAMMA", "DELTA"}
    for x in rows.values():
        assert {"fund_id", "irr", "irr_note", "tvpi", "dpi", "rvpi"} <= set(x)
    assert rows["BETA"]["irr"] is None and rows["BETA"]["irr_roots"] == pytest.approx([0.1, 0.2])
    assert rows["DELTA"]["irr"] is None and "same sign" in rows["DELTA"]["irr_note"]
    assert rows["ALPHA"]["tvpi"] == pytest.approx((300000 + 1650000) / 1520000)
    csv = run("metrics", "--cashflows", data_dir / "cashflows.csv", "--format", "csv")
    assert csv.exit_code == 0 and csv.stdout.splitlines()[0].startswith("fund_id,irr,")


def test_metrics_with_index_and_ledger(data_dir):
    r = run("metrics", "--ledger", data_dir / "ledger", "--index", data_dir / "index.csv", "--format", "json")
    assert r.exit_code == 0, r.output
    rows = json.loads(r.stdout)
    assert {"ks_pme", "direct_alpha", "irr_without_facility"} <= set(rows[0])
    j = run("metrics", "--ledger", data_dir / "ledger", "--jcurve", "--format", "json")
    assert j.exit_code == 0 and len(json.loads(j.stdout)) > 100


def test_bad_file_is_a_clear_error(tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text("fund_id,date,amount\nA,yesterday,-1\n", encoding="utf-8")
    r = run("metrics", "--cashflows", bad)
    assert r.exit_code != 0
    from kejin.errors import InputError

    assert isinstance(r.exception, InputError)
    problem = r.exception.problems[0]
    assert (problem.row, problem.field, problem.value) == (2, "date", "yesterday")


def test_import_evaluate_tolerance_policy_pacing(data_dir, tmp_path):
    out = tmp_path / "imported"
    assert run("import", data_dir / "ledger", "--out", out).exit_code == 0
    assert (out / "manifest.json").exists() and (out / "cashflows.parquet").exists()
    r = run("evaluate", "--ledger", out, "--as-of", "2019-12-31", "--format", "json")
    assert r.exit_code == 0, r.output
    doc = json.loads(r.stdout)
    assert doc["pack"]["id"] == "lifecycle-bands"
    assert {row["verdict"] for row in doc["rows"]} <= {"on_track", "watch", "off_track", "too_early"}
    t = run("tolerance", "--ledger", out, "--format", "json")
    assert t.exit_code == 0, t.output
    tol = json.loads(t.stdout)
    assert tol["losses"] and all(x["decided_by"] for x in tol["losses"])
    assert run("tolerance", "--ledger", out).exit_code == 0
    p = run("policy", "--ledger", out, "--format", "json")
    assert p.exit_code == 0 and json.loads(p.stdout)[0]["leverage"] > 0
    pc = run("pacing", "--ledger", out, "--fof", "NGF", "--target-nav", "1.2e9", "--target-year", "2030",
             "--format", "json")
    assert pc.exit_code == 0, pc.output
    assert json.loads(pc.stdout)["suggestion"]["yearly_commitment"] > 0


def test_reports_html_and_pdf(data_dir, tmp_path):
    html = tmp_path / "r.html"
    assert run("evaluate", "--ledger", data_dir / "ledger", "--report", html).exit_code == 0
    text = html.read_text(encoding="utf-8")
    assert text.count("<svg") == 6 and "容错" in text and "http" not in text.split("<body>")[1].split("xmlns")[0]
    pdf = tmp_path / "r.pdf"
    r = run("evaluate", "--ledger", data_dir / "ledger", "--report", pdf, "--fund", "VC1")
    assert r.exit_code == 0, r.output
    data = pdf.read_bytes()
    assert data.startswith(b"%PDF") and b"STSong-Light" in data


def test_simulate_small(tmp_path):
    r = run("simulate", "--funds", 500, "--deals", 10, "--seed", 3, "--format", "json")
    assert r.exit_code == 0, r.output
    doc = json.loads(r.stdout)
    assert doc["summary"]["tvpi_mean"] > 0 and len(doc["false_alarms"]) == 12
    again = run("simulate", "--funds", 500, "--deals", 10, "--seed", 3, "--format", "json")
    assert json.loads(again.stdout)["summary"] == doc["summary"]


def test_a_table_goes_to_the_output_file_when_one_is_named(data_dir, tmp_path):
    """`--output` in table format writes the table (plain text, bilingual headers) to the file
    instead of ignoring it; several tables (simulate) all go there; a failed command writes none."""
    out = tmp_path / "metrics.txt"
    r = run("metrics", "--ledger", data_dir / "ledger", "--output", out)
    assert r.exit_code == 0, r.output
    text = out.read_text(encoding="utf-8")
    assert "基金业绩 / fund performance" in text and "ANG1" in text and "\x1b[" not in text
    assert "ANG1" not in r.stdout  # the table went to the file, not the terminal
    sims = tmp_path / "simulate.txt"
    assert run("simulate", "--funds", 50, "--deals", 5, "--output", sims).exit_code == 0
    assert sims.read_text(encoding="utf-8").count("┏") == 4
    missing = tmp_path / "none.txt"
    assert run("metrics", "--ledger", tmp_path / "no-such-ledger", "--output", missing).exit_code != 0
    assert not missing.exists()
