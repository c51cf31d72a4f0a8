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
4. rescores and compares every published row, column by column (exact equality; the
   published numbers are rounded to 1e-4 by the engine, so they are bit-for-bit stable).
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
COMPARED = ["stage", "points", "base_points", "bonus_points", "percentile", "rank", "tier", "status"]


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
            "differences": len(self.differences),
            "first_difference": None if not self.first else self.first.__dict__,
        }


def read_results(path: Path | str) -> pl.DataFrame:
    path = Path(path)
    if not path.exists():
        raise InputError(Problem("points.results_missing", "找不到结果文件", "results file not found", file=str(path)))
    if path.suffix.lower() == ".json":
        data = json.loads(path.read_text(encoding="utf-8"))
        if isinstance(data, dict):
            data = data.get("results", [])
        frame = pl.DataFrame(data, infer_schema_length=None)
        return frame.with_columns(pl.col("row_digest").cast(pl.String)) if "row_digest" in frame.columns else frame
    if path.suffix.lower() == ".parquet":
        return pl.read_parquet(path)
    return pl.read_csv(path, infer_schema_length=None, schema_overrides={"uscc": pl.String, "tier": pl.String, "stage": pl.String, "row_digest": pl.String, "input_digest": pl.String, "method_sha256": pl.String, "method_version": pl.String})


def _same(a: Any, b: Any) -> bool:
    if a is None or b is None:
        return a is None and b is None
    if isinstance(a, float) or isinstance(b, float):
        try:
            return float(a) == float(b)
        except (TypeError, ValueError):
            return False
    if isinstance(a, (int,)) and isinstance(b, (int,)):
        return a == b
    return str(a) == str(b)


def verify(results: pl.DataFrame, facts: pl.DataFrame, method: str | Method | None = None, limit: int = 100) -> Report:
    for col in ("uscc", "year", "method", "method_version", "method_sha256", "input_digest"):
        if col not in results.columns:
            raise InputError(Problem("points.results_column", f"结果文件缺少列 {col}", f"results lack the column {col}", field=col))
    ids = results.select("method", "method_version", "method_sha256", "input_digest").unique()
    if ids.height != 1:
        raise InputError(Problem("points.results_mixed", "结果文件混合了多个方法或输入", "the results mix several methods or inputs", value=ids.height))
    mid, mver, msha, digest = ids.row(0)
    diffs: list[Difference] = []
    m = method if isinstance(method, Method) else resolve(method or f"{mid}@{mver}")
    if m.sha256 != msha:
        diffs.append(Difference(None, None, "method_sha256", msha, m.sha256))
    fresh = score(facts, m)
    pub = results.with_columns(pl.col("uscc").cast(pl.String), pl.col("year").cast(pl.Int64)).sort(["uscc", "year"])
    if "row_digest" in pub.columns and m.sha256 == msha:  # name the enterprise-years whose input changed
        diffs.extend(_changed_rows(pub, fresh, limit - len(diffs)))
    if fresh.height and fresh["input_digest"][0] != digest:
        diffs.append(Difference(None, None, "input_digest", digest, fresh["input_digest"][0]))
    cols = [c for c in COMPARED + [c for c in results.columns if c.startswith("group_")] if c in results.columns]
    joined = pub.join(fresh, on=["uscc", "year"], how="full", suffix="__new", coalesce=True).sort(["uscc", "year"])
    for row in joined.iter_rows(named=True):
        if len(diffs) >= limit:
            break
        if row.get("method__new") is None and "method__new" in row:
            diffs.append(Difference(row["uscc"], row["year"], "row", "published", "not in recomputed results"))
            continue
        if row.get("method") is None:
            diffs.append(Difference(row["uscc"], row["year"], "row", "missing from published results", "recomputed"))
            continue
        for c in cols:
            new = row.get(f"{c}__new")
            if not _same(row.get(c), new):
                diffs.append(Difference(row["uscc"], row["year"], c, row.get(c), new))
                break
    return Report(not diffs, pub.height, m.ref, m.sha256, fresh["input_digest"][0] if fresh.height else "", diffs)


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
