"""Each fund pack's own test cases (``<pack>.cases.yaml`` next to it), and pack validation errors."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest
import yaml

from kejin.errors import PackError
from kejin.funds import lifecycle, montecarlo, packs, tolerance

CASES = sorted(packs.PACK_DIR.glob("*.cases.yaml"))


def test_every_pack_has_cases():
    pack_files = {p.name for p in packs.PACK_DIR.glob("*.yaml") if not p.name.endswith(".cases.yaml")}
    assert {yaml.safe_load(c.read_text(encoding="utf-8"))["pack"] for c in CASES} == pack_files


@pytest.mark.parametrize("cases_file", CASES, ids=lambda p: p.name)
def test_pack_cases(cases_file: Path):
    cases = yaml.safe_load(cases_file.read_text(encoding="utf-8"))
    pack_file = packs.PACK_DIR / cases["pack"]
    kind = yaml.safe_load(pack_file.read_text(encoding="utf-8"))["kind"]
    pack = packs.load(kind, pack_file).pack
    if kind == "funds.tolerance":
        for c in cases["project"]:
            assert tolerance.judge_project(pack.scheme(c["scheme"]), c["loss_rate"]) == (c["within"], c["decided_by"]), c
        for c in cases["portfolio"]:
            assert tolerance.judge_portfolio(pack.scheme(c["scheme"]), c["rate"])[0] == c["within"], c
        for c in cases["defaults"]:
            assert pack.default_scheme[c["strategy"]] == c["scheme"]
    elif kind == "funds.lifecycle":
        rows = cases["verdicts"] + cases["fixed_rules"]
        frame = pl.DataFrame({"strategy": [c.get("strategy", "vc") for c in rows],
                              "age_years": [float(c["age"]) for c in rows], "tvpi": [c["tvpi"] for c in rows],
                              "dpi": [c["dpi"] for c in rows], "irr": [None] * len(rows)},
                             schema_overrides={"irr": pl.Float64})
        judged = lifecycle.judge(frame, pack).iter_rows(named=True)
        for c, row in zip(rows, judged):
            if "verdict" in c:
                assert row["verdict"] == c["verdict"], (c["name"], row["reason_en"])
            else:
                assert row[f"rule_{c['rule']}"] == c["result"], c["name"]
    elif kind == "funds.policy":
        e = cases["expect"]
        assert pack.reinvestment.required == e["reinvestment_required"]
        assert pack.reinvestment.min_ratio == e.get("reinvestment_min_ratio")
        assert pack.seed_startup_min_share == e["seed_startup_min_share"]
        assert pack.seed_startup_stages == e["seed_startup_stages"]
    elif kind == "funds.simulation":
        for c in cases["expected_multiple"]:
            assert c["low"] <= montecarlo.expected_multiple(pack.scenario(c["scenario"])) <= c["high"], c
    else:
        pytest.fail(f"no runner for pack kind {kind}")


def test_rates_above_100_percent_are_refused(tmp_path):
    text = (packs.PACK_DIR / "tolerance-cn-2025.yaml").read_text(encoding="utf-8")
    bad = tmp_path / "bad.yaml"
    bad.write_text(text.replace("project_loss_cap: 1.0", "project_loss_cap: 1.5"), encoding="utf-8")
    with pytest.raises(PackError) as err:
        packs.load_tolerance_pack(bad)
    problem = err.value.problems[0]
    assert problem.file == str(bad) and "project_loss_cap" in problem.key and problem.zh and problem.en


def test_unknown_default_scheme_and_wrong_kind_are_refused(tmp_path):
    text = (packs.PACK_DIR / "tolerance-cn-2025.yaml").read_text(encoding="utf-8")
    bad = tmp_path / "bad.yaml"
    bad.write_text(text.replace("  growth: reference-growth", "  growth: nowhere"), encoding="utf-8")
    with pytest.raises(PackError, match="nowhere"):
        packs.load_tolerance_pack(bad)
    with pytest.raises(PackError, match="kind"):
        packs.load_tolerance_pack(packs.PACK_DIR / "lifecycle-bands-2025.yaml")


def test_growth_paths_must_be_ordered(tmp_path):
    text = (packs.PACK_DIR / "lifecycle-bands-2025.yaml").read_text(encoding="utf-8")
    bad = tmp_path / "bad.yaml"
    bad.write_text(text.replace("{floor: -0.04, low: 0.04", "{floor: 0.09, low: 0.04"), encoding="utf-8")
    with pytest.raises(PackError, match="ordered"):
        packs.load_lifecycle_pack(bad)
