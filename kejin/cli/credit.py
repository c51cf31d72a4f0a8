"""`kejin credit`: features, fit, score, report, monitor, line, sharing — a thin shell over kejin.credit.

kejin.credit (SciPy, optbinning) is imported inside each command, so that `kejin --help` lists
every command without loading it (0.3 s instead of 1.1 s)."""

from __future__ import annotations

import sys
from enum import Enum
from pathlib import Path
from typing import Optional

import polars as pl
import typer

from kejin.cli._common import SHEET_OPTION, OutputFormat, console, format_help, print_table, progress, write_json
from kejin.errors import InputError

app = typer.Typer(name="credit", help="银行信贷：评分卡、积分贷额度、风险分担 / bank credit: scorecard, points-based lines, risk sharing", no_args_is_help=True)
sharing_app = typer.Typer(name="sharing", help="风险分担：拆分损失、组合模拟、资金池规模 / loss sharing: split, simulate, size the pool", no_args_is_help=True)
app.add_typer(sharing_app, name="sharing")


class ScoreFormat(str, Enum):
    csv = "csv"
    json = "json"


class UnseenOption(str, Enum):
    neutral = "neutral"
    error = "error"


def _names(text: Optional[str]) -> list[str]:
    return [n.strip() for n in text.split(",") if n.strip()] if text else []


def _emit(frame: pl.DataFrame, fmt: OutputFormat | ScoreFormat, output: Optional[Path], title: str) -> None:
    """Write a table as CSV / JSON (file or stdout) or print it."""
    if fmt.value == "json":
        write_json(frame.to_dicts(), output)
    elif fmt.value == "csv":
        if output:
            frame.write_csv(output)
        else:
            sys.stdout.write(frame.write_csv())
    else:
        print_table(title, frame.columns, frame.rows())
        if output:
            frame.write_csv(output)
    if output:
        console.print(f"已写入 written: {output}", highlight=False)


def _one_row(values: dict[str, object], options: dict[str, str]) -> pl.DataFrame:
    """A one-row table from command-line options, when no --data file is given (all are needed);
    ``options``: column → the option its value came from."""
    missing = [options[k] for k, v in values.items() if v is None]
    if missing:
        hint = " ".join(options[k] for k in values)
        raise typer.BadParameter(f"需要 --data 或 {hint}（缺少 {' '.join(missing)}）/ need --data or {hint} (missing: {' '.join(missing)})")
    return pl.DataFrame([values])


def _as_options(exc: InputError, options: dict[str, str]) -> InputError:
    """The problems found in a one-row table built from command-line options, reported against
    the options the values came from: no file, and no row (the table's "row 2" is nothing the
    user wrote)."""
    from dataclasses import replace

    return type(exc)([replace(p, file=None, row=None, field=options.get(p.field or "", p.field)) for p in exc.problems])


def _write_table(frame: pl.DataFrame, path: Path) -> None:
    """Parquet by default; CSV for a .csv name (booleans as true/false, blanks empty)."""
    if path.suffix.lower() == ".csv":
        frame.write_csv(path)
    else:
        frame.write_parquet(path)


@app.command()
def features(
    input: Path = typer.Option(..., "--input", "-i", help="企业事实表 CSV/XLSX/Parquet / enterprise facts"),
    sheet: Optional[str] = SHEET_OPTION,
    out: Path = typer.Option(..., "--out", help="输出文件 .parquet（默认）或 .csv / output file"),
    method: str = typer.Option("national-core", "--method", "-m", help="积分方法 id[@版本] 或方法文件 / points method id[@version] or a pack file"),
    year: Optional[int] = typer.Option(None, "--year", help="只输出该年度（仍读取往年）/ only this year (earlier years are still read)"),
    standards: str = typer.Option("all", "--standards", help="标准包：all 或 id[,id…] / standard packs"),
    ratios: bool = typer.Option(False, "--ratios", help="同时输出财务比率 / also write the financial ratios"),
    join: Optional[Path] = typer.Option(None, "--join", help="贷款表：按 uscc、year 左连接后输出 / loan book to join the features onto"),
) -> None:
    """由事实表计算科技特征（积分、分项、达标、研发连续性、知识产权）/ kejin's technology features from a facts file."""
    from kejin.credit.ratios import financial_ratios
    from kejin.credit.table import read_table
    from kejin.credit.tech_features import KEYS, join_onto, tech_features
    from kejin.facts import load_facts

    facts = load_facts(input, sheet)
    with progress("计算特征 computing features"):
        frame = tech_features(facts, method, year, standards)
        if ratios:
            frame = frame.join(financial_ratios(facts), on=KEYS, how="left")
    result = join_onto(read_table(join), frame, str(join)) if join else frame
    _write_table(result, out)
    scored = frame.get_column("innovation_points").is_not_null().sum()
    label = frame.get_column("points_method")[0] if frame.height else method
    console.print(f"科技特征 tech features: {frame.height} 企业年度 enterprise-years ({scored} 已评分 scored) · {label}", highlight=False)
    if join:
        matched = result.get_column("points_method").is_not_null().sum()
        console.print(f"连接 joined: {result.height} 笔贷款 loans, {result.height - matched} 无事实 without facts", highlight=False)
    console.print(f"已写入 written: {out}", highlight=False)


