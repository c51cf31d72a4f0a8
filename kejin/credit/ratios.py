"""Financial ratios of an enterprise-year from the facts, for a scorecard's financial side.

- ``leverage`` = total liabilities / total assets;
- ``net_margin`` = net profit / revenue;
- ``revenue`` (yuan, the size of the firm; binning is rank-based so no log is needed);
- ``cash_flow_to_debt`` = operating cash flow / total liabilities (capacity to service debt).

A blank input or a zero / negative denominator gives a blank (the scorecard's missing bin), as
x/0 is blank everywhere in kejin.
"""

from __future__ import annotations

import polars as pl

FINANCIAL_RATIOS = ["leverage", "net_margin", "revenue", "cash_flow_to_debt"]
_INPUTS = ["revenue", "net_profit", "total_assets", "total_liabilities", "operating_cash_flow"]


def _ratio(numerator: str, denominator: str) -> pl.Expr:
    d = pl.col(denominator)
    return pl.when(d > 0).then(pl.col(numerator) / d).otherwise(None)


def financial_ratios(facts: pl.DataFrame) -> pl.DataFrame:
    """``uscc, year`` and the ratios above, one row per enterprise-year, sorted by (uscc, year)."""
    absent = [pl.lit(None, dtype=pl.Float64).alias(c) for c in _INPUTS if c not in facts.columns]
    frame = facts.with_columns(absent) if absent else facts
    return frame.select(
        "uscc",
        "year",
        _ratio("total_liabilities", "total_assets").alias("leverage"),
        _ratio("net_profit", "revenue").alias("net_margin"),
        pl.col("revenue").cast(pl.Float64),
        _ratio("operating_cash_flow", "total_liabilities").alias("cash_flow_to_debt"),
    ).sort("uscc", "year")


__all__ = ["FINANCIAL_RATIOS", "financial_ratios"]
