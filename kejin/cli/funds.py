"""`kejin funds …` — guidance funds: ledger import, performance, lifecycle evaluation, tolerance, policy
indicators, pacing and Monte Carlo. A thin shell: every figure comes from kejin.funds."""

from __future__ import annotations

import math
from datetime import date
from enum import Enum
from pathlib import Path
from typing import Any, Optional

import polars as pl
import typer

from kejin.cli._common import OutputFormat, TableOrJson, console, format_help, print_table, progress, tables_to, write_json, write_text_output

funds_app = typer.Typer(help="引导基金：台账、业绩、全周期评价、容错、配置节奏、蒙特卡洛 / guidance funds", no_args_is_help=True)

LEDGER_HELP = "台账：CSV/Parquet 文件夹或 XLSX 工作簿 / ledger: a folder of CSV/Parquet files or an XLSX workbook"
FORMAT_HELP = format_help(OutputFormat)
OUTPUT_HELP = "写入文件（默认标准输出）/ write to this file (default: stdout)"
LANG_HELP = "表格语言 zh|en|both / table language"


def register(app: typer.Typer) -> None:
    app.add_typer(funds_app, name="funds", help="引导基金 / guidance funds: import, metrics, evaluate, tolerance, pacing, simulate")


# ---------------------------------------------------------------- output helpers
def _plain(value: Any) -> Any:
    if isinstance(value, float) and (math.isnan(value) or math.isinf(value)):
        return None
    return value


def _records(frame: pl.DataFrame) -> list[dict[str, Any]]:
    return [{k: _plain(v) for k, v in row.items()} for row in frame.iter_rows(named=True)]


def _fmt(value: Any, kind: str | None = None) -> str:
    """A table cell, formatted by the column's kind (see ``kejin.funds.labels.KINDS``), not by magnitude:
    money 0 or 5,000 is ``0`` / ``5,000``, never ``0.0000`` like a rate."""
    if value is None:
        return "—"
    if isinstance(value, bool):
        return "✓" if value else "✗"
    if isinstance(value, list):
        return ", ".join(_fmt(v, kind) for v in value)
    if isinstance(value, (int, float)):
        if isinstance(value, float) and (math.isnan(value) or math.isinf(value)):
            return "—"
        if kind in _CELL_FORMATS:
            return format(value, _CELL_FORMATS[kind])
        if isinstance(value, float):  # a column of no known kind
            return f"{value:,.0f}" if abs(value) >= 1e4 else f"{value:.4f}"
    return str(value)


_CELL_FORMATS = {"money": ",.0f", "count": ".0f", "age": ".3f", "rate": ".4f", "multiple": ".4f"}  # by column kind


def _rows(frame: pl.DataFrame, columns: list[str]) -> list[list[str]]:
    """Table cells of ``columns``, each formatted by its column's kind."""
    from kejin.funds.labels import kind

    kinds = [kind(c) for c in columns]
    return [[_fmt(v, k) for v, k in zip(row, kinds)] for row in frame.select(columns).iter_rows()]


def _emit(frame: pl.DataFrame, fmt: OutputFormat, output: Optional[Path], title: str, columns: list[str],
          lang: str = "both", extra: dict[str, Any] | None = None) -> None:
    from kejin.funds.labels import header

    if fmt == OutputFormat.json:
        if extra:
            write_json({**extra, "rows": _records(frame)}, output)
        else:
            write_json(_records(frame), output)
    elif fmt == OutputFormat.csv:
        flat = frame.with_columns([pl.col(c).cast(pl.List(pl.String)).list.join(";") for c, t in frame.schema.items()
                                   if isinstance(t, pl.List)])
        text = flat.write_csv()
        write_text_output(text, output)
    else:
        shown = [c for c in columns if c in frame.columns]
        with tables_to(output):
            print_table(title, [header(c, None if lang == "both" else lang) for c in shown], _rows(frame, shown))


def _note(frame: pl.DataFrame, base: str = "irr_note") -> pl.DataFrame:
    """One bilingual note column from ``<base>_zh`` and ``<base>_en``."""
    if f"{base}_zh" not in frame.columns:
        return frame
    return frame.with_columns(
        pl.when(pl.col(f"{base}_zh").is_not_null())
        .then(pl.concat_str([pl.col(f"{base}_zh"), pl.lit(" / "), pl.col(f"{base}_en")]))
        .alias(base)
    )


