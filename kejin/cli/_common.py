"""Shared CLI plumbing: bilingual error reporting, output formats, progress bars."""

from __future__ import annotations

import json
import re
import sys
from contextlib import contextmanager
from enum import Enum
from pathlib import Path
from typing import Any, Iterable, Iterator, Sequence

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from kejin.errors import InputError, KejinError, Problem

console = Console()
err_console = Console(stderr=True)


class OutputFormat(str, Enum):
    table = "table"
    json = "json"
    csv = "csv"


# ``--sheet`` on every command that reads a facts file: the worksheet of an Excel workbook to read
# (the reader's own error for a workbook whose data are on another sheet tells the user to pass
# it). A CSV or Parquet file has no sheets: the option is ignored there, as `kejin validate` does.
SHEET_OPTION: Any = typer.Option(None, "--sheet", help="Excel 工作表名（默认第一个）/ worksheet name (default: the first)")


class TableOrJson(str, Enum):
    """``--format`` of a command that shows one thing (a method, a firm's breakdown): no CSV."""

    table = "table"
    json = "json"


def format_help(choices: type[Enum], zh_note: str = "", en_note: str = "") -> str:
    """A ``--format`` help text listing exactly the values ``choices`` accepts, e.g.
    "输出格式 / output format: table | json | csv"."""
    values = " | ".join(str(c.value) for c in choices)
    return f"输出格式{zh_note} / output format{en_note}: {values}"


def report_error(exc: KejinError) -> None:
    problems = exc.problems
    if not err_console.is_terminal:  # logs and pipes: one whole problem per line
        sys.stderr.write(f"错误 / Error — {len(problems)} 个问题 / problem(s)\n")
        for p in problems:
            sys.stderr.write(p.text() + "\n")
        return
    title = f"错误 / Error — {len(problems)} 个问题 / problem(s)"
    table = Table(title=title, show_lines=False, header_style="bold red")
    for col in ("文件 file", "行 row", "字段/键 field/key", "值 value", "问题", "problem"):
        table.add_column(col, overflow="fold")
    for p in problems[:200]:
        table.add_row(
            p.file or "",
            "" if p.row is None else str(p.row),
            p.field or p.key or "",
            "" if p.value is None else str(p.value),
            p.zh,
            p.en,
        )
    err_console.print(table)
    if len(problems) > 200:
        err_console.print(f"… 另有 {len(problems) - 200} 个问题 / {len(problems) - 200} more problems")


_FILE_ERRORS: dict[type[OSError], tuple[str, str]] = {
    FileNotFoundError: ("文件或其所在文件夹不存在", "the file or its folder does not exist"),
    NotADirectoryError: ("路径中有一段不是文件夹", "a part of the path is not a folder"),
    IsADirectoryError: ("这是一个文件夹，不是文件", "this is a folder, not a file"),
    PermissionError: ("没有读写该文件的权限", "no permission to read or write this file"),
}


def file_error(exc: OSError) -> InputError:
    """A file the command could not open, as a bilingual problem naming the file."""
    zh, en = next(text for kind, text in _FILE_ERRORS.items() if isinstance(exc, kind))
    return InputError(Problem("file.open", zh, en, file=str(exc.filename or "")))


def run_app(app: typer.Typer) -> None:
    try:
        # without standalone mode click hands back a command's `typer.Exit(code)` as the return
        # value instead of raising it; it must still become the process's exit status
        code = app(standalone_mode=False)
        if isinstance(code, int) and code:
            sys.exit(code)
    except KejinError as exc:
        report_error(exc)
        sys.exit(exc.exit_code)
    except typer.Exit as exc:
        sys.exit(exc.exit_code)
    except (FileNotFoundError, NotADirectoryError, IsADirectoryError, PermissionError) as exc:
        report_error(file_error(exc))  # e.g. --output into a folder that does not exist
        sys.exit(KejinError.exit_code)
    except typer.Abort:
        err_console.print("已中止 / Aborted")
        sys.exit(1)
    except Exception as exc:  # usage errors (unknown option, bad value) carry their own exit code
        if isinstance(exc, _usage_error_types()):
            zh, en = _USAGE_WORDS.get(type(exc).__name__, _USAGE_WORDS["UsageError"])
            err_console.print(f"{zh}（见下；--help 列出全部选项）/ {en} (below; --help lists every option)", highlight=False)
            try:
                detail = _usage_detail_zh(exc)
            except Exception:  # the Chinese line is a courtesy: click's own message still follows
                detail = None
            if detail:
                err_console.print(detail, highlight=False, markup=False, soft_wrap=True)
            exc.show()  # type: ignore[attr-defined]
            sys.exit(getattr(exc, "exit_code", 2))
        raise


