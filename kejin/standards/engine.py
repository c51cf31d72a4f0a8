"""The standards engine: a whole table of enterprise-years through a pack, at once.

For each pack it compiles one set of Polars expressions and evaluates them over the table:
each indicator's value and points (as a band [lo, hi] — an unknown input widens the band, it is
never read as zero), the total, every gate and route, the verdict with the reason that decided
it, and the gap to the next tier. A single firm goes through exactly the same code as a
one-firm table.
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from kejin.facts import schema
from kejin.rules import expr as ex
from kejin.rules.lags import with_lags
from kejin.standards.pack import Condition, Indicator, Scale, StandardPack, Tier

PASS, FAIL, UNKNOWN = "pass", "fail", "not_evaluable"
ID_COLUMNS = ["uscc", "name", "year"]


def _true(e: pl.Expr) -> pl.Expr:
    return e.fill_null(False)


def _maybe(e: pl.Expr) -> pl.Expr:
    return e.fill_null(True)


def tier_test(tier: Tier, value: pl.Expr | None, compiler: ex.Compiler) -> pl.Expr:
    """The boolean (nullable) test of a tier; the catch-all is always true."""
    test = tier.test
    if test is None:
        return pl.lit(True)
    op, operand = test
    if op == "when":
        return compiler.compile(str(operand)).cast(pl.Boolean)
    assert value is not None
    threshold = float(operand)
    shift = {"ge": -1.0, "gt": 1.0, "le": 1.0, "lt": -1.0}[op] * ex.TOLERANCE * abs(threshold)
    return getattr(value, op)(threshold + shift)


def _col(*parts: str) -> str:
    return "__".join(parts)


def scale_inputs(ind: Indicator, scale: Scale, compiler: ex.Compiler) -> dict[str, pl.Expr]:
    """Stage 1: the scale's value and each tier test, as columns (keeps expression trees small)."""
    cols: dict[str, pl.Expr] = {}
    value = compiler.compile(scale.value).cast(pl.Float64) if scale.value else None
    if value is not None:
        cols[_col("v", ind.id, scale.id)] = value
    vref = pl.col(_col("v", ind.id, scale.id)) if value is not None else None
    for i, t in enumerate(scale.tiers[:-1]):
        cols[_col("t", ind.id, scale.id, str(i))] = tier_test(t, vref, compiler)
    return cols


@dataclass
class ScaleExprs:
    lo: pl.Expr
    hi: pl.Expr
    tier_index: pl.Expr  # the tier the firm is surely in (blank when unknown)


def scale_band(ind: Indicator, scale: Scale) -> ScaleExprs:
    """Stage 2: points band of a scale from its stage-1 columns."""
    if scale.points_from_value:
        assert scale.max_points is not None
        value = pl.col(_col("v", ind.id, scale.id))
        top = float(scale.max_points)
        clipped = value.clip(0.0, top)
        lo = pl.when(value.is_null()).then(0.0).otherwise(clipped)
        hi = pl.when(value.is_null()).then(top).otherwise(clipped)
        return ScaleExprs(lo, hi, pl.lit(None, dtype=pl.Int32))
    last = len(scale.tiers) - 1
    b_lo, b_hi = scale.tiers[last].band
    lo, hi, idx = pl.lit(float(b_lo)), pl.lit(float(b_hi)), pl.lit(last, dtype=pl.Int32)
    sure = pl.lit(True)
    for i in reversed(range(last)):
        test = pl.col(_col("t", ind.id, scale.id, str(i)))
        t_lo, t_hi = scale.tiers[i].band
        lo = pl.when(_true(test)).then(float(t_lo)).otherwise(lo)
        hi = pl.when(_maybe(test)).then(float(t_hi)).otherwise(hi)
        idx = pl.when(_true(test)).then(pl.lit(i, dtype=pl.Int32)).otherwise(idx)
    for i in range(last):
        sure = sure & pl.col(_col("t", ind.id, scale.id, str(i))).is_not_null()
    # the firm is surely in tier idx only if the tests above it are known (or the band is tight)
    certain = pl.when(sure | (lo == hi)).then(idx).otherwise(None)
    return ScaleExprs(lo, hi, certain)


