"""Reading fact files: CSV (UTF-8 with/without BOM, GB18030), XLSX, Parquet.

Readers only get the table off the disk and name its columns; they keep every cell as text
(Parquet keeps its types) and remember the row number the user sees, so that validation can
report "row 17, field revenue, value 'abc'" — nothing is converted silently here.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import polars as pl

from kejin.errors import InputError, Problem
from kejin.facts import schema

ROW = "_row"  # the row number as the user counts it (header = row 1)

OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


@dataclass
class RawTable:
    """A table as read, columns renamed to field names, cells still untyped (text)."""

    frame: pl.DataFrame
    file: str
    unit_factors: dict[str, float] = field(default_factory=dict)


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
    except pl.exceptions.ComputeError as exc:
        raise InputError(
            Problem("file.csv", f"CSV 格式错误：{exc}", f"malformed CSV: {exc}", file=str(path))
        ) from None


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


def read_xlsx(path: Path, sheet: str | None = None) -> tuple[pl.DataFrame, int]:
    """Read the first (or named) sheet; returns the table and the Excel row of its header."""
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
    try:
        if sheet is not None and sheet not in book.sheetnames:
            raise InputError(
                Problem(
                    "xlsx.sheet",
                    f"工作表“{sheet}”不存在（现有：{'、'.join(book.sheetnames)}）",
                    f"worksheet '{sheet}' not found (present: {', '.join(book.sheetnames)})",
                    file=str(path),
                )
            )
        ws = book[sheet] if sheet else book.worksheets[0]
        header_row = 0
        header: list[str] | None = None
        body: list[list[str | None]] = []
        for excel_row, values in enumerate(ws.iter_rows(values_only=True), start=1):
            cells = [_cell_text(v) for v in values]
            if header is None:
                if any(c not in (None, "") for c in cells):
                    header, header_row = [c or "" for c in cells], excel_row
                continue
            body.append(cells)
    except InputError:
        raise
    except Exception as exc:  # a part that fails to decompress or parse while reading rows
        raise _broken(path, exc) from None
    finally:
        book.close()
    if header is None:
        raise InputError(Problem("file.empty", "工作表为空", "the worksheet is empty", file=str(path)))
    while header and header[-1] == "":
        header.pop()
    width = len(header)
    # drop trailing empty rows, keep their numbering for the others
    columns = {name if name else f"column_{i + 1}": [] for i, name in enumerate(header)}
    if len(columns) != width:
        columns = {f"{name}#{i}": [] for i, name in enumerate(header)}
    rows_kept: list[int] = []
    for offset, cells in enumerate(body):
        cells = (cells + [None] * width)[:width]
        if all(c in (None, "") for c in cells):
            continue
        rows_kept.append(header_row + 1 + offset)
        for key, cell in zip(columns, cells):
            columns[key].append(cell)
    frame = pl.DataFrame({k: pl.Series(k, v, dtype=pl.String) for k, v in columns.items()})
    return frame.with_columns(pl.Series(ROW, rows_kept, dtype=pl.Int64)), header_row


def read_table(path: Path | str, sheet: str | None = None) -> tuple[pl.DataFrame, str]:
    """Read any supported file into a frame with a ``_row`` column. Returns (frame, file label)."""
    path = Path(path)
    label = str(path)
    if not path.exists():
        raise InputError(Problem("file.missing", "文件不存在", "file not found", file=label))
    suffix = path.suffix.lower()
    if suffix in (".xlsx", ".xlsm"):
        frame, _ = read_xlsx(path, sheet)
        return frame, label
    if suffix == ".parquet":
        try:
            frame = pl.read_parquet(path)
        except Exception as exc:
            raise InputError(
                Problem("parquet.broken", f"Parquet 文件无法读取：{exc}", f"cannot read Parquet file: {exc}", file=label)
            ) from None
        return frame.with_row_index(ROW, offset=1).with_columns(pl.col(ROW).cast(pl.Int64)), label
    if suffix in (".csv", ".txt", ".tsv"):
        frame = read_csv_text(path)
        return frame.with_row_index(ROW, offset=2).with_columns(pl.col(ROW).cast(pl.Int64)), label
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


def name_columns(frame: pl.DataFrame, file: str) -> RawTable:
    """Rename headers (Chinese or English, with optional unit) to field names; report wrong headers."""
    problems: list[Problem] = []
    renames: dict[str, str] = {}
    factors: dict[str, float] = {}
    seen: dict[str, str] = {}
    for col in frame.columns:
        if col == ROW:
            continue
        name, factor = schema.resolve_header(col)
        if name is None:
            hint = schema.suggest_header(col)
            problems.append(
                Problem(
                    "header.unknown",
                    f"未知的列名“{col}”" + (f"，是否应为“{schema.field(hint).zh}”({hint})？" if hint else ""),
                    f"unknown column header '{col}'" + (f"; did you mean '{hint}'?" if hint else ""),
                    file=file,
                    row=1,
                    field=col,
                )
            )
            continue
        if name in seen:
            problems.append(
                Problem(
                    "header.duplicate",
                    f"列“{col}”与“{seen[name]}”指同一字段 {name}",
                    f"columns '{col}' and '{seen[name]}' both map to field {name}",
                    file=file,
                    row=1,
                    field=name,
                )
            )
            continue
        seen[name] = col
        renames[col] = name
        if factor != 1.0:
            factors[name] = factor
    for f in schema.fields():
        if f.required and f.name not in seen:
            problems.append(
                Problem(
                    "header.missing",
                    f"缺少必填列“{f.zh}”({f.name})",
                    f"required column '{f.name}' ({f.en}) is missing",
                    file=file,
                    row=1,
                    field=f.name,
                )
            )
    if problems:
        raise InputError(problems)
    return RawTable(frame.select([ROW, *renames]).rename(renames), file, factors)
