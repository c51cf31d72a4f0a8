"""The optional JAX path of the Monte Carlo (``pip install kejin[gpu]``): the deal draws run on whatever
device JAX finds (a GPU when there is one). Same distributions as the NumPy path, drawn with JAX's own
generator, so results agree within sampling error, not digit for digit. Yearly paths and IRRs are then
computed by the same NumPy code as the CPU path, so there is one definition of every figure.
"""

from __future__ import annotations

import numpy as np

from kejin.funds.montecarlo import Deals, StageArrays, fees
from kejin.funds.packs import ScenarioAssumptions


def draw_deals_jax(assumptions: ScenarioAssumptions, n_funds: int, n_deals: int, years: int, seed: int) -> Deals:
    import jax
    import jax.numpy as jnp

    jax.config.update("jax_enable_x64", True)  # multiples and costs in double precision, as on the CPU path
    p = StageArrays.of(assumptions)
    invest_years = min(assumptions.scenario.investment_years, years)
    k_stage, k_year, k_fail, k_mult, k_hold = jax.random.split(jax.random.PRNGKey(seed), 5)
    shape = (n_funds, n_deals)
    cum = jnp.asarray(np.cumsum(p.mix) / p.mix.sum())
    stage = jnp.minimum(jnp.searchsorted(cum, jax.random.uniform(k_stage, shape), side="right"), len(p.mix) - 1)
    invest_year = jax.random.randint(k_year, shape, 0, invest_years)
    failed = jax.random.uniform(k_fail, shape) < jnp.asarray(p.failure)[stage]
    u = jax.random.uniform(k_mult, shape, minval=1e-300, maxval=1.0)
    multiple = jnp.minimum(jnp.asarray(p.x_min)[stage] * u ** (-1.0 / jnp.asarray(p.alpha)[stage]),
                           jnp.asarray(p.cap)[stage])
    multiple = jnp.where(failed, 0.0, multiple)
    mean_hold = jnp.where(failed, jnp.asarray(p.fail_years)[stage], jnp.asarray(p.hold)[stage])
    # geometric on {1, 2, …} with mean m by inversion: ceil(ln U / ln(1 − 1/m))
    v = jax.random.uniform(k_hold, shape, minval=1e-300, maxval=1.0)
    hold = jnp.maximum(jnp.ceil(jnp.log(v) / jnp.log1p(-1.0 / mean_hold)), 1).astype(jnp.int32)
    exit_year = jnp.minimum(invest_year + hold, years)
    cost = np.full(shape, (1.0 - fees(assumptions, years).sum()) / n_deals)
    return Deals(np.asarray(stage, dtype=np.int8), np.asarray(invest_year, dtype=np.int16),
                 np.asarray(exit_year, dtype=np.int16), cost, cost * np.asarray(multiple), np.asarray(failed))
