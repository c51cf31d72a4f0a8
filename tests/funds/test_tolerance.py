"""Tolerance verdicts on the sample ledger: each rule, the evidence still needed, and the options."""

from __future__ import annotations

import polars as pl
import pytest

from kejin.errors import InputError
from kejin.funds import packs
from kejin.funds.tolerance import assess, investment_values


@pytest.fixture(scope="module")
def pack():
    return packs.load_tolerance_pack().pack


def test_loss_rates_by_hand(ledger):
    v = investment_values(ledger).join(ledger.exits.group_by("investment_id").agg(pl.col("kind").first()),
                                       on="investment_id", how="left")
    written_off = v.filter(pl.col("kind") == "writeoff")
    assert (written_off.get_column("loss_rate") == 1.0).all()
    marked = v.filter(pl.col("fair_value").is_not_null())
    expected = (marked.get_column("amount") - marked.get_column("fair_value")) / marked.get_column("amount")
    assert marked.get_column("loss_rate").to_list() == pytest.approx(expected.to_list())


def test_each_rule_decides(ledger, pack):
    funds, losses = assess(ledger, pack)
    by_fund = {r["fund_id"]: r for r in funds.iter_rows(named=True)}
    seed = losses.filter(pl.col("fund_id") == "SEED1")
    # Nanshan: a seed project may lose 100%
    assert seed.get_column("within_tolerance").all()
    assert set(seed.get_column("decided_by")) == {"shenzhen-nanshan-seed-angel.project_loss_cap"}
    vc = losses.filter(pl.col("fund_id") == "VC1")
    # NDRC 2021 model: beyond 40% of a project is beyond tolerance
    assert (vc.get_column("within_tolerance") == (vc.get_column("loss_rate") <= 0.4)).all()
    # Zhengzhou: judged on the fund's net loss at the portfolio rate (40%)
    ang = by_fund["ANG1"]
    assert ang["scheme"] == "zhengzhou-angel-2024" and ang["scheme_from"] == "fund"
    assert ang["portfolio_within"] == (ang["net_loss_rate"] <= 0.4)
    ang_losses = losses.filter(pl.col("fund_id") == "ANG1")
    assert set(ang_losses.get_column("decided_by")) == {"zhengzhou-angel-2024.portfolio_loss_rate"}
    assert by_fund["NGF"]["net_loss_rate"] is None  # a fund of funds holds no direct deals


def test_exemption_evidence(ledger, pack):
    _, losses = assess(ledger, pack)
    evidence = ledger.evidence
    for row in losses.iter_rows(named=True):
        met = set(evidence.filter(pl.col("investment_id") == row["investment_id"]).get_column("precondition"))
        expected_missing = [p.id for p in pack.exemption.preconditions if p.id not in met]
        assert row["evidence_missing"] == expected_missing
        assert row["exemption"] == ("ready_for_review" if not expected_missing else "missing_evidence")


def test_a_failed_precondition_rules_exemption_out(ledger, pack):
    first = ledger.tables["investments"].row(0, named=True)["investment_id"]
    extra = pl.DataFrame({"investment_id": [first], "precondition": ["no_improper_gain"], "status": ["not_met"],
                          "document": ["audit.pdf"], "date": [None]}, schema=ledger.evidence.schema)
    tables = dict(ledger.tables)
    tables["evidence"] = pl.concat([ledger.evidence.filter(pl.col("investment_id") != first), extra])
    tables["investments"] = ledger.investments.with_columns(
        pl.when(pl.col("investment_id") == first).then(0.0).otherwise(pl.col("fair_value")).alias("fair_value"))
    book = type(ledger)(tables, [], ledger.source, ledger.digest)
    _, losses = assess(book, pack)
    row = losses.filter(pl.col("investment_id") == first).row(0, named=True)
    assert row["exemption"] == "not_available" and row["not_met"] == ["no_improper_gain"]


def test_scheme_option_and_unknown_scheme(ledger, pack):
    funds, _ = assess(ledger, pack, scheme="ndrc-2021-shenzhen-early-stage")
    assert set(funds.get_column("scheme")) == {"ndrc-2021-shenzhen-early-stage"}
    with pytest.raises(InputError):
        assess(ledger, pack, scheme="no-such-scheme")


def test_fund_reason_names_the_losses_beyond_the_project_cap(ledger, pack):
    # GR1's net loss rate is within the fund-level rate, yet one project is beyond its single-project cap:
    # the fund's verdict is "beyond", and its reason must say why instead of only "net loss rate ≤ tolerance"
    funds, _ = assess(ledger, pack)
    by_fund = {r["fund_id"]: r for r in funds.iter_rows(named=True)}
    for fid in ("GR1", "VC1"):
        row = by_fund[fid]
        assert row["verdict"] == "beyond" and row["losses_beyond_tolerance"] > 0
        n = row["losses_beyond_tolerance"]
        assert f"{n} " in row["reason_en"] and "beyond" in row["reason_en"], row["reason_en"]
        assert f"{n} " in row["reason_zh"] and "超出" in row["reason_zh"], row["reason_zh"]
    seed = by_fund["SEED1"]  # within: the reason is unchanged
    assert seed["verdict"] == "within" and seed["reason_en"] == "the scheme sets no fund-level rate"


def test_reason_percentages_never_read_equal_when_the_rates_differ():
    """A loss just over its limit is shown with the decimals that tell them apart; equal ones as equal."""
    from kejin.funds.tolerance import percent_pair

    assert percent_pair(0.4004, 0.4) == ("40.04%", "40%")
    assert percent_pair(0.4000001, 0.4) == ("40.00001%", "40%")
    assert percent_pair(0.375, 0.375) == ("37.5%", "37.5%")
    assert percent_pair(1.0, 1.0) == ("100.0%", "100%")
    assert percent_pair(0.692, 0.4) == ("69.2%", "40%")
