"""The fund ledger: funds (nested through fund LPs), commitments, ILPA-typed cash flows, NAV marks,
portfolio investments, exits and exemption evidence.

A ledger is read from a folder of CSV/Parquet files or from one XLSX workbook with one sheet per table
(English or Chinese table names). Every table is typed and checked, then the tables are checked against
each other; any error anywhere means nothing is loaded, and every problem is reported at once.
Oddities that can be real are kept as warnings.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path

import polars as pl

from kejin.errors import InputError, Problem
from kejin.facts import codes
from kejin.facts.readers import ROW
from kejin.facts.schema import norms
from kejin.funds.cashflows import conflicting_navs
from kejin.funds.tables import Column, Rule, TableSpec, check_rules, read_typed
from kejin.funds.vocab import CALL_TYPES, DISTRIBUTION_TYPES, EXIT_KINDS, FLOW_TYPES, FUND_LEVELS, LP_TYPES, STRATEGIES
from kejin.i18n import Text


def _c(name: str, zh: str, en: str, kind: str, **kw) -> Column:
    return Column(name, Text(zh=zh, en=en), kind, **kw)  # type: ignore[arg-type]


SPECS: dict[str, TableSpec] = {
    "funds": TableSpec("funds", Text(zh="基金", en="funds"), (
        _c("fund_id", "基金编号", "fund id", "text", required=True),
        _c("name", "基金名称", "name", "text", required=True),
        _c("level", "层级", "level", "enum", required=True, choices=tuple(FUND_LEVELS)),
        _c("strategy", "策略", "strategy", "enum", required=True, choices=tuple(STRATEGIES)),
        _c("inception", "成立日期", "inception", "date", required=True),
        _c("term_years", "存续期(年)", "term (years)", "amount", required=True, minimum=1),
        _c("investment_years", "投资期(年)", "investment period (years)", "amount", minimum=0),
        _c("region_code", "行政区划代码", "region code", "text"),
        _c("reinvest_region", "返投地区代码", "reinvestment region", "text"),
        _c("tolerance_scheme", "容错方案", "tolerance scheme", "text"),
    )),
    "commitments": TableSpec("commitments", Text(zh="认缴出资", en="commitments"), (
        _c("fund_id", "基金编号", "fund id", "text", required=True),
        _c("lp_id", "出资人编号", "LP id", "text", required=True),
        _c("lp_name", "出资人名称", "LP name", "text"),
        _c("lp_type", "出资人类型", "LP type", "enum", required=True, choices=tuple(LP_TYPES)),
        _c("amount", "认缴金额", "commitment", "amount", required=True, minimum=0),
        _c("date", "认缴日期", "date", "date", required=True),
    )),
    "cashflows": TableSpec("cashflows", Text(zh="现金流", en="cash flows"), (
        _c("fund_id", "基金编号", "fund id", "text", required=True),
        _c("date", "日期", "date", "date", required=True),
        _c("type", "类型", "type", "enum", required=True, choices=tuple(FLOW_TYPES)),
        _c("amount", "金额", "amount", "amount", required=True, minimum=0),
        _c("facility_funded", "认购额度垫资", "facility funded", "bool"),
        _c("facility_date", "垫资提款日", "facility draw date", "date"),
    )),
    "navs": TableSpec("navs", Text(zh="净值", en="NAV marks"), (
        _c("fund_id", "基金编号", "fund id", "text", required=True),
        _c("date", "日期", "date", "date", required=True),
        _c("nav", "净值", "NAV", "amount", required=True, minimum=0),
    )),
    "investments": TableSpec("investments", Text(zh="投资项目", en="investments"), (
        _c("investment_id", "项目编号", "investment id", "text", required=True),
        _c("fund_id", "基金编号", "fund id", "text", required=True),
        _c("company_uscc", "统一社会信用代码", "company USCC", "text", required=True),
        _c("company_name", "企业名称", "company name", "text"),
        _c("sectors", "前沿领域", "frontier sectors", "list", choices=tuple(norms().frontier_sectors)),
        _c("stage", "阶段", "stage", "enum", required=True, choices=tuple(STRATEGIES)),
        _c("region_code", "行政区划代码", "region code", "text"),
        _c("amount", "投资金额", "amount", "amount", required=True, minimum=0),
        _c("date", "投资日期", "date", "date", required=True),
        _c("valuation", "投后估值", "post-money valuation", "amount", minimum=0),
        _c("fair_value", "公允价值", "fair value", "amount", minimum=0),
        _c("fair_value_date", "估值日期", "fair-value date", "date"),
    )),
    "exits": TableSpec("exits", Text(zh="退出", en="exits"), (
        _c("investment_id", "项目编号", "investment id", "text", required=True),
        _c("date", "退出日期", "date", "date", required=True),
        _c("kind", "退出方式", "kind", "enum", required=True, choices=tuple(EXIT_KINDS)),
        _c("proceeds", "退出所得", "proceeds", "amount", required=True, minimum=0),
    )),
    "evidence": TableSpec("evidence", Text(zh="尽职免责证据", en="exemption evidence"), (
        _c("investment_id", "项目编号", "investment id", "text", required=True),
        _c("precondition", "免责条件", "precondition", "text", required=True),
        _c("status", "状态", "status", "enum", required=True, choices=("met", "not_met")),
        _c("document", "证明文件", "document", "text"),
        _c("date", "日期", "date", "date"),
    )),
}
REQUIRED_TABLES = ("funds", "commitments", "cashflows")
CALLS, DISTRIBUTIONS = list(CALL_TYPES), list(DISTRIBUTION_TYPES)


@dataclass(frozen=True)
class Ledger:
    tables: dict[str, pl.DataFrame]
    warnings: list[Problem] = field(default_factory=list)
    source: str = ""
    digest: str = ""

    def __getattr__(self, name: str) -> pl.DataFrame:
        try:
            return self.tables[name]
        except KeyError:
            raise AttributeError(name) from None

    def signed_flows(self, without_facility: bool = False) -> pl.DataFrame:
        """Flows from the investor's side (calls negative). ``without_facility`` dates each facility-funded
        call on the day the facility drew, as if the investors had been called then (ILPA 'net without
        fund-level facilities')."""
        f = self.cashflows
        date = pl.col("date")
        if without_facility:
            date = pl.when(pl.col("facility_funded").fill_null(False)).then(pl.col("facility_date")).otherwise(date)
        sign = pl.when(pl.col("type").is_in(CALLS)).then(-1.0).otherwise(1.0)
        return f.select("fund_id", date.alias("date"), (pl.col("amount") * sign).alias("amount"), "type")

    def fund_ids(self) -> list[str]:
        return self.funds.get_column("fund_id").to_list()

    def fund(self, fund_id: str) -> dict:
        return self.funds.filter(pl.col("fund_id") == fund_id).row(0, named=True)


# ---------------------------------------------------------------- reading
_SHEET_NAMES = {spec.label.zh: name for name, spec in SPECS.items()}


def _locate(path: Path) -> dict[str, tuple[str, str | None]]:
    """Table name → (file, sheet) for a folder of files or one workbook."""
    found: dict[str, tuple[str, str | None]] = {}
    if path.is_dir():
        for name in SPECS:
            for suffix in (".csv", ".parquet", ".xlsx"):
                candidate = path / f"{name}{suffix}"
                if candidate.exists():
                    found[name] = (str(candidate), None)
                    break
        return found
    if path.suffix.lower() in (".xlsx", ".xlsm"):
        import openpyxl

        book = openpyxl.load_workbook(path, read_only=True)
        try:
            for sheet in book.sheetnames:
                name = sheet.strip().lower()
                name = _SHEET_NAMES.get(sheet.strip(), name)
                if name in SPECS:
                    found[name] = (str(path), sheet)
        finally:
            book.close()
        return found
    raise InputError(Problem("ledger.path", "台账应为文件夹（CSV/Parquet）或 XLSX 工作簿",
                             "a ledger is a folder of CSV/Parquet files or one XLSX workbook", file=str(path)))


def _digest(files: list[str]) -> str:
    h = hashlib.sha256()
    for f in sorted(set(files)):
        h.update(Path(f).read_bytes())
    return h.hexdigest()


def load_ledger(path: Path | str) -> Ledger:
    """Read, type and cross-check every table; raise InputError listing every problem, or return the ledger."""
    path = Path(path)
    if not path.exists():
        raise InputError(Problem("file.missing", "台账不存在", "ledger not found", file=str(path)))
    where = _locate(path)
    problems: list[Problem] = []
    for name in REQUIRED_TABLES:
        if name not in where:
            problems.append(Problem("ledger.table", f"缺少必需的表“{SPECS[name].label.zh}”（{name}）",
                                    f"required table '{name}' is missing", file=str(path)))
    tables: dict[str, pl.DataFrame] = {}
    files: dict[str, str] = {}
    for name, spec in SPECS.items():
        if name in where:
            file, sheet = where[name]
            frame, found, label = read_typed(file, spec, sheet)
            problems += found
            tables[name] = frame
            files[name] = label
        else:
            tables[name] = _empty(spec)
            files[name] = f"{name}"
    if problems:
        raise InputError(problems)
    errors, warnings = cross_check(tables, files)
    if errors:
        raise InputError(errors)
    clean = {name: frame.drop(ROW).sort(_SORT_KEYS[name]) for name, frame in tables.items()}
    return Ledger(clean, warnings, str(path), _digest([f for f, _ in where.values()]))


_SORT_KEYS = {"funds": ["fund_id"], "commitments": ["fund_id", "date", "lp_id"], "cashflows": ["fund_id", "date", "type"],
              "navs": ["fund_id", "date"], "investments": ["fund_id", "date", "investment_id"],
              "exits": ["investment_id", "date"], "evidence": ["investment_id", "precondition"]}


def _empty(spec: TableSpec) -> pl.DataFrame:
    from kejin.funds.tables import _DTYPES

    return pl.DataFrame(schema={ROW: pl.Int64, **{c.name: _DTYPES[c.kind] for c in spec.columns}})


# ---------------------------------------------------------------- cross-table checks
def _unknown(frame: pl.DataFrame, col: str, known: pl.Series, file: str, what: Text) -> Rule:
    return Rule("ref.unknown", col, pl.col(col).is_not_null() & ~pl.col(col).is_in(known.implode()),
                f"未知的{what.zh}（未在对应表中登记）", f"unknown {what.en} (not in its table)", col)


def _duplicates(frame: pl.DataFrame, col: str) -> Rule:
    return Rule("key.duplicate", col, pl.col(col).is_duplicated(), "编号重复", "duplicate id", col)


def cross_check(t: dict[str, pl.DataFrame], files: dict[str, str]) -> tuple[list[Problem], list[Problem]]:
    """Problems between tables (errors) and oddities that can be real (warnings)."""
    errors: list[Problem] = []
    fund_ids = t["funds"].get_column("fund_id")
    start = t["funds"].select("fund_id", "inception")
    fund_word = Text(zh="基金编号", en="fund id")
    errors += check_rules(t["funds"], [
        _duplicates(t["funds"], "fund_id"),
        Rule("region.invalid", "region_code", ~codes.region_valid_expr("region_code"),
             "行政区划代码无效（应为6位 GB/T 2260 代码）", "invalid region code (6-digit GB/T 2260)", "region_code"),
        Rule("fund.investment_years", "investment_years", pl.col("investment_years") > pl.col("term_years"),
             "投资期长于存续期", "investment period longer than the term", "investment_years"),
    ], files["funds"])
    for name in ("commitments", "cashflows", "navs", "investments"):
        frame = t[name].join(start, on="fund_id", how="left")
        date_col = "date"
        errors += check_rules(frame, [
            _unknown(frame, "fund_id", fund_ids, files[name], fund_word),
            Rule("date.before_inception", date_col,
                 pl.col("inception").is_not_null() & (pl.col(date_col) < pl.col("inception")),
                 "日期早于基金成立日", "dated before the fund started", date_col),
        ], files[name])
    # fund LPs: must be funds of this ledger, and the nesting must not loop
    c = t["commitments"]
    errors += check_rules(c, [
        Rule("lp.fund_unknown", "lp_id", (pl.col("lp_type") == "fund") & ~pl.col("lp_id").is_in(fund_ids.implode()),
             "出资人类型为基金，但该基金不在基金表中", "LP type is 'fund' but that fund is not in the funds table", "lp_id"),
        Rule("lp.self", "lp_id", (pl.col("lp_type") == "fund") & (pl.col("lp_id") == pl.col("fund_id")),
             "基金不能向自身出资", "a fund cannot commit to itself", "lp_id"),
    ], files["commitments"])
    errors += _cycles(c, files["commitments"])
    f = t["cashflows"]
    errors += check_rules(f, [
        Rule("facility.date_missing", "facility_date", pl.col("facility_funded").fill_null(False)
             & pl.col("facility_date").is_null(), "认购额度垫资的出资须填写垫资提款日",
             "a facility-funded call needs the facility draw date", "facility_funded"),
        Rule("facility.date_after", "facility_date", pl.col("facility_date") > pl.col("date"),
             "垫资提款日不应晚于向出资人缴款日", "the facility draw cannot be after the investor call", "facility_date"),
        Rule("facility.not_call", "facility_funded", pl.col("facility_funded").fill_null(False)
             & ~pl.col("type").is_in(CALLS), "只有出资类现金流可由认购额度垫资",
             "only calls can be facility-funded", "type"),
    ], files["cashflows"])
    errors += _calls_within_commitment(f, c, files["cashflows"])
    errors += conflicting_navs(t["navs"], files["navs"])
    inv = t["investments"]
    inv = inv.with_columns(pl.Series("__uscc_ok", codes.uscc_valid_mask(inv.get_column("company_uscc")), dtype=pl.Boolean))
    errors += check_rules(inv, [
        _duplicates(inv, "investment_id"),
        Rule("uscc.invalid", "company_uscc", ~pl.col("__uscc_ok"), "统一社会信用代码无效（GB 32100-2015 校验失败）",
             "invalid unified social credit code (GB 32100-2015 check failed)", "company_uscc"),
        Rule("region.invalid", "region_code", ~codes.region_valid_expr("region_code"),
             "行政区划代码无效（应为6位 GB/T 2260 代码）", "invalid region code (6-digit GB/T 2260)", "region_code"),
        Rule("investment.amount", "amount", pl.col("amount") <= 0, "投资金额须大于零", "the amount must be positive",
             "amount"),
    ], files["investments"])
    inv_start = inv.select("investment_id", pl.col("date").alias("invested"))
    for name in ("exits", "evidence"):
        frame = t[name].join(inv_start, on="investment_id", how="left")
        rules = [_unknown(frame, "investment_id", inv.get_column("investment_id"), files[name],
                          Text(zh="项目编号", en="investment id"))]
        if name == "exits":
            rules.append(Rule("exit.before_investment", "date", pl.col("date") < pl.col("invested"),
                              "退出日期早于投资日期", "exit dated before the investment", "date"))
        errors += check_rules(frame, rules, files[name])
    return errors, _warnings(t, files)


def _cycles(commitments: pl.DataFrame, file: str) -> list[Problem]:
    """A fund that is (indirectly) its own LP makes look-through sums infinite."""
    edges: dict[str, set[str]] = {}
    for lp, fund in commitments.filter(pl.col("lp_type") == "fund").select("lp_id", "fund_id").iter_rows():
        edges.setdefault(lp, set()).add(fund)
    state: dict[str, int] = {}
    loops: list[str] = []

    def visit(node: str, path: list[str]) -> None:
        state[node] = 1
        for nxt in sorted(edges.get(node, ())):
            if state.get(nxt) == 1:
                loops.append(" → ".join(path[path.index(nxt):] + [node, nxt]) if nxt in path else f"{node} → {nxt}")
            elif nxt not in state:
                visit(nxt, path + [node])
        state[node] = 2

    for node in sorted(edges):
        if node not in state:
            visit(node, [])
    return [Problem("lp.cycle", f"基金之间循环出资：{loop}", f"funds commit to each other in a loop: {loop}", file=file,
                    field="lp_id") for loop in loops]


def _calls_within_commitment(flows: pl.DataFrame, commitments: pl.DataFrame, file: str) -> list[Problem]:
    """Paid-in may not exceed the commitment plus what was distributed as recallable (and so may be
    called again)."""
    called = flows.group_by("fund_id").agg(
        pl.col("amount").filter(pl.col("type").is_in(CALLS)).sum().alias("called"),
        pl.col("amount").filter(pl.col("type") == "distribution_recallable").sum().alias("recallable"),
        pl.col("_row").filter(pl.col("type").is_in(CALLS)).max().alias("row"),
    )
    committed = commitments.group_by("fund_id").agg(pl.col("amount").sum().alias("committed"))
    over = called.join(committed, on="fund_id", how="left").with_columns(pl.col("committed").fill_null(0.0)).filter(
        pl.col("called") > (pl.col("committed") + pl.col("recallable")) * (1 + 1e-9) + 0.005
    )
    return [
        Problem("calls.over_commitment",
                f"基金 {fid} 累计出资 {called:,.2f} 超过认缴 {committed:,.2f}（含可召回分配 {rec:,.2f}）",
                f"fund {fid}: calls of {called:,.2f} exceed the commitments of {committed:,.2f} "
                f"(plus {rec:,.2f} recallable distributions)", file=file, row=row, field="amount")
        for fid, called, rec, row, committed in over.select("fund_id", "called", "recallable", "row", "committed")
        .sort("fund_id").iter_rows()
    ]


def _warnings(t: dict[str, pl.DataFrame], files: dict[str, str]) -> list[Problem]:
    out: list[Problem] = []
    f = t["cashflows"]
    first_call = f.filter(pl.col("type").is_in(CALLS)).group_by("fund_id").agg(pl.col("date").min().alias("first_call"))
    early = f.join(first_call, on="fund_id", how="left").filter(
        pl.col("type").is_in(DISTRIBUTIONS) & (pl.col("first_call").is_null() | (pl.col("date") < pl.col("first_call")))
    )
    out += [Problem("warn.distribution_before_call", "分配早于任何出资（请核实）", "a distribution before any call (check it)",
                    file=files["cashflows"], row=r, field="date", value=str(d)) for r, d in early.select(ROW, "date").iter_rows()]
    last_nav = t["navs"].group_by("fund_id").agg(pl.col("date").max().alias("nav_date"))
    late = f.join(last_nav, on="fund_id", how="inner").filter(pl.col("date") > pl.col("nav_date"))
    out += [Problem("warn.flow_after_nav",
                    f"现金流晚于最后一次净值日 {n}：该净值已过时，全期业绩不用它（RVPI、TVPI 留空，IRR 与 PME 按已全部退出计算）；"
                    "请补报此日或之后的净值",
                    f"flow after the last NAV date {n}: that NAV is stale and the whole-life figures do not use it "
                    "(RVPI and TVPI blank, IRR and PME as if fully realised); report a NAV on or after this date",
                    file=files["cashflows"], row=r, field="date", value=str(d))
            for r, d, n in late.select(ROW, "date", "nav_date").iter_rows()]
    no_commit = t["funds"].filter(~pl.col("fund_id").is_in(t["commitments"].get_column("fund_id").implode()))
    out += [Problem("warn.no_commitments", "基金没有认缴记录", "the fund has no commitments", file=files["funds"],
                    row=r, field="fund_id", value=fid) for r, fid in no_commit.select(ROW, "fund_id").iter_rows()]
    return out


# ---------------------------------------------------------------- import: a checked, normalised copy
def write_ledger(ledger: Ledger, out: Path | str) -> Path:
    """Write the checked ledger as Parquet files plus a manifest (source, digest, counts, warnings)."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    for name, frame in ledger.tables.items():
        frame.write_parquet(out / f"{name}.parquet")
    manifest = {
        "source": ledger.source,
        "source_sha256": ledger.digest,
        "rows": {name: frame.height for name, frame in ledger.tables.items()},
        "warnings": [w.as_dict() for w in ledger.warnings],
    }
    (out / "manifest.json").write_text(json.dumps(manifest, ensure_ascii=False, indent=2), encoding="utf-8")
    return out


def fund_tree(ledger: Ledger, root: str) -> list[str]:
    """``root`` and every fund it reaches as an LP, directly or through other funds."""
    edges: dict[str, list[str]] = {}
    for lp, fund in ledger.commitments.filter(pl.col("lp_type") == "fund").select("lp_id", "fund_id").iter_rows():
        edges.setdefault(lp, []).append(fund)
    seen, todo = [root], [root]
    while todo:
        for nxt in edges.get(todo.pop(), []):
            if nxt not in seen:
                seen.append(nxt)
                todo.append(nxt)
    return seen


def lp_share(ledger: Ledger, lp_fund: str) -> pl.DataFrame:
    """For ``lp_fund`` and each fund it reaches as an LP, the share of that fund's commitments that
    belongs to ``lp_fund`` (look-through: shares multiply down each chain and add up over chains)."""
    commit = ledger.commitments
    total = commit.group_by("fund_id").agg(pl.col("amount").sum().alias("total"))
    direct = (
        commit.filter(pl.col("lp_type") == "fund")
        .group_by("lp_id", "fund_id").agg(pl.col("amount").sum())
        .join(total, on="fund_id")
        .with_columns((pl.col("amount") / pl.col("total")).alias("share"))
    )
    members = fund_tree(ledger, lp_fund)
    inside = set(members)
    parents: dict[str, list[tuple[str, float]]] = {f: [] for f in members}
    for lp, fund, share in direct.select("lp_id", "fund_id", "share").iter_rows():
        if lp in inside and fund in inside:
            parents[fund].append((lp, share))
    shares: dict[str, float] = {lp_fund: 1.0}
    pending = [f for f in members if f != lp_fund]
    while pending:  # Kahn's order: a fund once all its LPs inside the tree are done (the ledger has no loops)
        ready = [f for f in pending if all(lp in shares for lp, _ in parents[f])]
        for fund in ready:
            shares[fund] = sum(shares[lp] * s for lp, s in parents[fund])
        pending = [f for f in pending if f not in ready]
    return pl.DataFrame({"fund_id": members, "share": [shares[f] for f in members]})