def _by_lang(frame: pl.DataFrame, base: str, lang: str) -> pl.DataFrame:
    """``base`` from ``base_zh``/``base_en`` in the chosen language (both when 'both')."""
    if f"{base}_zh" not in frame.columns:
        return frame
    if lang in ("zh", "en"):
        return frame.with_columns(pl.col(f"{base}_{lang}").alias(base))
    return frame.with_columns(pl.concat_str([pl.col(f"{base}_zh"), pl.lit(" / "), pl.col(f"{base}_en")],
                                            ignore_nulls=True).alias(base))


def _warn(problems: list) -> None:
    from kejin.cli._common import err_console

    for p in problems[:50]:
        err_console.print(f"[yellow]警告 / warning[/yellow] {p.text()}")
    if len(problems) > 50:
        err_console.print(f"… {len(problems) - 50} more warnings")


def _day(text: Optional[str], option: str) -> Optional[date]:
    """A date option (YYYY-MM-DD); anything else is a bilingual error naming the option."""
    import re

    from kejin.errors import InputError, Problem

    if text is None:
        return None
    value = text.strip()
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
        try:
            return date.fromisoformat(value)
        except ValueError:
            zh, en = "该日期不存在（月份须为 1–12，日须在当月天数内）", "no such date (the month must be 1–12 and the day within the month)"
    else:
        zh, en = "日期格式应为 YYYY-MM-DD（如 2019-12-31）", "a date must be written YYYY-MM-DD (e.g. 2019-12-31)"
    raise InputError(Problem("option.date", zh, en, field=option, value=text))


def _rates(text: str, option: str) -> list[float]:
    """Comma-separated rates, each a number within 0–1; every bad item is reported."""
    from kejin.errors import InputError, Problem

    rates, problems = [], []
    for part in (x.strip() for x in text.split(",")):
        if not part:
            continue
        try:
            rate = float(part.rstrip("%")) / (100 if part.endswith("%") else 1)
        except ValueError:
            problems.append(Problem("option.rate", "不是数字（应为 0–1 之间的比例，如 0.2,0.4）",
                                    "not a number (rates are shares within 0–1, e.g. 0.2,0.4)",
                                    field=option, value=part))
            continue
        if not 0 <= rate <= 1:
            problems.append(Problem("option.rate", "容亏率须在 0 到 1 之间", "a rate must lie within 0–1",
                                    field=option, value=part))
        else:
            rates.append(rate)
    if problems:
        raise InputError(problems)
    return rates


# ---------------------------------------------------------------- import
@funds_app.command("import")
def import_(
    ledger: Path = typer.Argument(..., help=LEDGER_HELP),
    out: Path = typer.Option(..., "--out", help="写入检查后的台账（Parquet + manifest.json）/ folder for the checked ledger"),
    fmt: TableOrJson = typer.Option(TableOrJson.table, "--format", help=format_help(TableOrJson)),
) -> None:
    """导入并校验台账（全部通过才写入）/ import and check a ledger — all or nothing."""
    from kejin.funds.ledger import load_ledger, write_ledger

    with progress("读取台账 / reading ledger"):
        book = load_ledger(ledger)
    write_ledger(book, out)
    rows = pl.DataFrame({"table": list(book.tables), "rows": [f.height for f in book.tables.values()]})
    if fmt == TableOrJson.json:
        write_json([{"out": str(out), "sha256": book.digest, "rows": dict(rows.iter_rows()),
                     "warnings": [w.as_dict() for w in book.warnings]}], None)
        return
    print_table(f"已导入 / imported → {out}", ["表 table", "行数 rows"], rows.iter_rows())
    _warn(book.warnings)


