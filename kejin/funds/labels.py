"""Chinese and English names of every output column of the fund commands and reports."""

from __future__ import annotations

from kejin.i18n import Text

COLUMNS: dict[str, Text] = {
    "fund_id": Text(zh="基金编号", en="fund"),
    "strategy": Text(zh="策略", en="strategy"),
    "paid_in": Text(zh="实缴", en="paid in"),
    "distributed": Text(zh="分配", en="distributed"),
    "nav": Text(zh="净值", en="NAV"),
    "nav_date": Text(zh="净值日", en="NAV date"),
    "as_of": Text(zh="评价日", en="as of"),
    "age_years": Text(zh="基金年龄(年)", en="age (years)"),
    "dpi": Text(zh="DPI", en="DPI"),
    "rvpi": Text(zh="RVPI", en="RVPI"),
    "tvpi": Text(zh="TVPI", en="TVPI"),
    "irr": Text(zh="内部收益率", en="IRR"),
    "irr_note": Text(zh="IRR 说明", en="IRR note"),
    "nav_note": Text(zh="净值说明", en="NAV note"),
    "nav_status": Text(zh="净值状态", en="NAV status"),
    "valuation_date": Text(zh="估值日", en="valuation date"),
    "irr_without_facility": Text(zh="IRR（剔除认购额度）", en="IRR without facility"),
    "ks_pme": Text(zh="KS-PME", en="KS-PME"),
    "direct_alpha": Text(zh="直接阿尔法", en="direct alpha"),
    "verdict": Text(zh="结论", en="verdict"),
    "reason": Text(zh="理由", en="reason"),
    "tvpi_band": Text(zh="TVPI 预期区间", en="TVPI band"),
    "tvpi_floor": Text(zh="TVPI 下限路径", en="TVPI floor"),
    "tvpi_low": Text(zh="TVPI 区间下沿", en="TVPI band low"),
    "tvpi_high": Text(zh="TVPI 区间上沿", en="TVPI band high"),
    "scheme": Text(zh="容错方案", en="scheme"),
    "investment_id": Text(zh="项目", en="investment"),
    "loss_rate": Text(zh="亏损率", en="loss rate"),
    "within_tolerance": Text(zh="在容错范围内", en="within tolerance"),
    "decided_by": Text(zh="依据规则", en="decided by"),
    "exemption": Text(zh="尽职免责", en="exemption"),
    "evidence_needed": Text(zh="仍需材料", en="evidence still needed"),
    "principal": Text(zh="投资本金", en="principal"),
    "net_loss_rate": Text(zh="净亏损率", en="net loss rate"),
    "losses_beyond_tolerance": Text(zh="超出容错的项目数", en="losses beyond tolerance"),
    "leverage": Text(zh="放大倍数", en="leverage"),
    "crowded_in": Text(zh="撬动社会资本", en="capital crowded in"),
    "seed_startup_share": Text(zh="种子/初创期占比", en="seed/start-up share"),
    "frontier_share": Text(zh="前沿领域占比", en="frontier share"),
    "firms_supported": Text(zh="支持企业数", en="firms supported"),
    "reinvestment_ratio": Text(zh="返投比例", en="reinvestment ratio"),
    "year": Text(zh="年份", en="year"),
    "calls": Text(zh="出资", en="calls"),
    "distributions": Text(zh="分配", en="distributions"),
    "net_cash_flow": Text(zh="净现金流", en="net cash flow"),
    "unfunded": Text(zh="未缴", en="unfunded"),
    "horizon": Text(zh="评价期(年)", en="horizon (years)"),
    "lifecycle_off_track": Text(zh="全周期评价误判率", en="lifecycle: flagged off track"),
}


# How a column's numbers are shown in tables: money in whole yuan with separators, rates and
# multiples with four decimals, counts and years as integers, ages with three decimals.
MONEY, RATE, MULTIPLE, COUNT, AGE = "money", "rate", "multiple", "count", "age"
KINDS: dict[str, str] = {
    **dict.fromkeys(["paid_in", "distributed", "nav", "principal", "mobilised", "government", "crowded_in", "calls",
                     "distributions", "net_cash_flow", "unfunded", "nav_without", "target_nav",
                     "yearly_commitment", "cost", "proceeds", "value"], MONEY),
    **dict.fromkeys(["irr", "irr_without_facility", "direct_alpha", "direct_alpha_rate", "loss_rate", "net_loss_rate",
                     "gross_loss_rate", "seed_startup_share", "frontier_share", "lifecycle_off_track", "rate",
                     "p_net_loss_above", "p_gross_loss_above", "irr_below_zero", "tvpi_below_one"], RATE),
    **dict.fromkeys(["tvpi", "dpi", "rvpi", "ks_pme", "leverage", "reinvestment_ratio", "tvpi_floor", "tvpi_low",
                     "tvpi_high", "tvpi_mean", "moic"], MULTIPLE),
    **dict.fromkeys(["year", "horizon", "firms_supported", "losses_beyond_tolerance", "funds_ending_well",
                     "funds_without_single_irr", "n_flows", "target_year"], COUNT),
    "age_years": AGE,
}
KIND_PREFIXES = (("rule_", RATE), ("irr_p", RATE), ("tvpi_p", MULTIPLE), ("dpi_p", MULTIPLE))


def kind(column: str) -> str | None:
    """The kind of a column's numbers (money, rate, multiple, count, age), or None when unknown."""
    if column in KINDS:
        return KINDS[column]
    return next((k for prefix, k in KIND_PREFIXES if column.startswith(prefix)), None)


def header(column: str, lang: str | None = None) -> str:
    """A column title: both languages by default, or one."""
    text = COLUMNS.get(column)
    if text is None:
        return column
    return text.get(lang) if lang in ("zh", "en") else text.both()
