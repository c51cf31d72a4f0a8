"""Column names shared by the engine and the explanations (one place, no import cycle)."""

from __future__ import annotations

FACTOR = "__factor"  # scale / usable weight; blank when the firm is not scored


def group_column(gid: str) -> str:
    return f"group_{gid}"


def raw_column(iid: str) -> str:
    return f"raw__{iid}"


def score_column(iid: str) -> str:
    return f"score__{iid}"


def weight_column(iid: str) -> str:
    """The indicator's weight in the firm's stage (internal)."""
    return f"__w__{iid}"
