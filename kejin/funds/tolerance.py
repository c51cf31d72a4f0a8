"""Loss tolerance (容错) and the evidence for due-diligence liability exemption (尽职免责).

For every loss-making investment: its loss rate, whether it is within the fund's scheme (which rule
decided), and which exemption preconditions still lack evidence. For every fund: the portfolio loss
rate against the scheme's portfolio rate. Rates, caps and preconditions come from the tolerance pack.
"""

from __future__ import annotations

from datetime import date

import polars as pl

from kejin.errors import InputError, Problem
from kejin.funds.ledger import Ledger
from kejin.funds.packs import TolerancePack, ToleranceScheme
from kejin.i18n import Text

EXEMPTION_STATUS: dict[str, Text] = {
    "ready_for_review": Text(zh="材料齐备，可提交审查认定", en="evidence complete: ready for review and approval"),
    "missing_evidence": Text(zh="尚缺证明材料", en="evidence still missing"),
    "not_available": Text(zh="有条件不满足，不适用免责", en="a precondition is not met: exemption not available"),
}


def judge_project(scheme: ToleranceScheme, loss_rate: float) -> tuple[bool | None, str | None]:
    """Is one project's loss rate within the scheme's single-project cap? (None: the scheme has no cap)."""
    if scheme.project_loss_cap is None:
        return None, None
    return loss_rate <= scheme.project_loss_cap + 1e-12, f"{scheme.id}.project_loss_cap"


def judge_portfolio(scheme: ToleranceScheme, rate: float | None) -> tuple[bool | None, str | None]:
    """Is the fund's loss rate (on the scheme's basis) within its portfolio rate? (None: no rate or no deals)."""
    if scheme.portfolio_loss_rate is None or rate is None:
        return None, None
    return rate <= scheme.portfolio_loss_rate + 1e-12, f"{scheme.id}.portfolio_loss_rate"


def investment_values(ledger: Ledger, as_of: date | None = None) -> pl.DataFrame:
    """Cost, realised proceeds, remaining value, loss and loss rate of every investment.

    Remaining value: the fair value if one is given; else nothing after a write-off or any exit; else cost
    (held at cost, the usual early-stage valuation). With ``as_of``, only what was known on that day counts:
    investments and exits dated on or before it, and a fair-value mark only if it is dated on or before it
    (a later mark is ignored; an undated mark is kept)."""
    exits = ledger.exits if as_of is None else ledger.exits.filter(pl.col("date") <= as_of)
    inv = ledger.investments if as_of is None else ledger.investments.filter(pl.col("date") <= as_of)
    if as_of is not None:
        later = pl.col("fair_value_date").is_not_null() & (pl.col("fair_value_date") > as_of)
        inv = inv.with_columns(
            pl.when(later).then(None).otherwise(pl.col("fair_value")).alias("fair_value"),
            pl.when(later).then(None).otherwise(pl.col("fair_value_date")).alias("fair_value_date"),
        )
    realised = exits.group_by("investment_id").agg(
        pl.col("proceeds").sum().alias("realised"),
        (pl.col("kind") == "writeoff").any().alias("written_off"),
        pl.col("date").max().alias("exit_date"),
    )
    out = inv.join(realised, on="investment_id", how="left").with_columns(
        pl.col("realised").fill_null(0.0),
        pl.col("written_off").fill_null(False),
        pl.col("exit_date").is_not_null().alias("exited"),
    )
    remaining = (
        pl.when(pl.col("written_off")).then(0.0)
        .when(pl.col("fair_value").is_not_null()).then(pl.col("fair_value"))
        .when(pl.col("exited")).then(0.0)
        .otherwise(pl.col("amount"))
    )
    return out.with_columns(remaining.alias("remaining")).with_columns(
        (pl.col("amount") - pl.col("realised") - pl.col("remaining")).clip(lower_bound=0).alias("loss"),
        ((pl.col("realised") + pl.col("remaining")) / pl.col("amount")).alias("moic"),
    ).with_columns((pl.col("loss") / pl.col("amount")).alias("loss_rate"))


