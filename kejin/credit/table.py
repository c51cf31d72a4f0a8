"""Reading a loan book and preparing the target and feature columns.

A loan book is any CSV or Parquet table: one row per loan or firm, feature columns and a
default flag. Column kinds are detected (numbers → numeric, everything else → categorical)
and can be overridden. Every problem names the file, the Excel-style row and the field.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import numpy as np
import polars as pl

from kejin.errors import InputError, Problem

FeatureKind = Literal["numeric", "categorical"]

# Row numbers as a user sees them in Excel: line 1 is the header.
HEADER_LINES = 1
MAX_LISTED_ROWS = 20
NULL_VALUES = ["", "NA", "N/A", "null", "NULL", "NaN", "nan"]
# A text column is read as numbers when more than this share of its non-blank cells are numbers: a few
# stray words ("n/a", "-") in a column of figures are then reported row by row, not turned into
# thousands of categories.
NUMERIC_TEXT_SHARE = 0.5
# Thousands separators only: "1,000,000.50"; "1,5" is not a number.
_GROUPED = r"^[+-]?\d{1,3}(,\d{3})+(\.\d*)?$"
TRUE_WORDS = {"1", "true", "yes", "y", "bad", "default", "defaulted", "违约", "是"}
FALSE_WORDS = {"0", "false", "no", "n", "good", "performing", "正常", "否"}


def excel_row(index: int) -> int:
    return index + HEADER_LINES + 1


def read_table(path: Path | str) -> pl.DataFrame:
    """Read CSV or Parquet; blanks in CSV become nulls so they land in the missing bin."""
    path = Path(path)
    if not path.exists():
        raise InputError(Problem("input.missing", "找不到数据文件", "data file not found", file=str(path)))
    suffix = path.suffix.lower()
    try:
        if suffix in (".parquet", ".pq"):
            return pl.read_parquet(path)
        if suffix in (".csv", ".txt", ".tsv"):
            options = dict(separator="\t" if suffix == ".tsv" else ",", null_values=NULL_VALUES, encoding="utf8-lossy")
            try:
                return pl.read_csv(path, infer_schema_length=100_000, **options)
            except pl.exceptions.ComputeError:
                # a text cell below the rows used to guess the types ("n/a" in row 500 000 of a number
                # column): read with types guessed from every row, so the cell is reported by row
                return pl.read_csv(path, infer_schema_length=None, **options)
    except (pl.exceptions.PolarsError, OSError) as exc:
        if suffix in (".csv", ".txt", ".tsv"):
            from kejin.facts.readers import csv_file_problem

            located = csv_file_problem(path, "\t" if suffix == ".tsv" else ",")
            if located is not None:
                raise InputError(located) from None
        detail = str(exc).strip().splitlines()[0][:200] if str(exc).strip() else type(exc).__name__
        raise InputError(
            Problem(
                "input.unreadable",
                "无法读取数据文件（文件损坏或不是所需格式）",
                f"cannot read the data file (damaged or not in the expected format): {detail}",
                file=str(path),
            )
        ) from None
    raise InputError(
        Problem(
            "input.format",
            "只支持 CSV 或 Parquet 文件",
            "only CSV or Parquet files are supported",
            file=str(path),
            value=suffix,
        )
    )


def looks_numeric(column: pl.Series) -> bool:
    """A text column that is mostly numbers: a numeric feature with a few bad cells, not a category."""
    if column.dtype.is_numeric():
        return True
    if column.dtype not in (pl.String, pl.Categorical, pl.Enum):
        return False
    head = column.head(10_000).cast(pl.String).str.strip_chars()
    words = head.is_not_null() & (head != "")
    if len(column) > len(head) and words.any() and head.cast(pl.Float64, strict=False).null_count() == len(head):
        return False  # a column of words (codes, names): no need to look further
    text = column.cast(pl.String).str.strip_chars()
    text = text.filter(text.is_not_null() & (text != ""))
    if len(text) == 0:
        return False
    numbers = text.cast(pl.Float64, strict=False).is_not_null().sum()
    # all numbers kept as text (a Parquet string column of codes) stays a category, as before
    return NUMERIC_TEXT_SHARE * len(text) < numbers < len(text)


def detect_kinds(
    frame: pl.DataFrame,
    columns: list[str],
    categorical: set[str] = frozenset(),  # type: ignore[assignment]
    numeric: set[str] = frozenset(),  # type: ignore[assignment]
) -> dict[str, FeatureKind]:
    """Numbers are numeric, anything else categorical; explicit lists win. A text column whose cells are
    mostly numbers is numeric (its text cells are then reported row by row by ``numeric_values``)."""
    kinds: dict[str, FeatureKind] = {}
    for name in columns:
        if name in categorical:
            kinds[name] = "categorical"
        elif name in numeric or looks_numeric(frame.get_column(name)):
            kinds[name] = "numeric"
        else:
            kinds[name] = "categorical"
    return kinds


def numeric_values(frame: pl.DataFrame, name: str, file: str | None) -> np.ndarray:
    """Float values with NaN for blanks; text that is not a number is an error naming the rows."""
    column = frame.get_column(name)
    if column.dtype.is_numeric():
        return column.cast(pl.Float64).fill_nan(None).to_numpy().astype(np.float64, copy=False)
    text = column.cast(pl.String).str.strip_chars()
    converted = text.cast(pl.Float64, strict=False)
    bad = (converted.is_null() & text.is_not_null() & (text != "")).arg_true()
    if len(bad):
        problems = [
            Problem(
                "input.not_numeric",
                "数值型特征中出现非数字内容（缺失值请留空；若该列是类别，用 --categorical 指定）",
                "a numeric feature holds text that is not a number (leave a missing value blank; "
                "if the column is a category, name it with --categorical)",
                file=file,
                row=excel_row(int(i)),
                field=name,
                value=text[int(i)],
            )
            for i in bad[:MAX_LISTED_ROWS]
        ]
        if len(bad) > MAX_LISTED_ROWS:
            problems.append(
                Problem(
                    "input.not_numeric",
                    f"另有 {len(bad) - MAX_LISTED_ROWS} 行同样的问题",
                    f"{len(bad) - MAX_LISTED_ROWS} more rows with the same problem",
                    file=file,
                    field=name,
                )
            )
        raise InputError(problems)
    return converted.fill_nan(None).to_numpy().astype(np.float64, copy=False)


@dataclass(frozen=True)
class Amounts:
    """Numbers read from a column of figures (money, rates): NaN where a cell is unusable, and why."""

    values: np.ndarray
    blank: np.ndarray  # empty, NA, NaN
    text: np.ndarray  # not a number
    infinite: np.ndarray  # inf, or too large for a float ("1e400")

    @property
    def bad(self) -> np.ndarray:
        return self.blank | self.text | self.infinite


def read_amounts(column: pl.Series) -> Amounts:
    """A column of figures as floats; text is trimmed and thousands separators ("1,000") are accepted,
    as in kejin's other readers."""
    if column.dtype.is_numeric():
        values = column.cast(pl.Float64).to_numpy().astype(np.float64, copy=True)
        blank = np.isnan(values)
        text = np.zeros(len(values), dtype=bool)
    else:
        raw = column.cast(pl.String).str.strip_chars()
        grouped = raw.str.contains(_GROUPED).fill_null(False)
        cleaned = pl.select(pl.when(pl.lit(grouped)).then(pl.lit(raw).str.replace_all(",", "")).otherwise(pl.lit(raw))).to_series()
        parsed = cleaned.cast(pl.Float64, strict=False)
        empty = (raw.is_null() | (raw == "") | raw.str.to_lowercase().is_in(["nan", "na", "n/a", "null"])).to_numpy()
        values = parsed.to_numpy().astype(np.float64, copy=True)
        blank = empty | (~empty & np.isnan(values) & parsed.is_not_null().to_numpy())
        text = ~empty & parsed.is_null().to_numpy()
        values[empty | text] = np.nan
    infinite = np.isinf(values)
    return Amounts(values, blank, text, infinite)


