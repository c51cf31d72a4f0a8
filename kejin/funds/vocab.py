"""The controlled vocabulary of the fund ledger, each code with its Chinese and English label."""

from __future__ import annotations

from kejin.i18n import Text

# ILPA Performance Template transaction types (granular view), from the investor's side.
CALL_TYPES: dict[str, Text] = {
    "investment": Text(zh="出资（用于投资）", en="capital call — investment"),
    "management_fee": Text(zh="出资（管理费）", en="capital call — management fee"),
    "fund_expenses": Text(zh="出资（基金费用）", en="capital call — fund expenses"),
}
DISTRIBUTION_TYPES: dict[str, Text] = {
    "distribution_proceeds": Text(zh="分配（项目退出所得）", en="distribution — proceeds"),
    "distribution_income": Text(zh="分配（股息利息收入）", en="distribution — income"),
    "distribution_recallable": Text(zh="分配（可召回）", en="distribution — recallable"),
}
FLOW_TYPES: dict[str, Text] = {**CALL_TYPES, **DISTRIBUTION_TYPES}

FUND_LEVELS: dict[str, Text] = {
    "national": Text(zh="国家级引导基金", en="national guidance fund"),
    "regional": Text(zh="区域基金", en="regional fund"),
    "local": Text(zh="地方引导基金", en="local guidance fund"),
    "sub_fund": Text(zh="子基金", en="sub-fund"),
}

STRATEGIES: dict[str, Text] = {
    "seed": Text(zh="种子", en="seed"),
    "angel": Text(zh="天使", en="angel"),
    "vc": Text(zh="创业投资", en="venture capital"),
    "growth": Text(zh="成长期", en="growth"),
}
STAGES = STRATEGIES  # an investment's stage uses the same four words as a fund's strategy

LP_TYPES: dict[str, Text] = {
    "government": Text(zh="政府财政", en="government"),
    "soe": Text(zh="国有企业", en="state-owned enterprise"),
    "bank": Text(zh="银行", en="bank"),
    "insurance": Text(zh="保险机构", en="insurer"),
    "private": Text(zh="社会资本", en="private capital"),
    "fund": Text(zh="基金（母基金出资）", en="fund (a fund in this ledger)"),
}

EXIT_KINDS: dict[str, Text] = {
    "ipo": Text(zh="上市", en="IPO"),
    "mna": Text(zh="并购", en="M&A"),
    "buyback": Text(zh="回购", en="buy-back"),
    "secondary": Text(zh="股权转让", en="secondary sale"),
    "writeoff": Text(zh="核销", en="write-off"),
}
