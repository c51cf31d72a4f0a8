"""Points-based credit lines (积分贷): a versioned policy pack turns innovation points, tier,
standards met, revenue and existing debt into a suggested line and a price band, and every
suggestion carries the steps that produced it, in Chinese and English."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import polars as pl
from pydantic import BaseModel, ConfigDict, Field, model_validator

from kejin.errors import InputError, PackError, Problem
from kejin.i18n import Text
from kejin.rules.packfile import PackMeta, file_sha256, read_yaml, validate
from kejin.credit.table import MAX_LISTED_ROWS, excel_row

PACK_DIR = Path(__file__).resolve().parent.parent / "packs" / "credit"
DEFAULT_LINE_PACK = PACK_DIR / "credit-line-points-loan.yaml"
LINE_COLUMNS = ("tier", "innovation_points", "standards_met", "revenue", "existing_debt")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class PointsBand(_Strict):
    band: str
    from_: float = Field(alias="from", ge=0)
    multiple: float = Field(ge=0)
    name: Text


class LineRules(_Strict):
    unit_yuan: float = Field(gt=0)
    min_line_yuan: float = Field(ge=0)
    max_line_yuan: float = Field(gt=0)
    max_debt_to_revenue: float = Field(gt=0)
    max_pd: float | None = Field(None, gt=0, le=1)
    standards_bonus_per_standard: float = Field(ge=0)
    standards_bonus_cap: float = Field(ge=0)
    points_bands: list[PointsBand] = Field(min_length=1)
    tier_factors: dict[str, float]

    @model_validator(mode="after")
    def _bands_cover_zero(self) -> "LineRules":
        if not any(b.from_ == 0 for b in self.points_bands):
            raise ValueError("points_bands must include a band starting at 0 / 积分分档必须从 0 开始")
        return self

    def band_for(self, points: float) -> PointsBand:
        return max((b for b in self.points_bands if points >= b.from_), key=lambda b: b.from_)


class Spread(_Strict):
    low: float
    high: float

    @model_validator(mode="after")
    def _ordered(self) -> "Spread":
        if self.low > self.high:
            raise ValueError("low must not exceed high / 下限不能高于上限")
        return self


class ReferenceRate(_Strict):
    name: Text
    value: float
    as_of: date


class PriceRules(_Strict):
    reference_rate: ReferenceRate
    spread_bands: dict[str, Spread]
    tier_discounts: dict[str, float] = {}
    floor_spread: float = 0.0


class LinePack(PackMeta):
    line: LineRules
    price: PriceRules


@dataclass
class LinePolicy:
    pack: LinePack
    file: str
    sha256: str


def load_line_policy(path: Path | str | None = None) -> LinePolicy:
    path = Path(path) if path else DEFAULT_LINE_PACK
    pack = validate(LinePack, read_yaml(path), path)
    problems = []
    if pack.kind != "credit.line":
        problems.append(Problem("pack.kind", "规则包类型应为 credit.line", "the pack kind must be credit.line", file=str(path), key="kind", value=pack.kind))
    for band in pack.line.points_bands:
        if band.multiple > 0 and band.band not in pack.price.spread_bands:
            problems.append(Problem("pack.invalid", "该积分档没有定价区间", "this points band has no price band", file=str(path), key=f"price.spread_bands.{band.band}"))
    if problems:
        raise PackError(problems)
    return LinePolicy(pack, str(path), file_sha256(path))


@dataclass
class LineSuggestion:
    line_yuan: float
    band: str
    rate_low: float | None
    rate_high: float | None
    steps: list[Text] = field(default_factory=list)

    @property
    def explanation_zh(self) -> str:
        return "；".join(s.zh for s in self.steps)

    @property
    def explanation_en(self) -> str:
        return "; ".join(s.en for s in self.steps)


def _wan(yuan: float) -> str:
    return f"{yuan / 10_000:,.1f}万元"


def suggest_line(
    policy: LinePolicy,
    tier: str,
    points: float,
    standards_met: int,
    revenue: float,
    existing_debt: float,
    pd: float | None = None,
) -> LineSuggestion:
    rules, price = policy.pack.line, policy.pack.price
    band = rules.band_for(points)
    steps = [Text(zh=f"创新积分 {points:g} → {band.band} 档（{band.name.zh}），营收倍数 {band.multiple:g}", en=f"innovation points {points:g} → band {band.band} ({band.name.en}), revenue multiple {band.multiple:g}")]
    if band.multiple == 0:
        steps.append(Text(zh="该档不准入，不授信", en="this band is not eligible: no line"))
        return LineSuggestion(0.0, band.band, None, None, steps)
    if pd is not None and rules.max_pd is not None and pd > rules.max_pd:
        steps.append(Text(zh=f"违约概率 {pd:.2%} 高于上限 {rules.max_pd:.2%}，不授信", en=f"PD {pd:.2%} above the cap {rules.max_pd:.2%}: no line"))
        return LineSuggestion(0.0, band.band, None, None, steps)
    factor = rules.tier_factors[tier]
    bonus = min(rules.standards_bonus_per_standard * standards_met, rules.standards_bonus_cap)
    gross = revenue * band.multiple * factor * (1 + bonus)
    steps.append(Text(zh=f"层级 {tier} 系数 {factor:g}；达标 {standards_met} 项加成 {bonus:.0%}", en=f"tier {tier} factor {factor:g}; {standards_met} standards met, bonus {bonus:.0%}"))
    steps.append(Text(zh=f"营收 {_wan(revenue)} × {band.multiple:g} × {factor:g} × {1 + bonus:g} = {_wan(gross)}", en=f"revenue {revenue:,.0f} × {band.multiple:g} × {factor:g} × {1 + bonus:g} = {gross:,.0f} yuan"))
    room = max(rules.max_debt_to_revenue * revenue - existing_debt, 0.0)
    line = min(gross, rules.max_line_yuan, room)
    if line == room and room < gross:
        steps.append(Text(zh=f"负债空间：{rules.max_debt_to_revenue:.0%} × 营收 − 现有负债 {_wan(existing_debt)} = {_wan(room)}，额度受限", en=f"debt room: {rules.max_debt_to_revenue:.0%} × revenue − existing debt {existing_debt:,.0f} = {room:,.0f} yuan caps the line"))
    elif line == rules.max_line_yuan and rules.max_line_yuan < gross:
        steps.append(Text(zh=f"单户上限 {_wan(rules.max_line_yuan)}", en=f"single-firm cap {rules.max_line_yuan:,.0f} yuan"))
    line = math.floor(line / rules.unit_yuan + 1e-9) * rules.unit_yuan
    if line < rules.min_line_yuan:
        steps.append(Text(zh=f"额度 {_wan(line)} 低于最低授信 {_wan(rules.min_line_yuan)}，不授信", en=f"line {line:,.0f} below the minimum {rules.min_line_yuan:,.0f} yuan: no line"))
        return LineSuggestion(0.0, band.band, None, None, steps)
    spread = price.spread_bands[band.band]
    discount = price.tier_discounts.get(tier, 0.0)
    base = price.reference_rate.value
    low = base + max(spread.low - discount, price.floor_spread)
    high = base + max(spread.high - discount, price.floor_spread)
    steps.append(Text(zh=f"建议额度 {_wan(line)}（按 {_wan(rules.unit_yuan)} 取整）", en=f"suggested line {line:,.0f} yuan (rounded down to {rules.unit_yuan:,.0f})"))
    steps.append(
        Text(
            zh=f"利率区间 {price.reference_rate.name.zh} {base:.2%} + 加点 {spread.low:.2%}–{spread.high:.2%} − 层级优惠 {discount:.2%} = {low:.2%}–{high:.2%}",
            en=f"rate band {price.reference_rate.name.en} {base:.2%} + spread {spread.low:.2%}–{spread.high:.2%} − tier discount {discount:.2%} = {low:.2%}–{high:.2%}",
        )
    )
    return LineSuggestion(line, band.band, low, high, steps)


def _number(value: object) -> bool:
    """A finite int or float (not a bool, text or blank)."""
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def suggest_lines(policy: LinePolicy, frame: pl.DataFrame, file: str | None = None) -> pl.DataFrame:
    """One suggestion per row; rows with missing or invalid inputs are errors naming the cell."""
    absent = [c for c in LINE_COLUMNS if c not in frame.columns]
    if absent:
        raise InputError([Problem("input.no_column", "数据中没有该列", "the column is not in the data", file=file, field=c) for c in absent])
    problems: list[Problem] = []
    tiers = policy.pack.line.tier_factors
    rows = frame.to_dicts()
    for i, row in enumerate(rows):
        if str(row["tier"]) not in tiers:
            problems.append(Problem("line.unknown_tier", f"规则包中没有该层级；可用：{', '.join(tiers)}", f"unknown tier; known: {', '.join(tiers)}", file=file, row=excel_row(i), field="tier", value=row["tier"]))
        for name in LINE_COLUMNS[1:]:
            value = row[name]
            if not _number(value) or value < 0:
                problems.append(Problem("line.bad_value", "必须是非负的有限数", "must be a finite non-negative number", file=file, row=excel_row(i), field=name, value=value))
            elif name == "standards_met" and value != int(value):
                problems.append(Problem("line.bad_value", "达标数必须是整数", "the number of standards met must be a whole number", file=file, row=excel_row(i), field=name, value=value))
        pd = row.get("pd")
        if pd is not None and (not _number(pd) or not 0 <= pd <= 1):
            problems.append(Problem("line.bad_pd", "违约概率必须是 0 到 1 之间的数（可留空）", "the PD must be a number within 0–1 (or blank)", file=file, row=excel_row(i), field="pd", value=pd))
        if len(problems) >= MAX_LISTED_ROWS:
            break
    if problems:
        raise InputError(problems)
    suggestions = [
        suggest_line(policy, str(r["tier"]), float(r["innovation_points"]), int(r["standards_met"]), float(r["revenue"]), float(r["existing_debt"]), r.get("pd"))
        for r in rows
    ]
    return frame.with_columns(
        pl.Series("line_yuan", [s.line_yuan for s in suggestions], dtype=pl.Float64),
        pl.Series("band", [s.band for s in suggestions]),
        pl.Series("rate_low", [s.rate_low for s in suggestions], dtype=pl.Float64),
        pl.Series("rate_high", [s.rate_high for s in suggestions], dtype=pl.Float64),
        pl.Series("explanation_zh", [s.explanation_zh for s in suggestions]),
        pl.Series("explanation_en", [s.explanation_en for s in suggestions]),
    )