def _scheme_of(ledger: Ledger, pack: TolerancePack, override: str | None) -> pl.DataFrame:
    problems = []
    known = {s.id for s in pack.schemes}
    if override and override not in known:
        raise InputError(Problem("tolerance.scheme", f"未知的容错方案 {override}", f"unknown tolerance scheme {override}",
                                 key="scheme", value=override))
    rows = []
    for fid, strategy, named in ledger.funds.select("fund_id", "strategy", "tolerance_scheme").iter_rows():
        scheme = override or named or pack.default_scheme[strategy]
        if scheme not in known:
            problems.append(Problem("tolerance.scheme", f"基金 {fid} 指定了未知的容错方案 {scheme}",
                                    f"fund {fid} names an unknown tolerance scheme {scheme}", field="tolerance_scheme",
                                    value=scheme))
        rows.append((fid, strategy, scheme, "fund" if named and not override else ("option" if override else "default")))
    if problems:
        raise InputError(problems)
    return pl.DataFrame(rows, schema=["fund_id", "strategy", "scheme", "scheme_from"], orient="row")


def _evidence_status(ledger: Ledger, pack: TolerancePack) -> pl.DataFrame:
    """Per investment: preconditions met, not met, and still missing (from the evidence table)."""
    ids = [p.id for p in pack.exemption.preconditions]
    unknown = ledger.evidence.filter(~pl.col("precondition").is_in(ids))
    if unknown.height:
        raise InputError([
            Problem("evidence.precondition", f"未知的免责条件 {p}（可用：{', '.join(ids)}）",
                    f"unknown exemption precondition {p} (known: {', '.join(ids)})", field="precondition", value=p)
            for p in unknown.get_column("precondition").unique().sort().to_list()
        ])
    ev = ledger.evidence.group_by("investment_id").agg(
        pl.col("precondition").filter(pl.col("status") == "met").unique().alias("met"),
        pl.col("precondition").filter(pl.col("status") == "not_met").unique().alias("not_met"),
    )
    return ev


def percent_pair(rate: float, limit: float) -> tuple[str, str]:
    """A loss rate and the limit it is judged against, as percentages with as many decimals as it
    takes to tell them apart (at least one for the rate; none beyond what the limit has), so that a
    reason never reads "40.0% > 40%": 40.04% > 40%, 37.5% ≤ 37.5%."""
    def shown(x: float, decimals: int) -> str:
        text = f"{x * 100:.{decimals}f}"
        return (text.rstrip("0").rstrip(".") if "." in text else text) + "%"

    for decimals in range(1, 7):
        a, b = f"{rate * 100:.{decimals}f}", f"{limit * 100:.{decimals}f}"
        if (a == b) == (rate == limit):
            break
    return f"{rate * 100:.{decimals}f}%", shown(limit, decimals)


