"""A method rendered as one SQL query (DuckDB dialect), from the same pack.

Used as an independent oracle in the tests (engine and SQL must agree) and as the speed
reference in ``benchmarks/bench_points.py``; a bank's warehouse can run the same text.
Supported: the expression functions lag, sum_years, sum_years_actual, years_present, coalesce,
where, abs, max, min, is_known, age_years, age_days, has_sector; every normalisation; the
reweight/zero/require policies; bonus; tiers; region and sector scopes; region-prefix and
industry cohorts. Earlier years are LEFT JOINs of the in-scope table on (uscc, year − k): a firm
"has" year − k when that row exists, as in the engine's lags.
"""

from __future__ import annotations

import ast
import math

from kejin.points.methods import Indicator, Method
from kejin.rules import expr as ex

_OPS = {ast.Add: "+", ast.Sub: "-", ast.Mult: "*"}
_CMP = {ast.Lt: "<", ast.LtE: "<=", ast.Gt: ">", ast.GtE: ">=", ast.Eq: "=", ast.NotEq: "<>"}


class SqlError(ValueError):
    pass


class _Render:
    def __init__(self, derived: dict[str, str]):
        self.derived = derived
        self.lags: set[int] = set()

    def col(self, name: str, lag: int) -> str:
        if lag:
            self.lags.add(lag)
        return f'{"f" if lag == 0 else f"l{lag}"}."{name}"'

    def present(self, lag: int) -> str:
        """Whether the firm has a row ``lag`` years back."""
        if not lag:
            return "TRUE"
        self.lags.add(lag)
        return f"(l{lag}.uscc IS NOT NULL)"

    def r(self, node: ast.expr, lag: int) -> str:
        if isinstance(node, ast.Constant):
            if isinstance(node.value, bool):
                return "TRUE" if node.value else "FALSE"
            if isinstance(node.value, (int, float)):
                return repr(float(node.value)) if isinstance(node.value, float) else str(node.value)
            return "'" + str(node.value).replace("'", "''") + "'"
        if isinstance(node, ast.Name):
            if node.id in self.derived:
                return f"({self.r(ex.parse(self.derived[node.id]), lag)})"
            if node.id in ("true", "false"):
                return node.id.upper()
            return self.col(node.id, lag)
        if isinstance(node, ast.UnaryOp):
            inner = self.r(node.operand, lag)
            return f"(NOT {inner})" if isinstance(node.op, ast.Not) else (f"(-{inner})" if isinstance(node.op, ast.USub) else inner)
        if isinstance(node, ast.BinOp):
            a, b = self.r(node.left, lag), self.r(node.right, lag)
            if isinstance(node.op, ast.Div):
                return f"(CAST({a} AS DOUBLE) / NULLIF({b}, 0))"
            if isinstance(node.op, ast.Pow):
                return f"(CASE WHEN {a} >= 0 THEN POW(CAST({a} AS DOUBLE), {b}) END)"
            return f"({a} {_OPS[type(node.op)]} {b})"
        if isinstance(node, ast.BoolOp):
            op = " AND " if isinstance(node.op, ast.And) else " OR "
            return "(" + op.join(self.r(v, lag) for v in node.values) + ")"
        if isinstance(node, ast.Compare):
            parts, left = [], self.r(node.left, lag)
            for op, comp in zip(node.ops, node.comparators):
                right = self.r(comp, lag)
                parts.append(f"({left} {_CMP[type(op)]} {right})")
                left = right
            return "(" + " AND ".join(parts) + ")"
        if isinstance(node, ast.Call):
            fn, args = node.func.id, node.args  # type: ignore[attr-defined]
            if fn == "lag":
                return self.r(args[0], lag + ex._const_int(args[1]))
            if fn == "sum_years":
                return "(" + " + ".join(self.r(args[0], lag + k) for k in range(ex._const_int(args[1]))) + ")"
            if fn == "sum_years_actual":
                terms = [f"(CASE WHEN {self.present(lag + k)} THEN {self.r(args[0], lag + k)} ELSE 0.0 END)" for k in range(ex._const_int(args[1]))]
                return "(" + " + ".join(terms) + ")"
            if fn == "years_present":
                return "(" + " + ".join(f"CAST({self.present(lag + k)} AS INTEGER)" for k in range(ex._const_int(args[0]))) + ")"
            if fn == "coalesce":
                return "COALESCE(" + ", ".join(self.r(a, lag) for a in args) + ")"
            if fn == "where":
                c, a, b = (self.r(x, lag) for x in args)
                return f"(CASE WHEN {c} IS NULL THEN NULL WHEN {c} THEN {a} ELSE {b} END)"
            if fn == "abs":
                return f"ABS({self.r(args[0], lag)})"
            if fn == "is_known":
                return f"({self.r(args[0], lag)} IS NOT NULL)"
            if fn in ("max", "min"):
                vals = [self.r(a, lag) for a in args]
                agg = ("GREATEST(" if fn == "max" else "LEAST(") + ", ".join(vals) + ")"
                return "(CASE WHEN " + " AND ".join(f"{v} IS NOT NULL" for v in vals) + f" THEN {agg} END)"
            if fn == "age_years":
                y, e = self.col("year", lag), self.col("established", lag)
                return f"(({y} - YEAR({e})) - CASE WHEN 12 < MONTH({e}) OR (12 = MONTH({e}) AND 31 < DAY({e})) THEN 1 ELSE 0 END)"
            if fn == "age_days":
                y, e = self.col("year", lag), self.col("established", lag)
                return f"DATE_DIFF('day', {e}, MAKE_DATE(CAST({y} AS BIGINT), 12, 31))"
            if fn == "has_sector":
                tag = args[0].value  # type: ignore[attr-defined]
                return f"list_contains({self.col('frontier_sectors', lag)}, '{tag}')"
            raise SqlError(f"function {fn} has no SQL rendering here")
        raise SqlError(f"unsupported expression {ast.dump(node)}")


