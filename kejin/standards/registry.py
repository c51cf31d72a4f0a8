"""Finding standard packs by id and version."""

from __future__ import annotations

from datetime import date
from functools import lru_cache
from pathlib import Path

from kejin.errors import NotFoundError, Problem
from kejin.standards.pack import StandardPack, load_pack

PACK_DIR = Path(__file__).resolve().parent.parent / "packs" / "standards"


def pack_files(root: Path = PACK_DIR) -> list[Path]:
    return sorted(p for p in root.glob("*/*.yaml") if not p.name.endswith(".tests.yaml"))


@lru_cache(maxsize=None)
def _load(path: str) -> StandardPack:
    return load_pack(path)


def all_versions(root: Path = PACK_DIR) -> list[StandardPack]:
    return [_load(str(p)) for p in pack_files(root)]


def latest(packs: list[StandardPack], on: date | None = None) -> list[StandardPack]:
    """The version of each pack in force on ``on`` (default: the newest version)."""
    by_id: dict[str, StandardPack] = {}
    for p in sorted(packs, key=lambda p: p.effective.from_):
        if on is not None and not p.effective.covers(on):
            continue
        by_id[p.id] = p
    return [by_id[k] for k in sorted(by_id)]


def resolve(spec: str, root: Path = PACK_DIR, on: date | None = None) -> list[StandardPack]:
    """``all``, ``ID``, ``ID@VERSION`` or a comma-separated list of these; or a path to a pack file.

    Without a version, the newest version is taken — or, with ``on``, the version in force that day
    (a pack with no version in force that day is left out of ``all`` and is an error by id).
    """
    packs = all_versions(root)
    out: list[StandardPack] = []
    for part in [s.strip() for s in spec.split(",") if s.strip()]:
        if part == "all":
            out.extend(latest(packs, on))
            continue
        if part.endswith((".yaml", ".yml")) and Path(part).exists():
            out.append(load_pack(part))
            continue
        pid, _, version = part.partition("@")
        found = [p for p in packs if p.id == pid and (not version or p.version == version)]
        if on is not None and not version:
            in_force = [p for p in found if p.effective.covers(on)]
            if found and not in_force:
                raise NotFoundError(
                    Problem(
                        "pack.not_in_force",
                        f"规则包“{pid}”在 {on} 没有生效的版本",
                        f"pack '{pid}' has no version in force on {on}",
                    )
                )
            found = in_force
        if not found:
            known = ", ".join(sorted({f"{p.id}@{p.version}" for p in packs}))
            raise NotFoundError(
                Problem(
                    "pack.unknown",
                    f"未知的规则包“{part}”（可用：{known}）",
                    f"unknown pack '{part}' (available: {known})",
                )
            )
        out.append(max(found, key=lambda p: p.effective.from_))
    return out
