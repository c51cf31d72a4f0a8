"""`kejin points methods|show|score|verify|allocate`, `kejin record`, `kejin recommend`."""

from __future__ import annotations

import sys
from enum import Enum
from pathlib import Path
from typing import Optional

import typer

from kejin.cli._common import SHEET_OPTION, OutputFormat, TableOrJson, console, err_console, format_help, print_table, progress, write_frame_json, write_json
from kejin.points.labels import COLUMN_LABELS

METHOD_HELP = "积分方法 id[@版本] 或方法文件 / points method id[@version] or a pack file"


class RecordFormat(str, Enum):
    table = "table"
    json = "json"
    html = "html"


class ListFormat(str, Enum):
    table = "table"
    csv = "csv"
    xlsx = "xlsx"
    json = "json"


def _header(column: str, labels: Optional[dict[str, tuple[str, str]]] = None) -> str:
    zh, en = (labels or {}).get(column) or COLUMN_LABELS.get(column) or (column, "")
    return f"{zh} {en}".strip()


def _csv_frame(frame):
    import polars as pl

    return frame.with_columns([pl.col(c).list.join(";") for c, t in frame.schema.items() if isinstance(t, pl.List)])


def _emit(frame, fmt: str, output: Optional[Path], title: str, columns: list[str], labels: Optional[dict[str, tuple[str, str]]] = None, sheet: str = "企业数据", bom: bool = False) -> None:
    """``frame`` as JSON, CSV, XLSX or a console table. ``bom``: a CSV file (not stdout) starts
    with the UTF-8 byte-order mark, so that Excel opens its Chinese text as UTF-8."""
    if fmt == "json":
        write_frame_json(frame, output)
    elif fmt == "csv":
        if output:
            from kejin.output import publish

            with publish(output) as handle:
                _csv_frame(frame).write_csv(handle, include_bom=bom)
        else:
            sys.stdout.write(_csv_frame(frame).write_csv())
    elif fmt == "xlsx":
        from kejin.cli.facts import _write_xlsx

        if not output:
            raise typer.BadParameter("xlsx 需要 --output / xlsx needs --output")
        _write_xlsx(_csv_frame(frame), output, labels, sheet)
    else:
        cols = [c for c in columns if c in frame.columns]
        print_table(title, [_header(c, labels) for c in cols], frame.select(cols).head(200).rows())
        if frame.height > 200:
            console.print(f"… 共 {frame.height} 行 / {frame.height} rows in all")
        if output:
            _emit(frame, "csv", output, title, columns, labels, sheet, bom)
    if output and fmt != "table":
        console.print(f"[green]✓[/] {frame.height} 行 / rows → {output}", highlight=False) if fmt != "json" or output else None