def _norm(ind: Indicator, x: str, part: str) -> str:
    n = ind.normalise
    if n.method == "percentile":
        s = (f"((RANK() OVER (PARTITION BY {part}, {x} IS NULL ORDER BY {x}) + (COUNT(*) OVER (PARTITION BY {part}, {x}) - 1) / 2.0 - 0.5)"
             f" / NULLIF(COUNT({x}) OVER (PARTITION BY {part}), 0))")
        s = f"(CASE WHEN {x} IS NULL THEN NULL ELSE {s} END)"
    elif n.method == "minmax":
        lo = f"QUANTILE_CONT({x}, {n.winsor[0]}) OVER (PARTITION BY {part})"
        hi = f"QUANTILE_CONT({x}, {n.winsor[1]}) OVER (PARTITION BY {part})"
        s = (f"(CASE WHEN {x} IS NULL THEN NULL WHEN {hi} - {lo} > 0 THEN LEAST(GREATEST(({x} - {lo}) / ({hi} - {lo}), 0.0), 1.0)"
             f" WHEN {x} > {hi} THEN 1.0 WHEN {x} < {lo} THEN 0.0 ELSE 0.5 END)")
    elif n.method == "log":
        s = f"LEAST(GREATEST(LN(1 + GREATEST({x}, 0.0)) / {math.log1p(n.cap or 1)!r}, 0.0), 1.0)"
    elif n.method == "tiers":
        s = f"(CASE WHEN {x} IS NULL THEN NULL " + " ".join(f"WHEN {x} >= {st.ge!r} THEN {st.score!r}" for st in n.steps) + f" ELSE {n.otherwise!r} END)"
    else:
        s = f"(CASE WHEN {x} IS NULL THEN NULL WHEN {x} > 0 THEN 1.0 ELSE 0.0 END)"
    return f"(1.0 - {s})" if ind.direction == "lower" else s


def _scope(m: Method, table: str) -> str:
    """The method's scope as a WHERE clause over ``table`` (TRUE when it has none)."""
    parts = []
    if m.scope.region_prefixes:
        parts.append("(" + " OR ".join(f"starts_with(region_code, '{p}')" for p in m.scope.region_prefixes) + ")")
    if m.scope.sectors_any:
        parts.append("(" + " OR ".join(f"list_contains(frontier_sectors, '{t}')" for t in m.scope.sectors_any) + ")")
    return " AND ".join(f"COALESCE({p}, FALSE)" for p in parts) or "TRUE"


def _cohort_columns(m: Method) -> list[tuple[str, str]]:
    """(name, SQL) of the cohort keys beyond year and stage, as the engine cuts them."""
    out = []
    if m.cohort.region_digits:
        out.append(("__region", f"SUBSTRING(f.region_code, 1, {m.cohort.region_digits})"))
    if m.cohort.industry != "none":
        out.append(("__industry", f"SUBSTRING(f.industry_code, 1, {1 if m.cohort.industry == 'section' else 3})"))
    return out


