"""Guidance funds: the manager files cash flows and NAV marks; manager and bureau get the lifecycle verdict
(J-curve against the strategy's Takahashi–Alexander band) and the loss-tolerance verdicts of the portfolio
(filed through ``fund_portfolio``)."""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

import numpy as np
import polars as pl
import sqlalchemy as sa
from fastapi import APIRouter, Depends
from pydantic import BaseModel, Field, field_validator, model_validator

from kejin.api import fund_ledger
from kejin.api.deps import PageDep, Principal, SessionDep, forbidden, not_found, paged, require
from kejin.api.inputs import ApiDate, InputModel, money
from kejin.api.problems import Problem
from kejin.store import portfolio, repo
from kejin.store.models import CashFlow, Fund

router = APIRouter(prefix="/funds", tags=["funds"])
Strategy = Literal["seed", "angel", "vc", "growth"]


# Output models describe what is stored; input models add the limits of what is accepted (so a row stored
# before a limit existed can still be read).
class FundFields(BaseModel):
    id: str = Field(pattern=r"^[A-Za-z0-9_\-]{1,32}$")
    name: str = Field(min_length=1, max_length=200)
    strategy: Strategy
    inception: dt.date
    term_years: int = Field(ge=1, le=30)
    tolerance_scheme: str | None = Field(None, max_length=60, description="容错方案（默认按策略）/ tolerance scheme "
                                         "of the tolerance pack (default: the pack's scheme for the strategy)")


class FundIn(InputModel, FundFields):
    inception: ApiDate

    @field_validator("tolerance_scheme")
    @classmethod
    def _known_scheme(cls, v: str | None) -> str | None:
        known = [x.id for x in fund_ledger.tolerance_pack().pack.schemes]
        if v is not None and v not in known:
            raise ValueError(f"未知的容错方案 / unknown tolerance scheme (known: {', '.join(known)})")
        return v


class FundOut(FundFields):
    manager_org_id: int


class FundList(BaseModel):
    data: list[FundOut]
    count: int
    page: int
    page_size: int


class FlowFields(BaseModel):
    date: dt.date
    amount: float | None = Field(None, description="投资人视角：出资为负，分配为正 / investor's signs")
    type: str | None = None
    nav: float | None = None


class FlowIn(InputModel, FlowFields):
    date: ApiDate
    amount: float | None = money("投资人视角：出资为负，分配为正 / investor's signs")
    type: str | None = Field(None, max_length=40)
    nav: float | None = money(ge=0)

    @model_validator(mode="after")
    def _check(self) -> "FlowIn":
        from kejin.funds.vocab import CALL_TYPES, DISTRIBUTION_TYPES

        if self.amount is None and self.nav is None:
            raise ValueError("金额和净值均为空 / both amount and NAV are empty")
        if self.type is not None and self.type not in CALL_TYPES and self.type not in DISTRIBUTION_TYPES:
            raise ValueError(f"未知的现金流类型 / unknown flow type: {self.type}")
        if self.type in CALL_TYPES and (self.amount or 0) > 0:
            raise ValueError("出资类现金流应为负数 / a call must be negative")
        if self.type in DISTRIBUTION_TYPES and (self.amount or 0) < 0:
            raise ValueError("分配类现金流应为正数 / a distribution must be positive")
        return self


class FlowsIn(InputModel):
    flows: list[FlowIn] = Field(min_length=1, max_length=10000)


class FlowOut(FlowFields):
    id: int


def _fund_out(f: Fund) -> FundOut:
    return FundOut(id=f.id, name=f.name, strategy=f.strategy, inception=f.inception, term_years=f.term_years,
                   tolerance_scheme=f.tolerance_scheme, manager_org_id=f.manager_org_id)


def visible_fund(s, p: Principal, fund_id: str, *, lock: bool = False) -> Fund:
    """The fund, if the caller is its manager or the bureau (``lock``: for update, until the transaction ends)."""
    f = s.get(Fund, fund_id, with_for_update=lock)
    if f is None:
        raise not_found("基金", "fund")
    if p.role != "bureau" and f.manager_org_id != p.org.id:
        raise forbidden("只有基金管理人和科技局可查看该基金", "only the fund's manager and the bureau see this fund")
    return f


def managed_fund(s, p: Principal, fund_id: str, *, lock: bool = False) -> Fund:
    """The fund, if the caller is its manager: only the manager edits a fund's ledger."""
    f = visible_fund(s, p, fund_id, lock=lock)
    if f.manager_org_id != p.org.id:
        raise forbidden("只有基金管理人可修改台账", "only the fund's manager edits its ledger")
    return f


@router.get("", response_model=FundList)
def list_funds(s: SessionDep, page: PageDep, p: Principal = Depends(require("funds:read")),
               strategy: Strategy | None = None) -> FundList:
    """Funds: a manager's own, or all for the bureau."""
    q = sa.select(Fund).order_by(Fund.id)
    if p.role != "bureau":
        q = q.where(Fund.manager_org_id == p.org.id)
    if strategy:
        q = q.where(Fund.strategy == strategy)
    rows, total = paged(s, q, page)
    return FundList(data=[_fund_out(r[0]) for r in rows], count=total, page=page.page, page_size=page.page_size)


