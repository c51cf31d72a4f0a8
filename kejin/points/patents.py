"""A firm's technology path from its patent list: the IPC classes it works in over time.

Input: CSV (UTF-8 with or without BOM, or GB18030), XLSX (first sheet) or Parquet, read by the
facts readers (`kejin.facts.readers.read_table`), so the row numbers in errors are the ones the
user sees (header = row 1). Columns, Chinese or English headers: ``patent_id`` 专利号, ``type``
专利类型 (invention/utility/design or 发明/实用新型/外观设计), ``ipc`` IPC分类号 (main class,
e.g. ``G06N 3/08``), ``application_date`` 申请日, ``grant_date`` 授权日 (blank = not granted),
and optionally ``uscc`` 统一社会信用代码. Other columns are ignored.

Every cell is checked and every problem reported at once (all-or-nothing, as for fact files):
unknown type, bad IPC class, blank or unparsable dates, dates after today, a grant before the
application, an invalid USCC (GB 32100 check character), a patent listed twice for one firm.

Per application year: filings, grants, the IPC subclasses (first four characters, e.g. G06N),
their concentration (Herfindahl index Σ share², 1 = one class only) and how far the year's mix
moved from everything filed before (1 − cosine similarity; 0 = same mix, 1 = all new fields),
plus the classes entered for the first time.
"""

from __future__ import annotations

import math
import re
from datetime import date
from pathlib import Path
from typing import Any

import polars as pl

from kejin.errors import InputError, Problem
from kejin.facts import codes
from kejin.facts.checks import Rule, check_rules
from kejin.facts.readers import ROW, read_table
from kejin.facts.validate import DATE_FORMATS, uscc_problems  # the dates fact files accept, the USCC problems worded alike

MAX_LISTED_PROBLEMS = 1000

HEADERS = {
    "patent_id": ("patent_id", "patent_no", "patent_number", "专利号", "专利申请号", "申请号", "公开号", "公告号"),
    "type": ("type", "patent_type", "专利类型", "类型", "专利种类"),
    "ipc": ("ipc", "ipc_class", "ipc_main_class", "main_ipc", "ipc分类号", "主分类号", "ipc主分类号", "分类号"),
    "application_date": ("application_date", "filing_date", "申请日", "申请日期"),
    "grant_date": ("grant_date", "授权日", "授权日期", "授权公告日"),
    "uscc": ("uscc", "统一社会信用代码"),
}
REQUIRED = ("patent_id", "type", "ipc", "application_date")
FIELD_ZH = {"patent_id": "专利号", "type": "专利类型", "ipc": "IPC分类号", "application_date": "申请日", "grant_date": "授权日", "uscc": "统一社会信用代码"}
TYPES = {"发明": "invention", "发明专利": "invention", "实用新型": "utility", "实用新型专利": "utility",
         "外观设计": "design", "外观设计专利": "design", "invention": "invention", "utility": "utility",
         "utility model": "utility", "utility_model": "utility", "design": "design"}
TYPE_ZH = {"invention": "发明", "utility": "实用新型", "design": "外观设计"}
COLUMNS = ("patent_id", "type", "ipc", "ipc_subclass", "application_date", "grant_date")
_ALIASES = {alias.lower(): name for name, aliases in HEADERS.items() for alias in aliases}
_SUFFIX = re.compile(r"(#\d+|_duplicated_\d+)$")  # how the readers tell apart two headers of one name


def _header_field(col: str) -> str | None:
    key = col.strip().lstrip("\ufeff").lower().replace(" ", "_")
    name = _ALIASES.get(key)
    if name is None and _SUFFIX.search(key):
        name = _ALIASES.get(_SUFFIX.sub("", key))
    return name


def _rename(frame: pl.DataFrame, file: str) -> pl.DataFrame:
    """Headers → field names; every missing or ambiguous column reported at once (row 1)."""
    mapping: dict[str, str] = {}
    seen: dict[str, str] = {}
    problems: list[Problem] = []
    for col in frame.columns:
        if col == ROW:
            continue
        name = _header_field(col)
        if name is None:
            continue  # other columns of an export (title, applicant, …) are not read
        if name in seen:
            problems.append(Problem("patents.header.duplicate", f"列“{seen[name]}”与“{col}”指同一字段 {name}，请只保留一列",
                                    f"columns '{seen[name]}' and '{col}' both map to {name}; keep one", file=file, row=1, field=name))
            continue
        seen[name] = col
        mapping[col] = name
    for name in REQUIRED:
        if name not in seen:
            problems.append(Problem("patents.column", f"专利清单缺少列“{FIELD_ZH[name]}”({name})",
                                    f"the patent list lacks the column {name} ({FIELD_ZH[name]})", file=file, row=1, field=name))
    if problems:
        raise InputError(problems)
    frame = frame.select([ROW, *mapping]).rename(mapping)
    if "grant_date" not in frame.columns:
        frame = frame.with_columns(pl.lit(None, dtype=pl.String).alias("grant_date"))
    return frame


