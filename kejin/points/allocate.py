"""Fiscal allocation by points: split a budget, in integer fen, exactly.

Rules (parameters from the allocation pack, overridable):

- ``proportional``: each eligible firm's share ∝ its points;
- ``tiered``: share ∝ the weight of its tier (e.g. 领跑 3 : 竞跑 2 : 进取 1);
- ``capped``: ∝ points, but no firm above ``cap`` (default ``cap_share`` × budget); the excess
  goes to the others in proportion to their points (water-filling).

Any rule takes an optional per-firm ``floor`` and ``cap`` (yuan). The continuous solution is
x_i = clamp(λ·w_i, floor, cap) with Σ x_i = budget (λ by bisection on exact fractions of the
breakpoints); amounts are then rounded down to the fen and the leftover fen go one by one to the
largest remainders (ties: higher points, then uscc), never past a cap. The result sums exactly
to the budget. An infeasible request (floors above the budget, caps below it, nobody eligible)
is an error that says which.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from fractions import Fraction
from pathlib import Path
from typing import Any, Literal

import polars as pl
from pydantic import BaseModel, ConfigDict, Field

from kejin.errors import InputError, Problem
from kejin.rules.packfile import PackMeta, read_yaml, validate

Rule = Literal["proportional", "tiered", "capped"]
PACK = Path(__file__).resolve().parent.parent / "packs" / "points" / "allocation" / "reference-2025.yaml"


class AllocationPack(BaseModel):
    model_config = ConfigDict(extra="forbid")

    meta: PackMeta
    eligible_tiers: list[str]
    tier_weights: dict[str, float]
    cap_share: float = Field(gt=0, le=1)
    floor_yuan: float = Field(ge=0)


def load_allocation_pack(path: Path | str = PACK) -> AllocationPack:
    data = read_yaml(Path(path))
    meta = {k: data.pop(k) for k in list(data) if k in {"id", "version", "kind", "name", "issuer", "source", "effective", "uncertain", "notes"}}
    data["meta"] = validate(PackMeta, meta, path)
    return validate(AllocationPack, data, path)


def to_fen(amount: str | float | int | Decimal, what: str = "budget") -> int:
    try:
        d = Decimal(str(amount).replace(",", "").replace("，", ""))
    except InvalidOperation:
        raise InputError(Problem("allocate.amount", f"金额无效：{amount}", f"invalid amount: {amount}", field=what, value=amount)) from None
    if d < 0:
        raise InputError(Problem("allocate.amount", "金额不能为负", "amount cannot be negative", field=what, value=amount))
    fen = d * 100
    if fen != fen.to_integral_value():
        raise InputError(Problem("allocate.amount", "金额精确到分", "amounts are exact to the fen (0.01 yuan)", field=what, value=amount))
    return int(fen.to_integral_value(ROUND_HALF_UP))


def fen_text(fen: int) -> str:
    sign = "-" if fen < 0 else ""
    fen = abs(fen)
    return f"{sign}{fen // 100}.{fen % 100:02d}"


@dataclass
class Allocation:
    rule: str
    budget_fen: int
    parameters: dict[str, Any]
    table: pl.DataFrame  # uscc, name, year, points, tier, weight, amount_fen, amount_yuan, bound

    def as_dict(self) -> dict[str, Any]:
        return {
            "rule": self.rule,
            "budget_fen": self.budget_fen,
            "budget_yuan": fen_text(self.budget_fen),
            "allocated_fen": int(self.table["amount_fen"].sum()) if self.table.height else 0,
            "parameters": self.parameters,
            "allocations": self.table.to_dicts(),
        }


def _solve(weights: list[Fraction], floors: list[int], caps: list[int | None], budget: int) -> list[Fraction]:
    """x_i = clamp(λ w_i, floor_i, cap_i), Σ x = budget, exact in fractions."""
    def total(lam: Fraction) -> Fraction:
        s = Fraction(0)
        for w, f, c in zip(weights, floors, caps):
            x = max(Fraction(f), lam * w)
            if c is not None:
                x = min(x, Fraction(c))
            s += x
        return s

    # breakpoints where a firm leaves its floor or reaches its cap
    points = sorted({Fraction(0)} | {Fraction(f) / w for w, f in zip(weights, floors) if w > 0} | {Fraction(c) / w for w, c in zip(weights, caps) if w > 0 and c is not None})
    lo = None
    for bp in points:
        if total(bp) >= budget:
            hi = bp
            break
        lo = bp
    else:
        hi = None
    if hi is None:  # beyond the last breakpoint the total is linear in λ with the uncapped weights
        lo = points[-1]
        free = sum(w for w, c in zip(weights, caps) if c is None)
        lam = lo + (budget - total(lo)) / free
    elif lo is None:
        lam = hi
    else:
        t_lo, t_hi = total(lo), total(hi)
        lam = lo + (hi - lo) * (budget - t_lo) / (t_hi - t_lo) if t_hi != t_lo else hi
    out = []
    for w, f, c in zip(weights, floors, caps):
        x = max(Fraction(f), lam * w)
        if c is not None:
            x = min(x, Fraction(c))
        out.append(x)
    return out


def allocate(
    results: pl.DataFrame,
    budget: str | float | int,
    rule: Rule = "proportional",
    *,
    cap: str | float | None = None,
    floor: str | float | None = None,
    year: int | None = None,
    min_tier: str | None = None,
    pack: AllocationPack | None = None,
) -> Allocation:
    """Allocate ``budget`` (yuan, exact to the fen) among scored firms of ``results`` (from ``score``)."""
    pack = pack or load_allocation_pack()
    budget_fen = to_fen(budget)
    if results.height == 0:
        raise InputError(Problem("allocate.empty", "没有可分配的企业", "no firms to allocate to"))
    year = year or int(results["year"].max())
    r = results.filter((pl.col("year") == year) & pl.col("points").is_not_null())
    eligible = list(pack.eligible_tiers)
    if min_tier:
        order = [*pack.eligible_tiers, "none"]
        if min_tier not in order:
            raise InputError(Problem("allocate.tier", f"未知榜单 {min_tier}", f"unknown tier {min_tier}", field="min_tier", value=min_tier))
        eligible = order[: order.index(min_tier) + 1]
    if rule == "tiered":
        r = r.filter(pl.col("tier").is_in(list(pack.tier_weights)))
        r = r.with_columns(pl.col("tier").replace_strict(pack.tier_weights, return_dtype=pl.Float64).alias("weight"))
    else:
        if "none" not in eligible:  # "none" = every scored firm, listed or not (also small cohorts)
            r = r.filter(pl.col("tier").is_in(eligible))
        r = r.with_columns(pl.col("points").alias("weight"))
    r = r.filter(pl.col("weight") > 0).sort(["points", "uscc"], descending=[True, False])
    if r.height == 0:
        raise InputError(Problem("allocate.none", f"{year} 年没有符合条件的企业（榜单 {', '.join(eligible)}）", f"no eligible firms in {year} (tiers {', '.join(eligible)})"))
    floor_fen = to_fen(floor if floor is not None else pack.floor_yuan, "floor")
    if cap is not None:
        cap_fen: int | None = to_fen(cap, "cap")
    elif rule == "capped":
        cap_fen = int(Fraction(budget_fen) * Fraction(str(pack.cap_share)))
    else:
        cap_fen = None
    n = r.height
    if cap_fen is not None and cap_fen < floor_fen:
        raise InputError(Problem("allocate.bounds", "上限低于下限", "the cap is below the floor", field="cap", value=fen_text(cap_fen)))
    if floor_fen * n > budget_fen:
        raise InputError(Problem("allocate.floor", f"{n} 家企业的下限合计 {fen_text(floor_fen * n)} 元超过预算", f"the floors of {n} firms ({fen_text(floor_fen * n)} yuan) exceed the budget", field="floor", value=fen_text(floor_fen)))
    if cap_fen is not None and cap_fen * n < budget_fen:
        raise InputError(Problem("allocate.cap", f"{n} 家企业的上限合计 {fen_text(cap_fen * n)} 元不足以用完预算", f"the caps of {n} firms ({fen_text(cap_fen * n)} yuan) cannot exhaust the budget", field="cap", value=fen_text(cap_fen)))
    weights = [Fraction(str(w)) for w in r["weight"].to_list()]
    exact = _solve(weights, [floor_fen] * n, [cap_fen] * n, budget_fen)
    base = [int(x) for x in exact]  # floor (x ≥ 0)
    left = budget_fen - sum(base)
    order = sorted(range(n), key=lambda i: (-(exact[i] - base[i]), i))  # rows already sorted by points desc, uscc
    k = 0
    while left > 0:
        i = order[k % n]
        if cap_fen is None or base[i] < cap_fen:
            base[i] += 1
            left -= 1
        k += 1
    assert sum(base) == budget_fen
    bound = ["cap" if cap_fen is not None and b >= cap_fen else ("floor" if b <= floor_fen and floor_fen > 0 else "") for b in base]
    cols = [c for c in ("uscc", "name", "year", "stage", "points", "tier") if c in r.columns]
    table = r.select(cols + ["weight"]).with_columns(
        pl.Series("amount_fen", base, dtype=pl.Int64),
        pl.Series("amount_yuan", [fen_text(b) for b in base], dtype=pl.String),
        pl.Series("bound", bound, dtype=pl.String),
        pl.lit(rule).alias("rule"),
    )
    params = {
        "year": year,
        "eligible_tiers": eligible if rule != "tiered" else sorted(pack.tier_weights),
        "tier_weights": pack.tier_weights if rule == "tiered" else None,
        "cap_fen": cap_fen,
        "floor_fen": floor_fen,
        "rounding": "integer fen, largest remainder (ties: points desc, uscc)",
        "pack": f"{pack.meta.id}@{pack.meta.version}",
        "method": results["method"][0] if "method" in results.columns else None,
        "method_sha256": results["method_sha256"][0] if "method_sha256" in results.columns else None,
        "input_digest": results["input_digest"][0] if "input_digest" in results.columns else None,
    }
    return Allocation(rule, budget_fen, params, table)