def assess(ledger: Ledger, pack: TolerancePack, as_of: date | None = None,
           scheme: str | None = None) -> tuple[pl.DataFrame, pl.DataFrame]:
    """(one row per fund, one row per loss-making investment)."""
    schemes = _scheme_of(ledger, pack, scheme)
    values = investment_values(ledger, as_of).join(schemes, on="fund_id", how="left")
    evidence = _evidence_status(ledger, pack)
    labels = {p.id: p for p in pack.exemption.preconditions}
    by_id = {s.id: s for s in pack.schemes}

    funds = values.group_by("fund_id").agg(
        pl.col("amount").sum().alias("principal"),
        (pl.col("realised") + pl.col("remaining")).sum().alias("value"),
        pl.col("loss").sum().alias("gross_loss"),
        (pl.col("loss") > 0).sum().alias("loss_count"),
        pl.len().alias("investments"),
    )
    funds = schemes.join(funds, on="fund_id", how="left").with_columns(
        pl.col("principal").fill_null(0.0), pl.col("value").fill_null(0.0), pl.col("gross_loss").fill_null(0.0),
        pl.col("loss_count").fill_null(0), pl.col("investments").fill_null(0),
    )
    principal = pl.when(pl.col("principal") > 0).then(pl.col("principal"))  # null for a fund with no deals
    funds = funds.with_columns(
        ((pl.col("principal") - pl.col("value")).clip(lower_bound=0) / principal).alias("net_loss_rate"),
        (pl.col("gross_loss") / principal).alias("gross_loss_rate"),
    )
    fund_rows = []
    for row in funds.sort("fund_id").iter_rows(named=True):
        s = by_id[row["scheme"]]
        rate = row["net_loss_rate"] if s.portfolio_basis == "net" else row["gross_loss_rate"]
        in_force = s.effective.covers(as_of or date.today())
        if rate is None:
            within, rule, zh, en = None, None, "基金无直接投资项目", "the fund holds no direct investments"
        elif s.portfolio_loss_rate is None:
            within, rule, zh, en = None, None, "该方案无基金层面容亏率", "the scheme sets no fund-level rate"
        else:
            within, rule = judge_portfolio(s, rate)
            basis = Text(zh="净亏损", en="net loss") if s.portfolio_basis == "net" else Text(zh="项目亏损合计", en="sum of project losses")
            shown, limit = percent_pair(rate, s.portfolio_loss_rate)
            zh = f"基金{basis.zh}率 {shown} {'≤' if within else '>'} 容亏率 {limit}"
            en = f"fund {basis.en} rate {shown} {'≤' if within else '>'} tolerance {limit}"
        fund_rows.append({**row, "portfolio_rate_limit": s.portfolio_loss_rate, "portfolio_within": within,
                          "portfolio_rule": rule, "scheme_in_force": in_force, "reason_zh": zh, "reason_en": en})
    fund_table = pl.DataFrame(fund_rows, infer_schema_length=None) if fund_rows else pl.DataFrame()

    losses = values.filter(pl.col("loss") > 0).join(evidence, on="investment_id", how="left").sort(
        ["fund_id", "investment_id"])
    portfolio = {r["fund_id"]: r for r in fund_rows}
    loss_rows = []
    for row in losses.iter_rows(named=True):
        s = by_id[row["scheme"]]
        within, rule = judge_project(s, row["loss_rate"])
        if rule is not None:
            shown, limit = percent_pair(row["loss_rate"], s.project_loss_cap)
            zh = f"项目亏损率 {shown} {'≤' if within else '>'} 单项目容亏上限 {limit}"
            en = f"project loss {shown} {'≤' if within else '>'} single-project cap {limit}"
        else:
            fund = portfolio[row["fund_id"]]
            within, rule = fund["portfolio_within"], fund["portfolio_rule"]
            zh = f"该方案不设单项目上限，按基金整体判断：{fund['reason_zh']}"
            en = f"no single-project cap in this scheme; judged on the whole fund: {fund['reason_en']}"
        met = set(row["met"] or [])
        not_met = set(row["not_met"] or [])
        missing = [p for p in labels if p not in met and p not in not_met]
        status = "not_available" if not_met else ("missing_evidence" if missing else "ready_for_review")
        loss_rows.append({
            "fund_id": row["fund_id"], "investment_id": row["investment_id"], "company_uscc": row["company_uscc"],
            "company_name": row["company_name"], "stage": row["stage"], "cost": row["amount"],
            "realised": row["realised"], "remaining": row["remaining"], "loss": row["loss"], "loss_rate": row["loss_rate"],
            "scheme": s.id, "within_tolerance": within, "decided_by": rule, "reason_zh": zh, "reason_en": en,
            "exemption": status,
            "evidence_missing": missing,
            "evidence_needed_zh": "；".join(f"{labels[p].label.zh}（{labels[p].evidence.zh}）" for p in missing),
            "evidence_needed_en": "; ".join(f"{labels[p].label.en} ({labels[p].evidence.en})" for p in missing),
            "not_met": sorted(not_met),
        })
    loss_table = pl.DataFrame(loss_rows, infer_schema_length=None) if loss_rows else pl.DataFrame(
        schema={"fund_id": pl.String, "investment_id": pl.String, "loss_rate": pl.Float64,
                "within_tolerance": pl.Boolean, "decided_by": pl.String, "exemption": pl.String})
    if fund_rows:
        counts = loss_table.group_by("fund_id").agg(
            pl.col("within_tolerance").not_().fill_null(False).sum().alias("losses_beyond_tolerance")
        ) if loss_rows else pl.DataFrame(schema={"fund_id": pl.String, "losses_beyond_tolerance": pl.UInt32})
        fund_table = fund_table.join(counts, on="fund_id", how="left").with_columns(
            pl.col("losses_beyond_tolerance").fill_null(0)
        ).with_columns(
            pl.when((pl.col("losses_beyond_tolerance") == 0) & pl.col("portfolio_within").fill_null(True))
            .then(pl.lit("within")).otherwise(pl.lit("beyond")).alias("verdict")
        )
        # the fund-level reason alone would not explain a "beyond" that comes from single projects
        beyond = pl.col("losses_beyond_tolerance") > 0
        count = pl.col("losses_beyond_tolerance").cast(pl.String)
        fund_table = fund_table.with_columns(
            pl.when(beyond).then(pl.concat_str([pl.col("reason_zh"), pl.lit("；"), count, pl.lit(" 项亏损超出容错范围")]))
            .otherwise(pl.col("reason_zh")).alias("reason_zh"),
            pl.when(beyond).then(pl.concat_str([pl.col("reason_en"), pl.lit("; "), count,
                                                pl.lit(" loss(es) beyond tolerance")]))
            .otherwise(pl.col("reason_en")).alias("reason_en"),
        )
    return fund_table, loss_table
