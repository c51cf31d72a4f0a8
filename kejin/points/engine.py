"""The scoring engine: facts to points, stage, cohort percentile, tier and explanations.

Stage one, over the whole table (columnar):

1. keep the rows in the method's scope and the columns it reads, in the table's own order; add
   the earlier-year columns the expressions need (``kejin.rules.lags``: a few rows up when the
   table lists firm after firm, each firm's years together and ascending, sorted by (uscc, year)
   or not; otherwise through the order that sorts the keys, ``kejin.facts.layout``, moving only
   the keys and the lagged fields); the input digest reads the rows in key order the same way;
2. raw indicator values from the pack's expressions (blank stays blank, x/0 is blank) and the
   stage from the stage rule — one lazy Polars query, which also scores the fixed scales (log,
   tiers, boolean) at once, so that only the cohort-relative indicators keep a raw value;
   cohort = year × stage (× region prefix / industry if configured);
3. the cohort statistics of the indicators (mid-rank percentiles, winsorising quantiles) by
   sorting each column once by (cohort, value) (``kejin.points.cohorts``, NumPy, one thread per
   column), then their scores;
4. weights of the firm's stage, the missing-data policy, group sub-scores, bonus (capped),
   points rounded to 1e-4 — one lazy query (the weights exist only inside it);
5. the cohort size and ranks of the points (``cohorts``).

Stage two, row by row, so any block of rows on its own:

6. rank, percentile and tier (``tiers``) and status;
7. explanations (``explain``): the two indicators that raised the points most and the two that
   lowered them most (contribution = effective weight × (score − 0.5), i.e. against a median
   firm, worked out for the rows at hand), and the indicators it could not use (blank inputs);
8. the method id, version and SHA-256, the row digest of the row's own input and the input
   digest (``digest``).

The input digest and then the row digests of every row (``digest``, NumPy; both release the
GIL) are hashed in a worker thread while stage one runs, so stage two only slices the row
digests. ``write_scores_csv`` (through ``write_prepared_csv``) runs stage two block by block in
another worker thread, each block finished while the one before it is written
(``kejin.pipeline``).
"""

from __future__ import annotations

import os
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import polars as pl

from kejin.errors import InputError, Problem
from kejin.facts import schema
from kejin.facts.layout import SortedKeys, firm_order, firm_runs, keys_strictly_ascending, sorted_keys
from kejin.output import drop_behind, publish
from kejin.pipeline import one_ahead
from kejin.points import tiers
from kejin.points.cohorts import Cohorts
from kejin.points.columns import FACTOR, group_column, raw_column, score_column, weight_column
from kejin.points.digest import input_digest, row_digests
from kejin.points.explain import contribution_columns, explanation_codes, explanation_texts, unusable_column, unusable_mask
from kejin.points.methods import ALL_STAGES, Indicator, Method, resolve
from kejin.points.normalise import cohort_statistics, raw_value, score_expr
from kejin.points.stages import stage_conditions, stage_expr
from kejin.rules import expr as ex
from kejin.rules.lags import with_lags

STATUS = {
    "scored": ("已评分", "scored"),
    "small_cohort": ("已评分，比较组过小，不分榜", "scored; cohort below the minimum, no tier"),
    "insufficient_data": ("可用数据不足，未评分", "not scored: too much unusable data"),
    "stage_unknown": ("无法确定阶段，未评分", "not scored: stage unknown"),
    "cohort_unknown": ("缺少比较组所需的行业或地区代码，未评分", "not scored: the industry or region code the cohort needs is blank"),
}


@dataclass
class Prepared:
    method: Method
    frame: pl.DataFrame  # in scope, in the facts' order, with lag columns
    digest: str | Future[str]  # the input digest; a Future while it is still hashed in a worker thread

    def input_digest(self) -> str:
        return self.digest.result() if isinstance(self.digest, Future) else self.digest


def as_method(method: str | Method) -> Method:
    return method if isinstance(method, Method) else resolve(method)


