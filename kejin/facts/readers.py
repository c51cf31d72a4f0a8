"""Reading fact files: CSV (UTF-8 with/without BOM, GB18030), XLSX, Parquet.

Readers only get the table off the disk and name its columns; they keep every cell as text
(Parquet keeps its types) and remember the row number the user sees, so that validation can
report "row 17, field revenue, value 'abc'" — nothing is converted silently here.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path

import polars as pl

from kejin.errors import InputError, Problem
from kejin.facts import schema

ROW = "_row"  # the row number as the user counts it (header = row 1)

OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"

# an Excel header row is the first of the first HEADER_SCAN_ROWS non-empty rows with at least
# HEADER_MIN_FIELDS headers of the data norms (title rows, merged or not, above it are skipped)
HEADER_SCAN_ROWS = 30
HEADER_MIN_FIELDS = 3

log = logging.getLogger("kejin.facts")


@dataclass
class Source:
    """A file as read: every cell as text (Parquet keeps its types), ``_row`` the user's row
    numbers; where the header is, which USCC cells Excel held as numbers, a hint for header
    problems (the other sheets of a workbook)."""

    frame: pl.DataFrame
    file: str
    header_row: int = 1
    numeric_uscc_rows: frozenset[int] = frozenset()
    hint: Problem | None = None


@dataclass
class RawTable:
    """A table as read, columns renamed to field names, cells still untyped (text)."""

    frame: pl.DataFrame
    file: str
    unit_factors: dict[str, float] = field(default_factory=dict)
    numeric_uscc_rows: frozenset[int] = frozenset()  # Excel rows whose USCC was a number cell
    ignored: tuple[str, ...] = ()  # headers of the file that are no field of the norms


def decode_text(data: bytes, file: str) -> str:
    """UTF-8 (with or without BOM) first, then GB18030 — the two encodings Chinese offices use."""
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise InputError(
        Problem(
            "file.encoding",
            "无法识别文件编码（支持 UTF-8 和 GB18030）",
            "cannot decode the file (UTF-8 and GB18030 are supported)",
            file=file,
        )
    )


def csv_problem(text: str, file: str, separator: str = ",") -> Problem | None:
    """Where CSV ``text`` breaks the format, as a bilingual problem naming the row (header = row 1):
    a quote that is never closed, text right after a closing quote, or more cells than the header
    has. None when Python's CSV reader finds nothing wrong."""
    import csv
    import io

    reader = csv.reader(io.StringIO(text, newline=""), delimiter=separator, strict=True)
    width, row = None, 0
    try:
        for cells in reader:
            row += 1
            if width is None:
                width = len(cells)
            elif len(cells) > width:
                return Problem("file.csv", f"该行有 {len(cells)} 个单元格，多于表头的 {width} 列（是否有未加引号的逗号？）",
                               f"this row has {len(cells)} cells, more than the {width} columns of the header "
                               "(an unquoted comma?)", file=file, row=row)
    except csv.Error as exc:
        if "end of data" in str(exc):
            zh = "引号未闭合：该行的一个单元格以引号开始，但直到文件末尾都没有结束引号"
            en = "unclosed quote: a cell in this row opens a quote that is never closed before the end of the file"
        else:
            zh = "引号用法有误：结束引号后还有其他字符（单元格内的引号须写成两个引号 \"\"）"
            en = 'misplaced quote: text follows a closing quote (a quote inside a cell must be doubled: "")'
        return Problem("file.csv", zh, en, file=file, row=row + 1)
    return None


def csv_file_problem(path: Path | str, separator: str = ",") -> Problem | None:
    """``csv_problem`` of a file in UTF-8 or GB18030 (None when it decodes as neither: the
    reader says so itself)."""
    data = Path(path).read_bytes()
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return csv_problem(data.decode(encoding), str(path), separator)
        except UnicodeDecodeError:
            continue
    return None


def malformed_csv(path: Path | str, text: str) -> InputError:
    """The CSV ``text`` of ``path`` that the CSV engine refused: the row and reason where they
    can be found, else a plain bilingual message (never the engine's own English in the Chinese
    half)."""
    located = csv_problem(text, str(path))
    return InputError(located or Problem("file.csv", "CSV 格式错误，无法读取（请检查引号与逗号）",
                                         "malformed CSV: the file cannot be read (check quotes and commas)", file=str(path)))