def load_patents(path: Path | str, sheet: str | None = None) -> pl.DataFrame:
    """Read and check a patent list (CSV in UTF-8/GB18030, XLSX, Parquet). Raises InputError
    with every problem found."""
    path = Path(path)
    if not path.exists():
        raise InputError(Problem("patents.missing", "找不到专利清单文件", "patent list not found", file=str(path)))
    frame, label = read_table(path, sheet)
    return clean_patents(frame, label)


def _text(col: str, dtype: pl.DataType) -> pl.Expr:
    """A cell as trimmed text, blank → null (what the user typed, shown in problems)."""
    c = pl.col(col)
    if dtype == pl.Date:
        c = c.dt.to_string("%Y-%m-%d")
    elif isinstance(dtype, pl.Datetime):
        c = c.dt.date().dt.to_string("%Y-%m-%d")
    c = c.cast(pl.String).str.strip_chars()
    return pl.when(c == "").then(None).otherwise(c)


def _date(col: str) -> pl.Expr:
    return pl.coalesce([pl.col(col).str.to_date(fmt, strict=False) for fmt in DATE_FORMATS])


def clean_patents(frame: pl.DataFrame, file: str = "<patents>", today: date | None = None) -> pl.DataFrame:
    """Name, type and check a patent list read as text (or an in-memory frame, whose first row is
    counted as row 2, after the header). Returns ``patent_id, type, ipc, ipc_subclass,
    application_date, grant_date`` (and ``uscc`` when the list has it)."""
    today = today or date.today()
    if ROW not in frame.columns:
        frame = frame.with_row_index(ROW, offset=2)
    frame = frame.with_columns(pl.col(ROW).cast(pl.Int64))
    frame = _rename(frame, file)
    has_uscc = "uscc" in frame.columns
    fields = [c for c in ("patent_id", "type", "ipc", "application_date", "grant_date", "uscc") if c in frame.columns]
    raw = frame.select([ROW, *[_text(c, frame.schema[c]).alias(f"raw_{c}") for c in fields]])
    typed = raw.with_columns(
        pl.col("raw_patent_id").alias("patent_id"),
        pl.col("raw_type").str.to_lowercase().replace_strict(TYPES, default=None).alias("type"),
        pl.col("raw_ipc").alias("ipc"),
        pl.col("raw_ipc").str.to_uppercase().str.replace_all(r"\s+", "").str.slice(0, 4).alias("ipc_subclass"),
        _date("raw_application_date").alias("application_date"),
        _date("raw_grant_date").alias("grant_date"),
        *([pl.col("raw_uscc").alias("uscc")] if has_uscc else []),
    )
    sub = pl.col("ipc_subclass")
    ipc_ok = (sub.str.len_chars() == 4) & sub.str.contains(r"^[A-H][0-9]{2}[A-Z]$")
    app, grant = pl.col("application_date"), pl.col("grant_date")
    iso = today.isoformat()
    rules = [
        Rule("patents.required", "patent_id", pl.col("raw_patent_id").is_null(), "专利号为空", "patent id is blank"),
        Rule("patents.type", "type", pl.col("type").is_null(), "专利类型应为 发明/实用新型/外观设计", "type must be invention/utility/design", "raw_type"),
        Rule("patents.ipc", "ipc", ~ipc_ok.fill_null(False), "IPC 分类号无效（如 G06N3/08）", "invalid IPC class (e.g. G06N 3/08)", "raw_ipc"),
        Rule("patents.required", "application_date", pl.col("raw_application_date").is_null(), "申请日为空", "application date is blank"),
        Rule("patents.date", "application_date", pl.col("raw_application_date").is_not_null() & app.is_null(),
             "申请日不是有效日期（应为 YYYY-MM-DD）", "application date is not a valid date (use YYYY-MM-DD)", "raw_application_date"),
        Rule("patents.date", "grant_date", pl.col("raw_grant_date").is_not_null() & grant.is_null(),
             "授权日不是有效日期（应为 YYYY-MM-DD）", "grant date is not a valid date (use YYYY-MM-DD)", "raw_grant_date"),
        Rule("patents.future", "application_date", app > today, f"申请日晚于今天（{iso}）", f"application date is after today ({iso})", "raw_application_date"),
        Rule("patents.future", "grant_date", grant > today, f"授权日晚于今天（{iso}）", f"grant date is after today ({iso})", "raw_grant_date"),
        Rule("patents.grant", "grant_date", grant < app, "授权日早于申请日", "grant date is before the application date", "raw_grant_date"),
    ]
    if has_uscc:
        rules.append(Rule("patents.required", "uscc", pl.col("uscc").is_null(), "统一社会信用代码为空（有此列时每行必填）",
                          "USCC is blank (required on every row when the column is present)"))
    problems = check_rules(typed, rules, file, cap=MAX_LISTED_PROBLEMS)
    if has_uscc:
        problems += _uscc_problems(typed, file)
    problems += _duplicate_problems(typed, has_uscc, file)
    if problems:
        problems.sort(key=lambda p: (p.row is None, p.row or 0, list(FIELD_ZH).index(p.field) if p.field in FIELD_ZH else 99))
        raise InputError(problems)
    return typed.select([*COLUMNS, *(["uscc"] if has_uscc else [])])