def _alternative_shown(ind: Indicator) -> dict[str, pl.Expr]:
    """``{ind}__via`` and ``{ind}__value``: the alternative that earns the indicator's (sure)
    points and its value — the first whose known value scores the indicator's lower bound; when
    no known value does, the first known value (its scale in ``via``). Blank when none is known."""
    top = pl.col(f"{ind.id}__lo")
    via, value = pl.lit(None, dtype=pl.String), pl.lit(None, dtype=pl.Float64)
    for sc in reversed(ind.scales):  # later fallbacks first, so the first scale wins
        if not sc.value:
            continue
        known = pl.col(_col("v", ind.id, sc.id)).is_not_null()
        via = pl.when(known).then(pl.lit(sc.id)).otherwise(via)
        value = pl.when(known).then(pl.col(_col("v", ind.id, sc.id))).otherwise(value)
    for sc in reversed(ind.scales):
        if not sc.value:
            continue
        earns = pl.col(_col("v", ind.id, sc.id)).is_not_null() & (pl.col(_col("p", ind.id, sc.id, "lo")) >= top)
        via = pl.when(earns).then(pl.lit(sc.id)).otherwise(via)
        value = pl.when(earns).then(pl.col(_col("v", ind.id, sc.id))).otherwise(value)
    return {f"{ind.id}__via": via, f"{ind.id}__value": value}


def _threshold(lo: pl.Expr, hi: pl.Expr, ge: float | None, gt: float | None) -> pl.Expr:
    if ge is not None:
        return pl.when(lo >= ge).then(True).when(hi < ge).then(False).otherwise(None)
    return pl.when(lo > gt).then(True).when(hi <= gt).then(False).otherwise(None)


def _all(parts: list[pl.Expr]) -> pl.Expr:
    out = pl.lit(True)
    for p in parts:
        out = out & p
    return out


def _any(parts: list[pl.Expr]) -> pl.Expr:
    out = pl.lit(False)
    for p in parts:
        out = out | p
    return out


def verdict_frame(frame: pl.LazyFrame, pack: StandardPack) -> pl.LazyFrame:
    """Add every verdict column of ``pack`` to a prepared (lagged) frame, stage after stage."""
    for stage in verdict_stages(pack):
        frame = frame.with_columns(**stage)
    return frame


_STAGES_CACHE: dict[tuple[str, str], list[dict[str, pl.Expr]]] = {}


def verdict_stages(pack: StandardPack) -> list[dict[str, pl.Expr]]:
    """The verdict columns of ``pack`` as groups that must be added one after another.

    Built once per pack content (id, version and file hash) and reused for every chunk of a
    large file: the expressions do not depend on the data.
    """
    key = (pack.ref, pack.sha256)
    if key not in _STAGES_CACHE:
        _STAGES_CACHE[key] = _build_stages(pack)
    return _STAGES_CACHE[key]