def register(app: typer.Typer) -> None:
    points = typer.Typer(help="创新积分 / innovation points: methods, scoring, verification, allocation", no_args_is_help=True)
    app.add_typer(points, name="points")

    @points.command("methods", help="列出积分方法 / list the points methods")
    def methods() -> None:
        from kejin.points.methods import all_methods

        rows = [(m.ref, m.meta.name.zh, m.meta.name.en, m.extends or "—", len(m.indicators), len(m.bonus.indicators), m.meta.source.confidence, m.sha256[:16]) for m in all_methods()]
        print_table("积分方法 / points methods", ["method", "名称", "name", "继承 extends", "指标 indicators", "加分 bonus", "可信度 confidence", "sha256"], rows)

    @points.command("sql", help="把方法写成一条 SQL 查询（DuckDB）以便独立复算 / the method as one SQL query (DuckDB), to recompute without kejin")
    def sql_cmd(
        method: str = typer.Argument("national-core", help=METHOD_HELP),
        table: str = typer.Option("facts", "--table", help="事实表名 / name of the facts table"),
        output: Optional[Path] = typer.Option(None, "--output", "-o", help="输出文件 / output file"),
    ) -> None:
        from kejin.points.methods import resolve
        from kejin.points.sql import method_sql

        m = resolve(method)
        text = f"-- {m.ref} sha256 {m.sha256}: uscc, year, stage, points, tier\n{method_sql(m, table)};\n"
        if output:
            Path(output).write_text(text, encoding="utf-8")
            console.print(f"[green]✓[/] → {output}", highlight=False)
        else:
            sys.stdout.write(text)

    @points.command("show", help="显示方法的指标、权重、阶段和榜单 / show a method's indicators, weights, stages, tiers")
    def show(method: str = typer.Argument("national-core", help=METHOD_HELP), fmt: TableOrJson = typer.Option(TableOrJson.table, "--format", help=format_help(TableOrJson))) -> None:
        from kejin.points.methods import resolve

        m = resolve(method)
        if fmt == TableOrJson.json:  # one method: one JSON object
            write_json(m.model_dump(mode="json", by_alias=True), None)
            return
        console.print(f"[bold]{m.ref}[/] {m.meta.name.zh} / {m.meta.name.en}\nSHA-256 {m.sha256}\n来源 source: {m.meta.source.document} ({m.meta.source.confidence})")
        print_table("阶段 / stages (first match)", ["stage", "名称", "name", "条件 when"], [(s.id, s.name.zh, s.name.en, s.when) for s in m.stages])
        stages = m.stage_ids
        rows = []
        for i in m.indicators:
            g = next(g for g in m.groups if g.id == i.group)
            rows.append((g.name.zh, i.id, i.name.zh, i.value, i.normalise.method, *[m.stage_weights(s).get(i.id, 0) for s in stages]))
        print_table("指标与权重 / indicators and weights", ["组 group", "id", "名称", "表达式 value", "归一化 normalise", *stages], rows)
        if m.bonus.indicators:
            print_table(f"加分 / bonus (cap {m.bonus.cap:g})", ["id", "名称", "表达式 value", "归一化", "points"], [(b.id, b.name.zh, b.value, b.normalise.method, b.points) for b in m.bonus.indicators])
        print_table("榜单 / tiers (share of cohort)", ["tier", "名称", "name", "top"], [(t.id, t.name.zh, t.name.en, t.top) for t in m.tiers.rules])
        console.print(f"比较组 cohort: year × stage{' × region' + str(m.cohort.region_digits) if m.cohort.region_digits else ''}{' × industry ' + m.cohort.industry if m.cohort.industry != 'none' else ''}, min {m.cohort.min_size} ({m.cohort.on_small}); 缺失 missing: {m.missing.policy} ≤ {m.missing.max_unusable_weight:g}")

    @points.command("score", help="计算创新积分 / score enterprise-years")
    def score_cmd(
        method: str = typer.Option("national-core", "--method", "-m", help=METHOD_HELP),
        input: Path = typer.Option(..., "--input", "-i", help="事实数据 CSV/XLSX/Parquet / facts file"),
        sheet: Optional[str] = SHEET_OPTION,
        fmt: OutputFormat = typer.Option(OutputFormat.table, "--format", help=format_help(OutputFormat)),
        output: Optional[Path] = typer.Option(None, "--output", "-o", help="输出文件 / output file"),
        year: Optional[int] = typer.Option(None, "--year", help="只输出该年度 / only this year"),
        detail: bool = typer.Option(False, "--detail", help="附各指标原值与得分 / add raw values and indicator scores"),
    ) -> None:
        import polars as pl

        from kejin.facts import load_facts
        from kejin.points.engine import as_method, prepare, score, write_prepared_csv

        method = as_method(method)
        with progress("读取 / reading"):  # only the fields the method reads are typed and checked
            facts = load_facts(input, sheet, fields=method.input_columns())
        if year is not None:
            from kejin.points.years import check_year

            check_year(year, facts, "points.year")
        if fmt == OutputFormat.csv and output:  # the scoring query streams straight into the file
            with progress("评分 / scoring"):
                prepared = prepare(facts, method, digest_in_background=True)
                del facts  # only the prepared table (the method's columns, with the lags) is held from here
                rows = write_prepared_csv(prepared, output, year=year, detail=detail)
            console.print(f"[green]✓[/] {rows} 行 / rows → {output}", highlight=False)
            return
        with progress("评分 / scoring"):
            res = score(facts, method, detail=detail)
        if year is not None:
            res = res.filter(pl.col("year") == year)
        _emit(res, fmt.value, output, "创新积分 / innovation points", ["uscc", "name", "year", "stage", "points", "percentile", "rank", "tier", "status", "raised", "lowered", "unusable"])

    @points.command("verify", help="复算并核对已发布的积分 / recompute and confirm published results")
    def verify_cmd(
        results: Path = typer.Argument(..., help="积分结果 CSV/JSON / results file"),
        input: Path = typer.Option(..., "--input", "-i", help="事实数据 / facts file"),
        sheet: Optional[str] = SHEET_OPTION,
        method: Optional[str] = typer.Option(None, "--method", "-m", help="指定方法文件（默认按结果中的 id@版本）/ method pack (default: id@version in the results)"),
    ) -> None:
        from kejin.facts import load_facts
        from kejin.points.verify import read_results, verify

        facts = load_facts(input, sheet)
        rep = verify(read_results(results), facts, method)
        if rep.ok:
            years = ", ".join(map(str, rep.years))
            console.print(f"[green]✓ 核对一致 / verified[/]: {rep.checked} 行 rows ({years}), {rep.method} sha256 {rep.method_sha256[:16]}…, input digest {rep.input_digest[:16]}…")
            console.print(f"核对的列 / columns compared: {', '.join(rep.columns)}", highlight=False)
            return
        console.print(f"[red]✗ 不一致 / mismatch[/]: {len(rep.differences)}{'+' if len(rep.differences) >= 100 else ''} 处差异 / differences")
        console.print(f"首个差异 / first difference: {rep.first.text()}", highlight=False)
        raise typer.Exit(1)

    @points.command("allocate", help="按积分分配财政资金（精确到分）/ split a budget by points, exact to the fen")
    def allocate_cmd(
        budget: str = typer.Option(..., "--budget", "-b", help="预算（元，精确到分）/ budget in yuan"),
        rule: str = typer.Option("proportional", "--rule", help="分配规则 proportional（按积分比例）| tiered（按榜单权重）| capped（封顶）/ allocation rule"),
        input: Optional[Path] = typer.Option(None, "--input", "-i", help="事实数据（将先评分）/ facts (scored first)"),
        sheet: Optional[str] = SHEET_OPTION,
        results: Optional[Path] = typer.Option(None, "--results", help="已有积分结果 / existing results file"),
        method: str = typer.Option("national-core", "--method", "-m", help=METHOD_HELP),
        cap: Optional[str] = typer.Option(None, "--cap", help="每家上限（元）/ per-firm cap (yuan)"),
        floor: Optional[str] = typer.Option(None, "--floor", help="每家下限（元）/ per-firm floor (yuan)"),
        year: Optional[int] = typer.Option(None, "--year", help="年度（默认：数据中最近一年）/ year (default: the latest in the data)"),
        min_tier: Optional[str] = typer.Option(None, "--min-tier", help="最低榜单 lead|race|strive|none / lowest eligible tier"),
        fmt: OutputFormat = typer.Option(OutputFormat.table, "--format", help=format_help(OutputFormat)),
        output: Optional[Path] = typer.Option(None, "--output", "-o", help="输出文件 / output file"),
    ) -> None:
        from kejin.points.allocate import allocate, fen_text

        if results and input:
            raise typer.BadParameter("--input 与 --results 只能给一个 / give --input or --results, not both", param_hint="--input / --results")
        if results:
            from kejin.points.verify import read_results

            res = read_results(results)
        elif input:
            from kejin.facts import load_facts
            from kejin.points.engine import score

            res = score(load_facts(input, sheet), method)
        else:
            raise typer.BadParameter("需要 --input 或 --results / needs --input or --results")
        a = allocate(res, budget, rule, cap=cap, floor=floor, year=year, min_tier=min_tier)  # type: ignore[arg-type]
        if fmt == OutputFormat.json:
            write_json(a.as_dict(), output)
            return
        if fmt == OutputFormat.csv:
            _emit(a.table, "csv", output, "", [], bom=True)
            return
        shown = [c for c in ("uscc", "name", "points", "tier", "amount_yuan", "bound") if c in a.table.columns]
        print_table(f"分配 / allocation — {rule}, 预算 budget {fen_text(a.budget_fen)} 元", [_header(c) for c in shown], a.table.select(shown).head(50).rows())
        if a.table.height > 50:
            console.print(f"… 共 {a.table.height} 行，完整名单用 --format csv/json / {a.table.height} rows in all; --format csv or json gives every row", highlight=False)
        cap = f"{fen_text(a.parameters['cap_fen'])} ({a.parameters['cap_basis']})" if a.parameters["cap_fen"] is not None else "—"
        console.print(f"合计 / total {fen_text(int(a.table['amount_fen'].sum()))} 元 = 预算 budget ✓ · {a.table.height} 家 firms · 规则 rule {rule} · 上限 cap {cap} · 下限 floor {fen_text(a.parameters['floor_fen'])}", highlight=False)
        for note in a.notes:
            console.print(f"[yellow]注意 / note[/] {note['zh']} / {note['en']}", highlight=False)
        if output:
            _emit(a.table, "csv", output, "", [], bom=True)

    @app.command("record", help="技术侧信用记录 / a firm's technology-side credit record")
    def record_cmd(
        uscc: str = typer.Option(..., "--uscc", help="统一社会信用代码 / USCC"),
        input: Path = typer.Option(..., "--input", "-i", help="事实数据（全部企业，供比较组）/ facts (all firms, for cohorts)"),
        sheet: Optional[str] = SHEET_OPTION,
        patents: Optional[Path] = typer.Option(None, "--patents", help="专利清单 CSV/XLSX/Parquet / patent list (CSV, XLSX or Parquet)"),
        method: str = typer.Option("national-core", "--method", "-m", help=METHOD_HELP),
        fmt: RecordFormat = typer.Option(RecordFormat.table, "--format", help=format_help(RecordFormat)),
        output: Optional[Path] = typer.Option(None, "--output", "-o", help="输出文件 / output file"),
    ) -> None:
        from kejin.errors import InputError, Problem
        from kejin.facts import codes, load_facts
        from kejin.points.credit_record import record
        from kejin.points.patents import load_patents

        uscc = uscc.strip().upper()  # typed by hand: case does not matter, the codes are upper case
        why = codes.uscc_problem(uscc)
        if why:  # say what is wrong with the code rather than that no firm has it
            raise InputError(Problem(why[0], f"--uscc 统一社会信用代码{why[1]}", f"--uscc: USCC {why[2]}", field="uscc", value=uscc))
        facts = load_facts(input, sheet)
        rec = record(facts, uscc, patents=load_patents(patents) if patents else None, method=method)
        if fmt == RecordFormat.json:
            write_json(rec, output)
            return
        if fmt == RecordFormat.html:
            from kejin.points.report_html import render

            out = output or Path(f"record-{uscc}.html")
            out.write_text(render(rec), encoding="utf-8")
            console.print(f"[green]✓[/] 信用记录 / record → {out}")
            return
        print_record(rec)

    @app.command("recommend", help="推荐名单（附理由）/ ranked recommendation list with reasons")
    def recommend_cmd(
        input: Path = typer.Option(..., "--input", "-i", help="事实数据 / facts file"),
        sheet: Optional[str] = SHEET_OPTION,
        method: str = typer.Option("national-core", "--method", "-m", help=METHOD_HELP),
        min_tier: str = typer.Option("strive", "--min-tier", help="最低榜单 lead|race|strive|none / lowest tier"),
        sectors: Optional[str] = typer.Option(None, "--sectors", help="前沿领域，逗号分隔 / sectors, comma-separated"),
        region: Optional[str] = typer.Option(None, "--region", help="行政区划代码前缀 / region code prefix"),
        standards: Optional[str] = typer.Option(None, "--standards", help="须符合的标准，逗号分隔 / standards to meet"),
        year: Optional[int] = typer.Option(None, "--year", help="年度（默认：数据中最近一年）/ year (default: the latest in the data)"),
        fmt: ListFormat = typer.Option(ListFormat.table, "--format", help=format_help(ListFormat, "（xlsx 需 --output）", " (xlsx needs --output)")),
        output: Optional[Path] = typer.Option(None, "--output", "-o", help="输出文件 / output file"),
    ) -> None:
        from kejin.facts import load_facts
        from kejin.points.recommend import recommend

        split = lambda s: [x.strip() for x in s.split(",") if x.strip()] if s else None  # noqa: E731
        facts = load_facts(input, sheet)
        funnel: dict[str, int] = {}
        rec = recommend(facts, method, min_tier, split(sectors), region, split(standards), year, funnel=funnel)
        _emit(rec, fmt.value, output, f"推荐名单 / recommendation list ({rec.height})", ["position", "uscc", "name", "points", "tier", "standards_met", "reason_zh", "reason_en"], COLUMN_LABELS, "推荐名单", bom=True)
        if not rec.height:
            _explain_empty(funnel, min_tier, err_console if fmt != ListFormat.table else console)


