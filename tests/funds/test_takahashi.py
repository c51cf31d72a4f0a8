"""Takahashi–Alexander: hand-computed first years and the IRR = G identity."""

from __future__ import annotations

import numpy as np
import pytest

from kejin.funds.takahashi import TAParams, at_age, cash_flows, project
from kejin.funds.xirr import IrrStatus, PaddedFlows, xirr_padded

VC = TAParams((0.25, 1 / 3, 0.5), life=12, bow=2.5, yield_=0.0)


def test_first_years_by_hand():
    p = project(VC, 0.13, 12, commitment=100.0)
    # C1 = 25% of 100; C2 = 1/3 of 75; C3 = 50% of 50; C4 = 50% of 25
    np.testing.assert_allclose(p.contributions[:4], [25.0, 25.0, 25.0, 12.5])
    # D1 = 0 (no NAV yet); D2 = (2/12)^2.5 · 25 · 1.13; NAV2 = 25·1.13 + 25 − D2
    d2 = (2 / 12) ** 2.5 * 25 * 1.13
    assert p.distributions[0] == 0.0
    assert p.distributions[1] == pytest.approx(d2)
    assert p.nav[0] == pytest.approx(25.0)
    assert p.nav[1] == pytest.approx(25 * 1.13 + 25 - d2)
    # D3 = (3/12)^2.5 · NAV2 · 1.13
    assert p.distributions[2] == pytest.approx((3 / 12) ** 2.5 * p.nav[1] * 1.13)
    # the worked example reproduced in anchors.md §5.1: ΣC ≈ 99.95, ΣD ≈ 187.99, peak in years 8–9
    assert p.contributions.sum() == pytest.approx(99.95, abs=0.01)
    assert p.distributions.sum() == pytest.approx(187.99, abs=0.01)
    assert set(np.argsort(p.distributions)[-2:] + 1) == {8, 9}


def test_yield_sets_a_minimum_distribution_rate():
    p = project(TAParams((0.5,), life=10, bow=3.0, yield_=0.2), 0.0, 3, commitment=1.0)
    assert p.distributions[1] == pytest.approx(0.2 * p.nav[0])


def test_irr_of_a_projection_equals_g_for_any_parameters():
    rng = np.random.default_rng(1)
    n = 300
    rows = []
    growth = rng.uniform(-0.3, 0.6, n)
    for i in range(n):
        params = TAParams(tuple(rng.uniform(0.05, 1.0, rng.integers(1, 5))), life=float(rng.integers(4, 25)),
                          bow=float(rng.uniform(0.3, 6)), yield_=float(rng.uniform(0, 0.3)))
        years = int(rng.integers(3, 30))
        flows = np.zeros(31)
        flows[1 : years + 1] = cash_flows(project(params, growth[i], years, commitment=rng.uniform(1, 1e9)))
        rows.append(flows)
    flows = np.array(rows)
    times = np.broadcast_to(np.arange(31.0), flows.shape)
    nonzero = flows != 0
    first = np.argmax(nonzero, axis=1).astype(float)
    last = (30 - np.argmax(nonzero[:, ::-1], axis=1)).astype(float)
    result = xirr_padded(PaddedFlows(times, flows, last, first))
    for i in range(n):
        roots = np.array(result.all_roots(i))
        assert len(roots) and np.min(np.abs(roots - growth[i])) < 1e-9, (i, growth[i], roots)
    assert (result.status == IrrStatus.UNIQUE).mean() > 0.95


def test_vectorised_over_scenarios_and_start_state():
    many = project(VC, np.array([0.0, 0.1, 0.2]), 12)
    one = project(VC, 0.1, 12)
    np.testing.assert_allclose(many.nav[1], one.nav)
    later = project(VC, 0.1, 5, commitment=1.0, start_age=4, nav0=one.nav[3], paid_in0=one.paid_in[3])
    np.testing.assert_allclose(later.nav, one.nav[4:9])


def test_interpolation_at_fractional_ages():
    values = np.array([1.0, 2.0, 4.0])
    ages = np.array([1, 2, 3])
    assert at_age(values, ages, 0.5, 0.0) == pytest.approx(0.5)
    assert at_age(values, ages, 2.5, 0.0) == pytest.approx(3.0)
    assert at_age(values, ages, 9.0, 0.0) == pytest.approx(4.0)