def _build_stages(pack: StandardPack) -> list[dict[str, pl.Expr]]:
    compiler = ex.Compiler(pack.derived)
    stages: list[dict[str, pl.Expr]] = []
    # stage 1: values, then tier tests and conditions
    values: dict[str, pl.Expr] = {}
    stage1: dict[str, pl.Expr] = {}
    for ind in pack.indicators:
        for sc in ind.scales:
            for k, e in scale_inputs(ind, sc, compiler).items():
                (values if k.startswith("v__") else stage1)[k] = e
    stages.append(values)
    for g in pack.verdict.gates:
        stage1[f"gate__{g.id}"] = compiler.compile(g.when).cast(pl.Boolean)
    for r in pack.verdict.routes:
        for c in r.all:
            stage1[f"cond__{r.id}__{c.id}"] = compiler.compile(c.when).cast(pl.Boolean)
    stages.append(stage1)

    # stage 2: points bands, group sub-totals, total
    stage2: dict[str, pl.Expr] = {}
    for ind in pack.indicators:
        bands = [scale_band(ind, sc) for sc in ind.scales]
        for sc, b in zip(ind.scales, bands):
            if ind.alternatives:
                stage2[_col("p", ind.id, sc.id, "lo")] = b.lo
            stage2[_col("idx", ind.id, sc.id)] = b.tier_index
        if not ind.alternatives and ind.scales[0].value:
            stage2[f"{ind.id}__value"] = pl.col(_col("v", ind.id, ind.scales[0].id))
        stage2[f"{ind.id}__lo"] = pl.max_horizontal([b.lo for b in bands]) if len(bands) > 1 else bands[0].lo
        stage2[f"{ind.id}__hi"] = pl.max_horizontal([b.hi for b in bands]) if len(bands) > 1 else bands[0].hi
    stages.append(stage2)

    stage3: dict[str, pl.Expr] = {}
    for ind in pack.indicators:
        if ind.alternatives:
            stage3.update(_alternative_shown(ind))
    grouped: set[str] = set()
    group_cols = []
    for g in pack.groups:
        members = [i.id for i in pack.indicators if i.group == g.id]
        grouped |= set(members)
        g_lo = pl.sum_horizontal([pl.col(f"{m}__lo") for m in members]) if members else pl.lit(0.0)
        g_hi = pl.sum_horizontal([pl.col(f"{m}__hi") for m in members]) if members else pl.lit(0.0)
        if g.cap is not None:
            g_lo, g_hi = g_lo.clip(upper_bound=g.cap), g_hi.clip(upper_bound=g.cap)
        stage3[f"group__{g.id}__lo"], stage3[f"group__{g.id}__hi"] = g_lo, g_hi
        group_cols.append(g.id)
    lo_parts = [stage3[f"group__{g}__lo"] for g in group_cols] + [pl.col(f"{i.id}__lo") for i in pack.indicators if i.id not in grouped]
    hi_parts = [stage3[f"group__{g}__hi"] for g in group_cols] + [pl.col(f"{i.id}__hi") for i in pack.indicators if i.id not in grouped]
    stage3["total_lo"] = pl.sum_horizontal(lo_parts) if lo_parts else pl.lit(None, dtype=pl.Float64)
    stage3["total_hi"] = pl.sum_horizontal(hi_parts) if hi_parts else pl.lit(None, dtype=pl.Float64)
    stages.append(stage3)

    # stage 4: routes and the verdict
    stage4: dict[str, pl.Expr] = {}
    routes = []
    for r in pack.verdict.routes:
        parts = [pl.col(f"cond__{r.id}__{c.id}") for c in r.all]
        if r.kind == "score":
            assert r.min_total is not None
            parts.append(_threshold(pl.col("total_lo"), pl.col("total_hi"), r.min_total.ge, r.min_total.gt))
            for m in r.indicator_minimums:
                parts.append(_threshold(pl.col(f"{m.indicator}__lo"), pl.col(f"{m.indicator}__hi"), m.ge, m.gt))
            for gm in r.group_minimums:
                parts.append(_threshold(pl.col(f"group__{gm.group}__lo"), pl.col(f"group__{gm.group}__hi"), gm.ge, None))
        stage4[f"route__{r.id}"] = _all(parts)
        routes.append(r)
    stages.append(stage4)
    gates = [pl.col(f"gate__{g.id}") for g in pack.verdict.gates]
    passed = _all(gates) & _any([pl.col(f"route__{r.id}") for r in routes])
    stages.append({"passed": passed})
    winner = pl.lit(None, dtype=pl.String)
    for r in reversed(routes):
        winner = pl.when(_true(pl.col(f"route__{r.id}"))).then(pl.lit(f"route:{r.id}")).otherwise(winner)
    loser = pl.lit("routes:none")
    for g in reversed(pack.verdict.gates):
        loser = pl.when(pl.col(f"gate__{g.id}").fill_null(True).not_()).then(pl.lit(f"gate:{g.id}")).otherwise(loser)
    p = pl.col("passed")
    blank = [e for _, e in blank_inputs(pack)]
    # undecided with every input known: a score band left to expert discretion straddles a mark
    waiting = pl.when(pl.any_horizontal(blank)).then(pl.lit("missing")).otherwise(pl.lit("undecided")) if blank else pl.lit("undecided")
    decided = pl.when(p.is_null()).then(waiting).when(p).then(winner).otherwise(loser)
    stages.append({"decided_by": decided})
    return stages


def missing_inputs(pack: StandardPack) -> list[tuple[str, str]]:
    """(column, label) of every input a pack reads; label ``revenue@t-1`` names an earlier year."""
    out = []
    for use in sorted(pack.uses(), key=lambda u: (u.lag, u.name)):
        if not use.name.startswith("__"):
            out.append((ex.lag_column(use.name, use.lag), use.name if use.lag == 0 else f"{use.name}@t-{use.lag}"))
    return out


def blank_inputs(pack: StandardPack) -> list[tuple[str, pl.Expr]]:
    """(label, is-blank test) of every input a pack reads, as `missing_inputs`.

    With ``actual_period`` an earlier year's input is not blank when that year's row is absent
    and the firm was established after it: the year is outside the firm's period, not missing.
    """
    out = []
    for use in sorted(pack.uses(), key=lambda u: (u.lag, u.name)):
        if use.name.startswith("__"):
            continue
        blank = pl.col(ex.lag_column(use.name, use.lag)).is_null()
        if pack.actual_period and use.lag:
            before = (pl.col("year").cast(pl.Int64) - pl.col("established").dt.year().cast(pl.Int64)) < use.lag
            outside = (~pl.col(ex.present_column(use.lag)) & before).fill_null(False)
            blank = blank & ~outside
        out.append((use.name if use.lag == 0 else f"{use.name}@t-{use.lag}", blank))
    return out


def _blank_columns(pack: StandardPack, columns: list[str]) -> list[str]:
    """The columns `blank_inputs` reads (inputs with their lags; for ``actual_period`` also the
    row-presence flags, ``year`` and ``established``)."""
    names = {ex.lag_column(u.name, u.lag) for u in pack.uses() if not u.name.startswith("__")}
    if pack.actual_period:
        names |= {"year", "established"} | {ex.present_column(u.lag) for u in pack.uses() if u.lag}
    return [c for c in columns if c in names]


