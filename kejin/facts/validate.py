"""Validation of fact tables: every problem at once, located, bilingual; all-or-nothing.

The checks are column expressions, so a million rows are validated in one pass; only the rows
that break a rule are turned into `Problem` objects.
"""

from __future__ import annotations

import re
import sys
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Iterable

import numpy as np
import polars as pl

from kejin.errors import InputError, Problem
from kejin.facts import codes, schema
from kejin.facts.checks import Rule, check_rules
from kejin.facts.layout import firm_runs, keys_strictly_ascending
from kejin.facts.readers import ROW, RawTable, name_columns, no_rows, read_source
from kejin.facts.schema import FactField

MAX_LISTED_PROBLEMS = 1000

TRUE_WORDS = ["true", "1", "是", "y", "yes", "t", "√", "有"]
FALSE_WORDS = ["false", "0", "否", "n", "no", "f", "×", "无"]
DATE_FORMATS = ["%Y-%m-%d", "%Y/%m/%d", "%Y%m%d", "%Y.%m.%d", "%Y年%m月%d日", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M:%S"]
# a date written as text must start with a four-digit year (`16-07-01` is not the year 16)
DATE_SHAPE = r"^\d{4}(?:[-/.年]|\d{4}$)"
TIME_OF_DAY = r"[ T]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?$"  # `2021/3/5 0:00` as Excel writes a date-time
# a five-digit number is an Excel serial date (days since 1899-12-30): a date cell that lost its
# format, or a CSV written from one; 10000–99999 is 1927-05-18 to 2173-10-14, and no other date form
# has five digits alone (a year alone, `2016`, stays no date)
EXCEL_SERIAL = r"^(\d{5})(?:\.\d+)?$"
EXCEL_EPOCH = date(1899, 12, 30)
EARLIEST_DATE = date(1900, 1, 1)  # no enterprise fact is older; an earlier date is a typing slip


# ---------------------------------------------------------------- parsing
def _clean(col: str) -> pl.Expr:
    c = pl.col(col).cast(pl.String).str.strip_chars()
    return pl.when(c == "").then(None).otherwise(c)


def _number_text(col: str) -> pl.Expr:
    """A number cell without thousands separators, currency signs and spaces (full-width % as %)."""
    return _clean(col).str.replace_all(r"[,，¥￥\s]", "").str.replace("％", "%", literal=True)


def _parse_number(col: str, fraction: bool = False, in_percent: bool = False) -> pl.Expr:
    """The number in a text cell. A percent sign is read only in a ratio that is a fraction
    (``fraction``: `8%` → 0.08); such a ratio under a `(%)` header (``in_percent``) is in percent
    throughout, and without one a bare number beyond ±1 is no value (5 may mean 5 % or 500 %).
    Anywhere else a percent sign makes the cell no number."""
    text = _number_text(col)
    if not fraction:
        return text.cast(pl.Float64, strict=False)
    percent = text.str.ends_with("%")
    value = text.str.strip_suffix("%").cast(pl.Float64, strict=False)
    if in_percent:
        return value / 100
    return pl.when(percent).then(value / 100).when(value.abs() <= 1).then(value).otherwise(None)


def sector_lookup() -> dict[str, str]:
    n = schema.norms()
    table = {code: code for code in n.frontier_sectors}
    for code, label in n.frontier_sector_labels.items():
        table[label.zh.lower()] = code
        table[label.en.lower()] = code
    return table


def parse_expr(f: FactField, dtype: pl.DataType, factor: float) -> pl.Expr:
    """The typed value of a column, from text (CSV/XLSX) or from a typed (Parquet) column."""
    name = f.name
    from_text = dtype == pl.String
    if f.type == "text" or f.type == "enum":
        return _clean(name)
    if f.type == "int":
        if from_text:
            num = _parse_number(name)
            return pl.when(num == num.round(0)).then(num).otherwise(None).cast(pl.Int64, strict=False)
        if dtype.is_float():
            num = pl.col(name)
            return pl.when(num == num.round(0)).then(num).otherwise(None).cast(pl.Int64, strict=False)
        return pl.col(name).cast(pl.Int64, strict=False)
    if f.type in ("amount", "ratio"):
        in_percent = f.fraction and factor == schema.PERCENT
        if from_text:
            value = _parse_number(name, fraction=f.fraction, in_percent=in_percent)
        else:
            value = pl.col(name).cast(pl.Float64, strict=False)
            value = value / 100 if in_percent else value
        value = pl.when(value.is_finite()).then(value).otherwise(None)
        if f.type == "ratio":
            return value
        # 万元/亿元 → yuan, rounded to the fen: 0.57 × 10 000 is 5 699.999… in binary floating point,
        # and the same facts in 元 and in 万元 must be the same numbers (and input digests)
        return (value * factor).round(2) if factor != 1.0 else value
    if f.type == "date":
        if dtype == pl.Date:
            return pl.col(name)
        if isinstance(dtype, pl.Datetime):
            return pl.col(name).dt.date()
        text = _clean(name).str.replace(TIME_OF_DAY, "")
        parsed = pl.coalesce([text.str.to_date(fmt, strict=False) for fmt in DATE_FORMATS])
        serial = text.str.extract(EXCEL_SERIAL, 1).cast(pl.Int64, strict=False)
        return pl.when(text.str.contains(DATE_SHAPE)).then(parsed).when(serial.is_not_null()).then(pl.lit(EXCEL_EPOCH) + pl.duration(days=serial)).otherwise(None)
    if f.type == "bool":
        if dtype == pl.Boolean:
            return pl.col(name)
        text = _clean(name).str.to_lowercase()
        mapping = {w: True for w in TRUE_WORDS} | {w: False for w in FALSE_WORDS}
        return text.replace_strict(mapping, default=None, return_dtype=pl.Boolean)
    if f.type == "list":
        if isinstance(dtype, pl.List):
            items = pl.col(name)
        else:
            items = _clean(name).str.replace_all(r"[；,，、]", ";").str.split(";")
        lookup = sector_lookup()
        return items.list.eval(
            pl.element().str.strip_chars().str.to_lowercase().replace_strict(lookup, default="\x00" + pl.element())
        ).list.eval(pl.element().filter(pl.element() != "\x00"))
    raise AssertionError(f.type)


def _already_typed(frame: pl.DataFrame, fields: list[FactField], dtypes: dict[str, pl.DataType], factors: dict[str, float]) -> set[str]:
    """The fields whose column already holds exactly what ``parse_expr`` would make of it, so
    that typing would only copy it: float amounts and ratios (no unit to convert) with no NaN or
    infinity, and texts with no empty cell and nothing to trim. One pass over those columns."""
    checks = {}
    for f in fields:
        c = pl.col(f.name)
        if f.type in ("amount", "ratio") and dtypes[f.name] == pl.Float64 and factors.get(f.name, 1.0) == 1.0:
            checks[f.name] = c.is_finite().all()
        elif f.type in ("text", "enum") and dtypes[f.name] == pl.String:
            length = c.str.len_bytes()
            checks[f.name] = ((length > 0) & (c.str.strip_chars().str.len_bytes() == length)).all()
    if not checks or frame.height == 0:
        return set()
    verdicts = frame.lazy().select(**checks).collect(engine="streaming")  # no whole-column temporaries
    return {name for name, ok in verdicts.row(0, named=True).items() if ok}


def _bad_parse(f: FactField, dtype: pl.DataType, raw_col: str, typed_col: str) -> pl.Expr | None:
    """Rows whose cell is filled but does not parse as the field's type."""
    if f.type in ("text", "enum", "list"):
        return None
    if dtype == f.dtype and f.type in ("int", "bool", "date"):  # a typed column taken as it is cannot fail
        return None
    raw = _clean(raw_col) if dtype == pl.String else pl.col(raw_col)
    return raw.is_not_null() & pl.col(typed_col).is_null()


TYPE_WORDS = {
    "int": ("不是整数", "not a whole number"),
    "amount": ("不是有效的金额数字", "not a valid amount"),
    "ratio": ("不是有效的比率（小数如 0.05 或百分比如 5%）", "not a valid ratio (a fraction such as 0.05 or a percentage such as 5%)"),
    "number": ("不是有效的数值", "not a valid number"),
    "date": ("不是有效日期（应为 YYYY-MM-DD，四位年份）", "not a valid date (use YYYY-MM-DD, a four-digit year)"),
    "bool": ("不是有效的是/否值（true/false、1/0、是/否、Y/N）", "not a yes/no value (true/false, 1/0, 是/否, Y/N)"),
}


# ---------------------------------------------------------------- rules on typed values
def _bad_among_distinct(frame: pl.DataFrame, name: str, valid: pl.Expr) -> pl.Expr:
    """Rows whose value fails ``valid``, checking each distinct value once (codes repeat a lot)."""
    distinct = frame.select(pl.col(name).unique().drop_nulls())
    bad = distinct.filter(~valid).get_column(name)
    return pl.col(name).is_in(bad.implode()) if bad.len() else pl.lit(False)


def _bound(f: FactField, value: float) -> str:
    """A bound as the user writes the field: a fraction ratio in percent (1 → 100%)."""
    return f"{value * 100:g}%" if f.fraction else f"{value:g}"


def _rules(present: set[str], fields: list[FactField], frame: pl.DataFrame) -> list[Rule]:
    rules: list[Rule] = []
    year_end = pl.date(pl.col("year"), 12, 31)
    for f in fields:
        c = pl.col(f.name)
        label_zh, label_en = f.zh, f.en
        if f.required:
            rules.append(Rule("value.required", f.name, c.is_null(), f"必填字段“{label_zh}”为空", f"required field '{label_en}' is blank"))
        if f.name not in present:
            continue
        if f.min is not None:
            low = f.min
            word_zh = "负数" if low == 0 else f"小于 {_bound(f, low)}"
            word_en = "negative" if low == 0 else f"below {_bound(f, low)}"
            rules.append(Rule("value.min", f.name, c < low, f"“{label_zh}”不能为{word_zh}", f"'{label_en}' must not be {word_en}"))
        if f.max is not None:
            rules.append(Rule("value.max", f.name, c > f.max, f"“{label_zh}”不能大于 {_bound(f, f.max)}", f"'{label_en}' must not exceed {_bound(f, f.max)}"))
        if f.type == "date":
            rules.append(
                Rule(
                    "value.date_min",
                    f.name,
                    c < EARLIEST_DATE,
                    f"“{label_zh}”早于 {EARLIEST_DATE.isoformat()}：年份应写全四位，如 2016-07-01",
                    f"'{label_en}' is before {EARLIEST_DATE.isoformat()}: write the year with four digits, e.g. 2016-07-01",
                )
            )
        if f.le_field:
            other = schema.field(f.le_field)
            rules.append(
                Rule(
                    "value.exceeds",
                    f.name,
                    c > pl.col(f.le_field),
                    f"“{label_zh}”不能大于“{other.zh}”",
                    f"'{label_en}' must not exceed '{other.en}'",
                )
            )
        if f.type == "enum" and f.values:
            rules.append(
                Rule("value.enum", f.name, ~c.is_in(list(f.values)), f"“{label_zh}”应为 {'/'.join(f.values)} 之一", f"'{label_en}' must be one of {', '.join(f.values)}")
            )
        if f.type == "list":
            rules.append(
                Rule(
                    "value.sector",
                    f.name,
                    c.list.eval(pl.element().str.starts_with("\x00")).list.any(),
                    f"“{label_zh}”含未知领域（可用：{', '.join(schema.norms().frontier_sectors)}）",
                    f"'{label_en}' has an unknown sector (allowed: {', '.join(schema.norms().frontier_sectors)})",
                )
            )
        if f.check == "region":
            rules.append(
                Rule("value.region", f.name, _bad_among_distinct(frame, f.name, codes.region_valid_expr(f.name)), "行政区划代码应为6位数字且省级代码存在（GB/T 2260）", "division code must be 6 digits with an existing province prefix (GB/T 2260)")
            )
        if f.check == "industry":
            rules.append(
                Rule("value.industry", f.name, _bad_among_distinct(frame, f.name, codes.industry_valid_expr(f.name)), "行业代码应为门类字母加2至4位数字且大类属于该门类（GB/T 4754-2017）", "industry code must be a section letter plus 2-4 digits with a division of that section (GB/T 4754-2017)")
            )
        if f.check == "year_range":
            top = schema.current_year()
            rules.append(Rule("value.year", f.name, ~c.is_between(1990, top), f"年度应在 1990–{top} 之间", f"year must be between 1990 and {top}"))
        if f.check == "not_after_year_end":
            rules.append(Rule("value.established", f.name, c > year_end, "成立日期晚于该年度末", "date established is after the end of the fiscal year"))
    return rules


def _uscc_valid(frame: pl.DataFrame, dtype: pl.DataType) -> np.ndarray:
    """The GB 32100 validity of each row's USCC as typed (blank counts as valid here). A valid
    code has no spaces, so typing (trimming, blank for empty) can change only the verdict of a
    cell that fails as it stands: those few are checked again, typed."""
    uscc = schema.field("uscc")
    valid = codes.uscc_valid_mask(frame.get_column(uscc.name).cast(pl.String))
    again = np.flatnonzero(~valid)
    if len(again):
        cells = frame.select(pl.col(uscc.name).gather(again))
        valid[again] = codes.uscc_valid_mask(cells.select(parse_expr(uscc, dtype, 1.0)).to_series())
    return valid


def duplicate_key_rule() -> Rule:
    """(uscc, year) must be unique (blank keys are reported as blank, not as duplicates)."""
    key = pl.struct("uscc", "year")
    bad = key.is_duplicated() & pl.col("uscc").is_not_null() & pl.col("year").is_not_null()
    return Rule("key.duplicate", "uscc", bad, "统一社会信用代码与年度重复", "duplicate (uscc, year)", "uscc")


@dataclass
class Validated:
    frame: pl.DataFrame  # typed, schema order, sorted by input row
    rows: pl.Series  # user-visible row numbers, aligned with frame


def checked_fields(wanted: Iterable[str] | None = None) -> list[FactField]:
    """The fields to type and check, in schema order: ``wanted`` (all when None), every required
    field, and the fields the wanted ones are bounded by (``le_field``), so each check that
    applies to a wanted field runs in full."""
    if wanted is None:
        return list(schema.fields())
    known = set(schema.field_names())
    names = (set(wanted) & known) | {f.name for f in schema.fields() if f.required}
    names |= {bound for n in list(names) if (bound := schema.field(n).le_field)}
    return [f for f in schema.fields() if f.name in names]


def _typed_columns(frame: pl.DataFrame, selected: list[FactField], present: set[str], factors: dict[str, float]) -> list[pl.Expr]:
    """``__typed_<field>`` of every selected field: the column as it is where typing would only
    copy it, parsed otherwise, blank where the file lacks it."""
    dtypes = dict(frame.schema)
    as_they_are = _already_typed(frame, [f for f in selected if f.name in present], dtypes, factors)
    typed = []
    for f in selected:
        if f.name in as_they_are:
            typed.append(pl.col(f.name).alias(f"__typed_{f.name}"))
        elif f.name in present:
            typed.append(parse_expr(f, dtypes[f.name], factors.get(f.name, 1.0)).alias(f"__typed_{f.name}"))
        else:
            typed.append(pl.lit(None, dtype=f.dtype).alias(f"__typed_{f.name}"))
    return typed


def _text_number_rules(f: FactField, raw_col: str, factor: float) -> list[tuple[str, pl.Expr, str, str]]:
    """The number cells (as text) that fail for a reason worth naming: a percent sign outside a
    fraction ratio, a bare number beyond ±1 in a fraction ratio (is 5 meant as 5 % or 500 %?)."""
    if f.type not in ("int", "amount", "ratio"):
        return []
    text = _number_text(raw_col)
    percent = text.str.ends_with("%")
    if not f.fraction:
        what_zh = {"int": "数量", "amount": "金额"}.get(f.type, "数值")
        what_en = {"int": "a count", "amount": "an amount"}.get(f.type, "a number")
        return [(
            "value.percent",
            percent,
            f"“{f.zh}”是{what_zh}，不能带百分号 %（只有比率字段可写百分比）",
            f"'{f.en}' is {what_en}: a percent sign is not allowed (only ratio fields take percentages)",
        )]
    if factor == schema.PERCENT:
        return []
    value = text.cast(pl.Float64, strict=False)
    return [(
        "value.ratio_scale",
        ~percent & value.is_finite() & (value.abs() > 1),
        f"“{f.zh}”是比率，应写小数（0.05）或带百分号（5%）；不带 % 的数不能超出 ±1（如指 5%，请写 5% 或 0.05，或在表头注明“{f.zh}(%)”）",
        f"'{f.en}' is a ratio: write a fraction (0.05) or a percentage with its sign (5%); a bare number must lie within ±1 (for 5 % write 5% or 0.05, or mark the header '{f.zh}(%)')",
    )]


def _value_rules(checked: pl.DataFrame, selected: list[FactField], present: set[str], dtypes: dict[str, pl.DataType], factors: dict[str, float]) -> list[Rule]:
    """The cells that do not parse, then the rules on the typed values (a cell that failed to
    parse is not reported again as blank)."""
    rules: list[Rule] = []
    unparsed: dict[str, pl.Expr] = {}
    for f in selected:
        if f.name not in present:
            continue
        raw_col = f"__raw_{f.name}"
        bad = _bad_parse(f, dtypes[f.name], raw_col, f.name)
        if bad is not None:
            unparsed[f.name] = bad
            named = pl.lit(False)
            if dtypes[f.name] == pl.String:
                for code, why, zh, en in _text_number_rules(f, raw_col, factors.get(f.name, 1.0)):
                    why = why.fill_null(False)
                    rules.append(Rule(code, f.name, bad & why, zh, en, raw_col))
                    named = named | why
            zh, en = TYPE_WORDS["number" if f.type == "ratio" and not f.fraction else f.type]
            rules.append(Rule("value.type", f.name, bad & ~named, f"“{f.zh}”{zh}", f"'{f.en}' is {en}", raw_col))
    for rule in _rules(present, selected, checked):
        bad = rule.bad & ~unparsed[rule.field] if rule.code == "value.required" and rule.field in unparsed else rule.bad
        shown = f"__raw_{rule.field}" if rule.field in present else None
        rules.append(Rule(rule.code, rule.field, bad, rule.zh, rule.en, shown))
    return rules


SCIENTIFIC = re.compile(r"^\d+(\.\d+)?[eE]\+?\d+$")  # 9.14403E+17: a code Excel took for a number
NUMBER_CELL_HINT = (
    "（该单元格在 Excel 中是数字，18 位代码已丢失精度：请把该列设为“文本”格式后重新输入代码）",
    " (the Excel cell holds a number, which keeps only 15 significant digits: format the column as Text and type the code again)",
)


def uscc_problems(checked: pl.DataFrame, valid: np.ndarray, file: str, number_cells: frozenset[int] = frozenset()) -> list[Problem]:
    """A problem for each row whose USCC is not valid, the reason worked out per bad row; a code
    that Excel held as a number (``number_cells``, or written in scientific notation) gets a hint."""
    bad = pl.Series(~valid)
    if not bad.any():
        return []
    rows = checked.filter(bad).select(ROW, "uscc")
    problems = []
    for r, code in rows.head(MAX_LISTED_PROBLEMS).iter_rows():
        why = codes.uscc_problem(code) or ("uscc.check", "无效", "invalid")
        hint_zh, hint_en = NUMBER_CELL_HINT if r in number_cells or (code and SCIENTIFIC.match(code)) else ("", "")
        problems.append(Problem(why[0], f"统一社会信用代码{why[1]}{hint_zh}", f"USCC {why[2]}{hint_en}", file=file, row=r, field="uscc", value=code))
    if rows.height > MAX_LISTED_PROBLEMS:
        more = rows.height - MAX_LISTED_PROBLEMS
        problems.append(Problem("uscc.check", f"同类问题另有 {more} 行", f"{more} more rows with the same problem", file=file, field="uscc"))
    return problems


def validate_raw(raw: RawTable, fields: Iterable[str] | None = None, keys_unique: bool = False) -> Validated:
    """Type and check a named raw table. Raises InputError with every problem found.

    ``fields`` limits the work to the fields a computation reads (see `checked_fields`); the
    other columns of the file are neither typed nor checked nor returned. ``keys_unique`` tells
    that (uscc, year) is already known to be unique (a chunked reader checked the layout).
    """
    frame, file = raw.frame, raw.file
    dtypes = dict(frame.schema)
    selected = checked_fields(fields)
    present = (set(frame.columns) - {ROW}) & {f.name for f in selected}
    # the USCC check characters (NumPy, GIL released) are worked out in a worker thread while the
    # other columns are typed and checked
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="kejin-uscc") as worker:
        uscc_valid = worker.submit(_uscc_valid, frame, dtypes["uscc"]) if "uscc" in present else None
        # typed values under the field names, the raw cell beside each (shown in problems)
        checked = frame.with_columns(_typed_columns(frame, selected, present, raw.unit_factors)).select(
            [ROW]
            + [pl.col(f"__typed_{f.name}").alias(f.name) for f in selected]
            + [pl.col(f.name).alias(f"__raw_{f.name}") for f in selected if f.name in present]
        )
        # 1. cells that do not parse; 2. rules on the typed values
        problems = check_rules(checked, _value_rules(checked, selected, present, dtypes, raw.unit_factors), file, cap=MAX_LISTED_PROBLEMS)
        # 3. (uscc, year) must be unique (rows in ascending key order, or firm after firm with
        #    ascending years, are: kejin.facts.layout)
        duplicates: list[Problem] = []
        if {"uscc", "year"} <= present and not keys_unique and not keys_strictly_ascending(checked) and firm_runs(checked) is None:
            duplicates = check_rules(checked, [duplicate_key_rule()], file, cap=MAX_LISTED_PROBLEMS)
        # 4. USCC check character (vectorised, GB 32100-2015), listed before the duplicates
        if uscc_valid is not None:
            problems += uscc_problems(checked, uscc_valid.result(), file, raw.numeric_uscc_rows)
    problems += duplicates

    if problems:
        problems.sort(key=lambda p: (p.row is None, p.row or 0, p.field or ""))
        raise InputError(problems)
    # one chunk per column (already so when the file gave one, or when typing had to align the
    # columns): the whole-column work downstream would otherwise copy every column per query
    typed_view = checked.select([ROW] + [f.name for f in selected]).rechunk()
    return Validated(typed_view.drop(ROW), typed_view[ROW])


