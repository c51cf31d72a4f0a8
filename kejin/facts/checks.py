"""Located row checks shared by every table kejin reads (facts, fund ledgers, …).

A `Rule` is a column expression that is true on the rows that break it; `check_rules` evaluates
all of them in one pass and turns only the offending rows into bilingual `Problem`s.
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from kejin.errors import Problem
from kejin.facts.readers import ROW

MAX_ROWS_PER_RULE = 1000  # enough to see the pattern, not a million objects


@dataclass(frozen=True)
class Rule:
    """A located check: ``bad`` is true on the rows that break it; ``value_col`` is shown as the value."""

    code: str
    field: str
    bad: pl.Expr
    zh: str
    en: str
    value_col: str | None = None


def check_rules(frame: pl.DataFrame, rules: list[Rule], file: str, cap: int = MAX_ROWS_PER_RULE) -> list[Problem]:
    """Evaluate every rule in one pass; one Problem per offending row (``cap`` rows per rule)."""
    if not rules or frame.height == 0:
        return []
    # the streaming engine counts morsel by morsel: no whole-column mask per rule is held
    counts = frame.lazy().select([r.bad.fill_null(False).sum().alias(str(i)) for i, r in enumerate(rules)]).collect(engine="streaming").row(0)
    problems: list[Problem] = []
    for rule, count in zip(rules, counts):
        if count:
            problems += _rule_problems(frame, rule, file, int(count), cap)
    return problems


def _rule_problems(frame: pl.DataFrame, rule: Rule, file: str, count: int, cap: int) -> list[Problem]:
    shown = frame.filter(rule.bad.fill_null(False)).head(cap)
    values = shown.get_column(rule.value_col).cast(pl.String).to_list() if rule.value_col else [None] * shown.height
    out = [
        Problem(rule.code, rule.zh, rule.en, file=file, row=int(r), field=rule.field, value=v)
        for r, v in zip(shown.get_column(ROW).to_list(), values)
    ]
    if count > cap:
        more = count - cap
        out.append(Problem(rule.code, f"同类问题另有 {more} 行", f"{more} more rows with the same problem", file=file, field=rule.field))
    return out
