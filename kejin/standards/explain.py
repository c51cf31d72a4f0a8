"""One firm, read by a person: every indicator, condition, the verdict and what would change it."""

from __future__ import annotations

from typing import Any

import polars as pl
from rich.console import Console
from rich.panel import Panel
from rich.table import Table

from kejin.standards import engine, results
from kejin.standards.pack import StandardPack

MARK = {True: "[green]✓[/]", False: "[red]✗[/]", None: "[yellow]?[/]"}


def explain_firm(firm: pl.DataFrame, packs: list[StandardPack], year: int | None = None) -> list[dict[str, Any]]:
    """The same batch engine on a one-firm table; returns one record per pack for the chosen year."""
    year = year if year is not None else int(firm["year"].max())
    out = []
    prepared = engine.prepare(firm, packs)
    for p in packs:
        frame = engine.evaluate_pack(prepared, p, gaps=True, year=year)
        out.extend(results.records(p, frame))
    return out


def _fmt(v: Any, unit: str | None = None) -> str:
    if v is None:
        return "—"
    if isinstance(v, float) and unit == "ratio":
        return f"{v:.2%}"
    if isinstance(v, (int, float)) and unit == "yuan":
        return f"¥{v:,.2f}"
    return f"{v:,.4g}" if isinstance(v, float) else str(v)


def print_report(rec: dict[str, Any], console: Console) -> None:
    status_zh, status_en = results.STATUS_TEXT[rec["status"]]
    colour = {"pass": "green", "fail": "red", "not_evaluable": "yellow"}[rec["status"]]
    band = rec["total_band"]
    total = "—" if band is None else (f"{band[0]:g}" if band[0] == band[1] else f"{band[0]:g}–{band[1]:g}")
    console.print(
        Panel.fit(
            f"[bold]{rec['name']}[/] {rec['uscc']} · {rec['year']}\n"
            f"{rec['pack']}@{rec['pack_version']} · 得分 total {total}"
            + (f" / {rec['max_total']:g}" if rec.get("max_total") else "")
            + f"\n[{colour}]{status_zh} / {status_en}[/] — {rec['reason']['zh']} / {rec['reason']['en']}"
        )
    )
    if rec["indicators"]:
        t = Table(header_style="bold")
        for c in ("指标 indicator", "取值 value", "得分 points", "满分 max"):
            t.add_column(c)
        for ind in rec["indicators"]:
            lo, hi = ind["points_band"]
            pts = f"{lo:g}" if lo == hi else f"{lo:g}–{hi:g} (?)"
            value = _fmt(ind["value"], ind["unit"])
            via = ind.get("via")
            if via and ind["value"] is not None:  # the alternative that earns the points
                value += f" ({via['name_zh']} / {via['name_en']})"
            t.add_row(f"{ind['name_zh']} / {ind['name_en']}", value, pts, f"{ind['max_points']:g}")
        console.print(t)
    t = Table(header_style="bold")
    for c in ("", "条件 / route", "condition"):
        t.add_column(c)
    for c in rec["conditions"]:
        t.add_row(MARK[c["met"]], f"{c['kind']} {c['id']}: {c['name_zh']}", c["name_en"])
    console.print(t)
    if rec["missing"]:
        console.print(f"[yellow]缺少 / missing:[/] {', '.join(rec['missing'])}")
    if rec["gaps"]:
        console.print("[bold]差距分析 / gap analysis[/]")
        for g in rec["gaps"]:
            star = "★ " if g["flips_verdict"] else "· "
            console.print(f"  {star}{g['zh']}\n    {g['en']}")
