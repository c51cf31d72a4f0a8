"""A fund's portfolio — investments, exits and due-diligence exemption evidence — filed by its manager, all or
nothing, and checked by the fund ledger's own rules (see ``kejin.api.fund_ledger``). The tolerance verdicts
built on it are part of ``GET /funds/{id}/evaluation``."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends
from pydantic import BaseModel, ConfigDict, Field, create_model

from kejin.api import fund_ledger
from kejin.api.deps import Principal, SessionDep, require
from kejin.api.inputs import InputModel
from kejin.api.routes.funds import managed_fund, visible_fund
from kejin.funds.ledger import SPECS
from kejin.funds.tables import TableSpec
from kejin.store import portfolio, repo

router = APIRouter(prefix="/funds", tags=["funds"])
MAX_ROWS = 10000

# Cells are passed on as a ledger file would hold them; the ledger's parser types them and names every bad cell.
_CELL: dict[str, Any] = {"amount": float | str | None, "int": int | str | None, "bool": bool | str | None,
                         "list": list[str] | str | None}


def _row_model(spec: TableSpec, name: str) -> type[BaseModel]:
    """A row of one ledger table, one optional field per column (required cells are checked by the ledger)."""
    fields: dict[str, Any] = {
        c.name: (_CELL.get(c.kind, str | None),
                 Field(None, description=f"{c.label.zh} / {c.label.en}" + (" *" if c.required else "")))
        for c in spec.columns
    }
    return create_model(name, __config__=ConfigDict(extra="forbid"), **fields)


InvestmentRow = _row_model(SPECS["investments"], "InvestmentRow")
ExitRow = _row_model(SPECS["exits"], "ExitRow")
EvidenceRow = _row_model(SPECS["evidence"], "EvidenceRow")


class PortfolioIn(InputModel):
    """Rows to file; ``fund_id`` of an investment defaults to the fund of the URL. Fields marked * are required."""

    investments: list[InvestmentRow] = Field(default_factory=list, max_length=MAX_ROWS)  # type: ignore[valid-type]
    exits: list[ExitRow] = Field(default_factory=list, max_length=MAX_ROWS)  # type: ignore[valid-type]
    evidence: list[EvidenceRow] = Field(default_factory=list, max_length=MAX_ROWS)  # type: ignore[valid-type]


class PortfolioOut(BaseModel):
    investments: list[InvestmentRow]  # type: ignore[valid-type]
    exits: list[ExitRow]  # type: ignore[valid-type]
    evidence: list[EvidenceRow]  # type: ignore[valid-type]
    written: dict[str, int] | None = None


@router.get("/{fund_id}/portfolio", response_model=PortfolioOut)
def get_portfolio(fund_id: str, s: SessionDep, p: Principal = Depends(require("funds:read"))) -> PortfolioOut:
    """The fund's filed investments, exits and exemption evidence."""
    f = visible_fund(s, p, fund_id)
    return PortfolioOut(**fund_ledger.portfolio_json(f, portfolio.read(s, fund_id)))


def _file(fund_id: str, body: PortfolioIn, s, p: Principal, *, replace: bool) -> PortfolioOut:
    # Check and write under a lock on the fund, so two filings for one fund cannot both pass the checks.
    s.rollback()
    s.connection(execution_options={"immediate": True})  # SQLite: take the write lock now
    f = managed_fund(s, p, fund_id, lock=True)  # PostgreSQL: SELECT … FOR UPDATE
    rows = {name: [r.model_dump(exclude_none=True) for r in getattr(body, name)] for name in fund_ledger.TABLES}
    stored = {} if replace else portfolio.read(s, fund_id)
    checked = fund_ledger.check_filing(f, rows, stored)
    written = portfolio.write(s, fund_id, checked, user_id=p.user.id, replace=replace)
    repo.audit(s, user=p.user, action="fund.portfolio.replace" if replace else "fund.portfolio.add",
               target=f"fund:{fund_id}", detail=written)
    s.commit()
    return PortfolioOut(**fund_ledger.portfolio_json(f, portfolio.read(s, fund_id)), written=written)


@router.post("/{fund_id}/portfolio", response_model=PortfolioOut, status_code=201)
def add_portfolio(fund_id: str, body: PortfolioIn, s: SessionDep,
                  p: Principal = Depends(require("funds:write"))) -> PortfolioOut:
    """The fund's manager adds investments, exits and evidence (all of a request or none). Rows are checked as a
    ledger file is, together with what is already filed: a USCC that fails GB 32100, an exit before its investment,
    evidence for an unknown investment or precondition… each problem names its table, row (1-based) and field."""
    return _file(fund_id, body, s, p, replace=False)


@router.put("/{fund_id}/portfolio", response_model=PortfolioOut)
def replace_portfolio(fund_id: str, body: PortfolioIn, s: SessionDep,
                      p: Principal = Depends(require("funds:write"))) -> PortfolioOut:
    """The fund's manager replaces the whole filed portfolio (e.g. with new fair values), all or nothing."""
    return _file(fund_id, body, s, p, replace=True)
