"""`kejin standards list|show|eval|explain`."""

from __future__ import annotations

import sys
from datetime import datetime
from pathlib import Path
from typing import Optional

import polars as pl
import typer
from rich.panel import Panel
from rich.table import Table

from kejin.cli._common import SHEET_OPTION, OutputFormat, TableOrJson, console, format_help, print_table, progress, write_json

standards_app = typer.Typer(help="公开评价标准规则包 / public evaluation standards as rule packs", no_args_is_help=True)


@standards_app.command("list", help="列出规则包 / list packs and versions")
def list_packs() -> None:
    from kejin.standards.registry import all_versions

    rows = []
    for p in sorted(all_versions(), key=lambda p: (p.id, p.effective.from_)):
        rows.append((p.id, p.version, p.name.zh, p.name.en, str(p.effective.from_), str(p.effective.to or ""), p.source.confidence, len(p.uncertain)))
    print_table("规则包 / Standard packs", ["id", "version", "名称", "name", "effective from", "to", "confidence", "uncertain"], rows)


@standards_app.command("show", help="显示规则包内容 / show a pack: source, indicators, tiers, conditions")
def show(pack: str = typer.Argument(..., help="ID 或 ID@VERSION / pack id")) -> None:
    from kejin.standards import results
    from kejin.standards.registry import resolve

    for p in resolve(pack):
        console.print(Panel.fit(f"[bold]{p.name.zh}[/] / {p.name.en}\n{p.id}@{p.version} · {p.issuer.zh} / {p.issuer.en}\n"
                                f"来源 source: {p.source.document} ({p.source.confidence})\n"
                                f"生效 effective: {p.effective.from_} → {p.effective.to or '—'}\nsha256: {p.sha256}"))
        if p.indicators:
            t = Table(title="指标 / indicators", header_style="bold")
            for c in ("id", "指标", "indicator", "max", "value", "bands"):
                t.add_column(c, overflow="fold")
            for ind in p.indicators:
                for sc in ind.scales:
                    bands = f"points = value, 0–{sc.max_points:g}" if sc.points_from_value else "; ".join(results.tier_text(t_) for t_ in sc.tiers)
                    t.add_row(ind.id if sc.id == ind.id else f"{ind.id}/{sc.id}", sc.name.zh, sc.name.en, f"{ind.max_points:g}", sc.value or "", bands)
            console.print(t)
        t = Table(title="判定 / verdict", header_style="bold")
        for c in ("kind", "id", "条件", "condition", "rule"):
            t.add_column(c, overflow="fold")
        for g in p.verdict.gates:
            t.add_row("gate", g.id, g.name.zh, g.name.en, g.when)
        for r in p.verdict.routes:
            rule = " and ".join(c.when for c in r.all)
            if r.kind == "score" and r.min_total:
                rule = f"total {'>=' if r.min_total.ge is not None else '>'} {r.min_total.ge if r.min_total.ge is not None else r.min_total.gt}"
            t.add_row(f"route:{r.kind}", r.id, r.name.zh, r.name.en, rule)
        console.print(t)
        for u in p.uncertain:
            console.print(f"[yellow]待核实 uncertain[/] {u.key}: {u.note}")
        for n in p.notes:
            console.print(f"[dim]注 note[/] {n}")