def read_csv_text(path: Path) -> pl.DataFrame:
    text = decode_text(Path(path).read_bytes(), str(path))
    if not text.strip():
        raise InputError(Problem("file.empty", "文件为空", "the file is empty", file=str(path)))
    try:
        return pl.read_csv(
            text.encode("utf-8"),
            infer_schema=False,  # every cell stays text; validation types it
            truncate_ragged_lines=False,
        )
    except pl.exceptions.ComputeError:
        raise malformed_csv(path, text) from None


def drop_blank_lines(frame: pl.DataFrame) -> pl.DataFrame:
    """Without the lines that hold nothing (a blank line, `,,,,` as Excel writes an empty row,
    spaces only); the other rows keep their numbers. A CSV file only: one pass over its text."""
    cells = [c for c in frame.columns if c != ROW]
    if not cells or frame.height == 0:
        return frame
    filled = pl.any_horizontal([pl.col(c).str.strip_chars().str.len_bytes().fill_null(0) > 0 for c in cells])
    return frame.filter(filled)


def _cell_text(value: object) -> str | None:
    if value is None:
        return None
    if hasattr(value, "isoformat") and not isinstance(value, str):
        text = value.isoformat()
        return text[:10] if text.endswith("T00:00:00") else text
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _broken(path: Path, exc: Exception) -> InputError:
    return InputError(
        Problem(
            "xlsx.broken",
            f"Excel 文件已损坏或不完整，无法读取（{type(exc).__name__}）",
            f"the Excel file is damaged or truncated and cannot be read ({type(exc).__name__})",
            file=str(path),
        )
    )


def _is_header(cells: list[str | None]) -> int:
    """How many cells of a row are headers of the data norms (with or without a unit)."""
    return sum(1 for c in cells if c and (schema.resolve_header(c)[0] is not None or schema.split_unit(c)[0] is not None))


def _find_header(rows: list[tuple[int, list[str | None]]]) -> int | None:
    """The index (in ``rows``, non-empty rows) of the header row, or None when no row of the
    first ``HEADER_SCAN_ROWS`` has ``HEADER_MIN_FIELDS`` known headers."""
    for i, (_, cells) in enumerate(rows[:HEADER_SCAN_ROWS]):
        if _is_header(cells) >= HEADER_MIN_FIELDS:
            return i
    return None


def _non_empty_rows(ws, limit: int | None = None) -> list[tuple[int, tuple]]:
    out = []
    for excel_row, values in enumerate(ws.iter_rows(values_only=True), start=1):
        if any(v is not None and (not isinstance(v, str) or v.strip()) for v in values):
            out.append((excel_row, values))
            if limit is not None and len(out) >= limit:
                break
    return out


def _sheet_problem(path: Path, first: str, names: list[str], data_sheet: str | None) -> Problem:
    listed_zh, listed_en = "、".join(f"“{n}”" for n in names), ", ".join(f"'{n}'" for n in names)
    if data_sheet is not None:
        return Problem(
            "xlsx.sheet_hint",
            f"第一个工作表“{first}”中找不到表头（如“统一社会信用代码”“年度”）；工作簿含工作表 {listed_zh}，数据似在“{data_sheet}”中：请用 --sheet {data_sheet} 指定，或把数据表移到第一位",
            f"no header row (such as 'uscc', 'year') in the first worksheet '{first}'; the workbook has worksheets {listed_en} and the data seem to be in '{data_sheet}': pass --sheet {data_sheet}, or move that sheet first",
            file=str(path),
        )
    return Problem(
        "xlsx.sheet_hint",
        f"工作簿含工作表 {listed_zh}，读取的是“{first}”；数据在其他工作表时请用 --sheet 指定",
        f"the workbook has worksheets {listed_en}; '{first}' was read — pass --sheet NAME when the data are on another sheet",
        file=str(path),
    )


