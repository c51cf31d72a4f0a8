"""Sorting by 16-bit digits: NumPy sorts a 16-bit key stably by radix, in linear time, so a key
of several 16-bit digits is sorted by one such pass per digit, least significant first (a
least-significant-digit radix sort). For the fixed-width keys kejin sorts — 18-character credit
codes and whole-number years — this beats a comparison sort of the values."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np


def radix_order(digits: Sequence[np.ndarray]) -> np.ndarray:
    """The stable order that sorts rows by ``digits`` (uint16 arrays of one length, the most
    significant first); rows with equal keys keep their order. A digit that is the same on every
    row orders nothing and is skipped."""
    order: np.ndarray | None = None
    for digit in reversed(digits):
        if len(digit) and digit.min() == digit.max():
            continue
        step = np.argsort(digit if order is None else digit[order], kind="stable")
        order = step if order is None else order[step]
    return np.arange(len(digits[0]) if digits else 0) if order is None else order


def byte_digits(rows: np.ndarray) -> list[np.ndarray]:
    """The uint16 digits (most significant first) of an (n, width) uint8 array of byte strings,
    whose order is the strings' byte order (an odd width is padded with a zero byte)."""
    if rows.shape[1] % 2:
        rows = np.concatenate([rows, np.zeros((rows.shape[0], 1), dtype=np.uint8)], axis=1)
    pairs = np.ascontiguousarray(rows).view(">u2").astype(np.uint16)
    return list(np.ascontiguousarray(pairs.T))


def int_digits(values: np.ndarray) -> list[np.ndarray]:
    """Four uint16 digits (most significant first) whose order is the order of the int64
    ``values``: the two's complement bit pattern with its sign bit flipped. Digits that are the
    same on every row (the high ones of a year) cost ``radix_order`` only their check."""
    key = np.ascontiguousarray(values, dtype=np.int64).view(np.uint64) ^ np.uint64(1 << 63)
    return [(key >> np.uint64(shift)).astype(np.uint16) for shift in (48, 32, 16, 0)]
