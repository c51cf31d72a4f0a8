from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from kejin.credit.sharing import DEFAULT_SHARING_PACK, FEN_PER_YUAN, load_sharing, split_losses, to_fen
from kejin.errors import InputError, PackError

SHARING = load_sharing()


def _edited(tmp_path: Path, edit) -> Path:
    data = yaml.safe_load(DEFAULT_SHARING_PACK.read_text(encoding="utf-8"))
    edit(data)
    path = tmp_path / "pack.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return path


def _party(data: dict, pid: str) -> dict:
    return next(p for p in data["programme"]["parties"] if p["id"] == pid)


@settings(max_examples=200, deadline=None)
@given(
    st.sampled_from(["tier_40", "tier_35", "tier_30", "none"]),
    st.integers(1, 60_000_000_00),
    st.floats(0, 1),
)
def test_parts_add_up_to_the_fen(tier, loan_fen, fraction):
    loss_fen = int(loan_fen * fraction)
    [result] = split_losses(SHARING, [(tier, loan_fen / FEN_PER_YUAN, loss_fen / FEN_PER_YUAN)], pool_balance_yuan=1e12)
    assert sum(result.parts_fen.values()) == loss_fen
    assert all(v >= 0 for v in result.parts_fen.values())
    exact = SHARING.waterfall(np.array([loss_fen / 100]), np.array([loan_fen / 100]), np.array([tier]))
    for pid, fen in result.parts_fen.items():
        assert abs(fen - exact[pid][0] * 100) < 1.0  # each part within one fen of its exact value


def test_largest_remainder_rounding():
    assert to_fen({"a": 0.333, "b": 0.333, "c": 0.334}, 100) == {"a": 33, "b": 33, "c": 34}
    assert to_fen({"a": 1 / 3, "b": 1 / 3, "c": 1 / 3}, 100) == {"a": 34, "b": 33, "c": 33}


def test_shares_over_100_percent_are_refused(tmp_path):
    def edit(data):
        _party(data, "guarantor")["share"] = 0.30  # 20 + 40 + 20 + 30 = 110 % for tier_40

    with pytest.raises(PackError) as caught:
        load_sharing(_edited(tmp_path, edit))
    keys = {p.key for p in caught.value.problems}
    assert "tiers.tier_40.national_fund_share" in keys
    assert any("110.00%" in p.en for p in caught.value.problems)


def test_policy_floors_and_caps_are_enforced(tmp_path):
    def edit(data):
        _party(data, "bank")["share"] = 0.10
        data["tiers"]["tier_40"]["national_fund_share"] = 0.45
        data["programme"]["fees"]["reguarantee_fee_rate"] = 0.006

    with pytest.raises(PackError) as caught:
        load_sharing(_edited(tmp_path, edit))
    keys = {p.key for p in caught.value.problems}
    assert {"programme.parties[1].share", "tiers.tier_40.national_fund_share", "programme.fees.reguarantee_fee_rate"} <= keys


def test_a_misspelt_key_names_file_and_key(tmp_path):
    def edit(data):
        _party(data, "pool")["balance"] = 1  # should be balance_yuan

    with pytest.raises(PackError) as caught:
        load_sharing(_edited(tmp_path, edit))
    problem = caught.value.problems[0]
    assert problem.key == "programme.parties[5].balance" and problem.file.endswith("pack.yaml")


def test_errors_are_collected_for_every_row():
    with pytest.raises(InputError) as caught:
        split_losses(SHARING, [("tier_40", 100, 200), ("tier_x", 100, 1), ("tier_30", 100, -1)], file="losses.csv")
    found = {(p.code, p.row) for p in caught.value.problems}
    assert found == {("sharing.loss_exceeds_loan", 2), ("sharing.unknown_tier", 3), ("sharing.negative_loss", 4)}


def test_a_losses_file_reports_every_bad_row_at_once():
    # one unknown tier, one unreadable amount, a negative loan, a loss above its loan and a negative loss: all five
    # rows are named in one error, not only the first kind found
    import polars as pl

    from kejin.credit.sharing import losses_from_frame

    frame = pl.DataFrame({"tier": ["tier_40", "nope", "tier_35", "tier_35", "tier_30", "tier_30"],
                          "loan": ["1000000", "100", "abc", "-5", "100", "100"],
                          "loss": ["500000", "50", "1", "1", "200", "-1"]})
    with pytest.raises(InputError) as caught:
        split_losses(SHARING, losses_from_frame(SHARING, frame, "losses.csv"), file="losses.csv")
    found = {(p.code, p.row, p.field) for p in caught.value.problems}
    assert found == {("sharing.unknown_tier", 3, "tier"), ("money.not_number", 4, "loan"), ("sharing.loan", 5, "loan"),
                     ("sharing.loss_exceeds_loan", 6, "loss"), ("sharing.negative_loss", 7, "loss")}