def read_xlsx(path: Path, sheet: str | None = None, facts: bool = True) -> Source:
    """Read the first (or named) sheet; rows keep their Excel numbers, empty rows are skipped.
    The header is the first non-empty row — for a facts table (``facts``) the first row with
    enough headers of the data norms (title rows above it are skipped), and when the first sheet
    has none while another sheet has, that sheet is named (`xlsx.sheet_hint`)."""
    path = Path(path)
    head = path.read_bytes()[:8]
    if head == OLE2_MAGIC:
        raise InputError(
            Problem(
                "xlsx.encrypted",
                "该 Excel 文件已加密或为旧版 .xls 格式，请取消密码保护并另存为 .xlsx",
                "the workbook is password-protected (encrypted) or an old .xls file; remove the password and save as .xlsx",
                file=str(path),
            )
        )
    import openpyxl

    try:
        book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # zip, XML and openpyxl's own errors all mean a damaged workbook
        raise _broken(path, exc) from None
    hint: Problem | None = None
    try:
        names = list(book.sheetnames)
        if sheet is not None and sheet not in names:
            raise InputError(
                Problem(
                    "xlsx.sheet",
                    f"工作表“{sheet}”不存在（现有：{'、'.join(names)}）",
                    f"worksheet '{sheet}' not found (present: {', '.join(names)})",
                    file=str(path),
                )
            )
        ws = book[sheet] if sheet else book.worksheets[0]
        raw_rows = _non_empty_rows(ws)
        rows = [(r, [_cell_text(v) for v in values]) for r, values in raw_rows]
        at = _find_header(rows) if facts else 0
        if at is None and sheet is None and len(names) > 1:
            # the data may be on another sheet: name it rather than list every column as missing
            data_sheet = next(
                (other.title for other in book.worksheets[1:]
                 if _find_header([(r, [_cell_text(v) for v in vs]) for r, vs in _non_empty_rows(other, HEADER_SCAN_ROWS)]) is not None),
                None,
            )
            hint = _sheet_problem(path, names[0], names, data_sheet)
            if data_sheet is not None:
                raise InputError(hint)
    except InputError:
        raise
    except Exception as exc:  # a part that fails to decompress or parse while reading rows
        raise _broken(path, exc) from None
    finally:
        book.close()
    if not rows:
        raise InputError([Problem("file.empty", "工作表为空", "the worksheet is empty", file=str(path))] + ([hint] if hint else []))
    at = at or 0
    header_row = rows[at][0]
    header = [c or "" for c in rows[at][1]]
    while header and header[-1] == "":
        header.pop()
    width = len(header)
    columns = {name if name else f"column_{i + 1}": [] for i, name in enumerate(header)}
    if len(columns) != width:
        columns = {f"{name}#{i}": [] for i, name in enumerate(header)}
    uscc_at = [i for i, name in enumerate(header) if facts and name and schema.resolve_header(name)[0] == "uscc"]
    rows_kept: list[int] = []
    numeric_uscc: set[int] = set()
    for (excel_row, cells), (_, values) in zip(rows[at + 1 :], raw_rows[at + 1 :]):
        cells = (cells + [None] * width)[:width]
        if all(c in (None, "") for c in cells):
            continue
        rows_kept.append(excel_row)
        for key, cell in zip(columns, cells):
            columns[key].append(cell)
        for i in uscc_at:  # a number cell keeps 15 significant digits: the code is lost
            if i < len(values) and isinstance(values[i], (int, float)) and not isinstance(values[i], bool):
                numeric_uscc.add(excel_row)
    frame = pl.DataFrame({k: pl.Series(k, v, dtype=pl.String) for k, v in columns.items()})
    frame = frame.with_columns(pl.Series(ROW, rows_kept, dtype=pl.Int64))
    return Source(frame, str(path), header_row, frozenset(numeric_uscc), hint)


def read_source(path: Path | str, sheet: str | None = None, facts: bool = True) -> Source:
    """Read any supported file (see `Source`); ``facts``: a table of enterprise facts (see
    `read_xlsx`)."""
    path = Path(path)
    label = str(path)
    if not path.exists():
        raise InputError(Problem("file.missing", "文件不存在", "file not found", file=label))
    suffix = path.suffix.lower()
    if suffix in (".xlsx", ".xlsm"):
        return read_xlsx(path, sheet, facts)
    if suffix == ".parquet":
        try:
            frame = pl.read_parquet(path)
        except Exception as exc:
            raise InputError(
                Problem("parquet.broken", f"Parquet 文件无法读取：{exc}", f"cannot read Parquet file: {exc}", file=label)
            ) from None
        return Source(frame.with_row_index(ROW, offset=1).with_columns(pl.col(ROW).cast(pl.Int64)), label)
    if suffix in (".csv", ".txt", ".tsv"):
        frame = read_csv_text(path)
        frame = frame.with_row_index(ROW, offset=2).with_columns(pl.col(ROW).cast(pl.Int64))
        return Source(drop_blank_lines(frame), label)
    if suffix == ".xls":
        raise InputError(
            Problem("file.xls", "不支持旧版 .xls 文件，请另存为 .xlsx", "old .xls files are not supported; save as .xlsx", file=label)
        )
    raise InputError(
        Problem(
            "file.type",
            f"不支持的文件类型 {suffix}（支持 .csv .xlsx .parquet）",
            f"unsupported file type {suffix} (use .csv, .xlsx or .parquet)",
            file=label,
        )
    )