def _explain_empty(funnel: dict[str, int], min_tier: str, console=console) -> None:
    """Why a recommendation list is empty: the firms left after each filter, and the way out
    when every scored firm is in a cohort too small for lists (on stderr when stdout carries the
    list as JSON or CSV, which must stay well-formed)."""
    steps = {"scored": "已评分 scored", "tier": f"榜单 ≥ {min_tier} tier", "region": "地区 region", "sectors": "领域 sectors", "standards": "标准 standards"}
    left = " → ".join(f"{label} {funnel[key]}" for key, label in steps.items() if key in funnel)
    console.print(f"[yellow]没有企业符合条件 / no firm meets the filters[/]: {left}", highlight=False)
    if funnel.get("scored") and funnel.get("tier") == 0 and funnel.get("small_cohort"):
        console.print(
            f"其中 {funnel['small_cohort']} 家所在比较组过小、未分榜；用 --min-tier none 可列出 / "
            f"{funnel['small_cohort']} scored firms are in cohorts too small for lists; --min-tier none lists them",
            highlight=False,
        )


def print_record(rec: dict) -> None:
    from kejin.points.engine import STATUS
    from kejin.points.report_html import OUT_OF_SCOPE

    console.print(f"[bold]技术侧信用记录 / Technology-side credit record[/]: {rec['name']} ({rec['uscc']})", highlight=False)
    digest = f"{rec['input_digest'][:16]}…" if rec["input_digest"] else "—"
    console.print(f"方法 method {rec['method']}@{rec['method_version']} · sha256 {rec['method_sha256'][:16]}… · input digest {digest}", highlight=False)
    tiers = rec["tiers"]
    print_table(
        "积分与名次轨迹 / points and rank trajectory (研发：万元 / R&D in 10k yuan)",
        ["年度 year", "阶段 stage", "积分 points", "状态 status", "百分位 pct", "名次 rank", "榜单 tier", "研发 R&D", "Ⅰ类 IP1 (Δ)", "Ⅱ类 IP2 (Δ)"],
        [
            (
                y["year"], y["stage"], f"{y['points']:.2f}" if y["points"] is not None else "—", " / ".join(STATUS.get(y["status"] or "", OUT_OF_SCOPE)), y["percentile"],
                f"{y['rank']}/{y['cohort_size']}" if y["rank"] else "—",
                " ".join(tiers[y["tier"]].values()) if y["tier"] in tiers else "—", f"{y['rd_expense'] / 1e4:,.1f}" if y["rd_expense"] is not None else "—",
                f"{y['ip_stock']['ip_class1']} ({y['ip_flow']['ip_class1'] if y['ip_flow']['ip_class1'] is not None else '—'})",
                f"{y['ip_stock']['ip_class2']} ({y['ip_flow']['ip_class2'] if y['ip_flow']['ip_class2'] is not None else '—'})",
            )
            for y in rec["years"]
        ],
    )
    if not rec["in_scope"]:
        console.print(f"[yellow]该企业不在方法 {rec['method']} 的范围内（地区或领域），未评分 / the firm is outside the scope of method {rec['method']} (region or sectors): not scored[/]", highlight=False)
    for y in rec["years"]:
        unusable = f" · 无法使用 unusable: {y['unusable']}" if y.get("unusable") else ""
        console.print(f"{y['year']} 符合标准 standards met: {', '.join(y['standards_met']) or '—'}{unusable}", highlight=False)
    last = rec["years"][-1]
    console.print(f"最新加分项 raised: {last['raised'] or '—'} · 减分项 lowered: {last['lowered'] or '—'} · 无法使用 unusable: {last['unusable'] or '—'}", highlight=False)
    rd = rec["rd_continuity"]
    console.print(f"研发连续性（时间账单）/ R&D continuity: 连续 {rd['unbroken_rd_years']} 年 unbroken years, 累计研发 cumulative R&D {rd['cumulative_rd']:,.2f} 元 ({rd['first_year']}–{rd['last_year']})", highlight=False)
    tp = rec.get("tech_path")
    if tp:
        print_table(
            "技术路径 / technology path (IPC subclasses)",
            ["年度 year", "申请 filed", "授权 granted", "小类 classes", "集中度 HHI", "偏移 shift", "新进入 new"],
            [(y["year"], y["filed"], y["granted"], ", ".join(f"{k}:{v}" for k, v in y["classes"].items()), y["hhi"], y["shift_from_before"], ", ".join(y["new_classes"])) for y in tp["years"]],
        )