@app.command()
def fit(
    data: Path = typer.Option(..., "--data", help="贷款数据 CSV/Parquet / loan book"),
    target: str = typer.Option(..., "--target", help="违约标志列 / default-flag column"),
    out: Path = typer.Option(..., "--out", help="评分卡文件 .json，或目录（自动编号 <id>-vN.json）/ card file or directory"),
    event: Optional[str] = typer.Option(None, help="表示违约的取值（非 0/1 时必填）/ value meaning default"),
    features: Optional[str] = typer.Option(None, help="只用这些列（逗号分隔）/ use only these columns"),
    exclude: Optional[str] = typer.Option(None, help="排除的列 / columns to leave out"),
    categorical: Optional[str] = typer.Option(None, help="强制按类别处理的列 / force categorical"),
    numeric: Optional[str] = typer.Option(None, help="强制按数值处理的列 / force numeric"),
    model_id: str = typer.Option("scorecard", help="模型编号 / model id"),
    pdo: float = typer.Option(20.0, help="翻倍分 / points to double the odds"),
    base_score: float = typer.Option(600.0, help="基准分 / base score"),
    base_odds: float = typer.Option(50.0, help="基准好坏比 / base non-default:default odds"),
    round_points: bool = typer.Option(False, help="分数取整 / round bin points"),
    target_pd: Optional[float] = typer.Option(None, help="校准到长期违约率 / calibrate to a long-run PD"),
    min_iv: float = typer.Option(0.005, help="入模最低信息值 / minimum IV"),
    max_prebins: int = typer.Option(50, help="预分箱数 / pre-bins"),
    min_bin_size: float = typer.Option(0.05, help="每箱最小占比 / minimum bin share"),
    l2: float = typer.Option(1.0, "--l2", help="系数 L2 惩罚（同 scikit-learn C=1）/ L2 penalty on the coefficients"),
    unseen: UnseenOption = typer.Option(UnseenOption.neutral, help="未知类别：neutral 中性分 / error 报错 / unseen categories"),
    sql: Optional[Path] = typer.Option(None, help="同时导出 SQL / also write SQL"),
    report: Optional[Path] = typer.Option(None, help="同时生成 HTML 报告 / also write the HTML report"),
) -> None:
    """拟合评分卡 / fit a scorecard on any table."""
    from kejin.credit.card import FitSettings, save_card, versioned_path
    from kejin.credit.export import to_sql
    from kejin.credit.report import write_scorecard_report
    from kejin.credit.scaling import Scaling
    from kejin.credit.scorecard import FitOptions, fit_scorecard
    from kejin.credit.table import read_table

    frame = read_table(data)
    path, version = versioned_path(out, model_id)
    options = FitOptions(
        features=_names(features) or None,
        exclude=_names(exclude),
        categorical=set(_names(categorical)),
        numeric=set(_names(numeric)),
        event=event,
        settings=FitSettings(min_iv=min_iv, max_n_prebins=max_prebins, min_bin_size=min_bin_size, l2=l2),
        scaling=Scaling(pdo=pdo, base_score=base_score, base_odds=base_odds, rounding=round_points),
        target_pd=target_pd,
        model_id=model_id,
        version=version,
        unseen_policy=unseen.value,
    )
    with progress("拟合评分卡 fitting"):
        card = fit_scorecard(frame, target, options, data)
    save_card(card, path)
    e = card.development.evaluation
    print_table(
        f"评分卡 scorecard {card.model_id} v{card.version}: AUC {e.auc:.4f} · Gini {e.gini:.4f} · KS {e.ks:.4f}",
        ["特征 feature", "类型 kind", "IV", "箱 bins", "系数 coef"],
        [[f.name, f.kind, f"{f.iv:.4f}", len(f.bins) - 1, f"{f.coefficient:.4f}"] for f in card.features],
    )
    if card.excluded:
        print_table("未入模 left out", ["特征 feature", "原因 reason", "reason"], [[x.name, x.zh, x.en] for x in card.excluded])
    console.print(f"已保存 saved: {path}", highlight=False)
    if sql:
        sql.write_text(to_sql(card), encoding="utf-8")
        console.print(f"SQL: {sql}", highlight=False)
    if report:
        write_scorecard_report(card, report)
        console.print(f"报告 report: {report}", highlight=False)


