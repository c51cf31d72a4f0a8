"""Each pack's own test cases (the <version>.tests.yaml files beside the packs)."""

import pytest

from kejin.standards.packtests import load_cases, run_case
from kejin.standards.registry import all_versions

CASES = [(p, c) for p in all_versions() for c in load_cases(p)]


def test_every_pack_ships_cases():
    for p in all_versions():
        assert load_cases(p), f"{p.ref} has no test cases"


@pytest.mark.parametrize("pack,case", CASES, ids=[f"{p.ref}: {c.name}" for p, c in CASES])
def test_case(pack, case):
    assert run_case(pack, case) == []
