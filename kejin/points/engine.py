"""The scoring engine: one Polars pass from facts to points, stage, cohort percentile and tier.

Steps (all columnar, one lazy query):

1. keep the rows in the method's scope and the columns it reads; sort by (uscc, year);
   add the earlier-year columns the expressions need (``kejin.rules.lags``);
2. raw indicator values from the pack's expressions (blank stays blank, x/0 is blank);
3. stage from the stage rule; cohort = year × stage (× region prefix / industry if configured);
4. indicator scores in [0, 1] (``normalise``), weights of the firm's stage, the missing-data
   policy, group sub-scores, bonus (capped), points rounded to 1e-4;
5. cohort rank, percentile and tier of the points (``tiers``);
6. explanations: the two indicators that raised the points most and the two that lowered them
   most (contribution = effective weight × (score − 0.5), i.e. against a median firm), and the
   indicators it could not use (blank inputs).

Every row carries the method id, version, SHA-256 and the input digest (``digest``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import polars as pl

from kejin.errors import InputError, Problem
from kejin.facts import schema
from kejin.points.digest import input_digest
from kejin.points.methods import ALL_STAGES, Method, resolve
from kejin.points.normalise import raw_value, score_expr
from kejin.points.stages import stage_expr
from kejin.points.tiers import tier_columns
from kejin.rules import expr as ex
from kejin.rules.lags import with_lags

STATUS = {
    "scored": ("已评分", "scored"),
    "small_cohort": ("已评分，比较组过小，不分榜", "scored; cohort below the minimum, no tier"),
    "insufficient_data": ("可用数据不足，未评分", "not scored: too much unusable data"),
    "stage_unknown": ("无法确定阶段，未评分", "not scored: stage unknown"),
}


def group_column(gid: str) -> str:
    return f"group_{gid}"


def raw_column(iid: str) -> str:
    return f"raw__{iid}"


def score_column(iid: str) -> str:
    return f"score__{iid}"


@dataclass
class Prepared:
    method: Method
    frame: pl.DataFrame  # in scope, sorted, with lag columns
    digest: str


def as_method(method: str | Method) -> Method:
    return method if isinstance(method, Method) else resolve(method)


def cohort_keys(method: Method) -> list[str]:
    keys = ["year", "stage"]
    if method.cohort.region_digits:
        keys.append("__region")
    if method.cohort.industry != "none":
        keys.append("__industry")
    return keys


def prepare(facts: pl.DataFrame, method: Method) -> Prepared:
    cols = method.input_columns()
    frame = facts
    missing = [c for c in cols if c not in frame.columns]
    if missing:
        frame = frame.with_columns([pl.lit(None, dtype=schema.field(c).dtype).alias(c) for c in missing])
    keep = list(dict.fromkeys(["uscc", "year", *(["name"] if "name" in frame.columns else []), *cols]))
    frame = frame.select(keep)
    scope = method.scope
    if scope.region_prefixes:
        cond = pl.lit(False)
        for p in scope.region_prefixes:
            cond = cond | pl.col("region_code").str.starts_with(p)
        frame = frame.filter(cond.fill_null(False))
    if scope.sectors_any:
        cond = pl.lit(False)
        for sct in scope.sectors_any:
            cond = cond | pl.col("frontier_sectors").list.contains(sct)
        frame = frame.filter(cond.fill_null(False))
    if not _strictly_sorted(frame):
        frame = frame.sort(["uscc", "year"])
        if not _strictly_sorted(frame):
            dup = frame.select(["uscc", "year"]).is_duplicated()
            row = frame.filter(dup).row(0, named=True)
            raise InputError(Problem("points.duplicate", "企业年度重复（统一社会信用代码+年度须唯一）", "duplicate enterprise-year (uscc + year must be unique)", field="uscc", value=f"{row['uscc']} {row['year']}"))
    digest = input_digest(frame, cols)
    frame = with_lags(frame, method.uses())
    return Prepared(method, frame, digest)


def _strictly_sorted(frame: pl.DataFrame) -> bool:
    """True when rows are in strictly increasing (uscc, year) order (sorted and unique)."""
    if frame.height < 2:
        return True
    u, y = pl.col("uscc"), pl.col("year")
    step = (u > u.shift(1)) | ((u == u.shift(1)) & (y > y.shift(1)))
    return bool(frame.select(step.slice(1).all()).item())


def _weight_expr(method: Method, iid: str) -> pl.Expr:
    chain = None
    for st in method.stage_ids:
        w = float(method.stage_weights(st).get(iid, 0.0))
        cond = pl.col("stage") == st
        chain = pl.when(cond).then(pl.lit(w)) if chain is None else chain.when(cond).then(pl.lit(w))
    assert chain is not None
    return chain.otherwise(None)


def _sum(parts: list[pl.Expr]) -> pl.Expr:
    """A fixed left-to-right sum (pack order), so the result is the same on every run."""
    total = parts[0]
    for p in parts[1:]:
        total = total + p
    return total


def score_prepared(p: Prepared, *, explain: bool = True, detail: bool = False, min_cohort: int | None = None) -> pl.DataFrame:
    m = p.method
    compiler = ex.Compiler(m.derived)
    keys = cohort_keys(m)
    lf = p.frame.lazy()
    extra = []
    if m.cohort.region_digits:
        extra.append(pl.col("region_code").str.slice(0, m.cohort.region_digits).alias("__region"))
    if m.cohort.industry != "none":
        n = 1 if m.cohort.industry == "section" else 3
        extra.append(pl.col("industry_code").str.slice(0, n).alias("__industry"))
    lf = lf.with_columns([stage_expr(m, compiler).alias("stage"), *extra])
    inds = m.indicators
    bonus = m.bonus.indicators
    lf = lf.with_columns([raw_value(i, compiler.compile(i.value)).alias(raw_column(i.id)) for i in m.all_indicators()])
    lf = lf.with_columns([score_expr(i, pl.col(raw_column(i.id)), keys).alias(score_column(i.id)) for i in m.all_indicators()])
    s = {i.id: pl.col(score_column(i.id)) for i in m.all_indicators()}
    w = {i.id: _weight_expr(m, i.id) for i in inds}
    lf = lf.with_columns([w[i.id].alias(f"__w__{i.id}") for i in inds])
    w = {i.id: pl.col(f"__w__{i.id}") for i in inds}
    known_w = _sum([pl.when(s[i.id].is_null()).then(0.0).otherwise(w[i.id]) for i in inds])
    unusable_w = pl.lit(m.scale) - known_w
    pol = m.missing
    if pol.policy == "reweight":
        factor = pl.when((unusable_w <= pol.max_unusable_weight * m.scale + 1e-9) & (known_w > 0)).then(pl.lit(m.scale) / known_w).otherwise(None)
    elif pol.policy == "zero":
        factor = pl.lit(1.0)
    else:
        factor = pl.when(unusable_w <= 1e-9).then(pl.lit(1.0)).otherwise(None)
    factor = pl.when(pl.col("stage").is_null()).then(None).otherwise(factor)
    lf = lf.with_columns(factor.alias("__factor"), unusable_w.alias("__unusable_w"))
    f = pl.col("__factor")
    contrib = {i.id: w[i.id] * s[i.id].fill_null(0.0) for i in inds}
    group_cols = []
    for g in m.groups:
        members = [contrib[i.id] for i in inds if i.group == g.id]
        val = (_sum(members) * f).round(4) if members else pl.when(f.is_null()).then(None).otherwise(0.0)
        group_cols.append(val.alias(group_column(g.id)))
    base = _sum(list(contrib.values())) * f
    if bonus:
        bonus_raw = _sum([pl.lit(b.points) * s[b.id].fill_null(0.0) for b in bonus])
        bonus_pts = pl.min_horizontal(bonus_raw, pl.lit(m.bonus.cap))
    else:
        bonus_pts = pl.lit(0.0)
    bonus_pts = pl.when(f.is_null()).then(None).otherwise(bonus_pts)
    lf = lf.with_columns(
        base.round(4).alias("base_points"),
        bonus_pts.round(4).alias("bonus_points"),
        (base + bonus_pts).round(4).alias("points"),
        *group_cols,
    )
    min_size = min_cohort if min_cohort is not None else m.cohort.min_size
    lf = lf.with_columns(tier_columns(m, pl.col("points"), keys, min_size))
    status = (
        pl.when(pl.col("stage").is_null()).then(pl.lit("stage_unknown"))
        .when(pl.col("points").is_null()).then(pl.lit("insufficient_data"))
        .when(pl.col("cohort_size") < min_size).then(pl.lit("small_cohort"))
        .otherwise(pl.lit("scored"))
    )
    lf = lf.with_columns(status.alias("status"))
    for stage in _explain_exprs(m) if explain else _explain_exprs(m)[:1]:
        lf = lf.with_columns(stage)
    out = lf.collect()
    if m.cohort.on_small == "error":
        small = out.filter(pl.col("points").is_not_null() & (pl.col("cohort_size") < min_size))
        if small.height:
            r = small.row(0, named=True)
            raise InputError(Problem(
                "points.cohort_small",
                f"比较组（{r['year']} 年，{r['stage']}）只有 {r['cohort_size']} 家已评分企业，少于方法规定的最少 {min_size} 家；无法计算百分位",
                f"cohort (year {r['year']}, stage {r['stage']}) has {r['cohort_size']} scored firms, fewer than the method's minimum {min_size}; percentiles cannot be computed",
                file=m.file, key="cohort.min_size", value=r["cohort_size"],
            ))
    raised, lowered, unusable = _explanations(out, m) if explain else (None, None, _explanations_unusable(out, m))
    out = out.with_columns([raised, lowered, unusable] if explain else [unusable])
    groups = [group_column(g.id) for g in m.groups]
    cols = ["uscc", *(["name"] if "name" in out.columns else []), "year", "stage", "cohort_size", "points", "base_points", "bonus_points", *groups,
            "percentile", "rank", "tier", "status", *(["raised", "lowered"] if explain else []), "unusable"]
    if detail:
        cols += [raw_column(i.id) for i in m.all_indicators()] + [score_column(i.id) for i in m.all_indicators()]
    out = out.select(cols).with_columns(
        pl.col("stage").cast(pl.String),
        pl.lit(m.id).alias("method"),
        pl.lit(m.version).alias("method_version"),
        pl.lit(m.sha256).alias("method_sha256"),
        pl.lit(p.digest).alias("input_digest"),
    )
    return out


def _explain_exprs(m: Method) -> list[list[pl.Expr]]:
    """Expression stages for the explanations (each stage materialises columns for the next).

    Contribution of indicator j = effective weight × (score − 0.5), i.e. against a median
    firm; the two largest positive ones raised the points, the two most negative lowered them
    (pack order breaks ties). ``__unusable_bits`` has bit j set when indicator j is blank.
    """
    inds = m.indicators
    k = len(inds)
    alls = m.all_indicators()
    bits = _sum([pl.col(score_column(i.id)).is_null().cast(pl.Int64) * (1 << j) for j, i in enumerate(alls)]) if alls else pl.lit(0, dtype=pl.Int64)
    if k == 0:
        return [[bits.alias("__unusable_bits"), pl.lit(0, dtype=pl.Int64).alias("__raised_code"), pl.lit(0, dtype=pl.Int64).alias("__lowered_code")]]
    f = pl.col("__factor").fill_null(0.0)
    c = [f"__c{j}" for j in range(k)]
    stage1 = [bits.alias("__unusable_bits")] + [
        (pl.col(f"__w__{i.id}") * f * (pl.col(score_column(i.id)) - 0.5)).fill_null(0.0).fill_nan(0.0).alias(c[j]) for j, i in enumerate(inds)
    ]

    def argbest(values: list[pl.Expr], best: pl.Expr) -> pl.Expr:
        chain = pl.when(values[0] == best).then(pl.lit(0, dtype=pl.Int64))
        for j in range(1, k):
            chain = chain.when(values[j] == best).then(pl.lit(j, dtype=pl.Int64))
        return chain.otherwise(pl.lit(k, dtype=pl.Int64))

    stages: list[list[pl.Expr]] = [stage1]
    s2, s3, s4 = [], [], []
    for tag, sign in (("r", 1.0), ("l", -1.0)):
        vals = [pl.col(x) * sign for x in c]
        b1 = pl.max_horizontal(vals)
        s2 += [b1.alias(f"__{tag}b1"), argbest(vals, b1).alias(f"__{tag}i1")]
        vals2 = [pl.when(pl.col(f"__{tag}i1") == j).then(float("-inf")).otherwise(v) for j, v in enumerate(vals)]
        b2 = pl.max_horizontal(vals2)
        s3 += [b2.alias(f"__{tag}b2"), argbest(vals2, b2).alias(f"__{tag}i2")]
        first = pl.when(pl.col(f"__{tag}b1") > 1e-12).then(pl.col(f"__{tag}i1")).otherwise(k)
        second = pl.when(pl.col(f"__{tag}b2") > 1e-12).then(pl.col(f"__{tag}i2")).otherwise(k)
        s4.append((first * (k + 1) + second).alias("__raised_code" if tag == "r" else "__lowered_code"))
    return [*stages, s2, s3, s4]


def _explanations_unusable(out: pl.DataFrame, m: Method) -> pl.Series:
    alls = m.all_indicators()
    bits = out.get_column("__unusable_bits")
    uniq = bits.unique().to_list()
    texts = [";".join(alls[j].id for j in range(len(alls)) if (u >> j) & 1) for u in uniq]
    return bits.replace_strict(uniq, texts, return_dtype=pl.String).alias("unusable")


def _explanations(out: pl.DataFrame, m: Method) -> list[pl.Series]:
    """Turn the explanation codes into text through small lookup tables."""
    inds = m.indicators
    k = len(inds)
    alls = m.all_indicators()
    names = [i.id for i in inds]
    pair_table: list[str | None] = []
    for a in range(k + 1):
        for b in range(k + 1):
            parts = [names[x] for x in (a, b) if x < k]
            pair_table.append(";".join(parts) if parts else None)
    pairs = pl.Series("t", pair_table, dtype=pl.String)
    raised = pairs.gather(out.get_column("__raised_code").cast(pl.UInt32)).alias("raised")
    lowered = pairs.gather(out.get_column("__lowered_code").cast(pl.UInt32)).alias("lowered")
    return [raised, lowered, _explanations_unusable(out, m)]


def score(facts: pl.DataFrame, method: str | Method = "national-core", *, explain: bool = True, detail: bool = False, min_cohort: int | None = None) -> pl.DataFrame:
    """Score every enterprise-year of ``facts`` (validated facts, e.g. from ``load_facts``).

    One row per enterprise-year in the method's scope, sorted by (uscc, year), with ``uscc,
    name, year, stage, cohort_size, points, base_points, bonus_points, group_<id>…, percentile,
    rank, tier, status, raised, lowered, unusable, method, method_version, method_sha256,
    input_digest``. ``detail`` adds every raw value and indicator score.
    """
    m = as_method(method)
    return score_prepared(prepare(facts, m), explain=explain, detail=detail, min_cohort=min_cohort)


__all__ = ["ALL_STAGES", "STATUS", "score", "prepare", "score_prepared", "cohort_keys", "group_column", "raw_column", "score_column"]