# Click's usage errors by class, in both languages (``_usage_detail_zh`` gives the detail line in
# Chinese, above click's own English one)
_USAGE_WORDS = {
    "MissingParameter": ("缺少必需的选项或参数", "a required option or argument is missing"),
    "NoSuchOption": ("没有这个选项", "no such option"),
    "BadParameter": ("选项或参数的值无效", "an option or argument has an invalid value"),
    "BadOptionUsage": ("选项用法有误", "an option is used wrongly"),
    "BadArgumentUsage": ("参数用法有误", "an argument is used wrongly"),
    "UsageError": ("命令用法有误", "usage error"),
}


# click's and pydantic's reasons for a value refused, in Chinese (the English line follows)
_VALUE_REASONS = [
    (r"'(.*?)' is not one of (.+?)\.?$", r"\1 不是可选值之一（可选：\2）"),
    (r"valid integer", "应为整数"),
    (r"valid (number|float)", "应为数字"),
    (r"valid date", "应为日期（YYYY-MM-DD）"),
    (r"greater than or equal to (\S+)", r"应不小于 \1"),
    (r"greater than (\S+)", r"应大于 \1"),
    (r"less than or equal to (\S+)", r"应不大于 \1"),
    (r"less than (\S+)", r"应小于 \1"),
    (r"(?:File|Directory|Path) '(.+?)' does not exist", r"\1 不存在"),
    (r"(?:File|Path) '(.+?)' is a directory", r"\1 是文件夹，不是文件"),
]


def _param_hint(exc: BaseException) -> str:
    """The option or argument a usage error is about, as click names it ("'--format' / '-f'")."""
    hint = getattr(exc, "param_hint", None)
    param = getattr(exc, "param", None)
    if hint is None and param is not None:
        hint = param.get_error_hint()
    if isinstance(hint, (list, tuple)):
        hint = " / ".join(f"'{h}'" for h in hint)
    return str(hint or "")


def _usage_detail_zh(exc: BaseException) -> str | None:
    """The Chinese counterpart of click's one-line reason (printed above it), for the usage
    errors a user meets: an unknown option, a missing one, a value that is not allowed."""
    kind = type(exc).__name__
    if kind == "NoSuchOption":
        maybe = list(getattr(exc, "possibilities", None) or [])
        return f"没有选项 {exc.option_name}" + (f"；是否想用 {'、'.join(maybe)}？" if maybe else "")  # type: ignore[attr-defined]
    hint = _param_hint(exc)
    if kind == "MissingParameter":
        what = "参数" if getattr(exc, "param_type", None) == "argument" or getattr(getattr(exc, "param", None), "param_type_name", "") == "argument" else "选项"
        return f"缺少必需的{what} {hint}".rstrip()
    message = str(getattr(exc, "message", ""))
    if re.search(r"[\u4e00-\u9fff]", message):  # kejin's own message, already in both languages
        return None
    if kind == "BadParameter":
        reason = next((found.expand(zh) for pattern, zh in _VALUE_REASONS if (found := re.search(pattern, message))), None)
        return f"{hint or '选项或参数'} 的值无效" + (f"：{reason}" if reason else "（详情见下方英文说明）")
    if kind == "BadOptionUsage":
        if re.search(r"requires an argument", message):
            return f"选项 {exc.option_name} 后面缺少取值"  # type: ignore[attr-defined]
        return f"选项 {exc.option_name} 用法有误（详情见下方英文说明）"  # type: ignore[attr-defined]
    if found := re.fullmatch(r"No such command '(.+?)'\.(?: Did you mean '(.+?)'\?)?", str(getattr(exc, "message", ""))):
        return f"没有命令 {found[1]}" + (f"；是否想用 {found[2]}？" if found[2] else "")
    return None


def _usage_error_types() -> tuple[type[BaseException], ...]:
    """Click's usage-error base class: vendored inside Typer (``typer.TyperException``, Typer ≥
    0.2x) or the separate ``click`` package (older Typer)."""
    types: list[type[BaseException]] = []
    if hasattr(typer, "TyperException"):
        types.append(typer.TyperException)
    try:
        import click

        types.append(click.ClickException)
    except ImportError:
        pass
    return tuple(types)