@standards_app.command("eval", help="批量评价 / evaluate packs over a facts file")
def eval_cmd(
    pack: str = typer.Option("all", "--pack", help="all、ID、ID@VERSION 或逗号分隔 / pack(s)"),
    input: Path = typer.Option(..., "--input", help="事实数据 / facts file (.csv/.xlsx/.parquet)"),
    sheet: Optional[str] = SHEET_OPTION,
    year: Optional[int] = typer.Option(None, "--year", help="只输出该年度 / only this fiscal year"),
    format: OutputFormat = typer.Option(OutputFormat.table, "--format", help=format_help(OutputFormat)),
    output: Optional[Path] = typer.Option(None, "--output", help="输出文件 / output file"),
    gaps: bool = typer.Option(True, "--gaps/--no-gaps", help="差距分析 / gap analysis"),
    as_of: Optional[datetime] = typer.Option(None, "--as-of", formats=["%Y-%m-%d"], help="按该日生效的版本 / use the versions in force on this date"),
    chunk_rows: int = typer.Option(131_072, "--chunk-rows", min=1, help="每批行数（按企业切分，限制内存）/ rows per chunk (cut between firms; bounds memory)"),
) -> None:
    from kejin.output import publish
    from kejin.standards import batch
    from kejin.standards.registry import resolve

    packs = resolve(pack, on=as_of.date() if as_of else None)
    with progress("读取 / reading", total=None):
        source = batch.open_facts(input, packs, sheet, chunk_rows=chunk_rows)
    if format == OutputFormat.json:
        with progress("评价 / evaluating", total=source.rows) as bar, publish(output) as handle:
            _write_json_records(handle, packs, source, gaps, year, bar.advance)
        return
    if format == OutputFormat.csv:
        with progress("评价 / evaluating", total=source.rows) as bar:
            batch.write_csv(batch.wide_chunks(source, packs, gaps=gaps, year=year), output, on_chunk=lambda t: bar.advance(t.height))
        return
    counts = {p.id: {"rows": 0, "pass": 0, "fail": 0, "not_evaluable": 0} for p in packs}
    with progress("评价 / evaluating", total=source.rows) as bar:

        def tally(table: pl.DataFrame) -> None:
            bar.advance(table.height)
            for p in packs:
                c = counts[p.id]
                c["rows"] += table.height
                for status, n in table[f"{p.id}.status"].value_counts().iter_rows():
                    c[status] += n

        chunks = batch.wide_chunks(source, packs, gaps=gaps, year=year)
        if output:
            batch.write_csv(chunks, output, on_chunk=tally)
        else:
            for table in chunks:
                tally(table)
    summary = [(p.ref, p.name.zh, counts[p.id]["rows"], counts[p.id]["pass"], counts[p.id]["fail"], counts[p.id]["not_evaluable"]) for p in packs]
    print_table("评价结果汇总 / Evaluation summary", ["pack", "名称", "rows", "符合 pass", "不符合 fail", "无法评价 n/a"], summary)
    if output:
        console.print(f"→ {output}")


def _write_json_records(handle, packs, source, gaps: bool, year: int | None, advance) -> None:
    """One JSON array of records (one per enterprise-year and pack), written chunk by chunk."""
    import json

    from kejin.standards import batch, engine, results

    handle.write(b"[")
    first = True
    for facts in batch.check_year(source, year, source.label):
        prepared = engine.prepare(facts, packs)
        for p in packs:
            frame = engine.evaluate_pack(prepared, p, gaps=gaps, year=year)
            for record in results.records(p, frame):
                handle.write((b"\n" if first else b",\n") + json.dumps(record, ensure_ascii=False, indent=2, default=str).encode("utf-8"))
                first = False
        advance(facts.height)
    handle.write(b"\n]\n" if not first else b"]\n")


@standards_app.command("explain", help="单个企业的完整评价与差距分析 / full breakdown and gap analysis for one firm")
def explain(
    pack: str = typer.Option("all", "--pack", help="pack id(s)"),
    uscc: str = typer.Option(..., "--uscc", help="统一社会信用代码 / USCC"),
    input: Path = typer.Option(..., "--input", help="事实数据 / facts file"),
    sheet: Optional[str] = SHEET_OPTION,
    year: Optional[int] = typer.Option(None, "--year", help="年度（默认最新）/ fiscal year (default: latest)"),
    format: TableOrJson = typer.Option(TableOrJson.table, "--format", help=format_help(TableOrJson)),
) -> None:
    from kejin.errors import NotFoundError, Problem
    from kejin.standards import batch
    from kejin.standards import explain as ex
    from kejin.standards.registry import resolve

    packs = resolve(pack)
    # the same fields as `eval` reads and checks, so a file works for both or fails for both
    (facts,) = batch.open_facts(input, packs, sheet, chunk_rows=sys.maxsize)
    code = uscc.strip().upper()
    firm = facts.filter(pl.col("uscc") == code)
    if firm.is_empty():
        firms = facts.get_column("uscc").unique(maintain_order=True)
        some = "、".join(firms.head(5).to_list()) + ("…" if firms.len() > 5 else "")
        some_en = ", ".join(firms.head(5).to_list()) + (", …" if firms.len() > 5 else "")
        raise NotFoundError(
            Problem(
                "firm.unknown",
                f"选项 --uscc {uscc}：文件中没有该企业；文件共有 {firms.len()} 家企业" + (f"，如 {some}" if firms.len() else ""),
                f"option --uscc {uscc}: no such firm in the file; the file has {firms.len()} firm(s)" + (f", e.g. {some_en}" if firms.len() else ""),
                file=str(input),
                value=uscc,
            )
        )
    years = firm.get_column("year").unique().sort().to_list()
    if year is not None and year not in years:
        raise batch.year_not_found(year, years, str(input), firm=code)
    reports = ex.explain_firm(firm, packs, year)
    if format == TableOrJson.json:
        write_json(reports, None)
        return
    for rec in reports:
        ex.print_report(rec, console)


def register(app: typer.Typer) -> None:
    app.add_typer(standards_app, name="standards", help="公开评价标准 / public evaluation standards")
