"""The vectorised IRR engine against pyxirr (test oracle only) and against hand cases."""

from __future__ import annotations

from datetime import date

import numpy as np
import pytest

pyxirr = pytest.importorskip("pyxirr")

from kejin.funds.xirr import IrrStatus, PaddedFlows, root_bound, xirr_grouped, xirr_one, xirr_padded, xnpv  # noqa: E402

D0 = date(2015, 1, 1).toordinal()


def oracle(days, amounts):
    try:
        return pyxirr.xirr([date.fromordinal(int(d)) for d in days], list(amounts))
    except Exception:  # InvalidPaymentsError: pyxirr's "no IRR"
        return None


def xnpv_terms(rate, days, amounts):
    t = (days - days.min()) / 365.0
    return amounts * (1.0 + rate) ** (-t)


def random_funds(rng, n, realistic):
    groups, days, amounts = [], [], []
    for i in range(n):
        m = int(rng.integers(2, 60))
        d = np.sort(rng.integers(0, 365 * 15, m)) + D0
        if realistic:  # calls first, distributions later, a few late calls
            a = np.where(np.arange(m) < m // 2, -1.0, 1.0) * rng.lognormal(0, 0.7, m) * 10 ** rng.uniform(2, 9)
            a[rng.random(m) < 0.1] *= -1
        else:  # any signs at all, sizes over eight orders of magnitude
            a = rng.normal(0, 1, m) * 10 ** rng.uniform(0, 8)
        a[0] = -abs(a[0])
        groups += [i] * m
        days += list(d)
        amounts += list(a)
    return np.array(groups), np.array(days), np.array(amounts)


@pytest.mark.parametrize("realistic", [True, False])
def test_matches_pyxirr_on_thousands_of_random_series(realistic):
    rng = np.random.default_rng(11 if realistic else 12)
    n = 2500
    g, d, a = random_funds(rng, n, realistic)
    result = xirr_grouped(g, d, a, n)
    compared = 0
    for i in range(n):
        sel = g == i
        expected = oracle(d[sel], a[sel])
        status = IrrStatus(int(result.status[i]))
        if expected is None or not -0.9999 < expected < 100:  # pyxirr's own search range
            if status == IrrStatus.UNIQUE and result.rate[i] > -0.9999:
                # we found one where pyxirr did not: it must be a root (near −100% the rate itself, as a
                # double, cannot carry enough digits of 1 + r for this check)
                terms = np.abs(xnpv_terms(result.rate[i], d[sel], a[sel]))
                assert abs(xnpv(result.rate[i], d[sel], a[sel])) < 1e-9 * terms.sum()
            continue
        # pyxirr's answer must be one of ours (pyxirr silently picks one of several)
        roots = np.array(result.all_roots(i))
        assert len(roots), f"row {i}: pyxirr found {expected}, we found none ({status.name})"
        assert np.min(np.abs(roots - expected)) < 1e-7, (i, expected, roots)
        compared += 1
    assert compared > n * 0.6


def test_same_day_flows_leap_days_and_extremes():
    cases = [
        # same-day flows, merged or not, give the same IRR as pyxirr
        ([date(2020, 1, 1), date(2020, 1, 1), date(2021, 1, 1), date(2021, 1, 1)], [-600, -400, 500, 700]),
        # leap days: act/365 counts 366 days in 2020
        ([date(2020, 2, 29), date(2021, 2, 28), date(2024, 2, 29)], [-1000, 100, 1200]),
        # −99% and +900%
        ([date(2019, 1, 1), date(2020, 1, 1)], [-100, 1]),
        ([date(2019, 1, 1), date(2020, 1, 1)], [-100, 1000]),
        ([date(2019, 1, 1), date(2019, 7, 1), date(2021, 1, 1)], [-100, -50, 1500]),
    ]
    for dates, amounts in cases:
        r = xirr_one([d.toordinal() for d in dates], amounts)
        assert r.status[0] == IrrStatus.UNIQUE
        assert r.rate[0] == pytest.approx(pyxirr.xirr(dates, amounts), abs=1e-7)
    two = xirr_one([date(2019, 1, 1).toordinal(), date(2020, 1, 1).toordinal()], [-100, 1])
    assert two.rate[0] == pytest.approx(-0.99, abs=1e-12)
    big = xirr_one([date(2019, 1, 1).toordinal(), date(2020, 1, 1).toordinal()], [-100, 1000])
    assert big.rate[0] == pytest.approx(9.0, abs=1e-12)


def test_two_flows_analytic():
    rng = np.random.default_rng(3)
    for _ in range(50):
        span = int(rng.integers(30, 4000))
        c = rng.uniform(1, 1e6)
        d = c * rng.uniform(0.2, 5)
        r = xirr_one([0, span], [-c, d])
        assert r.rate[0] == pytest.approx((d / c) ** (365 / span) - 1, rel=1e-9, abs=1e-12)
    # a root beyond e^50 − 1 is reported as out of range, not as a number
    far = xirr_one([0, 1], [-1.0, 1e9])
    assert far.status[0] == IrrStatus.OUT_OF_RANGE and np.isnan(far.rate[0])


def test_every_root_of_a_multi_root_series():
    r = xirr_one([0, 365, 730], [-100, 230, -132])
    assert r.status[0] == IrrStatus.MULTIPLE
    assert np.isnan(r.rate[0])
    assert r.roots[0] == pytest.approx((0.10, 0.20), abs=1e-9)
    assert "10.000000%" in r.note(0).en and "20.000000%" in r.note(0).zh
    # pyxirr silently returns one of them
    assert min(abs(np.array(r.roots[0]) - pyxirr.xirr([date(2020, 1, 1), date(2020, 12, 31), date(2021, 12, 31)],
                                                        [-100, 230, -132]))) < 1e-7


def test_no_irr_is_a_reason_not_a_crash():
    only_calls = xirr_one([0, 100], [-1, -2])
    assert only_calls.status[0] == IrrStatus.NO_SIGN_CHANGE and np.isnan(only_calls.rate[0])
    assert "same sign" in only_calls.note(0).en
    # −100, +230, −140 changes sign twice but its NPV stays below zero for every rate
    never = xirr_one([0, 365, 730], [-100, 230, -140])
    assert never.status[0] == IrrStatus.NO_ROOT
    empty = xirr_grouped(np.array([], dtype=int), np.array([], dtype=int), np.array([]), 2)
    assert list(empty.status) == [IrrStatus.EMPTY, IrrStatus.EMPTY]


def test_order_of_rows_does_not_matter():
    rng = np.random.default_rng(5)
    g, d, a = random_funds(rng, 300, True)
    first = xirr_grouped(g, d, a, 300)
    order = rng.permutation(len(g))
    second = xirr_grouped(g[order], d[order], a[order], 300)
    np.testing.assert_array_equal(first.status, second.status)
    np.testing.assert_allclose(first.rate, second.rate, rtol=0, atol=1e-12, equal_nan=True)


def test_root_bound_is_never_too_low():
    """Laguerre's bound must be ≥ the number of sign changes a dense grid finds (else we would skip a scan)."""
    rng = np.random.default_rng(9)
    n, m = 400, 12
    amounts = rng.normal(0, 1, (n, m))
    times = np.sort(rng.uniform(0, 10, (n, m)), axis=1)
    times -= times[:, :1]
    bound = root_bound(amounts)
    rates = np.expm1(np.linspace(-4, 3, 4000))
    npv = (amounts[:, None, :] * (1 + rates[None, :, None]) ** (-times[:, None, :])).sum(axis=2)
    crossings = (np.sign(npv[:, 1:]) * np.sign(npv[:, :-1]) < 0).sum(axis=1)
    assert (crossings <= bound).all()
    # and the engine finds every one of those crossings
    result = xirr_padded(PaddedFlows(times, amounts, times[:, -1]))
    found = np.array([len(result.all_roots(i)) for i in range(n)])
    assert (found >= crossings).all()


def test_root_beyond_the_range_is_out_of_range_not_no_root():
    # calls and distributions 19 days apart of very different size: NPV → first flow's sign (−) as r → ∞ and
    # → last flow's sign (+) as r → −100%, so a root exists (pyxirr finds it near 1e26); it lies beyond the
    # computable range, which is not the same as "the NPV never reaches zero"
    days = np.array([115, 134, 410, 1164, 1760]) + D0
    amounts = np.array([-2.8224627635289656, 63.51726500386259, 30.963702409763776, -134.27926157992073,
                        105.27517153148669])
    r = xirr_one(days, amounts)
    assert r.status[0] == IrrStatus.OUT_OF_RANGE and np.isnan(r.rate[0])
    far = oracle(days, amounts)
    assert far is not None and far > 1e21
