"""Monte Carlo: reproducible by seed, converges to the analytic mean, optional JAX path agrees."""

from __future__ import annotations

import numpy as np
import pytest

from kejin.funds import montecarlo as mc
from kejin.funds import packs
from kejin.funds.packs import Scenario, ScenarioAssumptions, StageAssumptions


@pytest.fixture(scope="module")
def vc():
    return packs.load_simulation_pack().scenario("vc")


def simple(failure=0.4, alpha=2.5, x_min=1.0) -> ScenarioAssumptions:
    """One stage, no cap, no fees: the mean TVPI is (1 − p)·α·x_min/(α − 1)."""
    stage = StageAssumptions(failure_prob=failure, pareto_alpha=alpha, x_min=x_min, cap=None, hold_years_mean=4,
                             failure_years_mean=2)
    scenario = Scenario(stage_mix={"vc": 1.0}, life=12, investment_years=3, fee_rate=0.0, fee_rate_after=0.0)
    return ScenarioAssumptions("simple", scenario, {"vc": stage})


def test_same_seed_same_funds_other_seed_other_funds(vc):
    a = mc.simulate(vc, 2000, 20, seed=7)
    b = mc.simulate(vc, 2000, 20, seed=7)
    c = mc.simulate(vc, 2000, 20, seed=8)
    np.testing.assert_array_equal(a.tvpi, b.tvpi)
    np.testing.assert_array_equal(a.irr, b.irr)
    assert not np.array_equal(a.tvpi, c.tvpi)


def test_mean_converges_to_the_analytic_mean():
    a = simple()
    analytic = 0.6 * 2.5 / 1.5
    assert mc.expected_multiple(a) == pytest.approx(analytic)
    errors = []
    for n in (500, 50_000):
        tvpi = mc.simulate(a, n, 30, seed=1).tvpi[:, -1]
        se = tvpi.std() / np.sqrt(n)
        assert abs(tvpi.mean() - analytic) < 4 * se
        errors.append(abs(tvpi.mean() - analytic))
    assert errors[1] < 0.05


def test_paths_add_up(vc):
    r = mc.simulate(vc, 500, 25, seed=3)
    assert (r.nav[:, -1] == 0).all()  # every deal is realised by the end
    invested = 1.0 - mc.fees(vc, 12).sum()  # deals use what the full fee schedule leaves
    # fees stop when the last deal is realised, so paid-in lies between the deals alone and the commitment
    assert ((r.paid_in[:, -1] >= invested) & (r.paid_in[:, -1] <= 1 + 1e-12)).all()
    assert (np.diff(r.paid_in, axis=1) >= -1e-15).all()
    ok = r.irr_status == 0
    # each fund's IRR prices its own yearly flows to zero
    flows = r.distributions - r.calls
    npv = (flows[ok] * (1 + r.irr[ok, None]) ** -np.arange(flows.shape[1])).sum(axis=1)
    assert np.abs(npv).max() < 1e-9


def test_summaries_move_with_the_rule_and_the_horizon(vc):
    life = packs.load_lifecycle_pack().pack
    r = mc.simulate(vc, 5000, 30, seed=2)
    losses = mc.loss_exceedance(r, [0.2, 0.4, 0.6], [0.4, 1.0])
    net = losses.filter(losses["rule"] == "portfolio")["p_net_loss_above"].to_list()
    assert net == sorted(net, reverse=True)  # a looser rate is exceeded less often
    caps = losses.filter(losses["rule"] == "project_cap")["p_gross_loss_above"].to_list()
    assert caps[1] == 0.0 and caps[0] > 0.9  # nothing loses more than 100%; most funds have a deal beyond 40%
    alarms = mc.false_alarms(r, life.strategies["vc"], life.fixed_rules)
    yearly = alarms["rule_tvpi-1.0-every-year"].to_list()
    assert yearly == sorted(yearly)  # a rule applied every year can only flag more funds as years pass
    assert alarms["lifecycle_off_track"][-1] < yearly[-1]


def test_jax_path_agrees_within_sampling_error(vc):
    pytest.importorskip("jax")
    n = 20_000
    a = mc.simulate(vc, n, 30, seed=1)
    b = mc.simulate(vc, n, 30, seed=1, backend="jax")
    for x, y in ((a.tvpi[:, -1], b.tvpi[:, -1]), (a.dpi[:, 6], b.dpi[:, 6])):
        se = np.sqrt(x.var() / n + y.var() / n)
        assert abs(x.mean() - y.mean()) < 4 * se
    assert abs(np.nanmedian(a.irr) - np.nanmedian(b.irr)) < 0.01


def test_one_fund_and_monotone_percentiles(vc):
    one = mc.simulate(vc, 1, 20, seed=3)
    table = mc.by_year(one)
    assert table.height == vc.scenario.life
    for prefix in ("tvpi", "dpi"):
        cols = [table[f"{prefix}_p{q}"].to_numpy() for q in mc.PERCENTILES]
        for low, high in zip(cols, cols[1:]):
            assert (low <= high + 1e-12).all()
    many = mc.by_year(mc.simulate(vc, 3000, 20, seed=3))
    cols = [many[f"tvpi_p{q}"].to_numpy() for q in mc.PERCENTILES]
    assert all((low <= high).all() for low, high in zip(cols, cols[1:]))


@pytest.mark.parametrize("funds, deals", [(0, 20), (10, 0)])
def test_no_funds_or_no_deals_is_an_error(vc, funds, deals):
    from kejin.errors import InputError

    with pytest.raises(InputError) as caught:
        mc.simulate(vc, funds, deals)
    assert caught.value.problems[0].code == "simulate.size"


def test_a_run_too_large_for_memory_is_refused_up_front(vc):
    from typer.testing import CliRunner

    from kejin.cli import _mount, app
    from kejin.errors import InputError

    with pytest.raises(InputError) as caught:
        mc.simulate(vc, mc.MAX_DEAL_CELLS // 10 + 1, 10)
    problem = caught.value.problems[0]
    assert problem.code == "simulate.too_large" and "GB" in problem.zh and "GB" in problem.en
    _mount()
    r = CliRunner().invoke(app, ["funds", "simulate", "--funds", str(mc.MAX_DEAL_CELLS), "--deals", "30"])
    assert isinstance(r.exception, InputError) and r.exception.problems[0].code == "simulate.too_large"
