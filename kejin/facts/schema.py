"""The one schema of enterprise facts, read from ``norms.yaml``.

Everything that needs to know the fields — validation, the Polars schema, header aliases, the
Pydantic record, the Excel template, the docs — asks this module; nothing restates the table.
"""

from __future__ import annotations

import re
import unicodedata
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
    # a ratio is a fraction (0.08 = 8 %; `8%` and a `(%)` header accepted) unless the norms give
    # it as a plain number (points, `scale: number`: no percent sign)
    scale: Literal["fraction", "number"] = "fraction"
    extension: bool = False
    note: str | None = None

    @property
    def dtype(self) -> pl.DataType:
        return POLARS_TYPES[self.type]

    @property
    def fraction(self) -> bool:
        """A ratio read as a fraction of one (percent sign and `(%)` header accepted)."""
        return self.type == "ratio" and self.scale == "fraction"

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
# A header may carry its unit in brackets: `营业收入(万元)`, `营业收入（单位：万元）`, `营业收入【千元】`,
# `职工总数(人)`, `加权平均净资产收益率(%)`. Amounts are converted to yuan on import (the data norms:
# "a template column in 万元 must say so and be converted on import"); a ratio column marked `(%)`
# holds percentages; a unit that does not fit the field's type is an error, never ignored.
_UNIT_SUFFIX = re.compile(r"^(?P<base>.*?)\s*[(\[【]\s*(?:单位\s*[:：]?\s*)?(?P<unit>[^()\[\]【】]*?)\s*[)\]】]\s*$", re.IGNORECASE)
UNIT_FACTORS = {  # amount units, spaces removed and lower case → factor to yuan
    "元": 1.0, "人民币元": 1.0, "元人民币": 1.0, "rmb": 1.0, "cny": 1.0, "yuan": 1.0, "rmbyuan": 1.0,
    "千元": 1e3, "千元人民币": 1e3, "人民币千元": 1e3, "thousandyuan": 1e3, "kyuan": 1e3,
    "万元": 1e4, "万": 1e4, "万元人民币": 1e4, "人民币万元": 1e4, "10kyuan": 1e4, "10k": 1e4, "cny10k": 1e4,
    "百万元": 1e6, "百万": 1e6, "百万元人民币": 1e6, "millionyuan": 1e6, "myuan": 1e6, "cnym": 1e6,
    "亿元": 1e8, "亿": 1e8, "亿元人民币": 1e8, "100myuan": 1e8,
}
COUNT_UNITS = {"人", "个", "项", "件", "年", "家", "次", "名", "persons", "people", "count", "years"}
PERCENT_UNITS = {"%", "％", "百分比", "percent", "pct"}
BOOL_UNITS = {"是/否", "是否", "y/n", "yes/no", "true/false", "1/0"}
DATE_UNITS = {"yyyy-mm-dd", "yyyy/mm/dd", "年-月-日", "年月日"}
PERCENT = 0.01  # the unit factor of a ratio column in percent (values are divided by 100)
# a unit word left in a header that did not resolve: such a header is never "suggested" as the
# plain field (营业收入万元 read as yuan would be 10 000 times too small)
_UNIT_WORD = re.compile(r"万|千元|百万|亿|元|%|％|yuan|cny|rmb", re.IGNORECASE)


def normalise_header(text: str) -> str:
    """A header as compared: NFKC (full-width ｒｅｖｅｎｕｅ, （万元）, ％ and the Roman numeral Ⅰ read as
    their ASCII forms), spaces trimmed and collapsed."""
    t = unicodedata.normalize("NFKC", str(text).replace("\ufeff", "")).strip()
    t = t.replace("（", "(").replace("）", ")").replace("［", "[").replace("］", "]").replace("Ⅰ", "Ⅰ")
    return re.sub(r"\s+", " ", t)


@lru_cache(maxsize=1)
def _alias_index() -> dict[str, str]:
    index: dict[str, str] = {}
    for f in fields():
        for alias in (f.name, f.zh, f.en, f.header_zh()):
            index[normalise_header(alias).lower()] = f.name
    return index


def unit_factor(f: FactField, unit: str) -> float | None:
    """The factor a header unit gives field ``f`` (None: the unit does not fit the field)."""
    key = re.sub(r"\s+", "", unit).lower()
    if f.type == "amount":
        return UNIT_FACTORS.get(key)
    if f.type == "int":
        return 1.0 if key in COUNT_UNITS else None
    if f.fraction:
        return PERCENT if key in PERCENT_UNITS else None
    if f.type == "bool":
        return 1.0 if key in BOOL_UNITS else None
    if f.type == "date":
        return 1.0 if key in DATE_UNITS else None
    return None


def split_unit(header: str) -> tuple[str | None, str | None]:
    """(field, unit) of a header of the form ``<field header>(<unit>)`` whose base is a known
    field; (None, None) otherwise. The unit is not checked here."""
    match = _UNIT_SUFFIX.match(normalise_header(header))
    if not match:
        return None, None
    base = match.group("base").strip().lower()
    name = _alias_index().get(base)
    return (name, match.group("unit")) if name else (None, None)


def resolve_header(header: str) -> tuple[str | None, float]:
    """Map a column header to (field name, unit factor). Unknown headers — and a known field with
    a unit that does not fit it — give (None, 1)."""
    text = normalise_header(header)
    index = _alias_index()
    if text.lower() in index:
        return index[text.lower()], 1.0
    name, unit = split_unit(text)
    if name is not None:
        factor = unit_factor(field(name), unit)
        if factor is not None:
            return name, factor
    return None, 1.0


def header_trouble(header: str) -> tuple[str | None, str | None]:
    """Why an unresolved header does not resolve: ``("unit", field)`` when it is a field's header
    with a unit in brackets that does not fit the field, ``("unit_form", field)`` when it is close
    to a field's header and holds a unit word outside brackets (`营业收入万元`), ``("typo",
    field)`` when it is close to a field's header, (None, None) when it looks like no field."""
    name, _ = split_unit(header)
    if name is not None:
        return "unit", name
    hint = suggest_header(header)
    if hint is None:
        return None, None
    if field(hint).type in ("amount", "ratio", "int") and _UNIT_WORD.search(normalise_header(header)):
        return "unit_form", hint
    return "typo", hint


def unit_words(f: FactField) -> tuple[str, str]:
    """The units a header of field ``f`` may carry, for messages."""
    if f.type == "amount":
        return "元、千元、万元、百万元、亿元", "元, 千元, 万元, 百万元, 亿元 (yuan, thousand, 10k, million, 100m yuan)"
    if f.type == "int":
        return "人、个、项、件、年", "人, 个, 项, 件, 年 (a count)"
    if f.fraction:
        return "%", "% (values in percent)"
    if f.type == "bool":
        return "是/否", "是/否 (yes/no)"
    if f.type == "date":
        return "YYYY-MM-DD", "YYYY-MM-DD"
    return "无（该字段不带单位）", "none (this field has no unit)"


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