def category_values(frame: pl.DataFrame, name: str) -> pl.Series:
    """Categories as trimmed text; blank text counts as missing."""
    text = frame.get_column(name).cast(pl.String).str.strip_chars()
    return text.set(text == "", None) if text.null_count() < len(text) else text


@dataclass(frozen=True)
class Target:
    """The default flag as 0/1 and the raw value that means default."""

    y: np.ndarray
    event_value: str


def read_target(frame: pl.DataFrame, name: str, event: str | None, file: str | None) -> Target:
    """Turn the target column into 0/1. Blank targets and a single class are errors."""
    if name not in frame.columns:
        raise InputError(
            Problem(
                "input.no_target",
                f"数据中没有目标列；现有列：{', '.join(frame.columns[:30])}",
                f"the target column is not in the data; columns are: {', '.join(frame.columns[:30])}",
                file=file,
                field=name,
            )
        )
    raw = frame.get_column(name).cast(pl.String).str.strip_chars()
    blanks = (raw.is_null() | (raw == "")).arg_true()
    problems = [
        Problem("input.blank_target", "目标值为空", "the target is blank", file=file, row=excel_row(int(i)), field=name)
        for i in blanks[:MAX_LISTED_ROWS]
    ]
    if problems:
        raise InputError(problems)
    distinct = sorted(raw.unique().to_list())
    if len(distinct) < 2:
        raise InputError(
            Problem(
                "input.one_class",
                "目标列只有一个取值，无法区分违约与正常，不能拟合评分卡",
                "the target has a single class; a scorecard needs both defaults and non-defaults",
                file=file,
                field=name,
                value=distinct[0] if distinct else None,
            )
        )
    if len(distinct) > 2:
        raise InputError(
            Problem(
                "input.not_binary",
                f"目标列必须是二元的，实际有 {len(distinct)} 个取值",
                f"the target must be binary; it has {len(distinct)} values",
                file=file,
                field=name,
                value=", ".join(distinct[:10]),
            )
        )
    event_value = event if event is not None else _guess_event(distinct)
    if event_value is None or event_value not in distinct:
        raise InputError(
            Problem(
                "input.event_value",
                f"无法判断哪个取值表示违约，请用 --event 指定（取值：{', '.join(distinct)}）",
                f"cannot tell which value means default; name it with --event (values: {', '.join(distinct)})",
                file=file,
                field=name,
                value=event,
            )
        )
    y = (raw == event_value).to_numpy().astype(np.int8)
    return Target(y=y, event_value=event_value)


def _guess_event(distinct: list[str]) -> str | None:
    lowered = [v.lower() for v in distinct]
    for flag in ("1", "1.0", "true"):
        if flag in lowered and any(v in FALSE_WORDS or v == "0.0" for v in lowered):
            return distinct[lowered.index(flag)]
    trues = [v for v, low in zip(distinct, lowered) if low in TRUE_WORDS]
    falses = [v for v, low in zip(distinct, lowered) if low in FALSE_WORDS]
    return trues[0] if len(trues) == 1 and len(falses) == 1 else None