def cohort_keys(method: Method) -> list[str]:
    keys = ["year", "stage"]
    if method.cohort.region_digits:
        keys.append("__region")
    if method.cohort.industry != "none":
        keys.append("__industry")
    return keys


# SHA-256 over ~165 MB per million rows is pure hashing time: it runs beside the scoring
_HASHER = ThreadPoolExecutor(max_workers=1, thread_name_prefix="kejin-digest")


def prepare(facts: pl.DataFrame, method: Method, *, digest_in_background: bool = False) -> Prepared:
    """Scope and lag the facts; ``digest_in_background`` hashes the input in a worker thread."""
    cols = method.input_columns()
    frame = facts
    _check_types(frame, cols)
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
    runs, keys = _layout(frame)
    digest: str | Future[str] = _HASHER.submit(_input_digest, frame, cols, runs, keys) if digest_in_background else _input_digest(frame, cols, runs, keys)
    return Prepared(method, with_lags(frame, method.uses(), firm_grouped=keys is None, keys=keys), digest)


def _check_types(frame: pl.DataFrame, cols: list[str]) -> None:
    """Facts handed to the API untyped (a CSV read as it is, say) are refused by name: the engine
    expects the types of the data norms, which ``load_facts`` gives after checking every value."""
    for c in cols:
        expected = schema.field(c).dtype
        if c in frame.columns and frame.schema[c] != expected:
            raise InputError(Problem(
                "points.facts_type",
                f"事实表列 {c} 的类型为 {frame.schema[c]}，应为 {expected}：请先用 kejin.facts.load_facts 读取并校验",
                f"facts column {c} has type {frame.schema[c]}, expected {expected}: read and check the facts with kejin.facts.load_facts first",
                field=c,
            ))


def _layout(frame: pl.DataFrame) -> tuple[np.ndarray | None, SortedKeys | None]:
    """How ``frame``'s rows lie by their keys, which the table keeps either way (it is scored and
    published in its own order): (None, None) when they are in (uscc, year) order; the first row
    of each firm and None when they list firm after firm, years ascending (``firm_runs``: only the
    input digest then reads the firms in key order, sorted beside stage one); otherwise None and
    the keys in key order (``sorted_keys``), through which the lags and the input digest read the
    rows, so that no column but the lagged fields is moved. A repeated key is an error."""
    if keys_strictly_ascending(frame):
        return None, None
    runs = firm_runs(frame)  # firm after firm (no firm twice), years ascending
    if runs is not None:
        return runs, None
    keys = sorted_keys(frame)
    if (row := keys.first_repeat()) is not None:
        raise InputError(Problem("points.duplicate", "企业年度重复（统一社会信用代码+年度须唯一）", "duplicate enterprise-year (uscc + year must be unique)",
                                 field="uscc", value=f"{frame['uscc'][row]} {frame['year'][row]}"))
    return None, keys


def _input_digest(frame: pl.DataFrame, columns: list[str], runs: np.ndarray | None, keys: SortedKeys | None) -> str:
    """The input digest of a table laid out as ``_layout`` found it: a firm-grouped table's firms
    are sorted here, so that the sort runs beside stage one too."""
    order = firm_order(frame, runs) if runs is not None else None if keys is None else keys.order
    return input_digest(frame, columns, order)


def _weight_expr(method: Method, iid: str) -> pl.Expr:
    """The indicator's weight in the firm's stage (blank when the stage is unknown): a lookup by
    the stage's Enum index instead of a when/then chain per stage."""
    table = pl.Series([float(method.stage_weights(st).get(iid, 0.0)) for st in method.stage_ids], dtype=pl.Float64)
    return pl.lit(table).gather(pl.col("stage").to_physical())


def _sum(parts: list[pl.Expr]) -> pl.Expr:
    """A fixed left-to-right sum (pack order), so the result is the same on every run."""
    total = parts[0]
    for p in parts[1:]:
        total = total + p
    return total


