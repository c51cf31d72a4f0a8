"""Reading fact files: CSV (UTF-8 with/without BOM, GB18030), XLSX, Parquet.

Readers only get the table off the disk and name its columns; they keep every cell as text
(Parquet keeps its types) and remember the row number the user sees, so that validation can
report "row 17, field revenue, value 'abc'" — nothing is converted silently here.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from pathlib import Path

import polars as pl

from kejin.errors import InputError, Problem
from kejin.facts import schema

ROW = "_row"  # the row number as the user counts it (header = row 1)

OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
ZIP_MAGIC = b"PK"  # an .xlsx file is a ZIP archive
PARQUET_MAGIC = b"PAR1"
UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")  # Excel's "Unicode text" export: UTF-16, tab-separated
TEXT_ENCODINGS = ("utf-8-sig", "gb18030")  # the encodings of Chinese offices' text files, in the order tried
SEPARATORS = (",", "\t", ";")  # comma first: it wins a tie
# a column with data but an empty header cell is kept under this prefix and the column's position
# (CSV: its number, Excel: its letter), so that `name_columns` can name it
BLANK_HEADER = "\x00blank:"

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
    """UTF-8 (with or without BOM) first, then GB18030 — the two encodings Chinese offices use;
    UTF-16 when the file starts with its byte-order mark (Excel's "Unicode text")."""
    if data[:2] in UTF16_BOMS:
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError:
            pass
    for encoding in TEXT_ENCODINGS:
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
    try:
        text = decode_text(Path(path).read_bytes(), str(path))
    except InputError:
        return None
    return csv_problem(text, str(path), separator)


def malformed_csv(path: Path | str, text: str, separator: str = ",") -> InputError:
    """The CSV ``text`` of ``path`` that the CSV engine refused: the row and reason where they
    can be found, else a plain bilingual message (never the engine's own English in the Chinese
    half)."""
    located = csv_problem(text, str(path), separator)
    return InputError(located or Problem("file.csv", "CSV 格式错误，无法读取（请检查引号与逗号）",
                                         "malformed CSV: the file cannot be read (check quotes and commas)", file=str(path)))


def _not_text(data: bytes, file: str) -> Problem | None:
    """The problem of a "CSV" file that is really a workbook, a ZIP archive or a Parquet file."""
    if data.startswith(ZIP_MAGIC):
        zh, en = "Excel 工作簿（.xlsx）或 ZIP 压缩包", "an Excel workbook (.xlsx) or a ZIP archive"
        fix_zh, fix_en = "如是 Excel 工作簿，请把扩展名改为 .xlsx", "if it is a workbook, rename it to .xlsx"
    elif data.startswith(PARQUET_MAGIC):
        zh, en = "Parquet 文件", "a Parquet file"
        fix_zh, fix_en = "请把扩展名改为 .parquet", "rename it to .parquet"
    elif data.startswith(OLE2_MAGIC):
        zh, en = "旧版 Excel（.xls）或加密的工作簿", "an old Excel file (.xls) or a password-protected workbook"
        fix_zh, fix_en = "请在 Excel 中取消密码并另存为 .xlsx", "remove the password in Excel and save it as .xlsx"
    else:
        return None
    return Problem("file.not_csv", f"该文件是 {zh}，不是 CSV 文本：{fix_zh}", f"this file is {en}, not CSV text: {fix_en}", file=file)


def sniff_separator(text: str, suffix: str = ".csv") -> str:
    """The cell separator: a tab for .tsv; otherwise whichever of comma, tab and semicolon the
    header line holds most of (a comma on a tie) — Excel writes `;` where the decimal mark is a
    comma, and its "Unicode text" export uses tabs."""
    if suffix == ".tsv":
        return "\t"
    first = next((line for line in text.splitlines() if line.strip()), "")
    return max(SEPARATORS, key=first.count)


def read_csv_text(path: Path) -> pl.DataFrame:
    data = Path(path).read_bytes()
    wrong = _not_text(data, str(path))
    if wrong is not None:
        raise InputError(wrong)
    text = decode_text(data, str(path))
    if not text.strip():
        raise InputError(Problem("file.empty", "文件为空", "the file is empty", file=str(path)))
    separator = sniff_separator(text, Path(path).suffix.lower())
    import csv
    import io

    try:
        header = next(csv.reader(io.StringIO(text, newline=""), delimiter=separator), [])
    except csv.Error:
        raise malformed_csv(path, text, separator) from None
    try:
        frame = pl.read_csv(
            text.encode("utf-8"),
            separator=separator,
            infer_schema=False,  # every cell stays text; validation types it
            truncate_ragged_lines=False,
            new_columns=[f"#{i}" for i in range(len(header))],  # named below: headers may repeat or be blank
        )
    except pl.exceptions.ComputeError:
        raise malformed_csv(path, text, separator) from None
    return named(frame, header_names(frame, header, str(path), 1, excel=False))


def named(frame: pl.DataFrame, names: list[str | None]) -> pl.DataFrame:
    """``frame`` with its columns renamed to ``names``, those named None left out."""
    keep = {old: new for old, new in zip(frame.columns, names) if new is not None}
    return frame.select(list(keep)).rename(keep)


def _column_label(i: int, excel: bool) -> str:
    """Column ``i`` (0-based) as the user sees it: a letter in Excel, a number in a CSV file."""
    if excel:
        from openpyxl.utils import get_column_letter

        return get_column_letter(i + 1)
    return str(i + 1)


def header_names(frame: pl.DataFrame, header: list[str | None], file: str, header_row: int, excel: bool) -> list[str | None]:
    """Unique names for the columns of ``frame`` read under ``header``: a header cell as written
    (trimmed); a header that repeats is an error naming its columns; a column whose header cell is
    blank gets `BLANK_HEADER` and its position, or None (drop it) when it holds nothing either."""
    cells = [(h or "").strip() for h in header] + [""] * (frame.width - len(header))
    problems = []
    seen: dict[str, list[int]] = {}
    for i, name in enumerate(cells):
        if name:
            seen.setdefault(name, []).append(i)
    for name, at in seen.items():
        if len(at) > 1:
            where = "、".join(_column_label(i, excel) for i in at), ", ".join(_column_label(i, excel) for i in at)
            problems.append(Problem("header.duplicate", f"列名“{name}”重复出现（第 {where[0]} 列）：请删除或改名其中一列",
                                    f"header '{name}' appears more than once (columns {where[1]}): delete or rename one of them",
                                    file=file, row=header_row, field=name))
    if problems:
        raise InputError(problems)
    blank = [frame.columns[i] for i, name in enumerate(cells) if not name]
    filled = set()
    if blank and frame.height:
        counts = frame.select(pl.col(c).str.strip_chars().str.len_bytes().fill_null(0).gt(0).any() for c in blank).row(0)
        filled = {c for c, any_value in zip(blank, counts) if any_value}
    return [name if name else (f"{BLANK_HEADER}{_column_label(i, excel)}" if frame.columns[i] in filled else None)
            for i, name in enumerate(cells)]


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


def _not_a_workbook(path: Path, head: bytes) -> Problem:
    """The problem of a ".xlsx" file that is no ZIP archive: empty, text (a renamed CSV), Parquet,
    other. The code stays `xlsx.broken` (the workbook cannot be read); the message says why."""
    if not head:
        zh, en = "文件为空（0 字节），不是 Excel 工作簿", "the file is empty (0 bytes), not an Excel workbook"
    elif head.startswith(PARQUET_MAGIC):
        zh, en = "该文件是 Parquet 文件，不是 Excel 工作簿：请把扩展名改为 .parquet", "this file is a Parquet file, not an Excel workbook: rename it to .parquet"
    elif b"\x00" not in head and _decodes(head) or head[:2] in UTF16_BOMS:
        zh = "该文件不是 Excel 工作簿，而是文本（也许是改了扩展名的 CSV 文件）：如是 CSV，请把扩展名改为 .csv"
        en = "this file is not an Excel workbook but text (perhaps a CSV file renamed): if it is CSV, rename it to .csv"
    else:
        zh, en = "该文件不是 Excel 工作簿（.xlsx），无法读取", "this file is not an Excel workbook (.xlsx) and cannot be read"
    return Problem("xlsx.broken", zh, en, file=str(path))


def _decodes(head: bytes) -> bool:
    """Whether the first bytes of a file read as UTF-8 or GB18030 text (a character cut at the
    end of ``head`` does not count against it)."""
    for encoding in TEXT_ENCODINGS:
        try:
            head[:-4].decode(encoding)
            return True
        except UnicodeDecodeError:
            continue
    return False


def _zip_not_workbook(path: Path) -> InputError | None:
    """A whole ZIP archive without a workbook in it (None: not a readable ZIP, i.e. damaged)."""
    import zipfile

    try:
        with zipfile.ZipFile(path) as archive:
            if any(n.startswith("xl/") for n in archive.namelist()):
                return None
    except (zipfile.BadZipFile, OSError):
        return None
    return InputError(Problem("xlsx.broken", "该文件是 ZIP 压缩包，但不是 Excel 工作簿（.xlsx）：请在 Excel 中打开并另存为 .xlsx",
                              "this file is a ZIP archive but not an Excel workbook (.xlsx): open it in Excel and save it as .xlsx",
                              file=str(path)))


_MERGE_REF = re.compile(rb'<(?:\w+:)?mergeCell\s[^>]*?ref="([A-Z]+[0-9]+:[A-Z]+[0-9]+)"')


def _merged_ranges(book, ws) -> list[tuple[int, int, int, int]]:
    """(min_col, min_row, max_col, max_row) of each merged range of ``ws``, read from the sheet's
    XML (a read-only worksheet does not parse them); none where they cannot be found."""
    from openpyxl.utils.cell import range_boundaries

    try:
        source = book._archive.open(ws._worksheet_path)
    except (AttributeError, KeyError, OSError):
        return []
    refs: list[bytes] = []
    tail = b""
    with source:  # the merges follow the rows: scan the XML in blocks, not whole
        while block := source.read(1 << 20):
            text = tail + block
            cut = max(0, len(text) - 200)  # a tag cut at a block's end is read whole with the next one
            refs += [m.group(1) for m in _MERGE_REF.finditer(text) if m.end() <= cut]
            tail = text[cut:]
    refs += [m.group(1) for m in _MERGE_REF.finditer(tail)]
    return [range_boundaries(r.decode("ascii")) for r in refs]


def _fill_merged(rows: list[tuple[int, list[str | None]]], ranges: list[tuple[int, int, int, int]], header_row: int) -> None:
    """Give every cell of a merged range below ``header_row`` the value of its first cell (a firm's
    name merged over its years belongs to each year's row)."""
    at = {r: i for i, (r, _) in enumerate(rows)}
    for min_col, min_row, max_col, max_row in ranges:
        if min_row <= header_row or min_row not in at:
            continue
        value = (rows[at[min_row]][1] + [None] * min_col)[min_col - 1]
        for r in range(min_row, max_row + 1):
            if r not in at:
                continue
            cells = rows[at[r]][1]
            cells.extend([None] * (max_col - len(cells)))
            for c in range(min_col, max_col + 1):
                cells[c - 1] = value


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


# where to name a worksheet: the command line and the upload page / API
WHERE_SHEET_ZH = "命令行 --sheet {arg}，网页或接口的“工作表/sheet”字段"
WHERE_SHEET_EN = "--sheet {arg} on the command line, the worksheet field of the upload page or API"
_PLAIN_ARG = re.compile(r"[^\s'\"\\$`!&|;<>()*?\[\]{}~#]+")


def _sheet_arg(name: str) -> str:
    """``name`` as typed after ``--sheet`` in a shell (quoted only where the shell needs it)."""
    import shlex

    return name if _PLAIN_ARG.fullmatch(name) else shlex.quote(name)


def _sheet_list(names: list[str]) -> tuple[str, str]:
    return "、".join(f"“{n}”" for n in names), ", ".join(f"'{n}'" for n in names)


def _sheet_problem(path: Path, first: str, names: list[str], data_sheet: str | None) -> Problem:
    listed_zh, listed_en = _sheet_list(names)
    if data_sheet is not None:
        where_zh = WHERE_SHEET_ZH.format(arg=_sheet_arg(data_sheet))
        where_en = WHERE_SHEET_EN.format(arg=_sheet_arg(data_sheet))
        return Problem(
            "xlsx.sheet_hint",
            f"第一个工作表“{first}”中找不到表头（如“统一社会信用代码”“年度”）；工作簿含工作表{listed_zh}，数据似在“{data_sheet}”中：请指定工作表“{data_sheet}”（{where_zh}），或把该表移到第一位",
            f"no header row (such as 'uscc', 'year') in the first worksheet '{first}'; the workbook has worksheets {listed_en} and the data seem to be in '{data_sheet}': name that worksheet ({where_en}), or move that sheet first",
            file=str(path),
        )
    return Problem(
        "xlsx.sheet_hint",
        f"工作簿含工作表{listed_zh}，读取的是“{first}”；数据在其他工作表时请指定工作表（{WHERE_SHEET_ZH.format(arg='NAME')}）",
        f"the workbook has worksheets {listed_en}; '{first}' was read — when the data are on another sheet, name it ({WHERE_SHEET_EN.format(arg='NAME')})",
        file=str(path),
    )


def _pick_sheet(path: Path, sheet: str, names: list[str]) -> str:
    """The worksheet named ``sheet``: as written, else the one sheet whose name differs only in case or
    in spaces around it (Excel itself does not tell names apart by case); else a problem naming the
    sheet asked for and the sheets present."""
    if sheet in names:
        return sheet
    near = [n for n in names if n.strip().casefold() == sheet.strip().casefold()]
    if len(near) == 1:
        return near[0]
    listed_zh, listed_en = _sheet_list(names)
    raise InputError(
        Problem(
            "xlsx.sheet",
            f"工作表“{sheet}”不存在；工作簿含工作表{listed_zh}：请填写其中一个的名称",
            f"worksheet '{sheet}' not found; the workbook has worksheets {listed_en}: name one of them",
            file=str(path),
            value=sheet,
        )
    )


def read_xlsx(path: Path, sheet: str | None = None, facts: bool = True) -> Source:
    """Read the first (or named) sheet; rows keep their Excel numbers, empty rows are skipped.
    The header is the first non-empty row — for a facts table (``facts``) the first row with
    enough headers of the data norms (title rows above it are skipped), and when the first sheet
    has none while another sheet has, that sheet is named (`xlsx.sheet_hint`)."""
    path = Path(path)
    with path.open("rb") as fh:
        head = fh.read(4096)
    if head.startswith(OLE2_MAGIC):
        raise InputError(
            Problem(
                "xlsx.encrypted",
                "该 Excel 文件已加密或为旧版 .xls 格式，请取消密码保护并另存为 .xlsx",
                "the workbook is password-protected (encrypted) or an old .xls file; remove the password and save as .xlsx",
                file=str(path),
            )
        )
    if not head.startswith(ZIP_MAGIC):
        raise InputError(_not_a_workbook(path, head))
    import openpyxl

    try:
        book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # zip, XML and openpyxl's own errors all mean a damaged workbook
        raise (_zip_not_workbook(path) or _broken(path, exc)) from None
    hint: Problem | None = None
    try:
        names = list(book.sheetnames)
        if sheet is not None:
            sheet = _pick_sheet(path, sheet, names)
        ws = book[sheet] if sheet else book.worksheets[0]
        raw_rows = _non_empty_rows(ws)
        rows = [(r, [_cell_text(v) for v in values]) for r, values in raw_rows]
        at = _find_header(rows) if facts else 0
        if rows:
            _fill_merged(rows, _merged_ranges(book, ws), rows[at or 0][0])
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
    header = [(c or "").strip() for c in rows[at][1]]
    while header and header[-1] == "":
        header.pop()
    width = len(header)
    columns: dict[str, list] = {f"#{i}": [] for i in range(width)}  # named below: headers may repeat or be blank
    uscc_at = [i for i, name in enumerate(header) if facts and name and schema.resolve_header(name)[0] == "uscc"]
    rows_kept: list[int] = []
    numeric_uscc: set[int] = set()
    first = at + 1
    while facts and first < len(rows) and _is_header(rows[first][1]) >= HEADER_MIN_FIELDS:
        first += 1  # a second header row (English names under the Chinese ones) is no data
    for (excel_row, cells), (_, values) in zip(rows[first:], raw_rows[first:]):
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
    names = header_names(frame, header, str(path), header_row, excel=True)
    if not facts:  # a table other than facts names a column without header by its letter
        names = [n.replace(BLANK_HEADER, "column_") if n else n for n in names]
    frame = named(frame, names).with_columns(pl.Series(ROW, rows_kept, dtype=pl.Int64))
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
        if col.startswith(BLANK_HEADER):  # data under an empty header cell
            where = col[len(BLANK_HEADER):]
            if strict:
                problems.append(Problem("header.blank", f"第 {where} 列有数据但没有表头：请填写表头或删除该列",
                                        f"column {where} has data but no header: name it or delete the column",
                                        file=file, row=header_row))
            else:
                ignored.append(f"(第 {where} 列 / column {where})")
            continue
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


def no_rows(file: str, header_row: int = 1) -> InputError:
    """A fact file with a header and not one data row: nothing to import."""
    return InputError(Problem("file.no_rows", "文件只有表头，没有数据行：没有可导入的内容", "the file has a header but no data rows: nothing to import",
                              file=file, row=header_row))
