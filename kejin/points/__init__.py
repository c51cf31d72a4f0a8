"""Innovation points (创新积分) and the technology-side credit record (技术侧信用记录).

Public API used by the other wings and the web service:

- ``score(facts, method="national-core") -> pl.DataFrame`` — one row per enterprise-year, in the
  input's order;
- ``record(facts, uscc, patents=None) -> dict`` — a firm's technology-side credit record.
"""

from __future__ import annotations

from typing import Any

import polars as pl


def score(facts: pl.DataFrame, method: Any = "national-core", **kw: Any) -> pl.DataFrame:
    from kejin.points.engine import score as _score

    return _score(facts, method, **kw)


def record(facts: pl.DataFrame, uscc: str, patents: pl.DataFrame | None = None, **kw: Any) -> dict:
    from kejin.points.credit_record import record as _record

    return _record(facts, uscc, patents=patents, **kw)


__all__ = ["record", "score"]
