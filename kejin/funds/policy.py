"""Policy indicators of a guidance fund, looking through the funds it invests in.

For a fund F, its *tree* is F and every fund it reaches as an LP. Money is counted once: a commitment
between two funds of the tree is internal; the rest was raised from outside. Government money is found
by look-through — a fund LP from outside the tree brings government money in proportion to its own
capital's government share.
"""

from __future__ import annotations

import polars as pl

from kejin.facts.schema import norms
from kejin.funds.ledger import Ledger, fund_tree
from kejin.funds.packs import PolicyPack

INDICATORS = ("mobilised", "government", "leverage", "crowded_in", "reinvested", "reinvestment_ratio",
              "frontier_share", "seed_startup_share", "firms_supported")


def government_shares(ledger: Ledger) -> dict[str, float]:
    """Share of government money in each fund's commitments (look-through over fund LPs)."""
    rows = ledger.commitments.select("fund_id", "lp_id", "lp_type", "amount").rows()
    by_fund: dict[str, list[tuple[str, str, float]]] = {}
    for fund, lp, kind, amount in rows:
        by_fund.setdefault(fund, []).append((lp, kind, amount))
    shares: dict[str, float] = {}

    def share(fund: str) -> float:  # the ledger has no loops (checked on load), so this ends
        if fund not in shares:
            items = by_fund.get(fund, [])
            total = sum(a for _, _, a in items)
            gov = sum(a * (1.0 if k == "government" else share(lp) if k == "fund" else 0.0) for lp, k, a in items)
            shares[fund] = gov / total if total else 0.0
        return shares[fund]

    for fund in ledger.fund_ids():
        share(fund)
    return shares


def _region_prefix(code: str | None) -> str | None:
    """A GB/T 2260 code as a prefix: 430000 → 43 (province), 430100 → 4301 (city), 430104 → 430104."""
    if not code:
        return None
    code = code.strip()
    while len(code) > 2 and code.endswith("00"):
        code = code[:-2]
    return code


def indicators(ledger: Ledger, pack: PolicyPack, fund_ids: list[str] | None = None,
               min_reinvestment: float | None = None) -> pl.DataFrame:
    """One row per fund with every indicator, its target where the pack (or ``min_reinvestment``) sets one,
    and whether it is met."""
    gov_share = government_shares(ledger)
    frontier = set(norms().frontier_sectors)
    commitments = ledger.commitments
    investments = ledger.investments
    required = min_reinvestment if min_reinvestment is not None else (
        pack.reinvestment.min_ratio if pack.reinvestment.required else None)
    rows = []
    for fund in fund_ids or ledger.fund_ids():
        tree = fund_tree(ledger, fund)
        inside = set(tree)
        raised = commitments.filter(pl.col("fund_id").is_in(tree))
        external = raised.filter(~((pl.col("lp_type") == "fund") & pl.col("lp_id").is_in(tree)))
        mobilised = float(external.get_column("amount").sum())
        government = sum(a * (1.0 if k == "government" else gov_share.get(lp, 0.0) if k == "fund" else 0.0)
                         for lp, k, a in external.select("lp_id", "lp_type", "amount").rows())
        own_government = sum(a * (1.0 if k == "government" else gov_share.get(lp, 0.0) if k == "fund" else 0.0)
                             for lp, k, a in commitments.filter(pl.col("fund_id") == fund)
                             .select("lp_id", "lp_type", "amount").rows())
        deals = investments.filter(pl.col("fund_id").is_in(list(inside)))
        invested = float(deals.get_column("amount").sum())
        frontier_amount = float(deals.filter(
            pl.col("sectors").list.eval(pl.element().is_in(list(frontier))).list.any().fill_null(False)
        ).get_column("amount").sum())
        seed_amount = float(deals.filter(pl.col("stage").is_in(pack.seed_startup_stages)).get_column("amount").sum())
        region = _region_prefix(ledger.fund(fund).get("reinvest_region"))
        reinvested = float(deals.filter(pl.col("region_code").str.starts_with(region)).get_column("amount").sum()) \
            if region else None
        ratio = reinvested / own_government if reinvested is not None and own_government > 0 else None
        seed_share = seed_amount / invested if invested else None
        frontier_share = frontier_amount / invested if invested else None
        rows.append({
            "fund_id": fund,
            "funds_in_tree": len(tree),
            "mobilised": mobilised,
            "government": government,
            "leverage": mobilised / government if government else None,
            "leverage_reference": pack.leverage_reference,
            "crowded_in": mobilised - government,
            "invested": invested,
            "firms_supported": deals.get_column("company_uscc").n_unique(),
            "seed_startup_share": seed_share,
            "seed_startup_target": pack.seed_startup_min_share,
            "seed_startup_met": None if seed_share is None else seed_share >= pack.seed_startup_min_share - 1e-12,
            "frontier_share": frontier_share,
            "frontier_target": pack.frontier_min_share,
            "frontier_met": None if frontier_share is None or pack.frontier_min_share is None
            else frontier_share >= pack.frontier_min_share - 1e-12,
            "reinvest_region": region,
            "reinvested": reinvested,
            "reinvestment_ratio": ratio,
            "reinvestment_required": required,
            "reinvestment_met": None if required is None or ratio is None else ratio >= required - 1e-12,
        })
    return pl.DataFrame(rows, infer_schema_length=None)
