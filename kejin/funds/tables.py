"""Typed reading of the fund tables: one declarative column list per table drives header matching
(English or Chinese), parsing, and the located, bilingual problems of every bad cell.

Files are read by the facts readers (CSV in UTF-8 with/without BOM or GB18030, XLSX, Parquet), so
the two domains accept exactly the same files.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import polars as pl

from kejin.errors import InputError, Problem
from kejin.facts.checks import Rule, check_rules
from kejin.facts.readers import ROW, read_table
from kejin.facts.validate import DATE_FORMATS, FALSE_WORDS, TRUE_WORDS
from kejin.i18n import Text

Kind = Literal["text", "date", "amount", "bool", "enum", "list", "int"]
MAX_CELL_PROBLEMS = 1000  # per column: enough to see the pattern, not a million objects
IGNORED_HEADERS = {"note", "notes", "备注", "说明"}


@dataclass(frozen=True)
class Column:
    name: str
    label: Text
    kind: Kind
    required: bool = False  # the column must exist and every cell must be filled
    choices: tuple[str, ...] = ()
    minimum: float | None = None
    aliases: tuple[str, ...] = ()


@dataclass(frozen=True)
class TableSpec:
    name: str
    label: Text
    columns: tuple[Column, ...]

    def column(self, name: str) -> Column:
        return next(c for c in self.columns if c.name == name)


def _header_key(text: str) -> str:
    return str(text).replace("\ufeff", "").strip().lower().replace("（", "(").replace("）", ")")


def _with_fallback(text: pl.Series, fast: pl.Series, slow) -> pl.Series:
    """Use the fast parse everywhere; run the slow, lenient parse only on the cells it could not read."""
    todo = (fast.is_null() & text.is_not_null()).arg_true()
    if len(todo) == 0:
        return fast
    return fast.scatter(todo, slow(text.gather(todo)))


def _dates(text: pl.Series) -> pl.Series:
    def lenient(part: pl.Series) -> pl.Series:
        frame = part.to_frame("t")
        return frame.select(pl.coalesce([pl.col("t").str.strptime(pl.Date, f, strict=False) for f in DATE_FORMATS]))[
            "t"
        ]

    return _with_fallback(text, text.str.to_date("%Y-%m-%d", strict=False), lenient)


def _numbers(text: pl.Series) -> pl.Series:
    fast = text.cast(pl.Float64, strict=False)
    value = _with_fallback(text, fast, lambda part: part.str.replace_all(r"[,，¥￥\s]", "").cast(pl.Float64, strict=False))
    return value.to_frame("v").select(pl.when(pl.col("v").is_finite()).then(pl.col("v")))["v"]


def _parse(column: Column, raw: pl.Series) -> pl.Series:
    """The typed column from text (CSV/XLSX) or from an already typed (Parquet) column."""
    if raw.dtype == pl.String:
        text = raw.str.strip_chars()
        text = text.set(text == "", None)
    else:
        text = raw
    if column.kind in ("text", "enum"):
        text = text.cast(pl.String)
        return text.str.to_lowercase() if column.kind == "enum" else text
    if column.kind == "list":
        if isinstance(raw.dtype, pl.List):
            return raw
        items = text.cast(pl.String).str.to_lowercase().str.split(";")
        return items.list.eval(pl.element().str.strip_chars()).list.eval(pl.element().filter(pl.element() != ""))
    if column.kind == "date":
        if raw.dtype == pl.Date:
            return raw
        if raw.dtype == pl.Datetime:
            return raw.dt.date()
        return _dates(text.cast(pl.String))
    if column.kind == "bool":
        if raw.dtype == pl.Boolean:
            return raw
        lower = text.cast(pl.String).str.to_lowercase()
        return lower.to_frame("b").select(
            pl.when(pl.col("b").is_in(TRUE_WORDS)).then(True).when(pl.col("b").is_in(FALSE_WORDS)).then(False).alias("b")
        )["b"]
    value = raw.cast(pl.Float64) if raw.dtype.is_numeric() else _numbers(text)
    if column.kind == "int":
        return value.to_frame("v").select(pl.when(pl.col("v") == pl.col("v").round(0)).then(pl.col("v")))["v"].cast(
            pl.Int64
        )
    return value


def _match_headers(frame: pl.DataFrame, spec: TableSpec, file: str) -> tuple[dict[str, str], list[Problem]]:
    index: dict[str, str] = {}
    for c in spec.columns:
        for alias in (c.name, c.label.zh, c.label.en, *c.aliases):
            index[_header_key(alias)] = c.name
    renames: dict[str, str] = {}
    problems: list[Problem] = []
    for header in frame.columns:
        if header == ROW or _header_key(header) in IGNORED_HEADERS:
            continue
        name = index.get(_header_key(header))
        if name is None:
            known = ", ".join(c.name for c in spec.columns)
            problems.append(Problem("header.unknown", f"{spec.label.zh}：未知的列名“{header}”（可用：{known}）",
                                    f"{spec.label.en}: unknown column '{header}' (known: {known})",
                                    file=file, row=1, field=header))
        elif name in renames.values():
            problems.append(Problem("header.duplicate", f"有两列都对应字段 {name}", f"two columns map to field {name}",
                                    file=file, row=1, field=header))
        else:
            renames[header] = name
    for c in spec.columns:
        if c.required and c.name not in renames.values():
            problems.append(Problem("header.missing", f"{spec.label.zh}：缺少必填列“{c.label.zh}”({c.name})",
                                    f"{spec.label.en}: required column '{c.name}' ({c.label.en}) is missing",
                                    file=file, row=1, field=c.name))
    return renames, problems


def parse_frame(raw: pl.DataFrame, spec: TableSpec, file: str) -> tuple[pl.DataFrame, list[Problem]]:
    """Type every column of ``raw`` (which has a ``_row`` column); returns the typed frame and all
    problems found (the caller raises once, after its own cross-checks)."""
    renames, problems = _match_headers(raw, spec, file)
    if problems:
        return pl.DataFrame(), problems
    raw = raw.select([ROW, *renames]).rename(renames)
    present = [c for c in spec.columns if c.name in raw.columns]
    typed = raw.with_columns(
        [_parse(c, raw.get_column(c.name)).alias(c.name) for c in present]
        + [pl.col(c.name).alias(f"__raw_{c.name}") for c in present]
    )
    rules: list[Rule] = []
    for c in present:
        raw_col = f"__raw_{c.name}"
        filled = pl.col(raw_col).is_not_null()
        if raw.schema[c.name] == pl.String:
            filled = filled & (pl.col(raw_col).str.strip_chars() != "")
        if c.required:
            rules.append(Rule("cell.required", c.name, ~filled, f"必填项“{c.label.zh}”为空",
                              f"required value '{c.label.en}' is empty"))
        if c.kind not in ("text", "enum", "list"):
            rules.append(Rule("cell.parse", c.name, filled & pl.col(c.name).is_null(), f"无法识别的{_KIND_ZH[c.kind]}",
                              f"cannot read this as {_KIND_EN[c.kind]}", raw_col))
        if c.choices and c.kind == "enum":
            allowed = ", ".join(c.choices)
            rules.append(Rule("cell.choice", c.name, pl.col(c.name).is_not_null() & ~pl.col(c.name).is_in(list(c.choices)),
                              f"取值须为：{allowed}", f"must be one of: {allowed}", raw_col))
        if c.choices and c.kind == "list":
            allowed = ", ".join(c.choices)
            unknown = pl.col(c.name).list.eval(pl.element().is_in(list(c.choices)).not_()).list.any()
            rules.append(Rule("cell.choice", c.name, pl.col(c.name).is_not_null() & unknown,
                              f"含未知项，可用：{allowed}", f"contains an unknown item; known: {allowed}", raw_col))
        if c.minimum is not None:
            rules.append(Rule("cell.minimum", c.name, pl.col(c.name) < c.minimum, f"不得小于 {c.minimum:g}",
                              f"must not be below {c.minimum:g}", raw_col))
    problems += check_rules(typed, rules, file)
    missing = [pl.lit(None, dtype=_DTYPES[c.kind]).alias(c.name) for c in spec.columns if c.name not in typed.columns]
    typed = typed.with_columns(missing).select([ROW, *[c.name for c in spec.columns]])
    return typed, problems


def _fast_csv(path: Path, spec: TableSpec) -> pl.DataFrame | None:
    """A well-formed UTF-8 CSV read straight into typed columns (dates, numbers) by Polars — several times
    faster on million-row files. None when anything is unusual (GB18030, other date or number forms, a
    bad cell): the caller then takes the text path, which finds and names every problem."""
    data = path.read_bytes()
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    header_end = data.find(b"\n")
    try:
        header = data[: header_end if header_end >= 0 else len(data)].decode("utf-8").strip("\r").split(",")
    except UnicodeDecodeError:
        return None
    renames, problems = _match_headers(pl.DataFrame({h: [] for h in header if h}), spec, str(path))
    if problems or len(renames) != len(header):
        return None
    dtypes = {"date": pl.Date, "amount": pl.Float64}
    overrides = {h: dtypes.get(spec.column(name).kind, pl.String) for h, name in renames.items()}
    try:
        frame = pl.read_csv(data, schema_overrides=overrides, infer_schema=False)
    except (pl.exceptions.PolarsError, ValueError):
        return None
    return frame.with_row_index(ROW, offset=2).with_columns(pl.col(ROW).cast(pl.Int64))


_KIND_ZH = {"text": "文本", "date": "日期", "amount": "金额/数值", "bool": "是/否", "enum": "取值", "list": "列表",
            "int": "整数"}
_KIND_EN = {"text": "text", "date": "a date (YYYY-MM-DD)", "amount": "a number", "bool": "yes/no", "enum": "a code",
            "list": "a list", "int": "a whole number"}
_DTYPES: dict[str, pl.DataType] = {"text": pl.String(), "enum": pl.String(), "date": pl.Date(), "amount": pl.Float64(),
                                   "bool": pl.Boolean(), "list": pl.List(pl.String()), "int": pl.Int64()}


def read_typed(path: str, spec: TableSpec, sheet: str | None = None) -> tuple[pl.DataFrame, list[Problem], str]:
    """Read and type one table file (or one sheet of a workbook)."""
    fast = _fast_csv(Path(path), spec) if str(path).lower().endswith(".csv") and Path(path).exists() else None
    raw, label = (fast, str(path)) if fast is not None else read_table(path, sheet=sheet)
    if sheet:
        label = f"{label}#{sheet}"
    typed, problems = parse_frame(raw, spec, label)
    return typed, problems, label


def raise_if(problems: list[Problem]) -> None:
    if problems:
        raise InputError(problems)
