"""The one schema of enterprise facts, read from ``norms.yaml``.

Everything that needs to know the fields — validation, the Polars schema, header aliases, the
Pydantic record, the Excel template, the docs — asks this module; nothing restates the table.
"""

from __future__ import annotations

import re
from datetime import date
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

import polars as pl
import yaml
from pydantic import BaseModel, ConfigDict, create_model

from kejin.i18n import Text

NORMS_FILE = Path(__file__).with_name("norms.yaml")

FieldType = Literal["text", "int", "amount", "ratio", "date", "bool", "list", "enum"]
Check = Literal["uscc", "region", "industry", "year_range", "not_after_year_end"]

POLARS_TYPES: dict[str, pl.DataType] = {
    "text": pl.String(),
    "int": pl.Int64(),
    "amount": pl.Float64(),
    "ratio": pl.Float64(),
    "date": pl.Date(),
    "bool": pl.Boolean(),
    "list": pl.List(pl.String()),
    "enum": pl.String(),
}

UNIT_LABEL = {"amount": Text(zh="元", en="yuan")}


class FactField(BaseModel):
    """One column of the data norms."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str
    zh: str
    en: str
    type: FieldType
    required: bool = False
    check: Check | None = None
    min: float | None = None
    max: float | None = None
    le_field: str | None = None
    values: tuple[str, ...] | None = None
    extension: bool = False
    note: str | None = None

    @property
    def dtype(self) -> pl.DataType:
        return POLARS_TYPES[self.type]

    @property
    def label(self) -> Text:
        return Text(zh=self.zh, en=self.en)

    def header_zh(self) -> str:
        """The Chinese header as the Excel template writes it (with unit for amounts)."""
        return f"{self.zh}(元)" if self.type == "amount" else self.zh


class Norms(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    version: str
    frontier_sectors: tuple[str, ...]
    frontier_sector_labels: dict[str, Text]
    fields: tuple[FactField, ...]


@lru_cache(maxsize=1)
def norms() -> Norms:
    data = yaml.load(NORMS_FILE.read_text(encoding="utf-8"), Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    n = Norms.model_validate(data)
    names = [f.name for f in n.fields]
    assert len(names) == len(set(names)), "duplicate field in norms.yaml"
    return n


def fields() -> tuple[FactField, ...]:
    return norms().fields


@lru_cache(maxsize=None)
def field(name: str) -> FactField:
    for f in fields():
        if f.name == name:
            return f
    raise KeyError(name)


def field_names() -> list[str]:
    return [f.name for f in fields()]


def polars_schema() -> dict[str, pl.DataType]:
    return {f.name: f.dtype for f in fields()}


def current_year() -> int:
    return date.today().year


# ---------------------------------------------------------------- headers
_UNIT_SUFFIX = re.compile(r"[（(]\s*(元|万元|亿元|yuan|10k yuan|CNY)\s*[)）]\s*$", re.IGNORECASE)
UNIT_FACTORS = {"元": 1.0, "yuan": 1.0, "cny": 1.0, "万元": 1e4, "10k yuan": 1e4, "亿元": 1e8}


def normalise_header(text: str) -> str:
    t = str(text).replace("\ufeff", "").strip()
    t = t.replace("（", "(").replace("）", ")").replace("Ⅰ", "Ⅰ")
    return re.sub(r"\s+", " ", t)


@lru_cache(maxsize=1)
def _alias_index() -> dict[str, str]:
    index: dict[str, str] = {}
    for f in fields():
        for alias in (f.name, f.zh, f.en, f.header_zh()):
            index[normalise_header(alias).lower()] = f.name
    return index


def resolve_header(header: str) -> tuple[str | None, float]:
    """Map a column header to (field name, unit factor). Unknown headers give (None, 1)."""
    text = normalise_header(header)
    factor = 1.0
    match = _UNIT_SUFFIX.search(text)
    index = _alias_index()
    if text.lower() in index:
        name = index[text.lower()]
        if match and field(name).type == "amount":
            factor = UNIT_FACTORS[match.group(1).lower()] if match.group(1).lower() in UNIT_FACTORS else UNIT_FACTORS[match.group(1)]
        return name, factor
    if match:
        base = text[: match.start()].strip().lower()
        if base in index and field(index[base]).type == "amount":
            unit = match.group(1)
            return index[base], UNIT_FACTORS.get(unit, UNIT_FACTORS.get(unit.lower(), 1.0))
    return None, 1.0


def suggest_header(header: str) -> str | None:
    import difflib

    candidates = list(_alias_index())
    best = difflib.get_close_matches(normalise_header(header).lower(), candidates, n=1, cutoff=0.6)
    return _alias_index()[best[0]] if best else None


# ---------------------------------------------------------------- record model
_PY_TYPES: dict[str, Any] = {
    "text": str,
    "int": int,
    "amount": float,
    "ratio": float,
    "date": date,
    "bool": bool,
    "list": list[str],
    "enum": str,
}


@lru_cache(maxsize=1)
def record_model() -> type[BaseModel]:
    """A Pydantic model of one enterprise-year, generated from the norms (for APIs and single records)."""
    spec: dict[str, Any] = {}
    for f in fields():
        py = _PY_TYPES[f.type]
        if f.required:
            spec[f.name] = (py, ...)
        else:
            spec[f.name] = (py | None, None)
    return create_model("EnterpriseFacts", __config__=ConfigDict(extra="forbid"), **spec)
