"""Bilingual, located errors.

Every problem a user can cause names where it is (file, row as counted in Excel, field, key)
and what is wrong, in Chinese and in English. A `KejinError` carries one or many problems so
that a validator can report everything at once.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Iterable


@dataclass(frozen=True)
class Problem:
    """One located problem. ``row`` is the row number as the user sees it (Excel/CSV line)."""

    code: str
    zh: str
    en: str
    file: str | None = None
    row: int | None = None
    field: str | None = None
    value: Any = None
    key: str | None = None  # dotted key inside a pack file

    def where(self) -> str:
        parts = []
        if self.file:
            parts.append(str(self.file))
        if self.row is not None:
            parts.append(f"row {self.row}")
        if self.field:  # a command-line option (``--rate``) is named as one
            parts.append(f"{'option' if self.field.startswith('--') else 'field'} {self.field}")
        if self.key:
            parts.append(f"key {self.key}")
        return ", ".join(parts)

    def where_zh(self) -> str:
        parts = []
        if self.file:
            parts.append(str(self.file))
        if self.row is not None:
            parts.append(f"第{self.row}行")
        if self.field:
            parts.append(f"{'选项' if self.field.startswith('--') else '字段'} {self.field}")
        if self.key:
            parts.append(f"键 {self.key}")
        return "，".join(parts)

    def text(self) -> str:
        value = "" if self.value is None else f" [value: {self.value!r}]"
        loc_zh, loc_en = self.where_zh(), self.where()
        zh = f"{loc_zh}：{self.zh}" if loc_zh else self.zh
        en = f"{loc_en}: {self.en}" if loc_en else self.en
        return f"{zh} / {en}{value}"

    def as_dict(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "file": self.file,
            "row": self.row,
            "field": self.field,
            "key": self.key,
            "value": None if self.value is None else str(self.value),
            "message_zh": self.zh,
            "message_en": self.en,
        }


class KejinError(Exception):
    """Base of all user-facing errors; holds one or more problems."""

    exit_code = 2

    def __init__(self, problems: Problem | Iterable[Problem]):
        self.problems: list[Problem] = [problems] if isinstance(problems, Problem) else list(problems)
        super().__init__(self.summary())

    def summary(self) -> str:
        if len(self.problems) == 1:
            return self.problems[0].text()
        head = f"{len(self.problems)} 个问题 / {len(self.problems)} problems"
        return head + "\n" + "\n".join(p.text() for p in self.problems)


class InputError(KejinError):
    """Bad user data: a file, a row, a value."""


class PackError(KejinError):
    """A malformed or inconsistent pack file (standards, methods, policies)."""


class NotFoundError(KejinError):
    """An unknown id: pack, firm, fund, model."""


def problem(code: str, zh: str, en: str, **where: Any) -> Problem:
    return Problem(code=code, zh=zh, en=en, **where)