def missing_expr(pack: StandardPack) -> pl.Expr:
    """Names of the inputs that are blank on a row (slow per row; used on undecided rows only)."""
    parts = [pl.when(blank).then(pl.lit(label)) for label, blank in blank_inputs(pack)]
    if not parts:
        return pl.lit([], dtype=pl.List(pl.String))
    return pl.concat_list(parts).list.drop_nulls()


# ------------------------------------------------------------------ gaps
def _granule(lever: str) -> float:
    return 1.0 if schema.field(lever).type == "int" else 0.01


def _peel(source: str, target: pl.Expr, derived: dict[str, str]) -> tuple[str, pl.Expr]:
    """Undo outer monotone steps (``- c``, ``+ c``, ``** c``) so the rest can be solved as affine.

    A derived name is opened first, so ``revenue_cagr_3y >= 0.25`` is solved through its formula.
    """
    import ast

    node = ex.parse(source)
    while True:
        if isinstance(node, ast.Name) and node.id in derived:
            node = ex.parse(derived[node.id])
            continue
        if isinstance(node, ast.BinOp) and isinstance(node.op, (ast.Add, ast.Sub)):
            c = ex._number(node.right)
            if c is not None:
                target = target - c if isinstance(node.op, ast.Add) else target + c
                node = node.left
                continue
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Pow):
            c = ex._number(node.right)
            if c is not None and c > 0:
                target = pl.when(target >= 0).then(target.pow(1.0 / c)).otherwise(None)
                node = node.left
                continue
        break
    return ast.unparse(node), target


def _compare(value: pl.Expr, op: str, target: pl.Expr) -> pl.Expr:
    """``value op target`` with the same relative tolerance as the tiers."""
    sign = {"ge": -1.0, "gt": 1.0, "le": 1.0, "lt": -1.0}[op]
    return getattr(value, op)(target + sign * ex.TOLERANCE * target.abs())


_OPS = {"ge": ">=", "gt": ">", "le": "<=", "lt": "<"}


Stages = list[dict[str, pl.Expr]]  # column groups that must be added one after another
STAGES = 5  # a first stage for per-row choices, then the four of solve_stage


def _merge(into: Stages, more: Stages) -> None:
    """Add solve_stage's four stages after the first (per-row choice) stage."""
    for target, extra in zip(into[1:], more):
        target.update(extra)


def solve_stage(compiler: ex.Compiler, value_src: str, op: str, target: pl.Expr, lever: str, name: str) -> Stages:
    """Four stages of columns giving the lever value at which ``value op target`` first holds.

    ``target`` may differ per row. After peeling outer monotone steps the value must be affine
    in the lever. It is probed at the current lever x0 and at x0 + h, x0 + 2h with h on the scale
    of x0 (small steps would lose the slope to cancellation), solved, refined once at the
    candidate, rounded to the lever's unit (1, or one fen) and checked with the real rule one
    unit either side. If no candidate satisfies the rule, or the value is not affine in the
    lever, the row gets a blank: a gap is only reported if re-running the rule confirms it.
    """
    g = _granule(lever)
    digits = 0 if g == 1.0 else 2
    tn = f"{name}__t"
    inner, t_inner = _peel(value_src, pl.col(tn), compiler.derived)

    def value_at(src: str, x: pl.Expr) -> pl.Expr:
        return ex.Compiler(compiler.derived, {**compiler.overrides, lever: x}).compile(src).cast(pl.Float64)

    x0n, hn = f"{name}__x0", f"{name}__h"
    x0 = pl.col(lever).cast(pl.Float64).fill_null(0.0)
    h = pl.max_horizontal(x0.abs(), pl.lit(1.0))
    if g == 1.0:
        h = h.round(0)
    stage0 = {x0n: x0, hn: h, tn: target.cast(pl.Float64)}
    X0, H = pl.col(x0n), pl.col(hn)
    v0, v1, v2 = value_at(inner, X0), value_at(inner, X0 + H), value_at(inner, X0 + 2 * H)
    slope = (v1 - v0) / H
    affine = ((v2 - v1) - (v1 - v0)).abs() <= 1e-9 * ((v1 - v0).abs() + 1e-300)
    raw = X0 + (t_inner - v0) / slope
    first = {
        f"{name}__raw": pl.when(affine & (slope != 0) & slope.is_finite()).then(raw).otherwise(None),
        f"{name}__slope": slope,
    }
    # one refinement step at the candidate, where the local value is precise
    raw_c, slope_c = pl.col(f"{name}__raw"), pl.col(f"{name}__slope")
    refined = raw_c + (t_inner - value_at(inner, raw_c)) / slope_c
    up_needed = (slope_c > 0) == (op in ("ge", "gt"))
    scaled = refined / g
    cand = (pl.when(up_needed).then(scaled.ceil()).otherwise(scaled.floor()) * g).round(digits)
    second = {f"{name}__cand": cand, f"{name}__up": up_needed}

    def holds(x: pl.Expr) -> pl.Expr:
        return _true(_compare(value_at(value_src, x), op, pl.col(tn)))

    c = pl.col(f"{name}__cand")
    step = pl.when(pl.col(f"{name}__up")).then(g).otherwise(-g)
    below, above = (c - step).round(digits), (c + step).round(digits)
    third = {
        name: pl.when(holds(below)).then(below).when(holds(c)).then(c).when(holds(above)).then(above).otherwise(None)
    }
    return [stage0, first, second, third]