@app.command()
def score(
    model: Path = typer.Option(..., "--model", help="评分卡文件 / card file"),
    data: Path = typer.Option(..., "--data", help="待评分数据 / firms to score"),
    format: ScoreFormat = typer.Option(ScoreFormat.csv, "--format", help=format_help(ScoreFormat)),
    output: Optional[Path] = typer.Option(None, "--output", help="输出文件（默认标准输出）/ output file (stdout if absent)"),
    keep: Optional[str] = typer.Option(None, help="带出的列，如编号 / columns to carry over, e.g. ids"),
    unseen: Optional[UnseenOption] = typer.Option(None, help="覆盖卡内的未知类别策略 / override the card's unseen policy"),
    points: bool = typer.Option(False, help="输出各特征得分 / add points per feature"),
) -> None:
    """评分：每行输出 score、pd 与三个原因码 / score: one row per input row with score, pd and reason codes."""
    from kejin.credit.card import load_card
    from kejin.credit.scorecard import score_frame
    from kejin.credit.table import read_table

    card = load_card(model)
    frame = read_table(data)
    result = score_frame(card, frame, data, keep=_names(keep), unseen_policy=unseen.value if unseen else None, with_points=points)
    _emit(result, format, output, "评分 scores")


@app.command()
def report(
    model: Path = typer.Option(..., "--model", help="评分卡文件 / card file"),
    html: Optional[Path] = typer.Option(None, help="HTML 报告 / HTML report"),
    data: Optional[Path] = typer.Option(None, help="带标签的验证数据 / labelled validation data"),
    target: Optional[str] = typer.Option(None, help="验证数据的目标列（默认同训练）/ target column"),
    sql: Optional[Path] = typer.Option(None, help="导出 SQL / write SQL"),
    table: str = typer.Option("loans", help="SQL 中的表名 / table name in the SQL"),
) -> None:
    """评分卡报告与导出 / scorecard report and exports."""
    from kejin.credit.card import load_card
    from kejin.credit.export import to_sql
    from kejin.credit.report import write_scorecard_report
    from kejin.credit.scorecard import evaluate_on
    from kejin.credit.table import read_table

    card = load_card(model)
    validation = evaluate_on(card, read_table(data), data, target) if data else None
    samples = [("开发 development", card.development.evaluation)] + ([("验证 validation", validation)] if validation else [])
    print_table(
        f"{card.model_id} v{card.version}",
        ["样本 sample", "n", "AUC", "Gini", "KS", "HL p"],
        [[name, e.n, f"{e.auc:.4f}", f"{e.gini:.4f}", f"{e.ks:.4f}", f"{e.hosmer_lemeshow_p:.3f}"] for name, e in samples],
    )
    print_table("信息值 IV", ["特征 feature", "IV", "箱 bins"], [[f.name, f"{f.iv:.4f}", len(f.bins) - 1] for f in card.features])
    if html:
        write_scorecard_report(card, html, validation)
        console.print(f"报告 report: {html}", highlight=False)
    if sql:
        sql.write_text(to_sql(card, table), encoding="utf-8")
        console.print(f"SQL: {sql}", highlight=False)


