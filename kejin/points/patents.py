"""A firm's technology path from its patent list: the IPC classes it works in over time.

Input columns (Chinese headers accepted): ``patent_id`` 专利号, ``type`` 专利类型
(invention/utility/design or 发明/实用新型/外观设计), ``ipc`` IPC分类号 (main class, e.g.
``G06N 3/08``), ``application_date`` 申请日, ``grant_date`` 授权日 (blank = not granted), and
optionally ``uscc``.

Per application year: filings, grants, the IPC subclasses (first four characters, e.g. G06N),
their concentration (Herfindahl index Σ share², 1 = one class only) and how far the year's mix
moved from everything filed before (1 − cosine similarity; 0 = same mix, 1 = all new fields),
plus the classes entered for the first time.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import polars as pl

from kejin.errors import InputError, Problem

HEADERS = {
    "patent_id": ("patent_id", "专利号", "申请号", "公开号"),
    "type": ("type", "专利类型", "类型"),
    "ipc": ("ipc", "ipc分类号", "ipc_class", "主分类号", "分类号"),
    "application_date": ("application_date", "申请日", "申请日期"),
    "grant_date": ("grant_date", "授权日", "授权日期", "授权公告日"),
    "uscc": ("uscc", "统一社会信用代码"),
}
TYPES = {"发明": "invention", "发明专利": "invention", "实用新型": "utility", "外观设计": "design",
         "invention": "invention", "utility": "utility", "design": "design"}


def _rename(frame: pl.DataFrame, file: str) -> pl.DataFrame:
    mapping = {}
    for col in frame.columns:
        key = col.strip().lower().replace(" ", "_")
        for name, aliases in HEADERS.items():
            if key in {a.lower() for a in aliases}:
                mapping[col] = name
    frame = frame.rename(mapping)
    missing = [c for c in ("patent_id", "type", "ipc", "application_date") if c not in frame.columns]
    if missing:
        raise InputError(Problem("patents.column", f"专利清单缺少列 {missing[0]}", f"the patent list lacks the column {missing[0]}", file=file, field=missing[0]))
    if "grant_date" not in frame.columns:
        frame = frame.with_columns(pl.lit(None, dtype=pl.String).alias("grant_date"))
    return frame


def load_patents(path: Path | str) -> pl.DataFrame:
    path = Path(path)
    if not path.exists():
        raise InputError(Problem("patents.missing", "找不到专利清单文件", "patent list not found", file=str(path)))
    if path.suffix.lower() == ".xlsx":
        frame = pl.read_excel(path, infer_schema_length=0)
    else:
        frame = pl.read_csv(path, infer_schema_length=0, encoding="utf8-lossy")
    return clean_patents(frame, str(path))


def clean_patents(frame: pl.DataFrame, file: str = "<patents>") -> pl.DataFrame:
    frame = _rename(frame, file)
    frame = frame.with_columns([pl.col(c).cast(pl.String) for c in ("patent_id", "type", "ipc", "application_date", "grant_date")])
    out = frame.with_columns(
        pl.col("type").str.strip_chars().replace_strict(TYPES, default=None).alias("type"),
        pl.col("ipc").str.to_uppercase().str.replace_all(r"\s+", "").str.slice(0, 4).alias("ipc_subclass"),
        pl.col("application_date").str.strip_chars().str.to_date(strict=False).alias("application_date"),
        pl.col("grant_date").str.strip_chars().str.to_date(strict=False).alias("grant_date"),
    )
    problems = []
    for i, row in enumerate(out.iter_rows(named=True)):
        line = i + 2
        if row["type"] is None:
            problems.append(Problem("patents.type", "专利类型应为 发明/实用新型/外观设计", "type must be invention/utility/design", file=file, row=line, field="type", value=frame["type"][i]))
        if row["application_date"] is None:
            problems.append(Problem("patents.date", "申请日无效（ISO 日期）", "invalid application date (ISO date)", file=file, row=line, field="application_date", value=frame["application_date"][i]))
        sub = row["ipc_subclass"] or ""
        if not (len(sub) == 4 and sub[0] in "ABCDEFGH" and sub[1:3].isdigit() and sub[3].isalpha()):
            problems.append(Problem("patents.ipc", "IPC 分类号无效（如 G06N3/08）", "invalid IPC class (e.g. G06N 3/08)", file=file, row=line, field="ipc", value=frame["ipc"][i]))
        if row["grant_date"] and row["application_date"] and row["grant_date"] < row["application_date"]:
            problems.append(Problem("patents.grant", "授权日早于申请日", "grant date before application date", file=file, row=line, field="grant_date", value=str(row["grant_date"])))
    if problems:
        raise InputError(problems)
    return out


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