def feasible(lever: str, value: pl.Expr) -> pl.Expr:
    """The changed lever must still be a valid fact (within its bounds and its bounding field)."""
    f = schema.field(lever)
    ok = value.is_not_null()
    if f.min is not None:
        ok = ok & (value >= f.min)
    if f.max is not None:
        ok = ok & (value <= f.max)
    if f.le_field:
        ok = ok & (value <= pl.col(f.le_field))
    return ok


@dataclass
class GapSpec:
    indicator: Indicator
    scale: Scale
    lever: str

    @property
    def key(self) -> str:
        base = f"gap__{self.indicator.id}"
        if self.indicator.alternatives:
            base += f"__{self.scale.id}"
        return f"{base}__{self.lever}"


@dataclass
class ConditionGapSpec:
    """A gate or route condition that names levers: which fact change would make it hold."""

    column: str  # the verdict column of the condition, e.g. gate__size or cond__std2__revenue
    condition: Condition
    lever: str

    @property
    def key(self) -> str:
        return f"cgap__{self.column}__{self.lever}"


def condition_gap_specs(pack: StandardPack) -> list[ConditionGapSpec]:
    specs = [ConditionGapSpec(f"gate__{g.id}", g, lever) for g in pack.verdict.gates for lever in g.levers]
    for r in pack.verdict.routes:
        specs += [ConditionGapSpec(f"cond__{r.id}__{c.id}", c, lever) for c in r.all for lever in c.levers]
    return specs


def _moves(source: str, lever: str, compiler: ex.Compiler) -> bool:
    """Does this year's value of ``lever`` enter ``source`` (through derived names too)?"""
    return ex.Use(lever, 0) in ex.uses(source, compiler.derived)


def _condition_solution(spec: ConditionGapSpec, compiler: ex.Compiler, stages: Stages) -> pl.Expr | None:
    """The lever value that makes a failing condition hold, if one change of that fact can."""
    shape = ex.condition_terms(spec.condition.when)
    if shape is None:
        return None
    mode, terms = shape
    current = pl.col(spec.lever).cast(pl.Float64).fill_null(0.0)
    solutions: list[pl.Expr] = []
    others: list[pl.Expr] = []
    for j, term in enumerate(terms):
        if term is None or not _moves(term[0], spec.lever, compiler) or term[1] not in _OPS:
            if term is not None and term[1] in _OPS:
                others.append(_true(compiler.compile(f"({term[0]}) {_OPS[term[1]]} {term[2]!r}")))
            elif mode == "and":
                others.append(pl.lit(False) if term is None else pl.lit(True))
            continue
        src, op, number = term
        name = f"{spec.key}__t{j}"
        _merge(stages, solve_stage(compiler, src, op, pl.lit(number), spec.lever, name))
        holds = _true(compiler.compile(f"({src}) {_OPS[op]} {number!r}"))
        solutions.append(pl.when(holds).then(current).otherwise(pl.col(name)))
    if not solutions:
        return None
    distance = [(s - current).abs() for s in solutions]
    if mode == "and":  # every term must hold: the farthest move, and the other terms already hold
        pick = pl.when(pl.any_horizontal([d.is_null() for d in distance])).then(None).otherwise(
            _farthest(solutions, distance)
        )
        return pl.when(_all(others) if others else pl.lit(True)).then(pick).otherwise(None)
    return _nearest(solutions, distance)  # any term suffices: the smallest move


def _nearest(values: list[pl.Expr], distance: list[pl.Expr]) -> pl.Expr:
    best, best_d = values[0], distance[0]
    for v, d in zip(values[1:], distance[1:]):
        better = d.is_not_null() & (best_d.is_null() | (d < best_d))
        best, best_d = pl.when(better).then(v).otherwise(best), pl.when(better).then(d).otherwise(best_d)
    return best