@app.command()
def monitor(
    model: Path = typer.Option(..., "--model", help="评分卡文件 / card file"),
    data: Path = typer.Option(..., "--data", help="新一期数据 / new-period data"),
    period: Optional[str] = typer.Option(None, help="期间列，按期计算 / period column"),
    target: Optional[str] = typer.Option(None, help="结果列（有则计算表现漂移）/ outcome column"),
    warning: float = typer.Option(0.10, help="预警阈值 / warning threshold"),
    alert: float = typer.Option(0.25, help="警报阈值 / alert threshold"),
    html: Optional[Path] = typer.Option(None, help="HTML 漂移报告 / drift report"),
    format: OutputFormat = typer.Option(OutputFormat.table, "--format", help=format_help(OutputFormat)),
    output: Optional[Path] = typer.Option(None, "--output"),
) -> None:
    """PSI / CSI 稳定性监测 / stability monitoring."""
    from kejin.credit.card import load_card
    from kejin.credit.monitoring import monitor as run_monitor
    from kejin.credit.monitoring import write_monitoring_report
    from kejin.credit.table import read_table

    card = load_card(model)
    result = run_monitor(card, read_table(data), period, target, data, warning, alert)
    _emit(pl.DataFrame(result.records()), format, output, "PSI / CSI")
    if html:
        write_monitoring_report(result, html)
        console.print(f"报告 report: {html}", highlight=False)


# the options of `credit line` for one firm, by the column of the line table each fills
_LINE_OPTIONS = {"tier": "--tier", "innovation_points": "--points", "standards_met": "--standards-met", "revenue": "--revenue", "existing_debt": "--debt", "pd": "--pd"}


@app.command()
def line(
    pack: Optional[Path] = typer.Option(None, help="额度政策包（默认内置示例）/ line policy pack"),
    data: Optional[Path] = typer.Option(None, help="企业表：tier, innovation_points, standards_met, revenue, existing_debt[, pd]"),
    tier: Optional[str] = typer.Option(None, help="单户：层级 / one firm: tier"),
    points: Optional[float] = typer.Option(None, help="创新积分 / innovation points"),
    standards_met: Optional[int] = typer.Option(None, help="达标数 / standards met"),
    revenue: Optional[float] = typer.Option(None, help="营收（元）/ revenue (yuan)"),
    debt: Optional[float] = typer.Option(None, help="现有负债（元）/ existing debt (yuan)"),
    pd: Optional[float] = typer.Option(None, help="违约概率 / PD"),
    format: OutputFormat = typer.Option(OutputFormat.table, "--format", help=format_help(OutputFormat)),
    output: Optional[Path] = typer.Option(None, "--output"),
) -> None:
    """积分贷额度与定价建议，逐步解释 / suggested points-based line and price band, explained."""
    from kejin.credit.lines import load_line_policy, suggest_lines
    from kejin.credit.table import read_table

    policy = load_line_policy(pack)
    if data is not None:
        result = suggest_lines(policy, read_table(data), str(data))
    else:
        one = {"tier": tier, "innovation_points": points, "standards_met": standards_met, "revenue": revenue, "existing_debt": debt}
        frame = _one_row(one, _LINE_OPTIONS)
        if pd is not None:
            frame = frame.with_columns(pl.lit(pd).alias("pd"))
        try:
            result = suggest_lines(policy, frame)
        except InputError as exc:  # a value typed as an option is reported as that option, not as a row
            raise _as_options(exc, _LINE_OPTIONS) from None
    if format is OutputFormat.table:
        for row in result.iter_rows(named=True):
            console.print(f"[bold]{row['tier']} · 积分 points {row['innovation_points']} → 额度 line {row['line_yuan']:,.0f} 元, 档 band {row['band']}[/bold]", highlight=False)
            console.print(f"  {row['explanation_zh']}\n  {row['explanation_en']}", highlight=False)
        console.print(f"政策包 pack: {policy.pack.id} v{policy.pack.version} ({policy.pack.source.confidence})", highlight=False)
        if output:
            result.write_csv(output)
    else:
        _emit(result, format, output, "额度 lines")