def read_table(path: Path | str, sheet: str | None = None) -> tuple[pl.DataFrame, str]:
    """Read any supported file into a frame with a ``_row`` column. Returns (frame, file label).
    Any table (fund ledgers, patent lists): an Excel header is the first non-empty row."""
    source = read_source(path, sheet, facts=False)
    return source.frame, source.file


def _unit_example(f: schema.FactField) -> str:
    return {"amount": f"{f.zh}(万元)", "ratio": f"{f.zh}(%)", "int": f"{f.zh}(人)"}.get(f.type, f.zh)


def _header_problem(col: str, trouble: str | None, hint: str | None, file: str, row: int) -> Problem:
    """The problem of a header that is no field of the norms, with what it seems to mean."""
    if trouble == "unit" and hint is not None:
        f = schema.field(hint)
        _, unit = schema.split_unit(col)
        units_zh, units_en = schema.unit_words(f)
        return Problem(
            "header.unit",
            f"列“{col}”的单位“{unit}”不适用于“{f.zh}”({hint})（可用单位：{units_zh}）",
            f"column '{col}': unit '{unit}' does not fit '{f.en}' ({hint}) (units: {units_en})",
            file=file, row=row, field=col,
        )
    if trouble == "unit_form" and hint is not None:
        f = schema.field(hint)
        units_zh, units_en = schema.unit_words(f)
        return Problem(
            "header.unit",
            f"未知的列名“{col}”：如指“{f.zh}”({hint})并带单位，请把单位写在括号内，如“{_unit_example(f)}”（可用单位：{units_zh}）",
            f"unknown column header '{col}': if it is '{hint}' with a unit, put the unit in brackets, e.g. '{_unit_example(f)}' (units: {units_en})",
            file=file, row=row, field=col,
        )
    return Problem(
        "header.unknown",
        f"未知的列名“{col}”" + (f"，是否应为“{schema.field(hint).zh}”({hint})？" if hint else ""),
        f"unknown column header '{col}'" + (f"; did you mean '{hint}'?" if hint else ""),
        file=file, row=row, field=col,
    )


def name_columns(
    frame: pl.DataFrame,
    file: str,
    header_row: int = 1,
    wanted: set[str] | None = None,
    strict: bool = True,
    hint: Problem | None = None,
) -> RawTable:
    """Rename headers (Chinese or English, with optional unit) to field names; report wrong headers.

    ``strict``: every header must be a field of the norms (`kejin validate`). Otherwise a column
    that is no field is left out and named in a notice — unless it looks like a field that is
    read (``wanted``, all when None) and that the file lacks (a misspelt header, a unit not
    understood): that stays an error, as reading the field as blank would be wrong.
    ``header_row`` is the row the problems name; ``hint`` is added when there are problems.
    """
    problems: list[Problem] = []
    renames: dict[str, str] = {}
    factors: dict[str, float] = {}
    seen: dict[str, str] = {}
    unresolved: list[str] = []
    for col in frame.columns:
        if col == ROW:
            continue
        name, factor = schema.resolve_header(col)
        if name is None:
            unresolved.append(col)
            continue
        if name in seen:
            problems.append(
                Problem(
                    "header.duplicate",
                    f"列“{col}”与“{seen[name]}”指同一字段 {name}",
                    f"columns '{col}' and '{seen[name]}' both map to field {name}",
                    file=file,
                    row=header_row,
                    field=name,
                )
            )
            continue
        seen[name] = col
        renames[col] = name
        if factor != 1.0:
            factors[name] = factor
    ignored: list[str] = []
    for col in unresolved:
        trouble, near = schema.header_trouble(col)
        read = near is not None and (wanted is None or near in wanted)
        if strict or (read and (trouble == "unit" or near not in seen)):
            problems.append(_header_problem(col, trouble, near, file, header_row))
        else:
            ignored.append(col)
    for f in schema.fields():
        if f.required and f.name not in seen:
            problems.append(
                Problem(
                    "header.missing",
                    f"缺少必填列“{f.zh}”({f.name})",
                    f"required column '{f.name}' ({f.en}) is missing",
                    file=file,
                    row=header_row,
                    field=f.name,
                )
            )
    if problems:
        raise InputError(([hint] if hint is not None else []) + problems)  # the workbook's sheets first
    if ignored:
        shown = "、".join(ignored[:20]) + (f" …(+{len(ignored) - 20})" if len(ignored) > 20 else "")
        log.warning(
            "提示 / Note: %s：以下列不属于数据规范，未读取 / columns that are no field of the data norms were not read: %s",
            file,
            shown,
        )
    return RawTable(frame.select([ROW, *renames]).rename(renames), file, factors, ignored=tuple(ignored))
