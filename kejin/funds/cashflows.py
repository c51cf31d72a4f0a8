"""The analyst's quick path: one cash-flow file (``fund_id, date, amount`` [, ``type``, ``nav``]) straight to
metrics, with no import step.

Amounts are signed from the investor's side, as pyxirr takes them: calls negative, distributions
positive. A row may carry a NAV mark (``nav``) with or without an amount; a fund's latest NAV is its
terminal value when it is dated on or after the fund's last flow (see ``metrics.fund_metrics``). Rows may
come in any order. Oddities that can be real (a distribution before any call, flows after the last NAV)
are accepted; a NAV older than the last flow is then stale and not used.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import polars as pl

from kejin.errors import Problem
from kejin.funds.tables import Column, Rule, TableSpec, check_rules, raise_if, read_typed
from kejin.funds.vocab import CALL_TYPES, DISTRIBUTION_TYPES, FLOW_TYPES
from kejin.i18n import Text

QUICK_CASHFLOWS = TableSpec(
    name="cashflows",
    label=Text(zh="现金流", en="cash flows"),
    columns=(
        Column("fund_id", Text(zh="基金编号", en="fund id"), "text", required=True, aliases=("基金代码",)),
        Column("date", Text(zh="日期", en="date"), "date", required=True, aliases=("交易日期",)),
        Column("amount", Text(zh="金额", en="amount"), "amount", aliases=("现金流", "cash flow")),
        Column("type", Text(zh="类型", en="type"), "enum", choices=tuple(FLOW_TYPES), aliases=("交易类型",)),
        Column("nav", Text(zh="净值", en="NAV"), "amount", minimum=0, aliases=("资产净值", "基金净值")),
    ),
)


@dataclass(frozen=True)
class CashflowFile:
    flows: pl.DataFrame  # fund_id, date, amount (signed), type
    navs: pl.DataFrame  # fund_id, date, nav
    file: str


def read_cashflows(path: Path | str) -> CashflowFile:
    """Read and check a quick cash-flow file; every problem is reported at once, nothing is half-read."""
    frame, problems, file = read_typed(str(path), QUICK_CASHFLOWS)
    if not problems:
        calls, dists = list(CALL_TYPES), list(DISTRIBUTION_TYPES)
        problems += check_rules(frame, [
            Rule("cell.empty_row", "amount", pl.col("amount").is_null() & pl.col("nav").is_null(),
                 "金额和净值均为空", "both amount and NAV are empty"),
            Rule("cell.sign", "amount", pl.col("type").is_in(calls) & (pl.col("amount") > 0),
                 "出资类现金流应为负数（投资人视角）", "a call must be negative (investor's side)", "amount"),
            Rule("cell.sign", "amount", pl.col("type").is_in(dists) & (pl.col("amount") < 0),
                 "分配类现金流应为正数（投资人视角）", "a distribution must be positive (investor's side)", "amount"),
        ], file)
        problems += conflicting_navs(frame.filter(pl.col("nav").is_not_null()), file)
    if frame.height == 0 and not problems:
        problems.append(Problem("file.empty", "文件没有数据行", "the file has no data rows", file=file))
    raise_if(problems)
    flows = frame.filter(pl.col("amount").is_not_null() & (pl.col("amount") != 0)).select(
        "fund_id", "date", "amount", "type"
    )
    navs = frame.filter(pl.col("nav").is_not_null()).select("fund_id", "date", "nav")
    return CashflowFile(flows, navs, file)


def conflicting_navs(navs: pl.DataFrame, file: str) -> list[Problem]:
    """Two different NAVs for one fund on one day: which one holds cannot depend on row order."""
    clash = navs.group_by("fund_id", "date").agg(pl.col("nav").n_unique().alias("k"), pl.col("_row").min()).filter(
        pl.col("k") > 1
    )
    return [
        Problem("nav.conflict", f"基金 {f} 在 {d} 有不同的净值", f"fund {f} has different NAVs on {d}",
                file=file, row=r, field="nav")
        for f, d, r in clash.select("fund_id", "date", "_row").iter_rows()
    ]