def _farthest(values: list[pl.Expr], distance: list[pl.Expr]) -> pl.Expr:
    best, best_d = values[0], distance[0]
    for v, d in zip(values[1:], distance[1:]):
        better = d > best_d
        best, best_d = pl.when(better).then(v).otherwise(best), pl.when(better).then(d).otherwise(best_d)
    return best


def gap_specs(pack: StandardPack) -> list[GapSpec]:
    return [GapSpec(ind, sc, lever) for ind in pack.indicators for sc in ind.scales for lever in sc.levers]


def _value_scale_solution(spec: GapSpec, compiler: ex.Compiler, stages: Stages) -> tuple[pl.Expr, pl.Expr]:
    """Threshold tiers: the nearest better tier is chosen per row first, then solved once.

    With a value monotone in the lever the nearest better tier is the cheapest to reach, so
    solving tier by tier is unnecessary; one solve per comparison kind (ge, lt, …) suffices.
    """
    sc, lever = spec.scale, spec.lever
    cur_idx = pl.col(_col("idx", spec.indicator.id, sc.id))
    cur_pts = pl.col(f"{spec.indicator.id}__lo")
    nearest = pl.lit(None, dtype=pl.Int32)
    for i, tier in enumerate(sc.tiers[:-1]):
        better = _true((cur_idx > i) & (pl.lit(float(tier.band[0])) > cur_pts))
        nearest = pl.when(better).then(pl.lit(i, dtype=pl.Int32)).otherwise(nearest)
    nn = f"{spec.key}__nearest"
    stages[0][nn] = nearest
    solution = pl.lit(None, dtype=pl.Float64)
    points = pl.lit(None, dtype=pl.Float64)
    by_op: dict[str, list[int]] = {}
    for i, tier in enumerate(sc.tiers[:-1]):
        by_op.setdefault(tier.test[0], []).append(i)  # type: ignore[index]
        points = pl.when(pl.col(nn) == i).then(pl.lit(float(tier.band[0]))).otherwise(points)
    for op, members in by_op.items():
        target = pl.lit(None, dtype=pl.Float64)
        for i in members:
            target = pl.when(pl.col(nn) == i).then(pl.lit(float(sc.tiers[i].test[1]))).otherwise(target)  # type: ignore[index]
        name = f"{spec.key}__{op}"
        _merge(stages, solve_stage(compiler, str(sc.value), op, target, lever, name))
        solution = pl.when(pl.col(nn).is_in(members)).then(pl.col(name)).otherwise(solution)
    return solution, points


def _condition_tier_solutions(spec: GapSpec, compiler: ex.Compiler, stages: Stages) -> dict[int, pl.Expr]:
    """``when:`` tiers (e.g. IP counts): each tier whose test the lever moves is solved."""
    per_tier: dict[int, pl.Expr] = {}
    sc, lever = spec.scale, spec.lever
    for i, tier in enumerate(sc.tiers[:-1]):
        parts = ex.comparison_parts(str(tier.when))
        if not parts or not any(_moves(src, lever, compiler) for src, _, _ in parts):
            continue
        needed: pl.Expr | None = None
        others_ok = pl.lit(True)
        for j, (src, pop, number) in enumerate(parts):
            holds = _true(compiler.compile(f"({src}) {_OPS[pop]} {number!r}")) if pop in _OPS else pl.lit(False)
            if _moves(src, lever, compiler) and pop in _OPS:
                name = f"{spec.key}__tier{i}_{j}"
                _merge(stages, solve_stage(compiler, src, pop, pl.lit(number), lever, name))
                sol = pl.when(holds).then(pl.col(lever).cast(pl.Float64)).otherwise(pl.col(name))
                needed = sol if needed is None else pl.max_horizontal([needed, sol])
            else:
                others_ok = others_ok & holds
        if needed is not None:
            per_tier[i] = pl.when(others_ok).then(needed).otherwise(None)
    return per_tier


