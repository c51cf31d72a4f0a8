"""Loading versioned pack files.

Every pack kind (standards, points methods, tolerance policies, credit lines, risk sharing)
is a YAML file with the same metadata block and is validated by a Pydantic model when it is
loaded. Any problem names the file and the dotted key, in Chinese and English.
"""

from __future__ import annotations

import hashlib
from datetime import date
from pathlib import Path
from collections.abc import Callable
from typing import Any, Literal, TypeVar

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from kejin.errors import PackError, Problem
from kejin.rules.pack_messages import entry_label, unique, zh_en
from kejin.i18n import Text

M = TypeVar("M", bound=BaseModel)

Confidence = Literal["C2", "C1", "R", "NF", "reference"]


class Source(BaseModel):
    """Where the numbers of a pack come from."""

    model_config = ConfigDict(extra="forbid")

    document: str
    issuer: Text | None = None
    url: str | None = None
    confidence: Confidence = "C2"
    note: str | None = None


class Effective(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    from_: date = Field(alias="from")
    to: date | None = None

    def covers(self, day: date) -> bool:
        return self.from_ <= day and (self.to is None or day <= self.to)


class Uncertainty(BaseModel):
    """A number the sources do not settle: encoded, flagged, and a one-line change."""

    model_config = ConfigDict(extra="forbid")

    key: str
    note: str


class PackMeta(BaseModel):
    """The metadata block every pack file starts with."""

    model_config = ConfigDict(extra="forbid")

    id: str = Field(pattern=r"^[a-z0-9][a-z0-9\-]*$")
    version: str
    kind: str
    name: Text
    issuer: Text
    source: Source
    effective: Effective
    uncertain: list[Uncertainty] = []
    notes: list[str] = []


def file_sha256(path: Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml when present: the same result, faster


def read_yaml(path: Path) -> Any:
    """Parse a YAML file; a syntax error names the file and the line."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise PackError(Problem("pack.missing", "找不到规则包文件", "pack file not found", file=str(path)))
    try:
        return yaml.load(text, Loader=_LOADER)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" (line {mark.line + 1}, column {mark.column + 1})" if mark else ""
        raise PackError(
            Problem(
                "pack.yaml",
                f"YAML 语法错误{where}: {getattr(exc, 'problem', exc)}",
                f"YAML syntax error{where}: {getattr(exc, 'problem', exc)}",
                file=str(path),
            )
        ) from None


def dotted(loc: tuple[Any, ...]) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + str(part)
    return out


Locate = Callable[[tuple[Any, ...]], tuple[str, str]]  # a pydantic location → (file, key)


def validate(model: type[M], data: Any, file: Path | str, prefix: str = "", locate: Locate | None = None) -> M:
    """Validate ``data`` with ``model``; every error becomes a Problem naming the file and the
    key (dotted, under ``prefix``; or as ``locate`` maps a location to the file and key that
    wrote it), with a Chinese sentence and, for a list entry, its id — each problem once."""
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        problems = []
        for err in exc.errors():
            loc = tuple(err["loc"])
            if locate:
                where, key = locate(loc)
            else:
                key = dotted(loc)
                where, key = str(file), f"{prefix}.{key}" if prefix and key else (prefix or key)
            zh, en = zh_en(err)
            label = entry_label(data, loc)
            if label:
                zh, en = f"{label[0]}：{zh}", f"{label[1]}: {en}"
            value = err.get("input")
            problems.append(Problem("pack.invalid", zh, en, file=where, key=key or None, value=None if isinstance(value, (dict, list, BaseModel)) else value))
        raise PackError(unique(problems)) from None


def pack_error(file: Path | str, key: str, zh: str, en: str, value: Any = None) -> PackError:
    return PackError(Problem("pack.invalid", zh, en, file=str(file), key=key, value=value))
