"""Shared input types of the API: ids and years bounded to what the databases store, amounts bounded to
finite money, and text without NUL characters.

Found by fuzzing the OpenAPI schema (tests/api/test_fuzz.py): unbounded integers overflowed SQLite
(64-bit) and PostgreSQL INTEGER (32-bit) columns, and NUL characters are refused by PostgreSQL text
columns — each was a 500 before; each is now a 422 problem.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import Path, Query, Request
from pydantic import BaseModel, Field, model_validator

from kejin.api.problems import Problem

DB_INT_MAX = 2**31 - 1  # PostgreSQL INTEGER; SQLite's 64-bit integers hold it too
MONEY_MAX = 1e15  # yuan: far above any fund or firm, far below where sums lose their cents or overflow

DbIdPath = Annotated[int, Path(ge=1, le=DB_INT_MAX)]
YearPath = Annotated[int, Path(ge=1990, le=2100)]
DbIdQuery = Annotated[int | None, Query(ge=1, le=DB_INT_MAX)]
YearQuery = Annotated[int | None, Query(ge=1990, le=2100)]
DbIdField = Annotated[int, Field(ge=1, le=DB_INT_MAX)]
ApiDate = Annotated[date, Field(ge=date(1990, 1, 1), le=date(2100, 12, 31))]  # a fund's dates: far past/future are typos


def money(description: str | None = None, *, ge: float = -MONEY_MAX) -> Any:
    """A finite amount field (yuan)."""
    return Field(None, ge=ge, le=MONEY_MAX, allow_inf_nan=False, description=description)


def has_nul(value: Any) -> bool:
    """True if ``value`` (a string, or a list or dict nesting strings) holds a NUL character anywhere."""
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(has_nul(k) or has_nul(v) for k, v in value.items())
    if isinstance(value, (list, tuple)):
        return any(has_nul(v) for v in value)
    return False


_NUL_ZH, _NUL_EN = "输入含有 NUL 字符（\\u0000）", "the input contains a NUL character (\\u0000)"


class InputModel(BaseModel):
    """Base of every request body: no NUL character anywhere in it (PostgreSQL text cannot hold one)."""

    @model_validator(mode="before")
    @classmethod
    def _no_nul(cls, data: Any) -> Any:
        if has_nul(data):
            raise ValueError(f"{_NUL_ZH} / {_NUL_EN}")
        return data


def reject_nul(request: Request) -> None:
    """Router dependency: the same rule for path and query parameters."""
    params = request.query_params.multi_items()
    if has_nul(list(request.path_params.values())) or has_nul([x for kv in params for x in kv]):
        raise Problem(422, "request.nul", _NUL_ZH, _NUL_EN)
