"""Stage assignment: the first stage whose condition is true; unknown if a condition before it
is blank (Kleene logic — a firm with an unknown age or revenue is not silently placed)."""

from __future__ import annotations

import polars as pl

from kejin.points.methods import Method
from kejin.rules import expr as ex


def stage_dtype(method: Method) -> pl.Enum:
    return pl.Enum(method.stage_ids)


def stage_expr(method: Method, compiler: ex.Compiler) -> pl.Expr:
    chain = None
    for st in method.stages:
        cond = compiler.compile(st.when).cast(pl.Boolean)
        if chain is None:
            chain = pl.when(cond.is_null()).then(None).when(cond).then(pl.lit(st.id))
        else:
            chain = chain.when(cond.is_null()).then(None).when(cond).then(pl.lit(st.id))
    assert chain is not None
    return chain.otherwise(None).cast(stage_dtype(method))
