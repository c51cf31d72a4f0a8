"""A small, safe expression language for rule packs, compiled to Polars expressions.

Pack authors write conditions and indicator values as text, e.g. ``rd_expense / revenue`` or
``employees <= 500 and revenue <= 2e8``. The text is parsed with Python's ``ast`` (no eval),
restricted to arithmetic, comparisons, and/or/not and a few functions:

- ``lag(x, k)``                 x of the year k years earlier (same firm); blank if that row is absent
- ``sum_years(x, n)``           x summed over this year and the n-1 before (blank if any is missing)
- ``sum_years_actual(x, n)``    the same over the years the firm has rows for (the "actual period")
- ``years_present(n)``          how many of the last n years (this one included) have a row
- ``max(a, b, …)``, ``min(a, b, …)``   ignoring blanks only where every argument is known
- ``where(cond, a, b)``         a if cond else b
- ``coalesce(a, b, …)``, ``abs(x)``, ``is_known(x)``, ``age_years()`` (years since established at year end)
- ``age_days()``                calendar days from the date established to 31 December of the fiscal year
- ``has_sector('ai')``          the firm's frontier-sector list contains the tag

Division by zero gives blank (unknown), never infinity. Blank propagates: a comparison with a
blank is blank, and ``and``/``or`` follow three-valued (Kleene) logic, so an unknown input
shows up as "not evaluable" instead of a silent zero.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Callable, Iterable

import polars as pl

FUNCTIONS = {
    "lag",
    "sum_years",
    "sum_years_actual",
    "years_present",
    "max",
    "min",
    "where",
    "coalesce",
    "abs",
    "is_known",
    "age_years",
    "age_days",
    "has_sector",
}

_CMP = {
    ast.Lt: "lt",
    ast.LtE: "le",
    ast.Gt: "gt",
    ast.GtE: "ge",
    ast.Eq: "eq",
    ast.NotEq: "ne",
}


TOLERANCE = 1e-12
# which way the tolerance moves each comparison's constant so that exact boundary values pass
_TOLERANT = {ast.GtE: -1.0, ast.Gt: 1.0, ast.LtE: 1.0, ast.Lt: -1.0}


class ExprError(ValueError):
    """An expression that is not valid in the pack language (message in zh / en)."""

    def __init__(self, zh: str, en: str):
        self.zh, self.en = zh, en
        super().__init__(f"{zh} / {en}")


def lag_column(name: str, k: int) -> str:
    return name if k == 0 else f"{name}__lag{k}"


def present_column(k: int) -> str:
    return f"__present__lag{k}"


@lru_cache(maxsize=4096)
def parse(source: str) -> ast.expr:
    """Parse and check an expression; raises ExprError for anything outside the language."""
    try:
        tree = ast.parse(str(source).strip(), mode="eval").body
    except SyntaxError as exc:
        raise ExprError(f"表达式语法错误：{exc.msg}", f"expression syntax error: {exc.msg}") from None
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            if not isinstance(node.func, ast.Name) or node.func.id not in FUNCTIONS:
                name = getattr(node.func, "id", "?")
                raise ExprError(f"未知函数 {name}", f"unknown function {name}")
            if node.keywords:
                raise ExprError("函数不接受关键字参数", "functions take no keyword arguments")
        elif not isinstance(
            node,
            (
                ast.BoolOp, ast.And, ast.Or, ast.UnaryOp, ast.Not, ast.USub, ast.UAdd, ast.BinOp,
                ast.Add, ast.Sub, ast.Mult, ast.Div, ast.Pow, ast.Compare, ast.Name, ast.Load,
                ast.Constant, *_CMP,
            ),
        ):
            raise ExprError(f"不允许的语法：{type(node).__name__}", f"construct not allowed: {type(node).__name__}")
    return tree


@dataclass(frozen=True)
class Use:
    """A fact read by an expression, at a lag (0 = this year)."""

    name: str
    lag: int = 0


def uses(source: str, derived: dict[str, str] | None = None) -> set[Use]:
    """Facts (with lags) an expression reads, following derived names."""
    derived = derived or {}
    out: set[Use] = set()

    def visit(node: ast.expr, shift: int, stack: tuple[str, ...]) -> None:
        if isinstance(node, ast.Name):
            if node.id in derived:
                if node.id in stack:
                    raise ExprError(f"派生量循环引用：{' → '.join(stack + (node.id,))}", f"cycle in derived values: {' -> '.join(stack + (node.id,))}")
                visit(parse(derived[node.id]), shift, stack + (node.id,))
            elif node.id not in ("true", "false"):
                out.add(Use(node.id, shift))
            return
        if isinstance(node, ast.Call):
            fn = node.func.id  # type: ignore[attr-defined]
            if fn == "lag":
                visit(node.args[0], shift + _const_int(node.args[1]), stack)
                return
            if fn in ("sum_years", "sum_years_actual"):
                n = _const_int(node.args[1])
                for k in range(n):
                    visit(node.args[0], shift + k, stack)
                if fn == "sum_years_actual":
                    for k in range(n):
                        out.add(Use("__present__", shift + k))
                return
            if fn == "years_present":
                for k in range(_const_int(node.args[0])):
                    out.add(Use("__present__", shift + k))
                return
            if fn in ("age_years", "age_days"):
                out.add(Use("established", shift))
                out.add(Use("year", shift))
                return
            if fn == "has_sector":
                out.add(Use("frontier_sectors", shift))
                return
            for arg in node.args:
                visit(arg, shift, stack)
            return
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.expr):
                visit(child, shift, stack)

    visit(parse(source), 0, ())
    return out


def _const_int(node: ast.expr) -> int:
    if isinstance(node, ast.Constant) and isinstance(node.value, int) and node.value >= 0:
        return node.value
    raise ExprError("此处需要非负整数常量", "a non-negative integer constant is required here")


Resolver = Callable[[str, int], pl.Expr]


@dataclass
class Compiler:
    """Compiles expressions against a frame whose lag columns have been prepared.

    ``overrides`` replaces a fact (this year only) with another expression — used to test a
    suggested change ("what if R&D were ¥X?") with the very same rules.
    """

    derived: dict[str, str] = field(default_factory=dict)
    overrides: dict[str, pl.Expr] = field(default_factory=dict)

    def compile(self, source: str | ast.expr) -> pl.Expr:
        node = parse(source) if isinstance(source, str) else source
        return self._c(node, 0)

    # -- helpers
    def _name(self, name: str, shift: int) -> pl.Expr:
        if name in self.derived:
            return self._c(parse(self.derived[name]), shift)
        if shift == 0 and name in self.overrides:
            return self.overrides[name]
        if name in ("true", "false"):
            return pl.lit(name == "true")
        return pl.col(lag_column(name, shift))

    def _c(self, node: ast.expr, shift: int) -> pl.Expr:
        if isinstance(node, ast.Constant):
            if isinstance(node.value, (bool, int, float)):
                return pl.lit(node.value)
            if isinstance(node.value, str):
                return pl.lit(node.value)
            raise ExprError("不支持的常量", "unsupported constant")
        if isinstance(node, ast.Name):
            return self._name(node.id, shift)
        if isinstance(node, ast.UnaryOp):
            inner = self._c(node.operand, shift)
            if isinstance(node.op, ast.Not):
                return ~inner
            return -inner if isinstance(node.op, ast.USub) else inner
        if isinstance(node, ast.BinOp):
            a, b = self._c(node.left, shift), self._c(node.right, shift)
            if isinstance(node.op, ast.Add):
                return a + b
            if isinstance(node.op, ast.Sub):
                return a - b
            if isinstance(node.op, ast.Mult):
                return a * b
            if isinstance(node.op, ast.Div):
                return pl.when(b != 0).then(a.cast(pl.Float64) / b).otherwise(None)
            if isinstance(node.op, ast.Pow):
                return pl.when(a >= 0).then(a.cast(pl.Float64).pow(b)).otherwise(None)
        if isinstance(node, ast.BoolOp):
            parts = [self._c(v, shift).cast(pl.Boolean) for v in node.values]
            out = parts[0]
            for p in parts[1:]:
                out = (out & p) if isinstance(node.op, ast.And) else (out | p)
            return out
        if isinstance(node, ast.Compare):
            left = self._c(node.left, shift)
            result: pl.Expr | None = None
            for op, comparator in zip(node.ops, node.comparators):
                right = self._c(comparator, shift)
                constant = _number(comparator)
                if constant is not None and type(op) in _TOLERANT:
                    # amounts carry fen; a relative 1e-12 absorbs float noise (e.g. sums over
                    # three years) without moving a boundary any real figure can sit on
                    right = pl.lit(constant + _TOLERANT[type(op)] * TOLERANCE * abs(constant))
                part = getattr(left, _CMP[type(op)])(right)
                result = part if result is None else (result & part)
                left = right
            assert result is not None
            return result
        if isinstance(node, ast.Call):
            return self._call(node, shift)
        raise ExprError(f"不支持的表达式 {ast.dump(node)}", f"unsupported expression {ast.dump(node)}")

    def _call(self, node: ast.Call, shift: int) -> pl.Expr:
        fn = node.func.id  # type: ignore[attr-defined]
        args = node.args
        if fn == "lag":
            return self._c(args[0], shift + _const_int(args[1]))
        if fn == "sum_years":
            n = _const_int(args[1])
            total = self._c(args[0], shift)
            for k in range(1, n):
                total = total + self._c(args[0], shift + k)
            return total
        if fn == "sum_years_actual":
            n = _const_int(args[1])
            parts = []
            for k in range(n):
                present = pl.col(present_column(shift + k)) if shift + k else pl.lit(True)
                value = self._c(args[0], shift + k)
                parts.append(pl.when(present).then(value).otherwise(0.0))
            total = parts[0]
            for p in parts[1:]:
                total = total + p
            return total
        if fn == "years_present":
            n = _const_int(args[0])
            total = pl.lit(1, dtype=pl.Int64)
            for k in range(1, n):
                total = total + pl.col(present_column(shift + k)).cast(pl.Int64)
            return total
        if fn in ("max", "min"):
            values = [self._c(a, shift) for a in args]
            agg = pl.max_horizontal(values) if fn == "max" else pl.min_horizontal(values)
            known = values[0].is_not_null()
            for v in values[1:]:
                known = known & v.is_not_null()
            return pl.when(known).then(agg).otherwise(None)
        if fn == "where":
            cond, a, b = (self._c(x, shift) for x in args)
            return pl.when(cond.is_null()).then(None).when(cond).then(a).otherwise(b)
        if fn == "coalesce":
            return pl.coalesce([self._c(a, shift) for a in args])
        if fn == "abs":
            return self._c(args[0], shift).abs()
        if fn == "is_known":
            return self._c(args[0], shift).is_not_null()
        if fn == "age_years":
            # whole years from establishment to 31 December of the fiscal year: as that date is
            # the last day of its year, this is exactly the difference of the calendar years
            return self._name("year", shift) - self._name("established", shift).dt.year().cast(pl.Int64)
        if fn == "age_days":
            # "registered for 365 days" read on 31 December of the fiscal year
            year_end = pl.date(self._name("year", shift), 12, 31)
            return (year_end - self._name("established", shift)).dt.total_days()
        if fn == "has_sector":
            tag = args[0]
            if not (isinstance(tag, ast.Constant) and isinstance(tag.value, str)):
                raise ExprError("has_sector 需要字符串常量", "has_sector needs a string constant")
            return self._name("frontier_sectors", shift).list.contains(tag.value)
        raise ExprError(f"未知函数 {fn}", f"unknown function {fn}")


def condition_terms(source: str) -> tuple[str, list[tuple[str, str, float] | None]] | None:
    """A condition as ``("and"|"or", terms)``: each term ``(expr, op, number)`` or None when it is
    not a plain comparison (e.g. a yes/no fact). None when the condition mixes and/or.
    """
    node = parse(source)
    mode = "and"
    terms: list[ast.expr] = [node]
    if isinstance(node, ast.BoolOp):
        mode = "and" if isinstance(node.op, ast.And) else "or"
        terms = list(node.values)
    out: list[tuple[str, str, float] | None] = []
    for term in terms:
        if isinstance(term, ast.BoolOp):
            return None
        if isinstance(term, ast.Compare) and len(term.ops) == 1 and _number(term.comparators[0]) is not None:
            out.append((ast.unparse(term.left), _CMP[type(term.ops[0])], float(_number(term.comparators[0]))))  # type: ignore[arg-type]
        else:
            out.append(None)
    return mode, out


def comparison_parts(source: str, derived: dict[str, str] | None = None) -> list[tuple[str, str, float]] | None:
    """If ``source`` is a conjunction of ``<expr> OP <number>`` terms, return them as (expr, op, number).

    Used by the gap solver: each term can be inverted for a lever fact.
    """
    node = parse(source)
    terms = node.values if isinstance(node, ast.BoolOp) and isinstance(node.op, ast.And) else [node]
    out = []
    for term in terms:
        if not (isinstance(term, ast.Compare) and len(term.ops) == 1):
            return None
        right = term.comparators[0]
        value = _number(right)
        if value is None:
            return None
        out.append((ast.unparse(term.left), _CMP[type(term.ops[0])], value))
    return out


def _number(node: ast.expr) -> float | None:
    if isinstance(node, ast.Constant) and isinstance(node.value, (int, float)) and not isinstance(node.value, bool):
        return float(node.value)
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
        inner = _number(node.operand)
        return None if inner is None else -inner
    if isinstance(node, ast.BinOp):
        a, b = _number(node.left), _number(node.right)
        if a is None or b is None:
            return None
        if isinstance(node.op, ast.Mult):
            return a * b
        if isinstance(node.op, ast.Div) and b:
            return a / b
        if isinstance(node.op, ast.Add):
            return a + b
        if isinstance(node.op, ast.Sub):
            return a - b
    return None


def names_in(source: str) -> Iterable[str]:
    return {n.id for n in ast.walk(parse(source)) if isinstance(n, ast.Name)}
