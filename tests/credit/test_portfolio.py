from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from kejin.credit.portfolio import Loans, simulate
from kejin.credit.sharing import load_sharing

SHARING = load_sharing()


def _book(n: int, pd: float, amount: float = 1_000_000.0, tier: str = "tier_35") -> Loans:
    return Loans(np.full(n, amount), np.full(n, pd), np.full(n, 0.45), np.full(n, tier))


def test_expected_loss_by_party_without_correlation():
    book = _book(2_000, 0.02)
    simulation = simulate(SHARING, book, scenarios=2_000, rho=0.0, seed=1, pool_balance=1e12)
    per_default = SHARING.waterfall(np.array([450_000.0]), np.array([1e6]), np.array(["tier_35"]))
    for risk in simulation.party_risk():
        analytic = 2_000 * 0.02 * per_default[risk.party][0]
        assert risk.expected_loss == pytest.approx(analytic, rel=0.02)
    assert simulation.total_loss.mean() == pytest.approx(2_000 * 0.02 * 450_000, rel=0.02)


def test_default_rate_tail_follows_vasicek():
    pd, rho, n = 0.03, 0.2, 5_000
    simulation = simulate(SHARING, _book(n, pd), scenarios=4_000, rho=rho, seed=2)
    vasicek_99 = stats.norm.cdf((stats.norm.ppf(pd) + np.sqrt(rho) * stats.norm.ppf(0.99)) / np.sqrt(1 - rho))
    assert np.quantile(simulation.defaults / n, 0.99) == pytest.approx(vasicek_99, rel=0.1)


def test_pool_dry_probability_and_sizing():
    pd, rho, n = 0.03, 0.2, 5_000
    # Each default asks the pool for 50 % of the bank's 20 % of (450 000 − insurer 175 000) = 27 500.
    claim = 0.5 * 0.2 * (450_000 - 0.5 * (450_000 - 100_000))
    balance = 0.06 * n * claim  # dry when more than 6 % of loans default
    simulation = simulate(SHARING, _book(n, pd), scenarios=4_000, rho=rho, seed=3, pool_balance=balance)
    analytic = 1 - stats.norm.cdf((np.sqrt(1 - rho) * stats.norm.ppf(0.06) - stats.norm.ppf(pd)) / np.sqrt(rho))
    assert simulation.pool_dry_probability == pytest.approx(analytic, abs=0.01)
    needed = simulation.pool_needed(0.01)
    assert np.mean(simulation.pool_claims > needed) <= 0.01
    assert np.mean(simulation.pool_claims >= needed) > 0.01  # and no smaller balance would do


def test_same_seed_same_answer_whatever_the_threads():
    book = _book(3_000, 0.05)
    one = simulate(SHARING, book, scenarios=3_000, seed=7, workers=1)
    two = simulate(SHARING, book, scenarios=3_000, seed=7, workers=2)
    assert all(np.array_equal(one.party_losses[p], two.party_losses[p]) for p in one.party_losses)


def test_compensation_cap_moves_the_fund_share_to_the_guarantor():
    book = _book(2_000, 0.3, tier="tier_40")  # a terrible year: compensations far above 5 %
    capped = simulate(SHARING, book, scenarios=500, rho=0.1, seed=4)
    total = sum(capped.party_losses.values())
    assert np.allclose(total, capped.total_loss)
    guaranteed_balance = 2_000 * 1e6 * 0.8  # the guarantee system carries 80 % of each covered loan
    # The fund takes 40 / 80 of the compensations, and compensations count only up to 5 %.
    ceiling = 0.05 * guaranteed_balance * 0.40 / 0.80
    fund, guarantor = capped.party_losses["national_fund"], capped.party_losses["guarantor"]
    assert fund.max() == pytest.approx(ceiling)
    reguarantor = capped.party_losses["reguarantor"]
    # Uncapped, guarantor and re-guarantor each carry 20 %; the guarantor now also carries the overflow.
    assert guarantor - reguarantor == pytest.approx(2 * reguarantor - fund, abs=1e-3)
    assert (2 * reguarantor - fund).max() > 0  # the cap did bind