def _factor(m: Method, blank_free: frozenset[str] = frozenset()) -> pl.Expr:
    """scale / usable weight under the missing-data policy; blank = not scored. The weight of an
    indicator in ``blank_free`` (no blank score in the rows at hand) is usable on every row."""
    s = {i.id: pl.col(score_column(i.id)) for i in m.indicators}
    known_w = _sum([pl.col(weight_column(i.id)) if i.id in blank_free else pl.when(s[i.id].is_null()).then(0.0).otherwise(pl.col(weight_column(i.id))) for i in m.indicators])
    unusable_w = pl.lit(m.scale) - known_w
    pol = m.missing
    if pol.policy == "reweight":
        factor = pl.when((unusable_w <= pol.max_unusable_weight * m.scale + 1e-9) & (known_w > 0)).then(pl.lit(m.scale) / known_w).otherwise(None)
    elif pol.policy == "zero":
        factor = pl.lit(1.0)
    else:
        factor = pl.when(unusable_w <= 1e-9).then(pl.lit(1.0)).otherwise(None)
    unplaced = pl.col("stage").is_null()
    if (blank_key := _unplaced(m)) is not None:
        unplaced = unplaced | blank_key
    return pl.when(unplaced).then(None).otherwise(factor)


def _points_columns(m: Method) -> list[pl.Expr]:
    """Group sub-scores, base, bonus and total points (rounded to 1e-4)."""
    f = pl.col(FACTOR)
    contrib = {i.id: pl.col(weight_column(i.id)) * pl.col(score_column(i.id)).fill_null(0.0) for i in m.indicators}
    groups = []
    for g in m.groups:
        members = [contrib[i.id] for i in m.indicators if i.group == g.id]
        val = (_sum(members) * f).round(4) if members else pl.when(f.is_null()).then(None).otherwise(0.0)
        groups.append(val.alias(group_column(g.id)))
    base = _sum(list(contrib.values())) * f
    if m.bonus.indicators:
        bonus_raw = _sum([pl.lit(b.points) * pl.col(score_column(b.id)).fill_null(0.0) for b in m.bonus.indicators])
        bonus = pl.min_horizontal(bonus_raw, pl.lit(m.bonus.cap))
    else:
        bonus = pl.lit(0.0)
    bonus = pl.when(f.is_null()).then(None).otherwise(bonus)
    return [base.round(4).alias("base_points"), bonus.round(4).alias("bonus_points"), (base + bonus).round(4).alias("points"), *groups]


def _cohort_extra(m: Method) -> list[pl.Expr]:
    extra = []
    if m.cohort.region_digits:
        extra.append(pl.col("region_code").str.slice(0, m.cohort.region_digits).alias("__region"))
    if m.cohort.industry != "none":
        n = 1 if m.cohort.industry == "section" else 3
        extra.append(pl.col("industry_code").str.slice(0, n).alias("__industry"))
    return extra


def _unplaced(m: Method) -> pl.Expr | None:
    """True where a cohort key beyond year and stage (industry, region) is blank: such a firm has
    no cohort to be compared in. None when the cohort has no such key."""
    keys = cohort_keys(m)[2:]
    return pl.any_horizontal([pl.col(k).is_null() for k in keys]) if keys else None


def _status(m: Method, min_size: int) -> pl.Expr:
    status = pl.when(pl.col("stage").is_null()).then(pl.lit("stage_unknown"))
    if (unplaced := _unplaced(m)) is not None:
        status = status.when(unplaced).then(pl.lit("cohort_unknown"))
    return (
        status
        .when(pl.col("points").is_null()).then(pl.lit("insufficient_data"))
        .when(pl.col("cohort_size") < min_size).then(pl.lit("small_cohort"))
        .otherwise(pl.lit("scored"))
        .alias("status")
    )


