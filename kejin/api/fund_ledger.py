"""Glue between the service's stored portfolio and the fund domain (``kejin.funds``).

Rows filed through the API are typed and checked by the ledger's own code (``parse_frame`` per table, then
``cross_check`` over the fund's stored and new rows together), so a row the CLI refuses is refused here with
the same located, bilingual problems. The service adds only what its storage needs: text fits its columns,
amounts are finite, and evidence names a precondition of the tolerance pack (the domain checks that one
only when it assesses). Tolerance verdicts come from ``kejin.funds.tolerance.assess``.
"""

from __future__ import annotations

import math
from datetime import date
from functools import lru_cache
from typing import Any

import polars as pl

from kejin.api.inputs import MONEY_MAX
from kejin.errors import InputError, Problem
from kejin.facts.checks import Rule, check_rules
from kejin.facts.readers import ROW
from kejin.funds.ledger import SPECS, Ledger, cross_check
from kejin.funds.packs import Loaded, TolerancePack, load_tolerance_pack
from kejin.funds.tables import parse_frame
from kejin.funds.tolerance import EXEMPTION_STATUS, assess, investment_values
from kejin.store import portfolio
from kejin.store.models import Fund

TABLES = tuple(portfolio.MODELS)  # investments, exits, evidence
STORED_ROW = 0  # the row number given to stored rows: a clash with one is reported on the new row
_UNSTORED = ("funds", "commitments", "cashflows", "navs")  # the service keeps these elsewhere, or not at all


@lru_cache(maxsize=1)
def tolerance_pack() -> Loaded[TolerancePack]:
    return load_tolerance_pack()


# ---------------------------------------------------------------- rows → typed frames
def _cell(v: Any) -> str | None:
    """A JSON or stored value as the text a ledger file would hold (the domain parser types it)."""
    if v is None:
        return None
    if isinstance(v, list):
        return ";".join(str(x) for x in v)
    if isinstance(v, date):
        return v.isoformat()
    if isinstance(v, float):
        return repr(v)  # round-trips exactly
    return str(v)


def typed(name: str, rows: list[dict[str, Any]], first_row: int | None = 1) -> tuple[pl.DataFrame, list[Problem]]:
    """Rows of one ledger table typed by the ledger's parser; row numbers count from ``first_row``
    (``None``: all rows get ``STORED_ROW``). Keys are the table's columns in English or Chinese."""
    spec = SPECS[name]
    keys = list(dict.fromkeys(k for r in rows for k in r)) or [c.name for c in spec.columns]
    raw = pl.DataFrame({k: [_cell(r.get(k)) for r in rows] for k in keys}, schema={k: pl.String for k in keys})
    numbers = [STORED_ROW] * len(rows) if first_row is None else list(range(first_row, first_row + len(rows)))
    raw = raw.with_columns(pl.Series(ROW, numbers, dtype=pl.Int64))
    return parse_frame(raw, spec, name)


def _fund_row(f: Fund) -> dict[str, Any]:
    # The service registers single funds, not a nested tree: "sub_fund" only satisfies the ledger's typing.
    return {"fund_id": f.id, "name": f.name, "level": "sub_fund", "strategy": f.strategy, "inception": f.inception,
            "term_years": f.term_years, "tolerance_scheme": f.tolerance_scheme}


def _ledger_tables(f: Fund, tables: dict[str, pl.DataFrame]) -> dict[str, pl.DataFrame]:
    funds, _ = typed("funds", [_fund_row(f)], first_row=None)
    empty = {name: typed(name, [], first_row=None)[0] for name in _UNSTORED}
    return {**empty, "funds": funds, **tables}


def stored_frames(f: Fund, stored: dict[str, list[dict[str, Any]]]) -> dict[str, pl.DataFrame]:
    """The stored portfolio as typed ledger tables (stored rows were checked when filed)."""
    return {name: typed(name, _ledger_columns(name, stored.get(name, [])), first_row=None)[0] for name in TABLES}