def gap_frame(
    frame: pl.LazyFrame, pack: StandardPack, compiler: ex.Compiler, flips: bool = True, input_columns: list[str] | None = None
) -> pl.LazyFrame:
    """Add, per lever of each indicator: the value needed for the nearest better tier, its points,
    and (optionally) whether that change alone turns the verdict into a pass."""
    specs = gap_specs(pack)
    stages: Stages = [{} for _ in range(STAGES)]
    chooser: dict[str, pl.Expr] = {}
    for spec in specs:
        sc = spec.scale
        if all(t.test is None or t.test[0] != "when" for t in sc.tiers):
            solution, points = _value_scale_solution(spec, compiler, stages)
            ok = feasible(spec.lever, solution)
            chooser[f"{spec.key}__to"] = pl.when(ok).then(solution).otherwise(None)
            chooser[f"{spec.key}__points"] = pl.when(ok).then(points).otherwise(None)
            continue
        per_tier = _condition_tier_solutions(spec, compiler, stages)
        cur_idx = pl.col(_col("idx", spec.indicator.id, sc.id))
        cur_pts = pl.col(f"{spec.indicator.id}__lo")
        target = pl.lit(None, dtype=pl.Float64)
        points = pl.lit(None, dtype=pl.Float64)
        # later (lower, nearer) tiers overwrite earlier ones: the nearest reachable better tier wins
        for i, sol in per_tier.items():
            better = _true((cur_idx > i) & (pl.lit(float(sc.tiers[i].band[0])) > cur_pts))
            ok = better & feasible(spec.lever, sol)
            target = pl.when(ok).then(sol).otherwise(target)
            points = pl.when(ok).then(pl.lit(float(sc.tiers[i].band[0]))).otherwise(points)
        chooser[f"{spec.key}__to"] = target
        chooser[f"{spec.key}__points"] = points
    cond_specs = condition_gap_specs(pack)
    for cspec in cond_specs:
        solution = _condition_solution(cspec, compiler, stages)
        if solution is None:
            continue
        failing = pl.col(cspec.column).fill_null(True).not_()  # only conditions known to fail
        ok = failing & feasible(cspec.lever, solution) & (solution != pl.col(cspec.lever).cast(pl.Float64).fill_null(0.0))
        chooser[f"{cspec.key}__to"] = pl.when(ok).then(solution).otherwise(None)
    for stage in stages:
        if stage:
            frame = frame.with_columns(**stage)
    temporary = [name for stage in stages for name in stage]
    frame = frame.with_columns(**chooser).drop(temporary).collect().lazy()
    keys = [(s.key, s.lever) for s in specs] + [(c.key, c.lever) for c in cond_specs if f"{c.key}__to" in chooser]
    if flips and keys:
        collected = frame.collect()
        inputs = input_columns or needed_columns(pack, collected.columns)
        frame = collected.with_columns(_flips(collected, pack, keys, inputs)).lazy()
    return frame


def _could_pass(frame: pl.DataFrame, pack: StandardPack, lever: str) -> pl.Series:
    """Rows where changing ``lever`` alone could possibly give a pass (a cheap necessary test).

    A gate or condition that does not read the lever cannot be mended by it: if one is known to
    fail, the verdict cannot flip. Only the remaining rows are re-run with the rules.
    """
    compiler = ex.Compiler(pack.derived)

    def reads(source: str) -> bool:
        return ex.Use(lever, 0) in ex.uses(source, compiler.derived)

    scored = any(reads(sc.value) if sc.value else False for ind in pack.indicators for sc in ind.scales) or any(
        reads(str(t.when)) for ind in pack.indicators for sc in ind.scales for t in sc.tiers if t.when
    )
    possible = pl.lit(True)
    for g in pack.verdict.gates:
        if not reads(g.when):
            possible = possible & pl.col(f"gate__{g.id}").fill_null(True)
    any_route = pl.lit(False)
    for r in pack.verdict.routes:
        route = pl.lit(True)
        for c in r.all:
            if not reads(c.when):
                route = route & pl.col(f"cond__{r.id}__{c.id}").fill_null(True)
        if r.kind == "score" and not scored:
            route = route & pl.col(f"route__{r.id}").fill_null(True)
        any_route = any_route | route
    return frame.select((possible & any_route).alias("m"))["m"]


def _flips(frame: pl.DataFrame, pack: StandardPack, keys: list[tuple[str, str]], inputs: list[str]) -> list[pl.Series]:
    """Would the suggested change alone pass? Re-run the same rules with only that fact changed,
    on the rows where it could (see `_could_pass`)."""
    import numpy as np

    not_passing = ~frame["passed"].fill_null(False)
    base = frame.select(inputs)
    columns = []
    for key, lever in keys:
        to = frame[f"{key}__to"]
        candidates = to.is_not_null() & not_passing & _could_pass(frame, pack, lever)
        flips = np.zeros(frame.height, dtype=bool)
        if candidates.any():
            changed = base.filter(candidates).with_columns(to.filter(candidates).cast(frame.schema[lever]).alias(lever))
            new_passed = verdict_frame(changed.lazy(), pack).select(pl.col("passed").fill_null(False)).collect().to_series()
            flips[np.flatnonzero(candidates.to_numpy())] = new_passed.to_numpy()
        columns.append(pl.Series(f"{key}__flips", flips).zip_with(to.is_not_null(), pl.Series([None] * frame.height, dtype=pl.Boolean)))
    return columns