def _indicator_scores(m: Method, frame: pl.DataFrame, keys: list[str], detail: bool) -> tuple[pl.DataFrame, Cohorts]:
    """Stage, cohort and every indicator's score.

    A fixed scale (log, tiers, boolean) is scored in the query that works out the raw value, so
    only the cohort-relative indicators keep their raw values, for their cohort statistics; those
    are computed column by column in worker threads (NumPy sorts release the GIL), and the raw
    values are dropped once scored (kept with ``detail``).
    """
    compiler = ex.Compiler(m.derived)
    alls = m.all_indicators()
    relative = {i.id: found for i in alls if (found := cohort_statistics(i))}
    value = {i.id: raw_value(i, compiler.compile(i.value)) for i in alls}
    ids = _id_columns(frame)
    raw = (
        frame.lazy()
        .with_columns(stage_conditions(m, compiler))
        .with_columns(stage_expr(m).alias("stage"), *_cohort_extra(m))
        .select(
            *ids, "stage", *keys[2:],
            *[value[i.id].alias(raw_column(i.id)) for i in alls if detail or i.id in relative],
            *[score_expr(i, value[i.id]).alias(score_column(i.id)) for i in alls if i.id not in relative],
        )
        .collect()
    )
    cohorts = Cohorts.of(raw, keys)

    def statistics(ind: Indicator) -> list[pl.Series]:
        names, compute = relative[ind.id]
        arrays = compute(cohorts, raw.get_column(raw_column(ind.id)).to_numpy())
        return [pl.Series(name, a, nan_to_null=True) for name, a in zip(names, arrays)]

    cohort_relative = [i for i in alls if i.id in relative]
    with ThreadPoolExecutor(max_workers=os.cpu_count() or 2, thread_name_prefix="kejin-cohort") as pool:
        raw = raw.with_columns([column for columns in pool.map(statistics, cohort_relative) for column in columns])
    lf = raw.lazy().with_columns(score_expr(i, pl.col(raw_column(i.id))).alias(score_column(i.id)) for i in cohort_relative)
    return lf.select(
        *ids, "stage", *keys[2:],
        *[score_column(i.id) for i in alls],
        *([raw_column(i.id) for i in alls] if detail else []),
    ).collect(), cohorts  # collected here, so the raw values and statistics are freed before the points


def _id_columns(frame: pl.DataFrame) -> list[str]:
    return ["uscc", *(["name"] if "name" in frame.columns else []), "year"]


def _weights(m: Method) -> list[pl.Expr]:
    return [_weight_expr(m, i.id).alias(weight_column(i.id)) for i in m.indicators]


def _ranked(m: Method, frame: pl.DataFrame, detail: bool) -> pl.DataFrame:
    """Stage one, over the whole table: scores, points and the cohort ranks of the points of
    every row of ``frame`` (plus the internal columns stage two reads: the scores and factor,
    from which a block's contributions are worked out).

    Polars does the row-wise work as lazy queries; the cohort statistics (of the indicators, then
    of the points) are whole-column NumPy work between them. The weights of the firm's stage
    live only inside the points query.
    """
    keys = cohort_keys(m)
    indicators, cohorts = _indicator_scores(m, frame, keys, detail)
    # most indicators have a score on every row: their blanks need no looking for (counted already)
    blank_free = frozenset(i.id for i in m.all_indicators() if not indicators.get_column(score_column(i.id)).null_count())
    scored = (
        indicators.lazy()
        .with_columns(_weights(m))
        .with_columns(_factor(m, blank_free).alias(FACTOR))
        .with_columns(*_points_columns(m), unusable_mask(m, blank_free))
        .drop(weight_column(i.id) for i in m.indicators)
        .collect()
    )
    del indicators
    size, top, average = cohorts.points_ranks(scored.get_column("points").to_numpy())
    return scored.with_columns(
        pl.Series("cohort_size", size, dtype=pl.UInt32),
        pl.Series("__rank_min", top, nan_to_null=True),
        pl.Series("__rank_avg", average, nan_to_null=True),
    )