def _ledger_columns(name: str, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    known = {c.name for c in SPECS[name].columns}
    return [{k: v for k, v in r.items() if k in known} for r in rows]


# ---------------------------------------------------------------- checks the storage adds
def _storage_rules(name: str) -> list[Rule]:
    """Text must fit its column; amounts must be finite money; evidence must name a known precondition."""
    spec = SPECS[name]
    stored = {c.name: c for c in portfolio.columns(name)}
    rules = []
    for c in spec.columns:
        length = getattr(stored[c.name].type, "length", None) if c.name in stored else None
        if c.kind == "text" and length:
            rules.append(Rule("cell.too_long", c.name, pl.col(c.name).str.len_chars() > length,
                              f"“{c.label.zh}”最长 {length} 个字符", f"'{c.label.en}' is at most {length} characters", c.name))
        if c.kind == "amount":
            rules.append(Rule("cell.maximum", c.name, pl.col(c.name) > MONEY_MAX, f"不得大于 {MONEY_MAX:g}",
                              f"must not exceed {MONEY_MAX:g}", c.name))
    if name == "evidence":
        ids = [p.id for p in tolerance_pack().pack.exemption.preconditions]
        rules.append(Rule("evidence.precondition", "precondition", ~pl.col("precondition").is_in(ids),
                          f"未知的免责条件（可用：{', '.join(ids)}）", f"unknown exemption precondition (known: {', '.join(ids)})",
                          "precondition"))
    return rules


def check_filing(f: Fund, rows: dict[str, list[dict[str, Any]]],
                 stored: dict[str, list[dict[str, Any]]]) -> dict[str, list[dict[str, Any]]]:
    """Type and check a filing against the fund's stored portfolio (empty ``stored`` for a replacement).
    Returns the typed new rows, ready to store; raises InputError listing every problem otherwise."""
    rows = {**rows, "investments": [{"fund_id": f.id, **r} for r in rows.get("investments", [])]}
    problems: list[Problem] = []
    new: dict[str, pl.DataFrame] = {}
    for name in TABLES:
        frame, found = typed(name, rows.get(name, []))
        problems += found
        new[name] = frame
    if all(frame.width for frame in new.values()):  # every table has its columns (no header problem): check on
        problems += [p for name in TABLES for p in check_rules(new[name], _storage_rules(name), name)]
        old = stored_frames(f, stored)
        together = {name: pl.concat([old[name], new[name]], how="vertical_relaxed") for name in TABLES}
        errors, _ = cross_check(_ledger_tables(f, together), {name: name for name in SPECS})  # warnings: cash flows
        problems += [p for p in errors if p.row != STORED_ROW]
    if problems:
        raise InputError(problems)
    return {name: _storable(name, frame) for name, frame in new.items()}


def _storable(name: str, frame: pl.DataFrame) -> list[dict[str, Any]]:
    stored = {c.name for c in portfolio.columns(name)}
    out = []
    for r in frame.drop(ROW).iter_rows(named=True):
        row = {k: v for k, v in r.items() if k in stored}
        if "sectors" in row:
            row["sectors"] = ";".join(row["sectors"]) if row["sectors"] else None
        out.append(row)
    return out


# ---------------------------------------------------------------- rows out, verdicts
def _json(v: Any) -> Any:
    if isinstance(v, float) and not math.isfinite(v):
        return None
    if isinstance(v, date):
        return v.isoformat()
    return v


def json_rows(frame: pl.DataFrame) -> list[dict[str, Any]]:
    return [{k: _json(v) for k, v in r.items() if k != ROW} for r in frame.iter_rows(named=True)]


def portfolio_json(f: Fund, stored: dict[str, list[dict[str, Any]]]) -> dict[str, list[dict[str, Any]]]:
    """The stored portfolio in ledger columns (dates as ISO text, sectors as a list)."""
    return {name: json_rows(frame) for name, frame in stored_frames(f, stored).items()}


def tolerance_view(f: Fund, stored: dict[str, list[dict[str, Any]]]) -> dict[str, Any]:
    """Loss tolerance per fund and per loss, the exemption evidence still needed, and each investment's values."""
    loaded = tolerance_pack()
    pack = loaded.pack
    ledger = Ledger(_ledger_tables(f, stored_frames(f, stored)))
    funds, losses = assess(ledger, pack)
    fund = json_rows(funds)[0]
    if not fund["investments"]:
        fund["verdict"] = None  # nothing filed: "within" would read as a judgement
    scheme = pack.scheme(fund["scheme"])
    statuses = {k: v.model_dump() for k, v in EXEMPTION_STATUS.items()}
    loss_rows = [{**r, "exemption_label": statuses[r["exemption"]]} for r in json_rows(losses)]
    values = investment_values(ledger).sort(["date", "investment_id"]).select(
        "investment_id", "company_uscc", "company_name", "stage", "date", "amount", "realised", "remaining", "moic",
        "loss_rate", "exited", "written_off")
    return {
        "pack": loaded.provenance(),
        "scheme": {"id": scheme.id, "name": scheme.name.model_dump(), "project_loss_cap": scheme.project_loss_cap,
                   "portfolio_loss_rate": scheme.portfolio_loss_rate, "portfolio_basis": scheme.portfolio_basis,
                   "confidence": scheme.source.confidence, "document": scheme.source.document,
                   "from": fund["scheme_from"]},
        "fund": fund,
        "losses": loss_rows,
        "investments": json_rows(values),
        "review": pack.exemption.review.model_dump(),
    }
