"""Loss sharing among bank, national guarantee fund, re-guarantor, guarantor, local pool and insurer.

The risk-sharing pack (``kejin/packs/credit/risk-sharing-*.yaml``) holds the national limits
(``policy``), the tiers with the national fund's share, and one programme's parties. A loss on a
defaulted loan is shared in this order:

1. the insurer pays ``share × (loss − deductible)``, at most its ``limit``;
2. the rest is split pro rata: the bank takes its share of the part covered by the plan and
   all of the part above the single-firm cap (or all of it for a tier outside the plan); the
   national fund, re-guarantor and guarantor take their shares of the covered part;
3. the pool repays ``rate`` of the covered party's part, at most its per-firm cap and its
   remaining balance; the balance depletes as it pays.

Amounts are computed in float64 and then rounded to the fen by the largest-remainder method,
so the parts always add up to the loss exactly.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import numpy as np
import polars as pl
from pydantic import BaseModel, ConfigDict, Field

from kejin.errors import InputError, PackError, Problem
from kejin.i18n import Text
from kejin.rules.packfile import PackMeta, Source, file_sha256, read_yaml, validate

PACK_DIR = Path(__file__).resolve().parent.parent / "packs" / "credit"
DEFAULT_SHARING_PACK = PACK_DIR / "risk-sharing-2024-60.yaml"
FEN_PER_YUAN = 100
# Amounts are split in float64 and rounded to the fen: exact while the fen count stays well below 2**53.
MAX_YUAN = 1e13
SPLIT_ROLES = ("bank", "national_fund", "reguarantor", "guarantor")
Role = Literal["bank", "national_fund", "reguarantor", "guarantor", "pool", "insurer"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class FeeCap(_Strict):
    above_yuan: float = Field(ge=0)
    max_rate: float = Field(ge=0, le=1)


class Policy(_Strict):
    bank_min_share: float = Field(ge=0, le=1)
    guarantee_system_max_share: float = Field(ge=0, le=1)
    reguarantor_min_share: float = Field(ge=0, le=1)
    national_fund_max_share: float = Field(ge=0, le=1)
    single_firm_cap_yuan: float = Field(gt=0)
    compensation_rate_cap: float = Field(gt=0, le=1)
    reguarantee_fee_caps: list[FeeCap] = []
    average_guarantee_fee_target: float | None = Field(None, gt=0, le=1)


class Tier(_Strict):
    name: Text
    national_fund_share: float = Field(ge=0, le=1)
    covered: bool = True


class Party(_Strict):
    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    role: Role
    name: Text
    share: float | Literal["remainder"] | None = None
    deductible_yuan: float | None = Field(None, ge=0)
    limit_yuan: float | None = Field(None, gt=0)
    covers: str | None = None
    rate: float | None = Field(None, gt=0, le=1)
    per_firm_cap_yuan: float | None = Field(None, ge=0)
    balance_yuan: float | None = Field(None, ge=0)


class Fees(_Strict):
    guarantee_fee_rate: float = Field(ge=0, le=1)
    reguarantee_fee_rate: float = Field(ge=0, le=1)


class Programme(_Strict):
    source: Source
    overflow_to: str
    parties: list[Party]
    fees: Fees | None = None


class SharingPack(PackMeta):
    policy: Policy
    tiers: dict[str, Tier]
    programme: Programme


@dataclass(frozen=True)
class Loaded:
    pack: SharingPack
    file: str
    sha256: str


class Sharing:
    """A validated programme ready to split losses."""

    def __init__(self, loaded: Loaded):
        self.pack, self.file, self.sha256 = loaded.pack, loaded.file, loaded.sha256
        parties = self.pack.programme.parties
        self.order = [p.id for p in parties]
        self.by_role = {p.role: p for p in parties}
        self.insurer = self.by_role.get("insurer")
        self.pool = self.by_role.get("pool")
        self.names = {p.id: p.name for p in parties}

    def split_shares(self, tier: str) -> dict[str, float]:
        """Shares of the covered part for bank, national fund, re-guarantor, guarantor (sum = 1)."""
        fixed = {}
        for role in SPLIT_ROLES:
            party = self.by_role.get(role)
            if party is None:
                continue
            if role == "national_fund":
                fixed[party.id] = self.pack.tiers[tier].national_fund_share
            elif party.share != "remainder":
                fixed[party.id] = float(party.share or 0.0)
        remainder = [p.id for r in SPLIT_ROLES if (p := self.by_role.get(r)) and p.share == "remainder"]
        if remainder:
            fixed[remainder[0]] = 1.0 - sum(fixed.values())
        return fixed

    def tier_id(self, tier: str | None, file: str | None = None, row: int | None = None, field: str = "tier") -> str:
        """The tier as the pack names it (surrounding spaces trimmed); blank or unknown is an error."""
        text = "" if tier is None else str(tier).strip()
        if not text:
            raise InputError(
                Problem(
                    "sharing.blank_tier",
                    f"层级为空；可用：{', '.join(self.pack.tiers)}",
                    f"the tier is blank; known: {', '.join(self.pack.tiers)}",
                    file=file,
                    row=row,
                    field=field,
                )
            )
        if text not in self.pack.tiers:
            raise InputError(
                Problem(
                    "sharing.unknown_tier",
                    f"规则包中没有该层级；可用：{', '.join(self.pack.tiers)}",
                    f"the pack has no such tier; known: {', '.join(self.pack.tiers)}",
                    file=file,
                    row=row,
                    field=field,
                    value=tier,
                )
            )
        return text

    # ------------------------------------------------------------ waterfall (vectorised)

    def waterfall(
        self, loss: np.ndarray, loan: np.ndarray, tiers: np.ndarray, pool_available: np.ndarray | None = None
    ) -> dict[str, np.ndarray]:
        """Each party's part of each loss, in yuan (float), in the pack's order.

        ``pool_available`` caps the pool's payment per loss (its remaining balance); without it
        only the per-firm cap applies (the portfolio simulation applies the balance later).
        """
        loss, loan = np.asarray(loss, dtype=np.float64), np.asarray(loan, dtype=np.float64)
        out = {pid: np.zeros_like(loss) for pid in self.order}
        rest = loss.copy()
        if self.insurer is not None:
            paid = float(self.insurer.share) * np.maximum(loss - (self.insurer.deductible_yuan or 0.0), 0.0)
            paid = np.minimum(paid, self.insurer.limit_yuan if self.insurer.limit_yuan is not None else np.inf)
            out[self.insurer.id] = paid
            rest = loss - paid
        cap = self.pack.policy.single_firm_cap_yuan
        covered_fraction = np.where(loan > cap, cap / np.maximum(loan, 1e-9), 1.0)
        bank = self.by_role["bank"].id
        for tier in np.unique(tiers):
            mask = tiers == tier
            if not self.pack.tiers[str(tier)].covered:
                out[bank][mask] += rest[mask]
                continue
            covered = rest[mask] * covered_fraction[mask]
            out[bank][mask] += rest[mask] - covered
            for pid, share in self.split_shares(str(tier)).items():
                out[pid][mask] += covered * share
        if self.pool is not None:
            claim = float(self.pool.rate) * out[self.pool.covers]
            if self.pool.per_firm_cap_yuan is not None:
                claim = np.minimum(claim, self.pool.per_firm_cap_yuan)
            if pool_available is not None:
                claim = np.minimum(claim, pool_available)
            out[self.pool.id] = claim
            out[self.pool.covers] = out[self.pool.covers] - claim
        return out


def to_fen(parts: dict[str, float], total_fen: int) -> dict[str, int]:
    """Round parts (yuan) to fen so they add up to ``total_fen``: largest remainder, ties by order."""
    exact = np.array([v * FEN_PER_YUAN for v in parts.values()])
    floors = np.floor(exact + 1e-6).astype(np.int64)  # 1e-6 fen absorbs float noise on whole fen
    remainders = exact - floors
    leftover = total_fen - int(floors.sum())
    order = np.lexsort((np.arange(len(exact)), -np.round(remainders, 6)))
    floors[order[:leftover]] += 1
    return dict(zip(parts, floors.tolist()))


@dataclass
class SplitResult:
    loss_fen: int
    tier: str
    loan_fen: int
    parts_fen: dict[str, int]
    pool_balance_after_fen: int | None


def check_yuan(value: object, field: str, file: str | None = None, row: int | None = None, minimum: float = 0.0) -> float:
    """An amount in yuan from an option or a cell: a finite number, not below ``minimum``, at most
    ``MAX_YUAN``; text with thousands separators ("1,000") is read as a number."""
    from kejin.credit.table import read_amounts

    if isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, bool):
        x = float(value)  # a number already (an option, a parsed cell): checked without building a column
        if math.isfinite(x) and abs(x) <= MAX_YUAN and x >= minimum:
            return x
        cell = pl.Series([x], dtype=pl.Float64)
    else:
        cell = pl.Series([None if value is None else str(value)], dtype=pl.String)
    amounts = read_amounts(cell)
    problem = _amount_problem(amounts, 0, field, file, row, value, minimum)
    if problem is not None:
        raise InputError(problem)
    return float(amounts.values[0])


def _amount_problem(amounts, i: int, field: str, file: str | None, row: int | None, value: object, minimum: float) -> Problem | None:
    if amounts.blank[i]:
        return Problem("money.blank", "金额为空（或为 NaN）", "the amount is blank (or NaN)", file=file, row=row, field=field, value=value)
    if amounts.text[i]:
        return Problem("money.not_number", "金额不是数字", "the amount is not a number", file=file, row=row, field=field, value=value)
    x = amounts.values[i]
    if amounts.infinite[i] or abs(x) > MAX_YUAN:
        return Problem("money.too_large", f"金额过大或为无穷（最多 {MAX_YUAN:,.0f} 元）", f"the amount is infinite or too large (at most {MAX_YUAN:,.0f} yuan)", file=file, row=row, field=field, value=value)
    if x < minimum:
        return Problem("money.negative", "金额不能为负", "the amount cannot be negative", file=file, row=row, field=field, value=value)
    return None


def losses_from_frame(sharing: "Sharing", frame: pl.DataFrame, file: str | None = None) -> list[tuple[str, float, float]]:
    """``(tier, loan, loss)`` per row of a losses table (columns ``tier, loan, loss``); every bad cell is
    reported with its row (header = row 1) before anything is split."""
    from kejin.credit.table import excel_row, read_amounts

    absent = [c for c in ("tier", "loan", "loss") if c not in frame.columns]
    if absent:
        raise InputError(
            [Problem("input.no_column", f"数据中没有该列（需要 tier, loan, loss；现有：{', '.join(frame.columns[:20])}）",
                     f"the column is not in the data (needed: tier, loan, loss; present: {', '.join(frame.columns[:20])})",
                     file=file, field=c) for c in absent]
        )
    if frame.height == 0:
        raise InputError(Problem("input.empty", "损失表没有数据行", "the losses table has no rows", file=file))
    loans, losses = read_amounts(frame.get_column("loan")), read_amounts(frame.get_column("loss"))
    raw_loan, raw_loss, raw_tier = (frame.get_column(c).to_list() for c in ("loan", "loss", "tier"))
    problems: list[Problem] = []
    out = []
    for i in range(frame.height):
        row = excel_row(i)
        found = [p for p in (_amount_problem(loans, i, "loan", file, row, raw_loan[i], -np.inf),
                             _amount_problem(losses, i, "loss", file, row, raw_loss[i], -np.inf)) if p is not None]
        try:
            tier = sharing.tier_id(raw_tier[i], file, row)
        except InputError as exc:
            found += exc.problems
            tier = ""
        if not any(p.field in ("loan", "loss") for p in found):  # both amounts readable: check them now too, so
            try:  # that one error names every bad row, not only those of the first kind found
                loan, loss = float(loans.values[i]), float(losses.values[i])
                found += _loss_problems(yuan_to_fen(loan, "loan", file, row), yuan_to_fen(loss, "loss", file, row),
                                        loan, loss, file, row)
            except InputError as exc:
                found += exc.problems
        problems += found
        if len(problems) >= 200:
            break
        out.append((tier, float(loans.values[i]), float(losses.values[i])))
    if problems:
        raise InputError(problems)
    return out


def yuan_to_fen(value: float, field: str, file: str | None = None, row: int | None = None) -> int:
    value = check_yuan(value, field, file, row, minimum=-np.inf)
    fen = round(float(value) * FEN_PER_YUAN)
    if abs(fen - float(value) * FEN_PER_YUAN) > 1e-6 * max(1.0, abs(fen)):
        raise InputError(Problem("money.sub_fen", "金额精度不能小于分", "an amount finer than one fen", file=file, row=row, field=field, value=value))
    return int(fen)


def _loss_problems(loan_fen: int, loss_fen: int, loan: object, loss: object, file: str | None,
                   row: int | None) -> list[Problem]:
    """What is wrong with one loss whose amounts are readable: a loan that is not positive, a negative loss,
    a loss above its loan."""
    problems = []
    if loan_fen <= 0:
        problems.append(Problem("sharing.loan", "贷款金额必须为正", "the loan amount must be positive", file=file, row=row, field="loan", value=loan))
    if loss_fen < 0:
        problems.append(Problem("sharing.negative_loss", "损失不能为负", "a loss cannot be negative", file=file, row=row, field="loss", value=loss))
    if loss_fen > loan_fen > 0:
        problems.append(
            Problem(
                "sharing.loss_exceeds_loan",
                "损失大于贷款金额：分担按贷款本金计，请核对（利息、费用不在分担范围）",
                "the loss is larger than the loan: sharing covers principal; check the figures (interest and fees are not shared)",
                file=file,
                row=row,
                field="loss",
                value=f"{loss} > {loan}",
            )
        )
    return problems


def split_losses(
    sharing: Sharing,
    losses: list[tuple[str, float, float]],
    pool_balance_yuan: float | None = None,
    file: str | None = None,
) -> list[SplitResult]:
    """Split losses ``(tier, loan, loss)`` in yuan, in the order given; the pool depletes as it pays."""
    problems: list[Problem] = []
    prepared = []
    for i, (tier, loan, loss) in enumerate(losses):
        row = i + 2 if file else None
        try:
            loan_fen, loss_fen = yuan_to_fen(loan, "loan", file, row), yuan_to_fen(loss, "loss", file, row)
            tier = sharing.tier_id(tier, file, row)
        except InputError as exc:
            problems += exc.problems
            continue
        problems += _loss_problems(loan_fen, loss_fen, loan, loss, file, row)
        prepared.append((tier, loan_fen, loss_fen))
    if pool_balance_yuan is not None:
        try:
            check_yuan(pool_balance_yuan, "--pool-balance")
            yuan_to_fen(pool_balance_yuan, "--pool-balance")
        except InputError as exc:
            problems += exc.problems
    if problems:
        raise InputError(problems)
    balance_fen = None
    if sharing.pool is not None:
        start = pool_balance_yuan if pool_balance_yuan is not None else sharing.pool.balance_yuan
        balance_fen = None if start is None else yuan_to_fen(start, "--pool-balance")
    results = []
    for tier, loan_fen, loss_fen in prepared:
        available = None if balance_fen is None else np.array([balance_fen / FEN_PER_YUAN])
        parts = sharing.waterfall(np.array([loss_fen / FEN_PER_YUAN]), np.array([loan_fen / FEN_PER_YUAN]), np.array([tier]), available)
        fen = to_fen({pid: float(v[0]) for pid, v in parts.items()}, loss_fen)
        if balance_fen is not None and sharing.pool is not None:
            balance_fen -= fen[sharing.pool.id]
        results.append(SplitResult(loss_fen, tier, loan_fen, fen, balance_fen))
    return results


def _check_programme(pack: SharingPack, file: str) -> list[Problem]:
    """The programme must respect the policy limits; every breach names its key."""
    policy, programme = pack.policy, pack.programme
    problems: list[Problem] = []

    def fail(key: str, zh: str, en: str, value: object = None) -> None:
        problems.append(Problem("pack.invalid", zh, en, file=file, key=key, value=value))

    ids = [p.id for p in programme.parties]
    roles = [p.role for p in programme.parties]
    for i, party in enumerate(programme.parties):
        key = f"programme.parties[{i}]"
        if ids.count(party.id) > 1:
            fail(f"{key}.id", "参与方编号重复", "duplicate party id", party.id)
        if roles.count(party.role) > 1:
            fail(f"{key}.role", "同一角色只能有一个参与方", "one party per role", party.role)
        if party.role in ("bank", "reguarantor", "guarantor") and party.share is None:
            fail(f"{key}.share", "缺少分担比例", "the share is missing")
        if party.role == "insurer" and (party.share is None or party.share == "remainder" or party.limit_yuan is None):
            fail(key, "保险方需要比例 share（0–1）和限额 limit_yuan", "the insurer needs a share (0–1) and a limit_yuan")
        if party.role == "pool" and (party.covers not in ids or party.rate is None):
            fail(f"{key}.covers", "资金池需要 rate 和 covers（所补偿的参与方编号）", "the pool needs a rate and covers (the id of the party it repays)", party.covers)
        if isinstance(party.share, float) and not 0 <= party.share <= 1:
            fail(f"{key}.share", "比例必须在 0 到 1 之间", "a share must lie between 0 and 1", party.share)
    if "bank" not in roles:
        fail("programme.parties", "方案中必须有银行", "the programme needs a bank")
    if [p.share for p in programme.parties].count("remainder") > 1:
        fail("programme.parties", "只能有一个参与方取剩余比例", "only one party may take the remainder")
    if programme.overflow_to not in ids:
        fail("programme.overflow_to", "overflow_to 必须是参与方编号", "overflow_to must be a party id", programme.overflow_to)
    if problems:
        return problems

    by_role = {p.role: p for p in programme.parties}
    index = {p.role: i for i, p in enumerate(programme.parties)}
    bank_share = float(by_role["bank"].share) if by_role["bank"].share != "remainder" else None
    if bank_share is not None and bank_share < policy.bank_min_share:
        fail(f"programme.parties[{index['bank']}].share", f"银行分担比例低于政策下限 {policy.bank_min_share:.0%}", f"the bank's share is below the policy floor {policy.bank_min_share:.0%}", bank_share)
    reg = by_role.get("reguarantor")
    if reg is not None and reg.share != "remainder" and float(reg.share or 0) < policy.reguarantor_min_share:
        fail(f"programme.parties[{index['reguarantor']}].share", f"再担保分担比例低于政策下限 {policy.reguarantor_min_share:.0%}", f"the re-guarantor's share is below the policy floor {policy.reguarantor_min_share:.0%}", reg.share)
    fixed_roles = [r for r in SPLIT_ROLES if r in by_role and r != "national_fund" and by_role[r].share != "remainder"]
    has_remainder = any(by_role[r].share == "remainder" for r in SPLIT_ROLES if r in by_role)
    for tier_id, tier in pack.tiers.items():
        key = f"tiers.{tier_id}.national_fund_share"
        if tier.national_fund_share > policy.national_fund_max_share:
            fail(key, f"国家融资担保基金分担比例超过上限 {policy.national_fund_max_share:.0%}", f"the national fund's share exceeds the cap {policy.national_fund_max_share:.0%}", tier.national_fund_share)
        if not tier.covered:
            continue
        total = tier.national_fund_share * ("national_fund" in by_role) + sum(float(by_role[r].share) for r in fixed_roles)
        if total > 1 + 1e-12:
            fail(key, f"分担比例合计 {total:.2%} 超过 100%", f"shares add up to {total:.2%}, more than 100%", round(total, 6))
        elif not has_remainder and abs(total - 1) > 1e-9:
            fail(key, f"分担比例合计 {total:.2%}，应为 100%（或指定一个参与方取剩余比例 remainder）", f"shares add up to {total:.2%}, not 100% (or give one party share: remainder)", round(total, 6))
        system = 1 - (bank_share if bank_share is not None else 1 - total)
        if bank_share is not None and system > policy.guarantee_system_max_share + 1e-12:
            fail(key, f"担保体系分担比例超过上限 {policy.guarantee_system_max_share:.0%}", f"the guarantee system's share exceeds the cap {policy.guarantee_system_max_share:.0%}", round(system, 6))
    fees = programme.fees
    if fees is not None:
        for cap in policy.reguarantee_fee_caps:
            if fees.reguarantee_fee_rate > cap.max_rate:
                fail("programme.fees.reguarantee_fee_rate", f"再担保费率超过上限 {cap.max_rate:.2%}（单笔 {cap.above_yuan:,.0f} 元以上）", f"the re-guarantee fee exceeds the cap {cap.max_rate:.2%} (guarantees above {cap.above_yuan:,.0f} yuan)", fees.reguarantee_fee_rate)
                break
        target = policy.average_guarantee_fee_target
        if target is not None and fees.guarantee_fee_rate >= target:
            fail("programme.fees.guarantee_fee_rate", f"担保费率应低于 {target:.2%}", f"the guarantee fee should be below {target:.2%}", fees.guarantee_fee_rate)
    return problems


def load_sharing(path: Path | str | None = None) -> Sharing:
    path = Path(path) if path else DEFAULT_SHARING_PACK
    data = read_yaml(path)
    pack = validate(SharingPack, data, path)
    if pack.kind != "credit.risk_sharing":
        raise PackError(Problem("pack.kind", "规则包类型应为 credit.risk_sharing", "the pack kind must be credit.risk_sharing", file=str(path), key="kind", value=pack.kind))
    problems = _check_programme(pack, str(path))
    if problems:
        raise PackError(problems)
    return Sharing(Loaded(pack, str(path), file_sha256(path)))
