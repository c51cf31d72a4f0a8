"""Table cells of `kejin funds` are formatted by the column's kind (money, rate, multiple, count), not by size."""

from __future__ import annotations

from typer.testing import CliRunner

from kejin.cli import _mount, app
from kejin.cli.funds import _fmt
from kejin.funds.labels import kind

_mount()
runner = CliRunner()


def test_small_and_zero_amounts_are_money_not_rates():
    assert _fmt(0.0, kind("distributed")) == "0"
    assert _fmt(232.0, kind("paid_in")) == "232"
    assert _fmt(5_000.0, kind("principal")) == "5,000"
    assert _fmt(1_520_000.0, kind("paid_in")) == "1,520,000"
    assert _fmt(-17_007_902.4, kind("net_cash_flow")) == "-17,007,902"


def test_rates_multiples_counts_and_ages():
    assert _fmt(0.0, kind("net_loss_rate")) == "0.0000"
    assert _fmt(0.0728, kind("irr")) == "0.0728"
    assert _fmt(12_345.6789, kind("tvpi")) == "12345.6789"  # a multiple stays a multiple, however large
    assert _fmt(1.2, kind("tvpi_p95")) == "1.2000"
    assert _fmt(0.45, kind("rule_dpi-0.3-by-year-3")) == "0.4500"
    assert _fmt(17916, kind("funds_ending_well")) == "17916"
    assert _fmt(2025, kind("year")) == "2025"
    assert _fmt(2.8356, kind("age_years")) == "2.836"
    assert _fmt(float("nan"), kind("nav")) == "—" and _fmt(None, kind("nav")) == "—"


def test_metrics_table_prints_small_amounts_as_money(data_dir):
    r = runner.invoke(app, ["funds", "metrics", "--cashflows", str(data_dir / "cashflows.csv"), "--lang", "en"],
                      env={"COLUMNS": "250"})
    assert r.exit_code == 0, r.output
    assert "2,000" in r.stdout and "232" in r.stdout  # DELTA paid in, BETA paid in
    assert "2000.0000" not in r.stdout and "232.0000" not in r.stdout
