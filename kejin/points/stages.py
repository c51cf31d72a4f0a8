"""Stage assignment: the first stage whose condition is true; unknown if a condition before it
is blank (Kleene logic — a firm with an unknown age or revenue is not silently placed).

The conditions are columns of their own (``stage_conditions``) that the chain then reads: the
chain tests each condition twice (blank? true?), and Polars would evaluate it twice."""

from __future__ import annotations

import polars as pl

from kejin.points.methods import Method
from kejin.rules import expr as ex


def stage_dtype(method: Method) -> pl.Enum:
    return pl.Enum(method.stage_ids)


def _condition_column(j: int) -> str:
    return f"__stage_when{j}"


def stage_conditions(method: Method, compiler: ex.Compiler) -> list[pl.Expr]:
    return [compiler.compile(st.when).cast(pl.Boolean).alias(_condition_column(j)) for j, st in enumerate(method.stages)]


def stage_expr(method: Method) -> pl.Expr:
    """The stage (Enum) from the columns of ``stage_conditions``."""
    dtype = stage_dtype(method)
    chain = None
    for j, st in enumerate(method.stages):
        cond = pl.col(_condition_column(j))
        chain = (pl.when(cond.is_null()) if chain is None else chain.when(cond.is_null())).then(None)
        chain = chain.when(cond).then(pl.lit(st.id, dtype=dtype))
    assert chain is not None
    return chain.otherwise(None)