@sharing_app.command("split")
def sharing_split(
    pack: Optional[Path] = typer.Option(None, help="风险分担包 / risk-sharing pack"),
    data: Optional[Path] = typer.Option(None, help="损失表：tier, loan, loss（按顺序分担）/ losses in order"),
    tier: Optional[str] = typer.Option(None, help="单笔：层级 / one loss: tier"),
    loan: Optional[float] = typer.Option(None, help="贷款本金（元）/ loan principal (yuan)"),
    loss: Optional[float] = typer.Option(None, help="损失（元）/ loss (yuan)"),
    pool_balance: Optional[float] = typer.Option(None, help="资金池当前余额（默认包内）/ pool balance now"),
    format: OutputFormat = typer.Option(OutputFormat.table, "--format", help=format_help(OutputFormat)),
    output: Optional[Path] = typer.Option(None, "--output"),
) -> None:
    """按顺序把损失拆分到各方，精确到分 / split losses among the parties, in order, to the fen."""
    from kejin.credit.sharing import FEN_PER_YUAN, load_sharing, losses_from_frame, split_losses
    from kejin.credit.table import read_table

    sharing = load_sharing(pack)
    if data is not None:
        results = split_losses(sharing, losses_from_frame(sharing, read_table(data), str(data)), pool_balance, str(data))
    else:
        options = {"tier": "--tier", "loan": "--loan", "loss": "--loss"}
        _one_row({"tier": tier, "loan": loan, "loss": loss}, options)
        try:
            results = split_losses(sharing, [(sharing.tier_id(tier, field="--tier"), loan, loss)], pool_balance)
        except InputError as exc:  # the amounts typed as options are reported as those options
            raise _as_options(exc, options) from None
    records = []
    for n, r in enumerate(results, start=1):
        record = {"n": n, "tier": r.tier, "loan": r.loan_fen / FEN_PER_YUAN, "loss": r.loss_fen / FEN_PER_YUAN}
        record |= {pid: fen / FEN_PER_YUAN for pid, fen in r.parts_fen.items()}
        record["pool_balance_after"] = None if r.pool_balance_after_fen is None else r.pool_balance_after_fen / FEN_PER_YUAN
        records.append(record)
    frame = pl.DataFrame(records)
    if format is OutputFormat.table:
        header = ["#", "层级 tier", "贷款 loan", "损失 loss"] + [f"{sharing.names[p].zh} {p}" for p in sharing.order] + ["池余额 pool left"]
        print_table(f"损失分担 loss sharing — {sharing.pack.id} v{sharing.pack.version}", header, [[f"{v:,.2f}" if isinstance(v, float) else v for v in row] for row in frame.rows()])
        if output:
            frame.write_csv(output)
    else:
        _emit(frame, format, output, "损失分担 loss sharing")


def _probability(value: Optional[float], option: str) -> None:
    """A target probability of the pool running dry must lie strictly between 0 and 1."""
    from kejin.errors import InputError, Problem

    if value is not None and not 0 < value < 1:
        raise InputError(Problem("sharing.target", f"{option} 必须在 0 与 1 之间（不含端点）", f"{option} must lie strictly between 0 and 1", field=option, value=value))


def _simulate(pack, loans, scenarios, rho, seed, pool_balance, amount, pd, lgd, tier, default_lgd):
    from kejin.credit.portfolio import loans_from_frame, simulate
    from kejin.credit.sharing import load_sharing
    from kejin.credit.table import read_table

    sharing = load_sharing(pack)
    book = loans_from_frame(read_table(loans), str(loans), amount, pd, lgd, tier, default_lgd, sharing)
    with progress("模拟 simulating", total=None):
        simulation = simulate(sharing, book, scenarios, rho, seed, pool_balance)
    return sharing, simulation


_LOAN_OPTIONS = dict(
    scenarios=typer.Option(10_000, help="情景数 / scenarios"),
    rho=typer.Option(0.15, help="资产相关系数 / asset correlation"),
    seed=typer.Option(0, help="随机种子 / seed"),
    amount=typer.Option("loan_amount", help="本金列 / principal column"),
    pd=typer.Option("pd", help="违约概率列 / PD column"),
    lgd=typer.Option("lgd", help="违约损失率列 / LGD column"),
    tier=typer.Option("tier", help="层级列 / tier column"),
    default_lgd=typer.Option(None, help="无 LGD 列时统一使用 / one LGD for all loans"),
)