# ------------------------------------------------------------------ evaluation
def prepare(facts: pl.DataFrame, packs: list[StandardPack]) -> pl.DataFrame:
    needed: set[ex.Use] = set()
    for p in packs:
        needed |= p.uses()
    return with_lags(facts, needed)


def needed_columns(pack: StandardPack, prepared_columns: list[str]) -> list[str]:
    """The prepared columns a pack reads (identity, facts with their lags, row-presence flags)."""
    names = set(ID_COLUMNS)
    for use in pack.uses():
        names.add(ex.present_column(use.lag) if use.name == "__present__" else ex.lag_column(use.name, use.lag))
        if use.lag:
            names.add(ex.present_column(use.lag))
    levers = {spec.lever for spec in gap_specs(pack)} | {c.lever for c in condition_gap_specs(pack)}
    names |= levers
    names |= {f for lever in levers if (f := schema.field(lever).le_field)}
    return [c for c in prepared_columns if c in names]


_MASK_BITS = 62  # inputs named in ``missing`` (a bit each in an Int64 mask)


def missing_names(inputs: pl.DataFrame, undecided: pl.Series, pack: StandardPack) -> pl.Series:
    """``missing``: the ``;``-separated blank inputs of each undecided row ("" on decided rows).

    ``inputs`` holds the pack's input columns, row for row with ``undecided``. Only the
    undecided rows are looked at: their blank inputs are packed into a bit mask, and the few
    distinct masks are named once each and mapped back (columnar, no per-row Python).
    """
    named_inputs = blank_inputs(pack)[:_MASK_BITS]
    out = pl.repeat("", undecided.len(), dtype=pl.String, eager=True).alias("missing")
    rows = undecided.arg_true()
    if rows.len() == 0 or not named_inputs:
        return out
    bits = [blank.cast(pl.Int64) * (1 << i) for i, (_, blank) in enumerate(named_inputs)]
    masks = inputs.select(_blank_columns(pack, inputs.columns)).gather(rows).select(pl.sum_horizontal(bits)).to_series()
    distinct = masks.unique().sort()
    labels = pl.Series([";".join(label for i, (label, _) in enumerate(named_inputs) if m >> i & 1) for m in distinct.to_list()], dtype=pl.String)
    return out.scatter(rows, labels.gather(distinct.search_sorted(masks)))


def status_expr() -> pl.Expr:
    passed = pl.col("passed")
    return pl.when(passed.is_null()).then(pl.lit(UNKNOWN)).when(passed).then(pl.lit(PASS)).otherwise(pl.lit(FAIL)).alias("status")


def pack_query(
    prepared: pl.DataFrame, pack: StandardPack, gaps: bool = True, flips: bool = True, year: int | None = None
) -> pl.LazyFrame:
    """Every verdict (and gap) column of one pack, with ``status``.

    Without gaps this stays one lazy query, so several packs can run together
    (``pl.collect_all``) and be cut down to the columns an export needs before anything is
    materialised; gap analysis re-runs the rules on collected rows, so it collects.
    """
    compiler = ex.Compiler(pack.derived)
    inputs = prepared.select(needed_columns(pack, prepared.columns))
    if year is not None:  # earlier years are already columns (lags), so rows can go first
        inputs = inputs.filter(pl.col("year") == year)
    frame = verdict_frame(inputs.lazy(), pack)
    if gaps:
        frame = gap_frame(frame.collect().lazy(), pack, compiler, flips=flips, input_columns=inputs.columns)
    return frame.with_columns(status_expr())


def evaluate_pack(
    prepared: pl.DataFrame, pack: StandardPack, gaps: bool = True, flips: bool = True, year: int | None = None
) -> pl.DataFrame:
    """Evaluate one pack over a prepared (lagged, sorted) table. One row per enterprise-year."""
    levers = ({spec.lever for spec in gap_specs(pack)} | {c.lever for c in condition_gap_specs(pack)}) if gaps else set()
    hidden = set(needed_columns(pack, prepared.columns)) - set(ID_COLUMNS) - levers
    full = pack_query(prepared, pack, gaps=gaps, flips=flips, year=year).collect()
    keep = [c for c in full.columns if c not in hidden and c != "status" and not c.startswith(("v__", "t__", "p__"))]
    missing = missing_names(full, full.get_column("passed").is_null(), pack)
    return full.select(*keep, "status").with_columns(missing)


def evaluate(
    facts: pl.DataFrame, packs: list[StandardPack], gaps: bool = True, flips: bool = True, year: int | None = None
) -> dict[str, pl.DataFrame]:
    """Evaluate several packs over one validated fact table (lags prepared once)."""
    prepared = prepare(facts, packs)
    return {p.ref: evaluate_pack(prepared, p, gaps=gaps, flips=flips, year=year) for p in packs}
