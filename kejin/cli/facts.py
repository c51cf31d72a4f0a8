"""`kejin validate`, `kejin template`, `kejin synth`."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from kejin.cli._common import SHEET_OPTION, console, progress


def write_frame(frame, out: Path) -> None:
    suffix = out.suffix.lower()
    if suffix == ".parquet":
        frame.write_parquet(out)
    elif suffix == ".xlsx":
        _write_xlsx(frame, out)
    else:
        flat = frame.with_columns([frame[c].list.join(";").alias(c) for c, t in frame.schema.items() if str(t).startswith("List")])
        flat.write_csv(out)


def _write_xlsx(frame, out: Path, labels: dict[str, tuple[str, str]] | None = None, sheet: str = "企业数据") -> None:
    """``frame`` as one sheet: the facts' own columns under their Chinese import headers (so the
    file can be imported again), a column in ``labels`` as "中文 / English"."""
    from openpyxl import Workbook

    from kejin.facts import schema

    book = Workbook(write_only=True)
    ws = book.create_sheet(sheet)
    names = frame.columns
    labels = labels or {}
    ws.append([" / ".join(labels[c]) if c in labels else schema.field(c).header_zh() if c in schema.field_names() else c for c in names])
    for row in frame.iter_rows():
        ws.append([";".join(v) if isinstance(v, list) else v for v in row])
    book.save(out)


def register(app: typer.Typer) -> None:
    @app.command("validate", help="检查企业数据文件 / Validate an enterprise facts file (CSV, XLSX, Parquet)")
    def validate(
        file: Path = typer.Argument(..., help="事实数据文件 / facts file"),
        sheet: Optional[str] = SHEET_OPTION,
    ) -> None:
        from kejin.facts import load_facts

        with progress("校验 / validating"):
            frame = load_facts(file, sheet, strict=True)  # every column of the file must be a field
        firms = frame["uscc"].n_unique()
        console.print(f"[green]✓ 通过校验 / valid[/]: {file} — {frame.height} 行企业年度 / enterprise-years, {firms} 家企业 / firms")

    @app.command("template", help="生成带中文表头的 Excel 导入模板 / Write the Excel import template")
    def template(out: Path = typer.Option(Path("kejin-template.xlsx"), "--out", help="输出文件 / output .xlsx")) -> None:
        from kejin.facts.template import write_template

        write_template(out)
        console.print(f"[green]✓[/] 模板已写入 / template written: {out}")

    @app.command("synth", help="生成合成企业数据（标注为合成）/ Generate synthetic enterprise-years (labelled synthetic)")
    def synth(
        n: int = typer.Option(3000, "--n", min=1, help="企业年度行数 / number of enterprise-years"),
        seed: int = typer.Option(0, "--seed", help="随机种子 / random seed"),
        out: Path = typer.Option(Path("synthetic-facts.csv"), "--out", help="输出 .csv/.parquet/.xlsx / output file"),
        last_year: int = typer.Option(2024, "--last-year", help="最后年度 / last fiscal year"),
    ) -> None:
        from kejin.facts.synth import synth_facts

        with progress("生成 / generating"):
            frame = synth_facts(n, seed=seed, last_year=last_year)
            write_frame(frame, out)
        console.print(f"[green]✓[/] {frame.height} 行合成数据 / synthetic rows → {out}")