def load_facts(path: Path | str, sheet: str | None = None, fields: Iterable[str] | None = None, strict: bool = False) -> pl.DataFrame:
    """Read and validate a fact file (CSV/XLSX/Parquet, Chinese or English headers).

    ``fields`` reads, checks and returns only those fields (plus the required ones and their
    bounds); the default is every field of the data norms. A column that is no field of the norms
    (`备注`) is left out with a notice, unless ``strict`` (`kejin validate`) or it looks like a
    misspelt field that is read (see `name_columns`).
    """
    if fields is not None:  # read (from Parquet: only) the columns needed, as one chunk
        from kejin.facts.chunks import FactChunks

        (frame,) = FactChunks(path, fields, sheet, chunk_rows=sys.maxsize, strict=strict)
        return frame
    return validate_raw(named_source(path, sheet, strict=strict)).frame


def named_source(path: Path | str, sheet: str | None = None, wanted: set[str] | None = None, strict: bool = False) -> RawTable:
    """A fact file read and its columns named (header problems raised here, before any row)."""
    source = read_source(path, sheet)
    raw = name_columns(source.frame, source.file, source.header_row, wanted, strict, source.hint)
    if raw.frame.height == 0:
        raise no_rows(source.file, source.header_row)
    raw.numeric_uscc_rows = source.numeric_uscc_rows
    return raw


def check_facts(frame: pl.DataFrame, file: str = "<table>") -> pl.DataFrame:
    """Validate an in-memory frame with field-name columns (e.g. from the API or synth)."""
    with_rows = frame.with_row_index(ROW, offset=1).with_columns(pl.col(ROW).cast(pl.Int64))
    return validate_raw(name_columns(with_rows, file)).frame
