"""Verifiable results: recompute published scores and confirm them, or name the first difference.

A published result row carries ``method``, ``method_version``, ``method_sha256``,
``row_digest`` and ``input_digest``. Verification

1. finds the method (``id@version``, or a pack file given explicitly) and checks that its
   SHA-256 is the one published (a changed weight changes the hash);
2. recomputes the row digest of every enterprise-year (``kejin.points.digest.row_digests``) and
   names each one whose input differs from the published one — the first difference then says
   which uscc and year changed; skipped for results written before the row digest (no
   ``row_digest`` column) and when the method is not the published one (another method may read
   other columns, and then every row digest would differ);
3. recomputes the input digest over the facts supplied (a one-fen change changes it; it stays
   the integrity check, the row digest only locates the change);
4. rescores and compares, for the years the results hold (``--year`` publishes one), every
   enterprise-year: published exactly once, and every published column the engine writes equal
   to the recomputed one (exact equality; the published numbers are rounded to 1e-4 by the
   engine, so they are bit-for-bit stable). A results file must hold the identity columns and
   at least ``stage, points, percentile, tier``; a column the engine does not write is ignored.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import polars as pl

from kejin.errors import InputError, Problem
from kejin.points.engine import score
from kejin.points.methods import Method, resolve

ROW_INPUT_CHANGED = ("该企业年度的输入数据与发布时不同", "the input of this enterprise-year differs from the published one")


@dataclass
class Difference:
    uscc: str | None
    year: int | None
    column: str
    published: Any
    recomputed: Any
    note: str | None = None  # what the difference means, zh / en (row_digest: the row's input changed)

    def text(self) -> str:
        where = f"{self.uscc} {self.year} " if self.uscc else ""
        if self.note and self.published is None and self.recomputed is None:
            return f"{where}{self.column}: {self.note}"
        values = f"发布值 published {self.published!r} ≠ 重算值 recomputed {self.recomputed!r}"
        return f"{where}{self.column}: {self.note} ({values})" if self.note else f"{where}{self.column}: {values}"


@dataclass
class Report:
    ok: bool
    checked: int
    method: str
    method_sha256: str
    input_digest: str
    differences: list[Difference] = field(default_factory=list)
    years: list[int] = field(default_factory=list)  # the years the results hold, all checked
    columns: list[str] = field(default_factory=list)  # the published columns compared

    @property
    def first(self) -> Difference | None:
        return self.differences[0] if self.differences else None

    def as_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "checked": self.checked,
            "method": self.method,
            "method_sha256": self.method_sha256,
            "input_digest": self.input_digest,
            "years": self.years,
            "columns": self.columns,
            "differences": len(self.differences),
            "first_difference": None if not self.first else self.first.__dict__,
        }


def read_results(path: Path | str) -> pl.DataFrame:
    """A results file as ``kejin points score`` writes it: JSON (an array of row objects, or an
    object whose ``results`` is one), Parquet, or CSV (any other name). A file that cannot be read
    as such (cut off, not UTF-8, a spreadsheet, …) is an input error naming it, not a traceback."""
    path = Path(path)
    if not path.exists():
        raise InputError(Problem("points.results_missing", "找不到结果文件", "results file not found", file=str(path)))
    try:
        return _read_results(path)
    except (ValueError, TypeError, pl.exceptions.PolarsError) as exc:  # JSON and UTF-8 errors are ValueErrors
        detail = " ".join(str(exc).split())[:200]
        raise InputError(Problem(
            "points.results_unreadable",
            f"无法读取结果文件（应为 kejin points score 写出的 CSV、JSON 或 Parquet）：{detail}",
            f"cannot read the results file (expected CSV, JSON or Parquet as kejin points score writes): {detail}",
            file=str(path),
        )) from None


def _read_results(path: Path) -> pl.DataFrame:
    suffix = path.suffix.lower()
    if suffix in (".xlsx", ".xlsm", ".xls"):
        raise ValueError(f"{suffix} (spreadsheet)")
    if suffix == ".json":
        data = json.loads(path.read_text(encoding="utf-8"))
        if isinstance(data, dict):
            data = data.get("results", [])
        if not isinstance(data, list):
            raise ValueError(f"JSON {type(data).__name__}, not an array of rows")
        frame = pl.DataFrame(data, infer_schema_length=None)
        return frame.with_columns(pl.col("row_digest").cast(pl.String)) if "row_digest" in frame.columns else frame
    if suffix == ".parquet":
        return pl.read_parquet(path)
    return pl.read_csv(path, infer_schema_length=None, schema_overrides={"uscc": pl.String, "tier": pl.String, "stage": pl.String, "row_digest": pl.String, "input_digest": pl.String, "method_sha256": pl.String, "method_version": pl.String})


IDENTITY = ("method", "method_version", "method_sha256", "input_digest")
REQUIRED = ("uscc", "year", *IDENTITY)
# the minimum of a published result: without them a file confirms nothing about the scores
SCORED = ("stage", "points", "percentile", "tier")
KEYS = ["uscc", "year"]
PUBLISHED, RECOMPUTED = "__published_row", "__recomputed_row"


def _required(results: pl.DataFrame) -> None:
    if not results.height:
        raise InputError(Problem("points.results_empty", "结果文件没有任何行，无可核对", "the results file has no rows: nothing to verify"))
    for col in (*REQUIRED, *SCORED):
        if col not in results.columns:
            raise InputError(Problem("points.results_column", f"结果文件缺少列 {col}", f"results lack the column {col}", field=col))


def _as_published(new: pl.Expr, dtype: pl.DataType) -> pl.Expr:
    """A recomputed column in the form a results file holds it: lists joined by ";" (as the CSV
    writer does), blank text as the empty string (a CSV cannot tell them apart)."""
    if isinstance(dtype, pl.List):
        new = new.list.join(";")
    return new.cast(pl.String).fill_null("") if dtype == pl.String or isinstance(dtype, (pl.List, pl.Enum, pl.Categorical)) else new


def _equal(column: str, dtype: pl.DataType) -> pl.Expr:
    """True where the published value of ``column`` equals the recomputed one exactly (numbers
    by value, whatever type the file gave them; a value that is not a number never equals)."""
    pub, new = pl.col(column), pl.col(f"{column}__new")
    if dtype.is_numeric():
        as_number = pub.cast(pl.Float64, strict=False)
        unreadable = pub.is_not_null() & as_number.is_null()
        return as_number.eq_missing(new.cast(pl.Float64)) & ~unreadable
    return pub.cast(pl.String).fill_null("").eq(_as_published(new, dtype))


def _compared_columns(pub: pl.DataFrame, fresh: pl.DataFrame) -> list[str]:
    """Every published column the engine also publishes, in the engine's order (the identity
    columns are checked on their own, the row digest by ``_changed_rows``). The name is a label
    copied from the facts, not an input of the method (nor of the digests): not compared."""
    skip = {*KEYS, *IDENTITY, "row_digest", "name"}
    return [c for c in fresh.columns if c in pub.columns and c not in skip]


def _row_differences(pub: pl.DataFrame, fresh: pl.DataFrame, limit: int) -> tuple[list[Difference], list[str]]:
    """Per enterprise-year, in (uscc, year) order: a row published twice, a row on one side only,
    or the first published column (engine order) whose value differs. Returns the differences
    (at most ``limit``) and the columns compared."""
    cols = _compared_columns(pub, fresh)
    diffs: list[Difference] = []
    twice = pub.filter(pl.struct(KEYS).is_duplicated()).select(KEYS).unique(maintain_order=True).sort(KEYS)
    for uscc, year in twice.head(limit).iter_rows():
        diffs.append(Difference(uscc, year, "row", None, None, "该企业年度在结果文件中出现多次 / this enterprise-year is published more than once"))
    joined = (
        pub.unique(KEYS, keep="first", maintain_order=True).with_columns(pl.lit(True).alias(PUBLISHED))
        .join(fresh.with_columns(pl.lit(True).alias(RECOMPUTED)), on=KEYS, how="full", suffix="__new", coalesce=True)
    )
    first = pl.coalesce([pl.when(~_equal(c, fresh.schema[c])).then(pl.lit(c)) for c in cols]) if cols else pl.lit(None, dtype=pl.String)
    found = (
        joined.with_columns(first.alias("__first"))
        .filter(pl.col(PUBLISHED).is_null() | pl.col(RECOMPUTED).is_null() | pl.col("__first").is_not_null())
        .sort(KEYS)
        .head(max(limit - len(diffs), 0))
    )
    for row in found.iter_rows(named=True):
        uscc, year = row["uscc"], row["year"]
        if row[PUBLISHED] is None:
            diffs.append(Difference(uscc, year, "row", None, None, "发布结果中缺少该企业年度 / this enterprise-year is missing from the published results"))
        elif row[RECOMPUTED] is None:
            diffs.append(Difference(uscc, year, "row", None, None, "复算结果中没有该企业年度（不在输入或方法范围内）/ this enterprise-year is not in the recomputed results (not in the input or the method's scope)"))
        else:
            c = row["__first"]
            diffs.append(Difference(uscc, year, c, row[c], row[f"{c}__new"]))
    return diffs, cols


def verify(results: pl.DataFrame, facts: pl.DataFrame, method: str | Method | None = None, limit: int = 100) -> Report:
    """Recompute ``results`` from ``facts`` and compare. The years checked are the years the
    results hold (``kejin points score --year`` publishes one); within them every enterprise-year
    must be published exactly once, and every published column the engine writes must match."""
    _required(results)
    ids = results.select(IDENTITY).unique()
    if ids.height != 1:
        raise InputError(Problem("points.results_mixed", "结果文件混合了多个方法或输入", "the results mix several methods or inputs", value=ids.height))
    mid, mver, msha, digest = ids.row(0)
    diffs: list[Difference] = []
    m = method if isinstance(method, Method) else resolve(method or f"{mid}@{mver}")
    if m.sha256 != msha:
        diffs.append(Difference(None, None, "method_sha256", msha, m.sha256))
    detail = any(c.startswith(("raw__", "score__")) for c in results.columns)
    fresh = score(facts, m, detail=detail)
    fresh_digest = fresh["input_digest"][0] if fresh.height else ""
    pub = results.with_columns(pl.col("uscc").cast(pl.String), pl.col("year").cast(pl.Int64, strict=False))
    years = sorted(y for y in pub["year"].unique().to_list() if y is not None)
    fresh = fresh.filter(pl.col("year").is_in(years))
    if "row_digest" in pub.columns and m.sha256 == msha:  # name the enterprise-years whose input changed
        diffs.extend(_changed_rows(pub, fresh, limit - len(diffs)))
    if fresh_digest != digest:
        diffs.append(Difference(None, None, "input_digest", digest, fresh_digest))
    rows, cols = _row_differences(pub, fresh, limit - len(diffs))
    diffs.extend(rows)
    return Report(not diffs, pub.height, m.ref, m.sha256, fresh_digest, diffs[:limit], years, cols)


def _changed_rows(pub: pl.DataFrame, fresh: pl.DataFrame, limit: int) -> list[Difference]:
    """Enterprise-years in both results whose row digest differs, in (uscc, year) order (rows on
    one side only are reported by the row comparison)."""
    if limit <= 0:
        return []
    changed = (
        pub.select("uscc", "year", pl.col("row_digest").cast(pl.String))
        .join(fresh.select("uscc", "year", pl.col("row_digest").alias("row_digest__new")), on=["uscc", "year"], how="inner")
        .filter(pl.col("row_digest").ne_missing(pl.col("row_digest__new")))
        .sort(["uscc", "year"])
        .head(limit)
    )
    note = " / ".join(ROW_INPUT_CHANGED)
    return [Difference(u, y, "row_digest", old, new, note) for u, y, old, new in changed.iter_rows()]