def method_sql(m: Method, table: str = "facts") -> str:
    r = _Render(m.derived)
    raws = []
    for i in m.all_indicators():
        v = r.r(ex.parse(i.value), 0)
        v = f"CAST({v} AS DOUBLE)"
        if i.clip:
            lo, hi = i.clip
            if lo is not None:
                v = f"GREATEST({v}, {float(lo)!r})"
            if hi is not None:
                v = f"LEAST({v}, {float(hi)!r})"
            v = f"(CASE WHEN {r.r(ex.parse(i.value), 0)} IS NULL THEN NULL ELSE {v} END)"
        raws.append(f'{v} AS "raw__{i.id}"')
    stage = "CASE " + " ".join(f"WHEN ({c}) IS NULL THEN NULL WHEN {c} THEN '{s.id}'" for s in m.stages for c in [r.r(ex.parse(s.when), 0)]) + " END"
    joins = "\n".join(f'LEFT JOIN scoped l{k} ON l{k}.uscc = f.uscc AND l{k}.year = f.year - {k}' for k in sorted(r.lags))
    extra = _cohort_columns(m)
    part = ", ".join(["year", "stage", *(name for name, _ in extra)])
    cohort_select = "".join(f", {sql} AS {name}" for name, sql in extra)
    scores = ",\n  ".join(_norm(i, '"raw__' + i.id + '"', part) + f' AS "s__{i.id}"' for i in m.all_indicators())
    w = {i.id: "CASE stage " + " ".join(f"WHEN '{st}' THEN {float(m.stage_weights(st).get(i.id, 0.0))!r}" for st in m.stage_ids) + " END" for i in m.indicators}
    known = " + ".join(f'(CASE WHEN "s__{i.id}" IS NULL THEN 0.0 ELSE {w[i.id]} END)' for i in m.indicators)
    weighted = " + ".join(f'({w[i.id]}) * COALESCE("s__{i.id}", 0.0)' for i in m.indicators)
    pol = m.missing
    if pol.policy == "reweight":
        factor = f"CASE WHEN {m.scale!r} - ({known}) <= {pol.max_unusable_weight * m.scale + 1e-9!r} AND ({known}) > 0 THEN {m.scale!r} / ({known}) END"
    elif pol.policy == "zero":
        factor = "1.0"
    else:
        factor = f"CASE WHEN {m.scale!r} - ({known}) <= 1e-9 THEN 1.0 END"
    bonus = " + ".join(f'{b.points!r} * COALESCE("s__{b.id}", 0.0)' for b in m.bonus.indicators) or "0.0"
    tiers = " ".join(f"WHEN CAST(rk AS DOUBLE) / n <= {t.top + 1e-12!r} THEN '{t.id}'" for t in m.tiers.rules)
    other = f"'{m.tiers.otherwise.id}'" if m.tiers.otherwise else "NULL"
    return f"""WITH scoped AS (
  SELECT * FROM {table} WHERE {_scope(m, table)}
), raw AS (
  SELECT f.uscc, f.year, {stage} AS stage{cohort_select},
  {", ".join(raws)}
  FROM scoped f
  {joins}
), scored AS (
  SELECT *,
  {scores}
  FROM raw
), pts AS (
  SELECT uscc, year, stage{"".join(f", {name}" for name, _ in extra)},
    CASE WHEN stage IS NULL{"".join(f" OR {name} IS NULL" for name, _ in extra)} THEN NULL ELSE {factor} END AS factor,
    {weighted} AS weighted,
    LEAST({bonus}, {m.bonus.cap!r}) AS bonus
  FROM scored
), fin AS (
  SELECT uscc, year, stage{"".join(f", {name}" for name, _ in extra)}, ROUND(weighted * factor + bonus, 4) AS points FROM pts
), ranked AS (
  SELECT *, COUNT(points) OVER (PARTITION BY {part}) AS n,
    RANK() OVER (PARTITION BY {part}, points IS NULL ORDER BY points DESC) AS rk
  FROM fin
)
SELECT uscc, year, stage, points,
  CASE WHEN points IS NULL OR n < {m.cohort.min_size} THEN NULL {tiers} ELSE {other} END AS tier
FROM ranked ORDER BY uscc, year"""
