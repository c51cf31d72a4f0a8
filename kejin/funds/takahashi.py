"""The Takahashi–Alexander ("Yale") model of an illiquid fund, vectorised over scenarios or funds.

Annual steps t = age 1, 2, …:
    C_t   = RC_t · (CC − PIC_{t−1})                       contributions (RC_t by age; the last repeats)
    D_t   = RD_t · NAV_{t−1} · (1 + G_t),  RD_t = min(1, max(Y, (t/L)^B))   distributions
    NAV_t = NAV_{t−1} · (1 + G_t) + C_t − D_t
kejin's two optional extensions for evaluation bands: G_t = G + early_t in the first years, and a share
drag_t of each contribution that never becomes NAV (fees); both default to zero, which is the paper's model.
Takahashi & Alexander, J. Portfolio Management 28(2), 2002. With a constant G the IRR of the flows plus
the terminal NAV equals G, whatever RC, B, L and Y (the NAV compounds at G, so the flows telescope).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from kejin.funds.packs import Calibration


@dataclass(frozen=True)
class TAParams:
    rc: tuple[float, ...]
    life: float
    bow: float
    yield_: float = 0.0

    @classmethod
    def of(cls, calibration: Calibration, bow: float | None = None) -> "TAParams":
        return cls(tuple(calibration.rc), calibration.life, calibration.bow if bow is None else bow,
                   calibration.yield_)

    def rc_at(self, age: np.ndarray) -> np.ndarray:
        """Contribution rate in year ``age`` (1-based)."""
        table = np.asarray(self.rc)
        return table[np.clip(age - 1, 0, len(table) - 1).astype(int)]

    def rd_at(self, age: np.ndarray) -> np.ndarray:
        return np.minimum(1.0, np.maximum(self.yield_, (age / self.life) ** self.bow))


@dataclass(frozen=True)
class Projection:
    """Yearly paths, shape (..., years): values at the end of each year ``ages``."""

    ages: np.ndarray
    contributions: np.ndarray
    distributions: np.ndarray
    nav: np.ndarray

    @property
    def paid_in(self) -> np.ndarray:
        return np.cumsum(self.contributions, axis=-1)

    @property
    def distributed(self) -> np.ndarray:
        return np.cumsum(self.distributions, axis=-1)

    def dpi(self) -> np.ndarray:
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where(self.paid_in > 0, self.distributed / self.paid_in, 0.0)

    def tvpi(self) -> np.ndarray:
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where(self.paid_in > 0, (self.distributed + self.nav) / self.paid_in, 1.0)


def project(params: TAParams, growth: float | np.ndarray, years: int, commitment: float | np.ndarray = 1.0,
            start_age: int = 0, nav0: float | np.ndarray = 0.0, paid_in0: float | np.ndarray = 0.0,
            early: tuple[float, ...] | list[float] = (), drag: tuple[float, ...] | list[float] = ()) -> Projection:
    """Project ``years`` years from age ``start_age`` (state ``nav0``, ``paid_in0``).

    ``growth``, ``commitment``, ``nav0`` and ``paid_in0`` broadcast together: scalars, or one value per
    scenario or per fund. ``early[k]`` is added to G in year of age k + 1 (the J-curve of fees and early
    write-downs); ``drag[k]`` is the share of the year-(k + 1) contribution that never becomes NAV (fees, set-up
    costs). With neither, G is constant and the IRR of the flows equals G.
    """
    g = np.asarray(growth, dtype=float)
    cc = np.asarray(commitment, dtype=float)
    shape = np.broadcast_shapes(np.shape(nav0), np.shape(paid_in0), cc.shape, g.shape)
    nav = np.broadcast_to(np.asarray(nav0, float), shape).copy()
    pic = np.broadcast_to(np.asarray(paid_in0, float), shape).copy()
    out_c, out_d, out_n = (np.empty(shape + (years,)) for _ in range(3))
    ages = np.arange(start_age + 1, start_age + years + 1)
    rc, rd = params.rc_at(ages), params.rd_at(ages.astype(float))
    extra = [early[a - 1] if a - 1 < len(early) else 0.0 for a in ages]
    lost = [drag[a - 1] if a - 1 < len(drag) else 0.0 for a in ages]
    for k in range(years):  # a loop over years (≤ 40), never over funds or scenarios
        grown = nav * (1.0 + g + extra[k])
        c = rc[k] * np.maximum(cc - pic, 0.0)
        d = rd[k] * grown
        nav = grown + c * (1.0 - lost[k]) - d
        pic = pic + c
        out_c[..., k], out_d[..., k], out_n[..., k] = c, d, nav
    return Projection(ages, out_c, out_d, out_n)


def cash_flows(projection: Projection, with_terminal_nav: bool = True) -> np.ndarray:
    """Investor-side yearly flows D_t − C_t (+ terminal NAV in the last year), shape (..., years)."""
    flows = projection.distributions - projection.contributions
    if with_terminal_nav:
        flows = flows.copy()
        flows[..., -1] += projection.nav[..., -1]
    return flows


def at_age(values: np.ndarray, ages: np.ndarray, age: float | np.ndarray, at_zero: float) -> np.ndarray:
    """Linear interpolation of yearly values (last axis) at fractional ages, with ``at_zero`` at age 0."""
    grid = np.concatenate(([0.0], ages.astype(float)))
    vals = np.concatenate((np.full(values.shape[:-1] + (1,), at_zero), values), axis=-1)
    a = np.clip(np.asarray(age, float), 0.0, grid[-1])
    idx = np.clip(np.searchsorted(grid, a, side="right") - 1, 0, len(grid) - 2)
    w = (a - grid[idx]) / (grid[idx + 1] - grid[idx])
    return vals[..., idx] * (1 - w) + vals[..., idx + 1] * w
