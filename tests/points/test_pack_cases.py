"""Each points method pack's own cases (<version>.tests.yaml beside the pack)."""

import pytest

from kejin.points.methods import all_methods
from kejin.points.packtests import load_cases, run_case

CASES = [(m, c) for m in all_methods() for c in load_cases(m)]


def test_every_method_ships_cases():
    for m in all_methods():
        assert load_cases(m), f"{m.ref} has no test cases"


@pytest.mark.parametrize("method,case", CASES, ids=[f"{m.ref}: {c['name']}" for m, c in CASES])
def test_case(method, case):
    assert run_case(method, case) == []
