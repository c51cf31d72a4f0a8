"""Guidance funds: ledger, performance (vectorised XIRR, multiples, PME), whole-lifecycle evaluation
(Takahashi–Alexander bands), policy indicators, loss tolerance and exemption, pacing and Monte Carlo.

Modules: ``ledger`` (tables, import), ``cashflows`` (the quick file), ``xirr``, ``metrics``, ``takahashi``,
``lifecycle``, ``policy``, ``tolerance``, ``pacing``, ``montecarlo`` (+ ``montecarlo_jax``), ``report``,
``packs`` (pack models). The numbers live in ``kejin/packs/funds/``.
"""
