"""Each credit pack ships its own hand-computed cases next to it; this runs them."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from kejin.credit.lines import load_line_policy, suggest_line
from kejin.credit.sharing import FEN_PER_YUAN, load_sharing, split_losses
from kejin.errors import InputError

PACKS = Path(__file__).resolve().parents[2] / "kejin" / "packs" / "credit"


def _cases(name: str) -> list[tuple[Path, dict]]:
    path = PACKS / name
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    return [pytest.param(PACKS / data["pack"], case, id=case["name"]) for case in data["cases"]]


@pytest.mark.parametrize(("pack", "case"), _cases("risk-sharing-2024-60.cases.yaml"))
def test_risk_sharing_cases(pack: Path, case: dict):
    sharing = load_sharing(pack)
    losses = [(c["tier"], c["loan"], c["loss"]) for c in case["losses"]]
    if "error" in case:
        with pytest.raises(InputError) as caught:
            split_losses(sharing, losses, case.get("pool_balance"))
        assert case["error"] in {p.code for p in caught.value.problems}
        return
    results = split_losses(sharing, losses, case.get("pool_balance"))
    for result, expected in zip(results, case["expected"], strict=True):
        assert result.parts_fen == {k: round(v * FEN_PER_YUAN) for k, v in expected.items()}
        assert sum(result.parts_fen.values()) == result.loss_fen
    if "pool_balance_after" in case:
        assert results[-1].pool_balance_after_fen == round(case["pool_balance_after"] * FEN_PER_YUAN)


@pytest.mark.parametrize(("pack", "case"), _cases("credit-line-points-loan.cases.yaml"))
def test_credit_line_cases(pack: Path, case: dict):
    firm, expected = case["firm"], case["expected"]
    got = suggest_line(
        load_line_policy(pack), firm["tier"], firm["innovation_points"], firm["standards_met"], firm["revenue"], firm["existing_debt"], firm.get("pd")
    )
    assert got.line_yuan == expected["line_yuan"]
    assert got.band == expected["band"]
    for key in ("rate_low", "rate_high"):
        assert getattr(got, key) == (None if expected[key] is None else pytest.approx(expected[key]))
    assert got.steps and all(step.zh and step.en for step in got.steps)