# ---------------------------------------------------------------- metrics
@funds_app.command("metrics")
def metrics(
    ledger: Optional[Path] = typer.Option(None, "--ledger", help=LEDGER_HELP),
    cashflows: Optional[Path] = typer.Option(None, "--cashflows", help="现金流文件：fund_id,date,amount[,type,nav]（投资人视角，出资为负）/ cash-flow file, investor's signs"),
    index: Optional[Path] = typer.Option(None, "--index", help="公开市场指数（date,level），计算 KS-PME 与 Direct Alpha / index series for PME"),
    jcurve: bool = typer.Option(False, "--jcurve", help="输出每个净值日的 J 曲线 / one row per NAV date"),
    fmt: OutputFormat = typer.Option(OutputFormat.table, "--format", help=FORMAT_HELP),
    output: Optional[Path] = typer.Option(None, "--output", "-o", help=OUTPUT_HELP),
    lang: str = typer.Option("both", "--lang", help=LANG_HELP),
) -> None:
    """IRR、TVPI、DPI、RVPI、J 曲线、PME / fund performance, many funds at once."""
    from kejin.funds import metrics as m

    if (ledger is None) == (cashflows is None):
        raise typer.BadParameter("请指定 --ledger 或 --cashflows 之一 / give exactly one of --ledger, --cashflows")
    if cashflows is not None:
        from kejin.funds.cashflows import read_cashflows

        with progress("读取现金流 / reading cash flows"):
            cf = read_cashflows(cashflows)
        flows, navs, inception = cf.flows, cf.navs, None
    else:
        from kejin.funds.ledger import load_ledger

        book = load_ledger(ledger)
        _warn(book.warnings)
        flows, navs = book.signed_flows(), book.navs
        inception = book.funds.select("fund_id", "inception")
    if jcurve:
        frame = m.jcurve(flows, navs, inception)
        _emit(frame, fmt, output, "J 曲线 / J-curve", ["fund_id", "as_of", "age_years", "paid_in", "distributed", "nav",
                                                      "dpi", "tvpi", "irr"], lang)
        return
    frame = _note(_note(m.fund_metrics(flows, navs)), "nav_note")
    if fmt == OutputFormat.table and lang in ("zh", "en"):
        frame = frame.with_columns(pl.col(f"nav_note_{lang}").alias("nav_note"))
    if ledger is not None:
        without = m.fund_metrics(book.signed_flows(without_facility=True), navs).select(
            "fund_id", pl.col("irr").alias("irr_without_facility"))
        frame = frame.join(without, on="fund_id", how="left")
    if index is not None:
        frame = frame.join(m.pme(flows, navs, m.read_index(index), str(index)), on="fund_id", how="left")
    first = ["fund_id", "irr", "irr_status", "irr_note", "irr_roots", "tvpi", "dpi", "rvpi"]
    frame = frame.select(first + [c for c in frame.columns
                                  if c not in first and not c.startswith(("irr_note_", "nav_note_", "pme_note_"))])
    _emit(frame, fmt, output, "基金业绩 / fund performance",
          ["fund_id", "paid_in", "distributed", "nav", "dpi", "rvpi", "tvpi", "irr", "irr_without_facility", "ks_pme",
           "direct_alpha", "irr_note", "nav_note"], lang)


# ---------------------------------------------------------------- evaluate
@funds_app.command("evaluate")
def evaluate(
    ledger: Path = typer.Option(..., "--ledger", help=LEDGER_HELP),
    as_of: Optional[str] = typer.Option(None, "--as-of", help="评价日（默认最新净值日）/ evaluation date YYYY-MM-DD"),
    fund: Optional[list[str]] = typer.Option(None, "--fund", help="只评价这些基金 / only these funds"),
    pack: Optional[Path] = typer.Option(None, "--pack", help="全周期评价规则包 / lifecycle pack"),
    tolerance_pack: Optional[Path] = typer.Option(None, "--tolerance-pack", help="容错规则包（报告用）/ tolerance pack"),
    policy_pack: Optional[Path] = typer.Option(None, "--policy-pack", help="政策指标规则包（报告用）/ policy pack"),
    history: bool = typer.Option(False, "--history", help="输出每个净值日的结论 / verdict at every NAV date"),
    report: Optional[Path] = typer.Option(None, "--report", help="写评价报告 .html 或 .pdf / write a report"),
    fmt: OutputFormat = typer.Option(OutputFormat.table, "--format", help=FORMAT_HELP),
    output: Optional[Path] = typer.Option(None, "--output", "-o", help=OUTPUT_HELP),
    lang: str = typer.Option("both", "--lang", help=LANG_HELP),
) -> None:
    """全周期评价：对照策略在该年龄的预期区间，并列固定年度规则 / whole-lifecycle evaluation."""
    from kejin.funds import lifecycle, packs
    from kejin.funds.ledger import load_ledger

    day = _day(as_of, "--as-of")
    book = load_ledger(ledger)
    _warn(book.warnings)
    loaded = packs.load_lifecycle_pack(pack)
    latest, judged = lifecycle.evaluate(book, loaded.pack, day, fund)
    frame = judged if history else latest
    frame = _by_lang(frame.with_columns(
        pl.col("verdict").replace_strict({k: v.both() if lang == "both" else v.get(lang)
                                          for k, v in lifecycle.VERDICTS.items()}).alias("verdict_text")), "reason", lang)
    rules = [f"rule_{r.id}" for r in loaded.pack.fixed_rules]
    _emit(frame.drop("verdict_text") if fmt != OutputFormat.table else frame.with_columns(pl.col("verdict_text").alias("verdict")),
          fmt, output, "全周期评价 / whole-lifecycle evaluation",
          ["fund_id", "strategy", "as_of", "age_years", "tvpi", "dpi", "irr", "tvpi_floor", "tvpi_low", "tvpi_high",
           "verdict", *rules, "reason"], lang, extra={"pack": loaded.provenance()} if fmt == OutputFormat.json else None)
    if report is not None:
        from kejin.funds.report import build_report

        build_report(book, report, day, fund, loaded, packs.load_tolerance_pack(tolerance_pack),
                     packs.load_policy_pack(policy_pack))
        console.print(f"报告已写入 / report written: {report}")