@sharing_app.command("simulate")
def sharing_simulate(
    loans: Path = typer.Option(..., "--loans", help="贷款组合：loan_amount, pd, lgd, tier / portfolio"),
    pack: Optional[Path] = typer.Option(None, help="风险分担包 / risk-sharing pack"),
    pool_balance: Optional[float] = typer.Option(None, help="资金池年初余额（默认包内）/ pool balance at the start of the year"),
    target_dry: Optional[float] = typer.Option(None, help="同时给出耗尽概率不超过该值所需余额 / also size the pool for this P(dry)"),
    html: Optional[Path] = typer.Option(None, help="HTML 报告 / HTML report"),
    scenarios: int = _LOAN_OPTIONS["scenarios"],
    rho: float = _LOAN_OPTIONS["rho"],
    seed: int = _LOAN_OPTIONS["seed"],
    amount: str = _LOAN_OPTIONS["amount"],
    pd: str = _LOAN_OPTIONS["pd"],
    lgd: str = _LOAN_OPTIONS["lgd"],
    tier: str = _LOAN_OPTIONS["tier"],
    default_lgd: Optional[float] = _LOAN_OPTIONS["default_lgd"],
    format: OutputFormat = typer.Option(OutputFormat.table, "--format", help=format_help(OutputFormat)),
    output: Optional[Path] = typer.Option(None, "--output"),
) -> None:
    """蒙特卡洛组合模拟：各方预期损失、99% 损失、资金池耗尽概率 / portfolio Monte Carlo by party."""
    from kejin.credit.portfolio_report import party_rows, write_simulation_report

    _probability(target_dry, "--target-dry")
    sharing, simulation = _simulate(pack, loans, scenarios, rho, seed, pool_balance, amount, pd, lgd, tier, default_lgd)
    frame = pl.DataFrame(
        party_rows(sharing, simulation), schema=["party_zh", "party_en", "expected_loss", "loss_99", "expected_shortfall_99"], orient="row"
    )
    _emit(frame, format, output, f"各方损失 loss by party ({scenarios} scenarios, ρ={rho})")
    if simulation.pool_claims is not None and format is OutputFormat.table:
        console.print(f"资金池耗尽概率 P(pool runs dry in a year) = {simulation.pool_dry_probability:.4f} (余额 balance {simulation.pool_balance:,.0f})", highlight=False)
        if target_dry is not None:
            console.print(f"耗尽概率 ≤ {target_dry:g} 所需余额 balance needed: {simulation.pool_needed(target_dry):,.0f} 元 yuan", highlight=False)
    if html:
        write_simulation_report(sharing, simulation, html, target_dry)
        console.print(f"报告 report: {html}", highlight=False)


@sharing_app.command("size-pool")
def sharing_size_pool(
    loans: Path = typer.Option(..., "--loans", help="贷款组合 / portfolio"),
    target: float = typer.Option(0.01, "--target", help="可接受的年度耗尽概率 / acceptable P(pool runs dry in a year)"),
    pack: Optional[Path] = typer.Option(None, help="风险分担包 / risk-sharing pack"),
    scenarios: int = _LOAN_OPTIONS["scenarios"],
    rho: float = _LOAN_OPTIONS["rho"],
    seed: int = _LOAN_OPTIONS["seed"],
    amount: str = _LOAN_OPTIONS["amount"],
    pd: str = _LOAN_OPTIONS["pd"],
    lgd: str = _LOAN_OPTIONS["lgd"],
    tier: str = _LOAN_OPTIONS["tier"],
    default_lgd: Optional[float] = _LOAN_OPTIONS["default_lgd"],
) -> None:
    """资金池规模：耗尽概率不超过目标所需的最小余额 / the smallest pool balance for a target P(dry)."""
    _probability(target, "--target")
    sharing, simulation = _simulate(pack, loans, scenarios, rho, seed, None, amount, pd, lgd, tier, default_lgd)
    needed = simulation.pool_needed(target)
    if needed is None:
        raise typer.BadParameter("该方案没有资金池 / this programme has no pool")
    claims = simulation.pool_claims
    console.print(
        f"所需余额 balance needed: {needed:,.0f} 元 yuan — P(claims > balance) = {float((claims > needed).mean()):.4f} ≤ {target:g}; "
        f"预期年度索赔 expected annual claims {claims.mean():,.0f}",
        highlight=False,
    )


def register(root: typer.Typer) -> None:
    root.add_typer(app, name="credit")