def _uscc_problems(typed: pl.DataFrame, file: str) -> list[Problem]:
    """A problem for each filled USCC that fails GB 32100 (length, characters, check character),
    worded as for a fact file."""
    return uscc_problems(typed, codes.uscc_valid_mask(typed.get_column("uscc")), file)


def _duplicate_problems(typed: pl.DataFrame, has_uscc: bool, file: str) -> list[Problem]:
    """A patent listed more than once for one firm (ids compared without spaces, case-blind):
    one problem on each repeat, naming the row it repeats."""
    key = pl.col("patent_id").str.replace_all(r"\s+", "").str.to_uppercase()
    keyed = typed.filter(pl.col("patent_id").is_not_null()).with_columns(key.alias("_key"))
    by = ["_key", "uscc"] if has_uscc else ["_key"]
    keyed = keyed.filter(pl.struct(by).is_duplicated())
    if keyed.height == 0:
        return []
    content = [c for c in ("type", "ipc_subclass", "application_date", "grant_date") if c in keyed.columns]
    problems: list[Problem] = []
    for _, group in keyed.sort(ROW).group_by(by, maintain_order=True):
        first = group.row(0, named=True)
        rows = group.get_column(ROW).to_list()
        listed = "、".join(map(str, rows))
        listed_en = ", ".join(map(str, rows))
        for row in group.slice(1).iter_rows(named=True):
            same = all(row[c] == first[c] for c in content) and row["ipc"] == first["ipc"]
            zh = f"专利号重复（第{listed}行）：" + (f"与第{first[ROW]}行完全相同，同一专利不应重复列出" if same else f"与第{first[ROW]}行专利号相同但内容不同")
            en = f"duplicate patent id (rows {listed_en}): " + (f"an exact repeat of row {first[ROW]}; a list must not repeat a patent" if same else f"same id as row {first[ROW]} with different content")
            problems.append(Problem("patents.duplicate", zh, en, file=file, row=row[ROW], field="patent_id", value=row["patent_id"]))
            if len(problems) >= MAX_LISTED_PROBLEMS:
                return problems
    return problems


def patent_list(patents: pl.DataFrame) -> list[dict[str, Any]]:
    """The patents themselves, by application date then id: id, type, IPC, dates (ISO text)."""
    p = patents.sort("application_date", "patent_id", nulls_last=True)
    return [
        {
            "patent_id": r["patent_id"],
            "type": r["type"],
            "ipc": r["ipc"],
            "ipc_subclass": r["ipc_subclass"],
            "application_date": None if r["application_date"] is None else r["application_date"].isoformat(),
            "grant_date": None if r["grant_date"] is None else r["grant_date"].isoformat(),
        }
        for r in p.select(COLUMNS).iter_rows(named=True)
    ]


def _hhi(counts: dict[str, int]) -> float:
    total = sum(counts.values())
    return round(sum((c / total) ** 2 for c in counts.values()), 6) if total else 0.0


def _cosine(a: dict[str, int], b: dict[str, int]) -> float:
    keys = set(a) | set(b)
    dot = sum(a.get(k, 0) * b.get(k, 0) for k in keys)
    na = math.sqrt(sum(v * v for v in a.values()))
    nb = math.sqrt(sum(v * v for v in b.values()))
    return dot / (na * nb) if na and nb else 0.0


def tech_path(patents: pl.DataFrame) -> dict[str, Any]:
    """The technology path of one firm's patents (already cleaned)."""
    p = patents.with_columns(pl.col("application_date").dt.year().alias("app_year"), pl.col("grant_date").dt.year().alias("grant_year"))
    years: list[dict[str, Any]] = []
    seen: dict[str, int] = {}
    for year in sorted(set(p["app_year"].to_list()) | set(y for y in p["grant_year"].to_list() if y is not None)):
        filed = p.filter(pl.col("app_year") == year)
        counts = dict(sorted(filed.group_by("ipc_subclass").len().iter_rows()))
        new = sorted(set(counts) - set(seen))
        shift = None if not seen or not counts else round(1.0 - _cosine(counts, seen), 6)
        years.append({
            "year": year,
            "filed": filed.height,
            "filed_invention": filed.filter(pl.col("type") == "invention").height,
            "granted": p.filter(pl.col("grant_year") == year).height,
            "classes": counts,
            "hhi": _hhi(counts) if counts else None,
            "shift_from_before": shift,
            "new_classes": new,
        })
        for k, v in counts.items():
            seen[k] = seen.get(k, 0) + v
    total = dict(sorted(seen.items(), key=lambda kv: (-kv[1], kv[0])))
    return {
        "patents": p.height,
        "granted": int(p["grant_date"].is_not_null().sum()),
        "by_type": dict(sorted(p.group_by("type").len().iter_rows())),
        "classes": total,
        "hhi": _hhi(total),
        "main_class": next(iter(total), None),
        "years": years,
    }
