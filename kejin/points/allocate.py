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
to the budget. An infeasible request (floors above the budget, a user cap below it, nobody
eligible) is an error that says which, with the numbers.

Eligibility is the same for every rule: ``min_tier`` (default: the pack's ``eligible_tiers``)
selects the tiers; ``none`` adds every other scored firm (unlisted, small cohorts). ``tiered``
pays only tiers with a positive weight, so under it ``none`` adds nobody.

The ``capped`` default cap (``cap_share`` × budget, rounded down to the fen) is raised, when the
eligible firms could not otherwise spend the budget, to the smallest whole-fen cap that can:
ceil(budget / firms). The cap used and why are in ``parameters`` (``cap_basis``), in ``notes``
and on every row of ``table``. A cap given by the user is never raised.

Every row of ``table`` carries the rule and its parameters, the method and input digest of the
results, and the allocation pack's id, version and sha256 (see ``PROVENANCE``), so that a CSV of
it documents how it was made.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from fractions import Fraction
from pathlib import Path
from typing import Any, Literal

import polars as pl
from pydantic import BaseModel, ConfigDict, Field, model_validator

from kejin.errors import InputError, PackError, Problem
from kejin.points.years import RESULTS, check_year
from kejin.rules.packfile import PackMeta, file_sha256, read_yaml, validate

Rule = Literal["proportional", "tiered", "capped"]
RULES = ("proportional", "tiered", "capped")
PACK = Path(__file__).resolve().parent.parent / "packs" / "points" / "allocation" / "reference-2025.yaml"
UNLISTED = "none"  # the lowest min_tier: every scored firm, listed or not (also small cohorts)
MAX_FEN = 2**63 - 1  # amounts are Int64 fen
# columns added to every row of Allocation.table (after the firm's own columns)
PROVENANCE = (
    "rule", "budget_yuan", "cap_yuan", "cap_basis", "cap_share", "floor_yuan", "min_tier", "eligible_tiers", "tier_weights",
    "method", "method_version", "method_sha256", "input_digest",
    "allocation_pack", "allocation_pack_version", "allocation_pack_sha256",
)


class AllocationPack(BaseModel):
    model_config = ConfigDict(extra="forbid")

    meta: PackMeta
    eligible_tiers: list[str] = Field(min_length=1)
    tier_weights: dict[str, float]
    cap_share: float = Field(gt=0, le=1)
    floor_yuan: float = Field(ge=0)
    file: str = ""  # set by load_allocation_pack, not read from the pack
    sha256: str = ""

    @model_validator(mode="after")
    def _consistent(self) -> "AllocationPack":
        if len(set(self.eligible_tiers)) != len(self.eligible_tiers) or UNLISTED in self.eligible_tiers:
            raise ValueError(f"eligible_tiers must be distinct and not list {UNLISTED!r} (it is implied as the lowest min_tier) / eligible_tiers 不得重复，也不得列出 {UNLISTED}")
        if any(w < 0 for w in self.tier_weights.values()):
            raise ValueError("tier_weights must be ≥ 0 / tier_weights 不得为负")
        extra = [t for t in self.tier_weights if t not in self.eligible_tiers]
        if extra:
            raise ValueError(f"tier_weights name tiers not in eligible_tiers: {', '.join(extra)} / tier_weights 含 eligible_tiers 以外的榜单")
        return self


def load_allocation_pack(path: Path | str = PACK) -> AllocationPack:
    path = Path(path)
    data = read_yaml(path)
    if not isinstance(data, dict):
        raise PackError(Problem("pack.invalid", "规则包应为映射", "the pack must be a mapping", file=str(path)))
    for k in ("file", "sha256"):
        if k in data:
            raise PackError(Problem("pack.invalid", f"规则包不得自带 {k}（由加载时计算）", f"a pack cannot set {k} (computed on loading)", file=str(path), key=k))
    meta = {k: data.pop(k) for k in list(data) if k in {"id", "version", "kind", "name", "issuer", "source", "effective", "uncertain", "notes"}}
    data["meta"] = validate(PackMeta, meta, path)
    data["file"], data["sha256"] = str(path), file_sha256(path)
    return validate(AllocationPack, data, path)


_WHAT_ZH = {"budget": "预算", "cap": "上限", "floor": "下限"}
_GROUPED = re.compile(r"^[+-]?\d{1,3}(,\d{3})+(\.\d*)?$")


def to_fen(amount: str | float | int | Decimal, what: str = "budget") -> int:
    """An amount in yuan (text or number) as integer fen; anything else is a bilingual InputError."""
    zh = _WHAT_ZH.get(what, what)

    def bad(code: str, zh_msg: str, en_msg: str) -> InputError:
        return InputError(Problem(f"allocate.{code}", f"{zh}{zh_msg}", f"{what} {en_msg}", field=what, value=amount))

    if isinstance(amount, bool):
        raise bad("amount", "不是数字", "is not a number")
    text = str(amount).strip().replace("，", ",")
    if "," in text:  # thousands separators only: "1,000,000.00"; "1,5" is not 15
        if not _GROUPED.match(text):
            raise bad("amount", "不是数字（千位分隔符位置不对）", "is not a number (misplaced thousands separator)")
        text = text.replace(",", "")
    try:
        d = Decimal(text)
    except InvalidOperation:
        raise bad("amount", "不是数字", "is not a number") from None
    if d.is_nan():
        raise bad("amount", "不是数字", "is not a number")
    if d.is_infinite():
        raise bad("infinite", "不能为无穷大", "cannot be infinite")
    if d < 0:
        raise bad("negative", "不能为负", "cannot be negative")
    if d > Decimal(MAX_FEN) / 100:
        raise bad("large", f"过大（最多 {fen_text(MAX_FEN)} 元）", f"is too large (at most {fen_text(MAX_FEN)} yuan)")
    fen = Fraction(d) * 100  # exact, whatever the Decimal context precision
    if fen.denominator != 1:
        raise bad("fen", "须精确到分（最多两位小数）", "must be exact to the fen (at most 2 decimals)")
    return int(fen)


def fen_text(fen: int) -> str:
    sign = "-" if fen < 0 else ""
    fen = abs(fen)
    return f"{sign}{fen // 100}.{fen % 100:02d}"


@dataclass
class Allocation:
    rule: str
    budget_fen: int
    parameters: dict[str, Any]
    table: pl.DataFrame  # uscc, name, year, stage, points, tier, weight, amount_fen, amount_yuan, bound, *PROVENANCE
    notes: list[dict[str, str]] = field(default_factory=list)  # {code, zh, en}: e.g. why the cap was raised

    def as_dict(self) -> dict[str, Any]:
        return {
            "rule": self.rule,
            "budget_fen": self.budget_fen,
            "budget_yuan": fen_text(self.budget_fen),
            "allocated_fen": int(self.table["amount_fen"].sum()) if self.table.height else 0,
            "parameters": self.parameters,
            "notes": self.notes,
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
    # total(λ) is non-decreasing: binary search for the first breakpoint where it reaches the budget
    a, b = 0, len(points)
    while a < b:
        mid = (a + b) // 2
        if total(points[mid]) >= budget:
            b = mid
        else:
            a = mid + 1
    hi = points[a] if a < len(points) else None
    lo = points[a - 1] if a > 0 else None
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


def eligibility(pack: AllocationPack, rule: str, min_tier: str | None = None) -> tuple[list[str], bool]:
    """(tiers paid, whether every other scored firm is paid too) — the same for every rule.

    ``min_tier`` picks the lowest tier of ``[*pack.eligible_tiers, "none"]`` (default: all of the
    pack's ``eligible_tiers``); ``none`` adds unlisted firms. ``tiered`` pays by tier weight, so
    it pays only tiers with a positive weight and never unlisted firms.
    """
    order = [*pack.eligible_tiers, UNLISTED]
    if min_tier is None:
        allowed = list(pack.eligible_tiers)
    elif min_tier in order:
        allowed = order[: order.index(min_tier) + 1]
    else:
        raise InputError(Problem("allocate.tier", f"未知榜单 {min_tier}（可用：{', '.join(order)}）", f"unknown tier {min_tier} (available: {', '.join(order)})", field="min_tier", value=min_tier))
    tiers = [t for t in allowed if t != UNLISTED]
    unlisted = UNLISTED in allowed
    if rule == "tiered":
        tiers = [t for t in tiers if pack.tier_weights.get(t, 0) > 0]
        unlisted = False
    return tiers, unlisted


def _who(tiers: list[str], unlisted: bool) -> tuple[str, str]:
    if unlisted:
        listed = f"（榜单 {', '.join(tiers)} 及榜单外）" if tiers else ""
        return f"所有已评分企业{listed}", f"every scored firm{f' (tiers {chr(44).join(tiers)} and unlisted)' if tiers else ''}"
    return f"榜单 {', '.join(tiers)}", f"tiers {', '.join(tiers)}"


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
    if rule not in RULES:
        raise InputError(Problem("allocate.rule", f"未知分配规则 {rule}（可用：{', '.join(RULES)}）", f"unknown rule {rule} (available: {', '.join(RULES)})", field="rule", value=rule))
    pack = pack or load_allocation_pack()
    budget_fen = to_fen(budget, "budget")
    if budget_fen == 0:  # nothing to split: a list of zeros would read as an allocation made
        raise InputError(Problem("allocate.zero", "预算为 0，没有可分配的金额", "the budget is 0: there is nothing to allocate", field="budget", value=budget))
    floor_fen = to_fen(floor if floor is not None else pack.floor_yuan, "floor")
    user_cap_fen = to_fen(cap, "cap") if cap is not None else None
    if results.height == 0:
        raise InputError(Problem("allocate.empty", "没有可分配的企业", "no firms to allocate to"))
    missing = [c for c in ("uscc", "year", "points", "tier") if c not in results.columns]
    if missing:
        raise InputError(Problem("allocate.columns", f"积分结果缺少列：{', '.join(missing)}", f"the results lack columns: {', '.join(missing)}", field=missing[0]))
    check_year(year, results, "allocate.year", RESULTS)
    year = year or int(results["year"].max())
    tiers, unlisted = eligibility(pack, rule, min_tier)
    who_zh, who_en = _who(tiers, unlisted)
    notes: list[dict[str, str]] = []
    if rule == "tiered" and min_tier == UNLISTED:
        notes.append({"code": "allocate.tiered_unlisted", "zh": "tiered 规则按榜单权重分配，榜单外企业权重为 0，不获分配", "en": "the tiered rule pays by tier weight; unlisted firms have none and get nothing"})
    r = results.filter((pl.col("year") == year) & pl.col("points").is_not_null())
    small = r.filter(pl.col("tier").is_null()).height  # scored in a cohort too small for lists
    every_small = small and small == r.height and not unlisted and rule != "tiered"
    if not unlisted:
        r = r.filter(pl.col("tier").is_in(tiers))
    if rule == "tiered":
        r = r.with_columns(pl.col("tier").replace_strict(pack.tier_weights, default=0.0, return_dtype=pl.Float64).alias("weight"))
    else:
        r = r.with_columns(pl.col("points").cast(pl.Float64).alias("weight"))
    r = r.filter(pl.col("weight") > 0).sort(["points", "uscc"], descending=[True, False])
    if r.height == 0 or not (tiers or unlisted):
        why_zh, why_en = ("；tiered 规则只分配给有权重的榜单，不含榜单外企业", "; the tiered rule pays only tiers with a weight, never unlisted firms") if rule == "tiered" and min_tier == UNLISTED else ("", "")
        if every_small:  # as kejin recommend says: the way out
            why_zh, why_en = (f"；已评分的 {small} 家企业所在比较组都过小、未分榜，用 --min-tier none 可纳入",
                              f"; the {small} scored firms are all in cohorts too small for lists: --min-tier none includes them")
        raise InputError(Problem("allocate.none", f"{year} 年没有符合条件的企业（{who_zh}）{why_zh}", f"no eligible firms in {year} ({who_en}){why_en}", field="min_tier", value=min_tier))
    n = r.height
    if user_cap_fen is not None and user_cap_fen < floor_fen:
        raise InputError(Problem("allocate.bounds", f"上限 {fen_text(user_cap_fen)} 元低于下限 {fen_text(floor_fen)} 元", f"the cap ({fen_text(user_cap_fen)} yuan) is below the floor ({fen_text(floor_fen)} yuan)", field="cap", value=fen_text(user_cap_fen)))
    if floor_fen * n > budget_fen:
        raise InputError(Problem("allocate.floor", f"{n} 家企业的下限合计 {fen_text(floor_fen * n)} 元（{n} × {fen_text(floor_fen)}）超过预算 {fen_text(budget_fen)} 元",
                                 f"the floors of {n} firms ({n} × {fen_text(floor_fen)} = {fen_text(floor_fen * n)} yuan) exceed the budget of {fen_text(budget_fen)} yuan", field="floor", value=fen_text(floor_fen)))
    need_fen = -(-budget_fen // n)  # the smallest whole-fen cap with which n firms can spend the budget
    share_cap_fen = int(Fraction(budget_fen) * Fraction(str(pack.cap_share))) if rule == "capped" else None
    cap_fen: int | None
    if user_cap_fen is not None:
        cap_fen, cap_basis = user_cap_fen, "user"
        if cap_fen * n < budget_fen:
            raise InputError(Problem("allocate.cap", f"{n} 家企业的上限合计 {fen_text(cap_fen * n)} 元（{n} × {fen_text(cap_fen)}）不足以用完预算 {fen_text(budget_fen)} 元；上限至少须为 {fen_text(need_fen)} 元",
                                     f"the caps of {n} firms ({n} × {fen_text(cap_fen)} = {fen_text(cap_fen * n)} yuan) cannot exhaust the budget of {fen_text(budget_fen)} yuan; the cap must be at least {fen_text(need_fen)} yuan", field="cap", value=fen_text(cap_fen)))
    elif share_cap_fen is not None:
        if share_cap_fen * n >= budget_fen:
            cap_fen, cap_basis = share_cap_fen, "cap_share"
        else:  # the pack: "no firm above cap_share of the budget unless the budget cannot otherwise be spent"
            cap_fen, cap_basis = need_fen, "raised"
            notes.append({
                "code": "allocate.cap_raised",
                "zh": f"默认上限 {fen_text(share_cap_fen)} 元（预算的 {pack.cap_share:g}）× {n} 家 = {fen_text(share_cap_fen * n)} 元，不足以用完预算 {fen_text(budget_fen)} 元；上限提高到能用完预算的最小值 {fen_text(cap_fen)} 元（预算 ÷ {n}，向上取整到分）",
                "en": f"the default cap of {fen_text(share_cap_fen)} yuan ({pack.cap_share:g} of the budget) × {n} firms = {fen_text(share_cap_fen * n)} yuan cannot spend the budget of {fen_text(budget_fen)} yuan; the cap was raised to the smallest that can, {fen_text(cap_fen)} yuan (budget ÷ {n}, rounded up to the fen)",
            })
    else:
        cap_fen, cap_basis = None, "none"
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
    eligible = [*tiers, *([UNLISTED] if unlisted else [])]
    effective_min_tier = min_tier or pack.eligible_tiers[-1]
    tier_weights = {t: pack.tier_weights[t] for t in tiers} if rule == "tiered" else None
    pack_id = f"{pack.meta.id}@{pack.meta.version}"
    row_str = lambda c: pl.col(c).cast(pl.String) if c in r.columns else pl.lit(None, dtype=pl.String)  # noqa: E731
    cols = [c for c in ("uscc", "name", "year", "stage", "points", "tier") if c in r.columns]
    table = r.select(
        *cols,
        "weight",
        pl.Series("amount_fen", base, dtype=pl.Int64),
        pl.Series("amount_yuan", [fen_text(b) for b in base], dtype=pl.String),
        pl.Series("bound", bound, dtype=pl.String),
        pl.lit(rule, dtype=pl.String).alias("rule"),
        pl.lit(fen_text(budget_fen), dtype=pl.String).alias("budget_yuan"),
        pl.lit(fen_text(cap_fen) if cap_fen is not None else None, dtype=pl.String).alias("cap_yuan"),
        pl.lit(cap_basis, dtype=pl.String).alias("cap_basis"),
        pl.lit(f"{pack.cap_share:g}" if share_cap_fen is not None and cap_basis != "user" else None, dtype=pl.String).alias("cap_share"),
        pl.lit(fen_text(floor_fen), dtype=pl.String).alias("floor_yuan"),
        pl.lit(effective_min_tier, dtype=pl.String).alias("min_tier"),
        pl.lit(";".join(eligible), dtype=pl.String).alias("eligible_tiers"),
        pl.lit(";".join(f"{t}={w:g}" for t, w in tier_weights.items()) if tier_weights is not None else None, dtype=pl.String).alias("tier_weights"),
        row_str("method").alias("method"),
        row_str("method_version").alias("method_version"),
        row_str("method_sha256").alias("method_sha256"),
        row_str("input_digest").alias("input_digest"),
        pl.lit(pack.meta.id, dtype=pl.String).alias("allocation_pack"),
        pl.lit(pack.meta.version, dtype=pl.String).alias("allocation_pack_version"),
        pl.lit(pack.sha256 or None, dtype=pl.String).alias("allocation_pack_sha256"),
    )
    first = lambda c: r[c][0] if c in r.columns else None  # noqa: E731
    params = {
        "year": year,
        "min_tier": effective_min_tier,
        "eligible_tiers": eligible,
        "tier_weights": tier_weights,
        "cap_fen": cap_fen,
        "cap_basis": cap_basis,  # none | user | cap_share | raised
        "cap_share": pack.cap_share if share_cap_fen is not None and cap_basis != "user" else None,
        "cap_share_fen": share_cap_fen,
        "floor_fen": floor_fen,
        "firms": n,
        "rounding": "integer fen, largest remainder (ties: points desc, uscc)",
        "pack": pack_id,
        "pack_sha256": pack.sha256 or None,
        "method": first("method"),
        "method_version": first("method_version"),
        "method_sha256": first("method_sha256"),
        "input_digest": first("input_digest"),
    }
    return Allocation(rule, budget_fen, params, table, notes)