def _contributions(m: Method, ranked: pl.DataFrame) -> pl.DataFrame:
    """The contribution columns of the rows of ``ranked`` (a block in stage two, so the weights
    and contributions of a million rows are never held at once)."""
    return ranked.lazy().with_columns(_weights(m)).select(contribution_columns(m)).collect()


def _finished(m: Method, ranked: pl.DataFrame, min_size: int, explain: bool, detail: bool) -> pl.DataFrame:
    """Stage two, row by row (any slice of the ranked table): rank, percentile, tier, status and
    explanations, in the published columns up to (not including) the row digest."""
    codes = explanation_codes(m, _contributions(m, ranked)) if explain else []
    lf = ranked.lazy().with_columns(tiers.tier_columns(m, pl.col("points"), min_size))
    lf = lf.with_columns(_status(m, min_size), unusable_column(m, ranked), *codes)
    if explain:
        lf = lf.with_columns(explanation_texts(m))
    alls = m.all_indicators()
    details = [raw_column(i.id) for i in alls] + [score_column(i.id) for i in alls] if detail else []
    return lf.select(
        "uscc", *(["name"] if "name" in ranked.columns else []), "year", pl.col("stage").cast(pl.String), "cohort_size",
        "points", "base_points", "bonus_points", *[group_column(g.id) for g in m.groups], "percentile", "rank", "tier", "status",
        *(["raised", "lowered"] if explain else []), "unusable", *details,
    ).collect()


def _check_cohorts(out: pl.DataFrame, m: Method, min_size: int) -> None:
    if m.cohort.on_small != "error":
        return
    small = out.filter(pl.col("points").is_not_null() & (pl.col("cohort_size") < min_size))
    if small.height:
        r = small.row(0, named=True)
        raise InputError(Problem(
            "points.cohort_small",
            f"比较组（{r['year']} 年，{r['stage']}）只有 {r['cohort_size']} 家已评分企业，少于方法规定的最少 {min_size} 家；无法计算百分位",
            f"cohort (year {r['year']}, stage {r['stage']}) has {r['cohort_size']} scored firms, fewer than the method's minimum {min_size}; percentiles cannot be computed",
            file=m.file, key="cohort.min_size", value=r["cohort_size"],
        ))


def _min_size(m: Method, min_cohort: int | None) -> int:
    return min_cohort if min_cohort is not None else m.cohort.min_size


def _row_digests_beside(p: Prepared) -> Future[pl.Series]:
    """The row digests of every row of ``p.frame``, hashed in the digest worker thread (after the
    input digest) while stage one runs: stage two, whose finishing of each block is the pipeline's
    slowest step, then only slices them."""
    return _HASHER.submit(row_digests, p.frame, p.method.input_columns())


def _with_row_digests(p: Prepared, ranked: pl.DataFrame, digests: pl.Series, min_size: int, explain: bool, detail: bool) -> pl.DataFrame:
    """The published columns of the rows of ``ranked`` up to the row digest (``digests``: those
    rows' row digests)."""
    return _finished(p.method, ranked, min_size, explain, detail).with_columns(digests.alias("row_digest"))


def _provenance(p: Prepared) -> dict[str, str]:
    """The last columns of every published row, the same on all of them: the method and the
    input digest."""
    m = p.method
    return {"method": m.id, "method_version": m.version, "method_sha256": m.sha256, "input_digest": p.input_digest()}


def _published(p: Prepared, ranked: pl.DataFrame, digests: pl.Series, min_size: int, explain: bool, detail: bool) -> pl.DataFrame:
    """The published form of the rows of ``ranked``, with the method and the input digest."""
    out = _with_row_digests(p, ranked, digests, min_size, explain, detail)
    return out.with_columns(pl.lit(value).alias(name) for name, value in _provenance(p).items())


def _checked_ranks(p: Prepared, detail: bool, min_size: int) -> pl.DataFrame:
    """Stage one, then the method's rule for cohorts below the minimum (before anything is
    published)."""
    ranked = _ranked(p.method, p.frame, detail)
    _check_cohorts(ranked, p.method, min_size)
    return ranked