@router.post("", response_model=FundOut, status_code=201)
def create_fund(body: FundIn, s: SessionDep, p: Principal = Depends(require("funds:write"))) -> FundOut:
    """A fund manager registers a fund it manages."""
    if s.get(Fund, body.id) is not None:
        raise Problem(409, "fund.exists", "基金编号已存在", "a fund with this id exists")
    f = Fund(**body.model_dump(), manager_org_id=p.org.id)
    s.add(f)
    repo.audit(s, user=p.user, action="fund.create", target=f"fund:{body.id}")
    s.commit()
    return _fund_out(f)


@router.get("/{fund_id}", response_model=FundOut)
def get_fund(fund_id: str, s: SessionDep, p: Principal = Depends(require("funds:read"))) -> FundOut:
    """One fund."""
    return _fund_out(visible_fund(s, p, fund_id))


@router.get("/{fund_id}/cashflows", response_model=list[FlowOut])
def list_flows(fund_id: str, s: SessionDep, p: Principal = Depends(require("funds:read"))) -> list[FlowOut]:
    """The fund's ledger of cash flows and NAV marks, by date."""
    visible_fund(s, p, fund_id)
    rows = s.scalars(sa.select(CashFlow).where(CashFlow.fund_id == fund_id).order_by(CashFlow.date, CashFlow.id)).all()
    return [FlowOut(id=r.id, date=r.date, amount=r.amount, type=r.type, nav=r.nav) for r in rows]


@router.post("/{fund_id}/cashflows", response_model=list[FlowOut], status_code=201)
def add_flows(fund_id: str, body: FlowsIn, s: SessionDep, p: Principal = Depends(require("funds:write"))) -> list[FlowOut]:
    """Only the fund's manager files cash flows (all of a request or none)."""
    managed_fund(s, p, fund_id)
    rows = [CashFlow(fund_id=fund_id, created_by=p.user.id, **fl.model_dump()) for fl in body.flows]
    s.add_all(rows)
    s.flush()
    repo.audit(s, user=p.user, action="fund.cashflows", target=f"fund:{fund_id}", detail={"rows": len(rows)})
    s.commit()
    return [FlowOut(id=r.id, date=r.date, amount=r.amount, type=r.type, nav=r.nav) for r in rows]


def evaluate_fund(f: Fund, flows: list[CashFlow]) -> dict[str, Any]:
    from kejin.funds.lifecycle import band, judge
    from kejin.funds.metrics import jcurve
    from kejin.funds.packs import load_lifecycle_pack

    loaded = load_lifecycle_pack()
    pack = loaded.pack
    cal = pack.strategies[f.strategy]
    b = band(f.strategy, cal, years=max(f.term_years, int(np.ceil(cal.life))))
    band_out = {"ages": [int(a) for a in b.ages], **{f"tvpi_{k}": [float(x) for x in v] for k, v in b.tvpi.items()},
                **{f"dpi_{k}": [float(x) for x in v] for k, v in b.dpi.items()}}
    cash = pl.DataFrame({"fund_id": [f.id] * len(flows), "date": [r.date for r in flows],
                         "amount": [r.amount for r in flows]}, schema={"fund_id": pl.String, "date": pl.Date, "amount": pl.Float64})
    cash = cash.filter(pl.col("amount").is_not_null() & (pl.col("amount") != 0))
    navs = pl.DataFrame({"fund_id": [f.id] * len(flows), "date": [r.date for r in flows], "nav": [r.nav for r in flows]},
                        schema={"fund_id": pl.String, "date": pl.Date, "nav": pl.Float64}).filter(pl.col("nav").is_not_null())
    out: dict[str, Any] = {"fund": _fund_out(f).model_dump(mode="json"), "pack": loaded.provenance(), "band": band_out,
                           "rules": {r.id: r.label.model_dump() for r in pack.fixed_rules}, "history": [], "latest": None}
    if cash.height == 0 or navs.height == 0:
        return out
    series = jcurve(cash, navs, pl.DataFrame({"fund_id": [f.id], "inception": [f.inception]}))
    series = series.with_columns(pl.lit(f.strategy).alias("strategy"))
    judged = judge(series, pack)
    keep = ["as_of", "age_years", "paid_in", "distributed", "nav", "dpi", "tvpi", "irr", "irr_status", "tvpi_floor",
            "tvpi_low", "tvpi_mid", "tvpi_high", "verdict", "reason_zh", "reason_en"]
    keep += [c for c in judged.columns if c.startswith("rule_")]
    hist = fund_ledger.json_rows(judged.select([c for c in keep if c in judged.columns]))
    out["history"] = hist
    out["latest"] = hist[-1] if hist else None
    return out


@router.get("/{fund_id}/evaluation")
def fund_evaluation(fund_id: str, s: SessionDep, p: Principal = Depends(require("funds:read"))) -> dict[str, Any]:
    """The lifecycle verdict at every NAV date (J-curve), the band of the fund's strategy, and the latest verdict;
    ``tolerance``: the loss-tolerance verdict of the fund and of each loss-making investment, with the exemption
    evidence still missing (from the filed portfolio and the tolerance pack)."""
    f = visible_fund(s, p, fund_id)
    flows = s.scalars(sa.select(CashFlow).where(CashFlow.fund_id == fund_id).order_by(CashFlow.date, CashFlow.id)).all()
    out = evaluate_fund(f, list(flows))
    out["tolerance"] = fund_ledger.tolerance_view(f, portfolio.read(s, fund_id))
    return out
