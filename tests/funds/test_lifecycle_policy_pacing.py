"""Lifecycle verdicts on the ledger, policy indicators by hand, pacing solved exactly."""

from __future__ import annotations

from datetime import date

import numpy as np
import polars as pl
import pytest

from kejin.funds import lifecycle, pacing, packs, policy


@pytest.fixture(scope="module")
def life():
    return packs.load_lifecycle_pack().pack


def test_verdict_compares_with_the_band_at_the_fund_age(ledger, life):
    latest, history = lifecycle.evaluate(ledger, life, date(2019, 12, 31))
    vc1 = latest.filter(pl.col("fund_id") == "VC1").row(0, named=True)
    b = lifecycle.band("vc", life.strategies["vc"]).at(np.array([vc1["age_years"]]))
    assert vc1["tvpi_low"] == pytest.approx(float(b["tvpi_low"][0]))
    expected = "off_track" if vc1["tvpi"] < vc1["tvpi_floor"] else ("watch" if vc1["tvpi"] < vc1["tvpi_low"] else "on_track")
    assert vc1["verdict"] == expected
    # the fixed rules judge the same figures very differently
    assert vc1["rule_tvpi-1.0-every-year"] == ("pass" if vc1["tvpi"] >= 1 else "fail")
    assert history.get_column("as_of").max() <= date(2019, 12, 31)


def test_policy_indicators_by_hand(ledger):
    pack = packs.load_policy_pack().pack
    ind = {r["fund_id"]: r for r in policy.indicators(ledger, pack).iter_rows(named=True)}
    # VC1: 1,000 M raised; government money only through YRD, whose capital is (1000·1 + 500)/3500 public
    yrd_gov = (1000 + 500) / 3500
    assert ind["VC1"]["mobilised"] == pytest.approx(1e9)
    assert ind["VC1"]["government"] == pytest.approx(300e6 * yrd_gov)
    assert ind["VC1"]["leverage"] == pytest.approx(1e9 / (300e6 * yrd_gov))
    # NGF's tree counts every yuan once: its own 2,000 M plus what YRD, SEED1, VC1 and GR1 raised outside
    outside = 2000e6 + (500 + 1500 + 500) * 1e6 + 150e6 + 700e6 + 600e6
    assert ind["NGF"]["mobilised"] == pytest.approx(outside)
    assert ind["NGF"]["crowded_in"] == pytest.approx(outside - ind["NGF"]["government"])
    seed = ledger.investments.filter(pl.col("fund_id") == "SEED1")
    share = seed.filter(pl.col("stage").is_in(["seed", "angel"])).get_column("amount").sum() / seed.get_column("amount").sum()
    assert ind["SEED1"]["seed_startup_share"] == pytest.approx(share)
    assert ind["SEED1"]["seed_startup_met"] == (share >= 0.7)
    assert ind["SEED1"]["firms_supported"] == seed.get_column("company_uscc").n_unique()
    # reinvestment is optional nationally; a local pack (or option) makes it a requirement
    assert ind["SEED1"]["reinvestment_met"] is None
    local = packs.load_policy_pack(packs.PACK_DIR / "guidance-policy-changsha-2025.yaml").pack
    row = policy.indicators(ledger, local, ["SEED1"]).row(0, named=True)
    assert row["reinvestment_required"] == 0.4 and row["reinvestment_met"] == (row["reinvestment_ratio"] >= 0.4)


def test_pacing_suggestion_reaches_the_target(ledger, life):
    start = date(2024, 12, 31)
    base = pacing.existing(ledger, "NGF", life, start, 10)
    s = pacing.suggest(base, life, "vc", 1.2e9, 2030, 5)
    plan = pl.DataFrame({"year": list(range(2025, 2030)), "strategy": ["vc"] * 5, "commitment": [s.yearly_commitment] * 5})
    total = pacing.combine(base, pacing.planned(plan, life, 2025, 10))
    assert total.nav[2030 - 2025] == pytest.approx(1.2e9, rel=1e-9)
    assert (total.calls >= 0).all() and (total.unfunded >= 0).all()
    none_needed = pacing.suggest(base, life, "vc", 1.0, 2026, 1)
    assert none_needed.yearly_commitment == 0.0


def test_pacing_of_a_single_commitment_is_the_ta_model(life):
    plan = pl.DataFrame({"year": [2025], "strategy": ["growth"], "commitment": [100.0]})
    f = pacing.planned(plan, life, 2025, 12)
    assert f.calls.sum() == pytest.approx(100.0, rel=1e-2)
    assert f.calls[0] == pytest.approx(100.0 * life.strategies["growth"].rc[0])