def score_prepared(p: Prepared, *, explain: bool = True, detail: bool = False, min_cohort: int | None = None) -> pl.DataFrame:
    """Score a prepared table; the input digest and the row digests are hashed in the worker
    thread while the scoring runs, and are joined on at the end."""
    min_size = _min_size(p.method, min_cohort)
    digests = _row_digests_beside(p)
    ranked = _checked_ranks(p, detail, min_size)
    return _published(p, ranked, digests.result(), min_size, explain, detail)


CSV_BLOCK_ROWS = 1 << 17  # rows finished while the previous block is written


def write_scores_csv(facts: pl.DataFrame, method: str | Method, path: Path | str, *, year: int | None = None, detail: bool = False) -> int:
    """Score and write the results as CSV (same bytes as ``score(...).write_csv``); returns the rows
    written. The file appears only once complete (``kejin.output.publish``): nothing is written
    if a cohort is too small under ``on_small: error``, and a failed write leaves no half file."""
    return write_prepared_csv(prepare(facts, as_method(method), digest_in_background=True), path, year=year, detail=detail)


def write_prepared_csv(p: Prepared, path: Path | str, *, year: int | None = None, detail: bool = False) -> int:
    """``write_scores_csv`` of facts already prepared — so that a caller holding nothing else of
    the facts lets their memory go before the scoring, when preparing put them in a new order.

    Stage two (explanations) is per row, so it runs block by block in a worker thread, each
    block finished while the one before it is written; the row digests are hashed beside stage
    one and sliced per block. The last columns (method and input digest) are the same on every
    row: they are serialised once and written as the end of each line. The blocks written are
    let go from the page cache (``drop_behind``)."""
    min_size = _min_size(p.method, None)
    digests = _row_digests_beside(p)
    ranked = _checked_ranks(p, detail, min_size)

    def block(start: int) -> pl.DataFrame:
        part, digest = ranked.slice(start, CSV_BLOCK_ROWS), digests.result().slice(start, CSV_BLOCK_ROWS)
        if year is not None:  # after the cohort statistics: the other years still make the cohorts
            keep = part.get_column("year") == year
            part, digest = part.filter(keep), digest.filter(keep)
        return _with_row_digests(p, part, digest, min_size, True, detail)

    written = 0
    with publish(Path(path)) as handle:
        starts = range(0, max(ranked.height, 1), CSV_BLOCK_ROWS)  # one (empty) block for no rows
        for i, out in enumerate(one_ahead(block, starts, "kejin-finish")):
            if i == 0:  # the header, and the shared line end serialised (quoted) by the CSV writer itself
                provenance = pl.DataFrame({name: [value] for name, value in _provenance(p).items()})
                handle.write(pl.DataFrame(schema=[*out.columns, *provenance.columns]).write_csv().encode())
                line_end = "," + provenance.write_csv(include_header=False)
            out.write_csv(handle, include_header=False, line_terminator=line_end)
            drop_behind(handle)
            written += out.height
    return written


def score(facts: pl.DataFrame, method: str | Method = "national-core", *, explain: bool = True, detail: bool = False, min_cohort: int | None = None) -> pl.DataFrame:
    """Score every enterprise-year of ``facts`` (validated facts, e.g. from ``load_facts``).

    One row per enterprise-year in the method's scope, in the order of ``facts``, with ``uscc,
    name, year, stage, cohort_size, points, base_points, bonus_points, group_<id>…, percentile,
    rank, tier, status, raised, lowered, unusable, row_digest, method, method_version,
    method_sha256, input_digest``. ``detail`` adds every raw value and indicator score.
    """
    m = as_method(method)
    return score_prepared(prepare(facts, m, digest_in_background=True), explain=explain, detail=detail, min_cohort=min_cohort)


__all__ = ["ALL_STAGES", "STATUS", "score", "prepare", "score_prepared", "write_scores_csv", "write_prepared_csv", "cohort_keys", "group_column", "raw_column", "score_column", "weight_column"]