@contextmanager
def progress(description: str, total: int | None = None) -> Iterator[Any]:
    """A Rich progress bar on stderr; silent when stderr is not a terminal."""
    with Progress(
        TextColumn("[bold blue]{task.description}"),
        BarColumn(),
        TextColumn("{task.completed}/{task.total}"),
        TimeElapsedColumn(),
        console=err_console,
        transient=True,
        disable=not err_console.is_terminal,
    ) as bar:
        task = bar.add_task(description, total=total)

        class _Handle:
            def advance(self, n: int = 1) -> None:
                bar.advance(task, n)

            def update(self, **kw: Any) -> None:
                bar.update(task, **kw)

        yield _Handle()


def write_text_output(text: str, output: Path | None) -> None:
    """``text`` (UTF-8) to ``output``, which appears only once complete, or to stdout."""
    if output:
        from kejin.output import publish

        with publish(Path(output)) as handle:
            handle.write(text.encode("utf-8"))
    else:
        sys.stdout.write(text)


def write_json(value: Any, output: Path | None) -> None:
    """A JSON document — records as an array, or one object — to ``output`` or stdout
    (``write_text_output``): Chinese as it is, indented, dates and decimals as text."""
    write_text_output(json.dumps(value, ensure_ascii=False, indent=2, default=str) + "\n", output)


SHORT_CELL = 14  # display cells (a CJK character is two)


def _two_line_header(header: str) -> str:
    """"年度 year" → "年度" over "year": the Chinese label, then the English one."""
    head, _, rest = header.partition(" ")
    return f"{head}\n{rest}" if rest and not head.isascii() else header


def write_frame_json(frame: Any, output: Path | None) -> None:
    """A table as a JSON array of row objects, written by Polars (a million rows in seconds, not
    minutes); a file appears only once complete."""
    if output:
        from kejin.output import publish

        with publish(Path(output)) as handle:
            frame.write_json(handle)
            handle.write(b"\n")
    else:
        sys.stdout.write(frame.write_json() + "\n")


def print_table(title: str, columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> None:
    """A table on the console. When the terminal is wide enough, columns whose values are all
    short (codes, numbers, years) are never wrapped and long text folds; otherwise every column
    folds, so that no column is cut off."""
    from rich.cells import cell_len

    target = _table_console or console
    cells = [["" if v is None else str(v) for v in row] for row in rows]
    headers = [_two_line_header(c) for c in columns]
    widest = [max([cell_len(r[i]) for r in cells] + [cell_len(line) for line in h.split("\n")]) for i, h in enumerate(headers)]
    short = [w <= SHORT_CELL for w in widest]
    needed = sum(w if s else SHORT_CELL for w, s in zip(widest, short)) + 3 * len(headers) + 1
    fits = needed <= target.width
    table = Table(title=title, header_style="bold")
    for header, width, is_short in zip(headers, widest, short):
        if fits and is_short:
            table.add_column(header, no_wrap=True, min_width=width)
        else:
            table.add_column(header, overflow="fold", min_width=SHORT_CELL if fits else None)
    for row in cells:
        table.add_row(*row)
    target.print(table)


_table_console: Console | None = None  # where ``print_table`` writes inside ``tables_to``
TABLE_FILE_WIDTH = 200  # characters a line of a table written to a file may take


@contextmanager
def tables_to(output: Path | None) -> Iterator[None]:
    """Inside the block, ``print_table`` writes its tables to ``output`` as plain text (no colour,
    lines up to ``TABLE_FILE_WIDTH``) instead of the terminal; the file appears only once the block
    ends without error (``kejin.output.publish``). With no ``output``, tables go to the terminal."""
    global _table_console
    if output is None:
        yield
        return
    import io

    from kejin.output import publish

    buffer = io.StringIO()
    _table_console = Console(file=buffer, width=TABLE_FILE_WIDTH, no_color=True, highlight=False, emoji=False, force_terminal=False)
    try:
        yield
    finally:
        _table_console = None
    with publish(output) as handle:
        handle.write(buffer.getvalue().encode("utf-8"))
    err_console.print(f"✓ 表格已写入 / tables written → {output}", highlight=False)