# ---------------------------------------------------------------- tolerance
@funds_app.command("tolerance")
def tolerance(
    ledger: Path = typer.Option(..., "--ledger", help=LEDGER_HELP),
    pack: Optional[Path] = typer.Option(None, "--pack", help="容错与免责规则包 / tolerance pack"),
    scheme: Optional[str] = typer.Option(None, "--scheme", help="对所有基金使用该方案 / apply this scheme to every fund"),
    as_of: Optional[str] = typer.Option(None, "--as-of", help="只计入该日及以前的投资与退出 / date"),
    fmt: OutputFormat = typer.Option(OutputFormat.table, "--format", help=FORMAT_HELP),
    output: Optional[Path] = typer.Option(None, "--output", "-o", help=OUTPUT_HELP),
    lang: str = typer.Option("both", "--lang", help=LANG_HELP),
) -> None:
    """容错与尽职免责：每只基金、每项亏损是否在容错范围内，依据哪条规则，免责还缺哪些材料。"""
    from kejin.funds import packs
    from kejin.funds import tolerance as tol
    from kejin.funds.ledger import load_ledger

    day = _day(as_of, "--as-of")
    book = load_ledger(ledger)
    loaded = packs.load_tolerance_pack(pack)
    funds, losses = tol.assess(book, loaded.pack, day, scheme)
    if fmt == OutputFormat.json:
        write_json({"pack": loaded.provenance(), "funds": _records(funds), "losses": _records(losses)}, output)
        return
    if fmt == OutputFormat.csv:
        _emit(losses, fmt, output, "", [])
        return
    _emit(_by_lang(funds, "reason", lang), fmt, None, f"基金层面 / per fund — {loaded.pack.id} {loaded.pack.version}",
          ["fund_id", "scheme", "principal", "net_loss_rate", "losses_beyond_tolerance", "verdict", "reason"], lang)
    shown = _by_lang(_by_lang(losses, "reason", lang), "evidence_needed", lang)
    if shown.height:
        shown = shown.with_columns(pl.col("exemption").replace_strict(
            {k: v.both() if lang == "both" else v.get(lang) for k, v in tol.EXEMPTION_STATUS.items()}))
    _emit(shown, fmt, None, "每项亏损 / per loss",
          ["fund_id", "investment_id", "loss_rate", "within_tolerance", "decided_by", "exemption", "evidence_needed"],
          lang)


