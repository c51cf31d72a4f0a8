"""A fund's portfolio as stored: investments, exits and exemption evidence, read and written per fund.

Rows are plain dicts keyed by the column names of the fund ledger (``kejin.funds.ledger.SPECS``), so the
service checks them with the same code as a ledger file. Checking is the caller's job; these functions only
read and write, inside the caller's transaction.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from kejin.store.models import Base, FundEvidence, FundExit, FundInvestment

# In the order they are written (evidence and exits refer to investments); deleted in reverse.
MODELS: dict[str, type[Base]] = {"investments": FundInvestment, "exits": FundExit, "evidence": FundEvidence}
_BOOKKEEPING = {"id", "created_by", "created_at"}


def columns(name: str) -> list[sa.Column]:
    """The stored columns of one portfolio table (without id and who/when)."""
    return [c for c in MODELS[name].__table__.columns if c.name not in _BOOKKEEPING]


def read(s: Session, fund_id: str) -> dict[str, list[dict[str, Any]]]:
    """Every stored row of the fund's portfolio tables, in filing order."""
    out: dict[str, list[dict[str, Any]]] = {}
    for name, model in MODELS.items():
        cols = columns(name)
        query = sa.select(*cols).where(model.fund_id == fund_id).order_by(model.id)
        out[name] = [dict(r._mapping) for r in s.execute(query)]
    return out


def write(s: Session, fund_id: str, tables: dict[str, list[dict[str, Any]]], *, user_id: int | None,
          replace: bool) -> dict[str, int]:
    """Add the rows of ``tables`` to the fund's portfolio (``replace``: drop its stored rows first).
    Returns the rows written per table."""
    if replace:
        for model in reversed(MODELS.values()):
            s.execute(sa.delete(model).where(model.fund_id == fund_id))
    written = {}
    for name, model in MODELS.items():
        rows = tables.get(name, [])
        s.add_all(model(**{**row, "fund_id": fund_id}, created_by=user_id) for row in rows)
        s.flush()  # investments before the exits and evidence that refer to them
        written[name] = len(rows)
    return written