# ---------------------------------------------------------------- policy indicators
@funds_app.command("policy")
def policy(
    ledger: Path = typer.Option(..., "--ledger", help=LEDGER_HELP),
    pack: Optional[Path] = typer.Option(None, "--pack", help="政策指标规则包 / policy pack"),
    fund: Optional[list[str]] = typer.Option(None, "--fund", help="只看这些基金 / only these funds"),
    reinvestment_min: Optional[float] = typer.Option(None, "--reinvestment-min", help="返投比例要求（覆盖规则包）/ reinvestment requirement"),
    fmt: OutputFormat = typer.Option(OutputFormat.table, "--format", help=FORMAT_HELP),
    output: Optional[Path] = typer.Option(None, "--output", "-o", help=OUTPUT_HELP),
    lang: str = typer.Option("both", "--lang", help=LANG_HELP),
) -> None:
    """政策指标：放大倍数、返投、前沿领域、种子/初创期占比、支持企业数、撬动资本 / policy indicators."""
    from kejin.funds import packs
    from kejin.funds.ledger import load_ledger
    from kejin.funds.policy import indicators

    book = load_ledger(ledger)
    loaded = packs.load_policy_pack(pack)
    frame = indicators(book, loaded.pack, fund, reinvestment_min)
    _emit(frame, fmt, output, f"政策指标 / policy indicators — {loaded.pack.id}",
          ["fund_id", "mobilised", "government", "leverage", "crowded_in", "seed_startup_share", "frontier_share",
           "firms_supported", "reinvestment_ratio"], lang)


# ---------------------------------------------------------------- pacing
@funds_app.command("pacing")
def pacing(
    ledger: Path = typer.Option(..., "--ledger", help=LEDGER_HELP),
    fof: str = typer.Option(..., "--fof", help="母基金编号 / the fund of funds"),
    as_of: Optional[str] = typer.Option(None, "--as-of", help="预测起点（默认台账最新净值日）/ forecast start"),
    horizon: int = typer.Option(10, "--horizon", min=1, max=40, help="预测年数 / years to forecast"),
    plan: Optional[Path] = typer.Option(None, "--plan", help="新增认缴计划 year,strategy,commitment / commitment plan"),
    target_nav: Optional[float] = typer.Option(None, "--target-nav", help="目标净值 / target NAV"),
    target_deployment: Optional[float] = typer.Option(None, "--target-deployment", help="目标部署率 NAV÷规模 / NAV ÷ programme size"),
    program_size: Optional[float] = typer.Option(None, "--program-size", help="计划规模（配合 --target-deployment）/ programme size"),
    target_year: Optional[int] = typer.Option(None, "--target-year", help="目标年份 / year of the target"),
    strategy: str = typer.Option("vc", "--strategy", help="新增认缴的策略 / strategy of new commitments"),
    commit_years: int = typer.Option(5, "--commit-years", min=1, help="连续认缴年数 / years of new commitments"),
    pack: Optional[Path] = typer.Option(None, "--pack", help="全周期评价规则包（TA 标定）/ lifecycle pack"),
    fmt: OutputFormat = typer.Option(OutputFormat.table, "--format", help=FORMAT_HELP),
    output: Optional[Path] = typer.Option(None, "--output", "-o", help=OUTPUT_HELP),
    lang: str = typer.Option("both", "--lang", help=LANG_HELP),
) -> None:
    """配置节奏：母基金未来出资、分配、净值预测，以及达到目标净值所需的年度认缴 / pacing."""
    from kejin.funds import packs
    from kejin.funds import pacing as pc
    from kejin.funds.ledger import load_ledger

    day = _day(as_of, "--as-of")
    book = load_ledger(ledger)
    loaded = packs.load_lifecycle_pack(pack)
    start = day or book.navs.get_column("date").max()
    forecast = pc.existing(book, fof, loaded.pack, start, horizon)
    if plan is not None:
        forecast = pc.combine(forecast, pc.planned(pc.read_plan(plan), loaded.pack, start.year + 1, horizon))
    if target_deployment is not None:
        if program_size is None:
            raise typer.BadParameter("--target-deployment 需要 --program-size / needs --program-size")
        target_nav = target_deployment * program_size
    suggestion = None
    if target_nav is not None:
        suggestion = pc.suggest(forecast, loaded.pack, strategy, target_nav, target_year or start.year + horizon,
                                commit_years)
    table = forecast.table()
    extra = {"fof": fof, "start": str(start), "pack": loaded.provenance()}
    if suggestion is not None:
        extra["suggestion"] = {"yearly_commitment": suggestion.yearly_commitment, "strategy": strategy,
                               "years": commit_years, "target_year": suggestion.target_year,
                               "target_nav": suggestion.target_nav, "nav_without": suggestion.nav_without,
                               "text_zh": suggestion.text.zh, "text_en": suggestion.text.en}
    _emit(table, fmt, output, f"{fof} 配置节奏预测 / pacing forecast from {start}",
          ["year", "calls", "distributions", "net_cash_flow", "nav", "unfunded"], lang,
          extra=extra if fmt == OutputFormat.json else None)
    if suggestion is not None and fmt == OutputFormat.table:
        console.print(suggestion.text.both() if lang == "both" else suggestion.text.get(lang))


# ---------------------------------------------------------------- simulate
class Backend(str, Enum):
    numpy = "numpy"
    jax = "jax"


@funds_app.command("simulate")
def simulate(
    strategy: str = typer.Option("vc", "--strategy", help="情景（规则包中的策略）/ scenario: seed|angel|vc|growth"),
    funds: int = typer.Option(10_000, "--funds", min=1, help="模拟基金数 / number of funds"),
    deals: int = typer.Option(30, "--deals", min=1, help="每只基金项目数 / deals per fund"),
    years: Optional[int] = typer.Option(None, "--years", min=2, max=40, help="年限（默认情景存续期）/ years"),
    seed: int = typer.Option(0, "--seed", help="随机种子 / random seed"),
    backend: Backend = typer.Option(Backend.numpy, "--backend", help="numpy 或 jax（需安装 jax）/ numpy or jax (needs jax)"),
    tolerance_rates: str = typer.Option("0.2,0.4,0.6", "--tolerance-rates", help="基金层面容亏率 / fund-level tolerance rates"),
    ends_well: float = typer.Option(1.0, "--ends-well", help="期末 TVPI 不低于此值视为“结果良好” / final TVPI of a fund that ends well"),
    pack: Optional[Path] = typer.Option(None, "--pack", help="模拟假设规则包 / simulation pack"),
    fmt: OutputFormat = typer.Option(OutputFormat.table, "--format", help=FORMAT_HELP),
    output: Optional[Path] = typer.Option(None, "--output", "-o", help=OUTPUT_HELP),
    lang: str = typer.Option("both", "--lang", help=LANG_HELP),
) -> None:
    """蒙特卡洛：逐项目模拟整只基金，TVPI/IRR/DPI 分布、超容亏概率、年度考核误判率 / Monte Carlo."""
    from kejin.funds import montecarlo as mc
    from kejin.funds import packs

    chosen = _rates(tolerance_rates, "--tolerance-rates")
    if backend is Backend.jax:
        mc.require_jax()
    sim = packs.load("funds.simulation", pack)
    if strategy not in sim.pack.scenarios:
        raise typer.BadParameter(f"未知情景 / unknown scenario {strategy}")
    assumptions = sim.pack.scenario(strategy)
    with progress("模拟 / simulating"):
        result = mc.simulate(assumptions, funds, deals, years, seed, backend.value)
    life = packs.load_lifecycle_pack()
    tol = packs.load_tolerance_pack().pack
    rates = sorted(set(chosen) | {s.portfolio_loss_rate for s in tol.schemes if s.portfolio_loss_rate is not None})
    caps = sorted({s.project_loss_cap for s in tol.schemes if s.project_loss_cap is not None})
    by_year = mc.by_year(result)
    losses = mc.loss_exceedance(result, rates, caps)
    alarms = mc.false_alarms(result, life.pack.strategies[strategy], life.pack.fixed_rules, ends_well)
    summary = mc.irr_summary(result)
    if fmt == OutputFormat.json:
        doc = {"scenario": strategy, "funds": funds, "deals": deals, "years": years or assumptions.scenario.life,
               "seed": seed, "backend": backend.value, "pack": sim.provenance(), "summary": summary,
               "by_year": _records(by_year), "loss_exceedance": _records(losses), "false_alarms": _records(alarms)}
        write_json(doc, output)
        return
    if fmt == OutputFormat.csv:
        _emit(by_year, fmt, output, "", [])
        return
    from kejin.funds.labels import kind

    with tables_to(output):
        print_table("IRR 与 TVPI 概要 / summary", ["指标 measure", "值 value"],
                    [(k, _fmt(v, kind(k))) for k, v in summary.items()])
        print_table("按年份 / by year (percentiles)", list(by_year.columns), _rows(by_year, by_year.columns))
        print_table("亏损超过容亏率的概率 / P(loss above rate)", list(losses.columns), _rows(losses, losses.columns))
        print_table(f"期末良好基金（TVPI ≥ {ends_well}）被标记的比例 / funds that end well, flagged by horizon",
                    list(alarms.columns), _rows(alarms, alarms.columns))
