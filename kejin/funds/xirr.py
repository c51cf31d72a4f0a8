"""Vectorised XIRR for many cash-flow series at once, with every root and a reason when there is none.

The rate r solves  Σ_k c_k (1+r)^(−t_k) = 0  with t_k in years (act/365 from the first flow).
We work in u = ln(1+r), where the NPV is a sum of exponentials g(u) = Σ c_k e^(−t_k u): every term
is scaled by its row's largest exponent, so no rate between −100% and +10^21% overflows, and the
Newton step g/g' is unchanged by that scaling.

How many roots a series can have is bounded before any root is searched for (Pólya–Szegő, Problems
and Theorems in Analysis II, Part V, §1, Laguerre's extension of Descartes' rule, valid for real
exponents): roots with r > 0 ≤ sign changes of the forward partial sums of the flows; roots with
−1 < r < 0 ≤ sign changes of the backward partial sums; r = 0 is a root iff the flows sum to zero.
Series whose bound is ≤ 1 (nearly every real fund) get one safeguarded Newton solve; only the rest
are scanned on a rate grid for every sign change of the NPV, and each bracket is refined.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import IntEnum

import numpy as np
import polars as pl

from kejin.i18n import Text

DAYS_PER_YEAR = 365.0  # act/365 fixed, as pyxirr's default
U_MIN, U_MAX = -50.0, 50.0  # search range in u = ln(1+r): r from −100% (+2e-22) to ~5e21
STEP_TOL = 1e-13  # convergence in u; |dr| = (1+r)|du|, far below the 1e-7 required
MAX_NEWTON = 40
MAX_SAFE = 200


class IrrStatus(IntEnum):
    UNIQUE = 0  # exactly one root: ``rate`` holds it
    MULTIPLE = 1  # several roots: all listed in ``roots``; ``rate`` is NaN
    NO_SIGN_CHANGE = 2  # all flows of one sign (or zero): no IRR can exist
    NO_ROOT = 3  # flows change sign but the NPV never crosses zero
    EMPTY = 4  # no non-zero flow at all
    OUT_OF_RANGE = 5  # a root exists but lies beyond r = e^±50 − 1 (days-apart flows of wildly different size)


STATUS_NOTES: dict[IrrStatus, Text] = {
    IrrStatus.UNIQUE: Text(zh="唯一内部收益率", en="unique IRR"),
    IrrStatus.MULTIPLE: Text(
        zh="现金流多次变号，存在多个内部收益率：{roots}；IRR 不唯一，不宜单独使用",
        en="cash flows change sign several times and have several IRRs: {roots}; the IRR is not unique",
    ),
    IrrStatus.NO_SIGN_CHANGE: Text(
        zh="现金流全部同号（只有出资或只有分配），内部收益率不存在",
        en="all cash flows have the same sign (only calls or only distributions): no IRR exists",
    ),
    IrrStatus.NO_ROOT: Text(
        zh="现金流虽变号，但净现值在 −100% 至 +∞ 之间从不为零，内部收益率不存在",
        en="cash flows change sign but the NPV never reaches zero for any rate above −100%: no IRR exists",
    ),
    IrrStatus.EMPTY: Text(zh="没有非零现金流", en="no non-zero cash flow"),
    IrrStatus.OUT_OF_RANGE: Text(
        zh="内部收益率超出可计算范围（低于 −100%+1e-20 或高于 5e21），不作数值报告",
        en="the IRR lies outside the computable range (below −100%+1e-20 or above 5e21) and is not reported",
    ),
}


@dataclass(frozen=True)
class IrrResult:
    """IRRs of n series. ``rate[i]`` is NaN unless ``status[i]`` is UNIQUE."""

    rate: np.ndarray
    status: np.ndarray
    roots: dict[int, tuple[float, ...]] = field(default_factory=dict)

    def note(self, i: int) -> Text | None:
        """Why row i has no single IRR (None when it has one)."""
        status = IrrStatus(int(self.status[i]))
        if status == IrrStatus.UNIQUE:
            return None
        text = STATUS_NOTES[status]
        if status == IrrStatus.MULTIPLE:
            listed = ", ".join(f"{r:.6%}" for r in self.roots[i])
            return Text(zh=text.zh.format(roots=listed), en=text.en.format(roots=listed))
        return text

    def all_roots(self, i: int) -> tuple[float, ...]:
        if self.status[i] == IrrStatus.UNIQUE:
            return (float(self.rate[i]),)
        return self.roots.get(i, ())


# ---------------------------------------------------------------- building padded arrays
@dataclass(frozen=True)
class PaddedFlows:
    """Series as rows of equal length: ``times`` in years from each row's first flow, zero padding."""

    times: np.ndarray  # (n, m) float64, non-decreasing along each row over the real flows
    amounts: np.ndarray  # (n, m) float64, padding = 0
    last_time: np.ndarray  # (n,) time of each row's last real flow
    first_time: np.ndarray | None = None  # (n,) time of the first real flow; None: 0 (rows start at t = 0)

    def rows(self, r: np.ndarray) -> "PaddedFlows":
        first = None if self.first_time is None else self.first_time[r]
        return PaddedFlows(self.times[r], self.amounts[r], self.last_time[r], first)

    def shared_times(self) -> bool:
        """All rows on the same time grid (yearly simulation output): the scan can use one matrix product."""
        return bool(len(self.times) and (self.times == self.times[0]).all())


def pad_sorted(group: np.ndarray, day: np.ndarray, amount: np.ndarray, n_groups: int) -> PaddedFlows:
    """Pad flows already sorted by (group, day) and merged per (group, day) into an (n, m) array.

    ``group`` holds 0..n_groups−1, ``day`` integer days (any epoch).
    """
    counts = np.bincount(group, minlength=n_groups)
    width = max(int(counts.max()) if len(counts) else 1, 1)
    starts = np.concatenate(([0], np.cumsum(counts)[:-1]))
    has = counts > 0
    first_day = np.zeros(n_groups, dtype=np.int64)
    first_day[has] = day[starts[has]]
    years = (day - first_day[group]) / DAYS_PER_YEAR
    last_time = np.zeros(n_groups)
    last_time[has] = years[starts[has] + counts[has] - 1]
    if (counts == width).all():  # every row full: a reshape, no scatter
        return PaddedFlows(years.reshape(n_groups, width), amount.reshape(n_groups, width).astype(float), last_time)
    flat = group * width + (np.arange(len(group)) - starts[group])
    times = np.zeros(n_groups * width)
    amounts = np.zeros(n_groups * width)
    times[flat] = years
    amounts[flat] = amount
    return PaddedFlows(times.reshape(n_groups, width), amounts.reshape(n_groups, width), last_time)


def _sort_order(key: np.ndarray) -> np.ndarray:
    """argsort of non-negative int64 keys. When key and position fit in 63 bits together, sort the packed
    values instead (a plain value sort, multi-threaded in Polars, is several times faster than argsort)."""
    n = len(key)
    pos_bits = max(int(n - 1).bit_length(), 1)
    if int(key.max()) < (1 << (63 - pos_bits)):
        packed = pl.Series((key << pos_bits) | np.arange(n, dtype=np.int64)).sort().to_numpy()
        return packed & ((1 << pos_bits) - 1)
    return np.argsort(key, kind="stable")


def _sorted_merged(group: np.ndarray, day: np.ndarray, amount: np.ndarray, rank: np.ndarray):
    """Sort flows by (rank of their group, group, day), add up flows on the same day (the NPV is the same,
    sign counts are not) and drop zero flows, so each row's first flow sits at t = 0."""
    day_min = int(day.min())
    span = int(day.max()) - day_min + 1
    n_groups = int(group.max()) + 1
    key = (rank[group] * n_groups + group) * span + (day - day_min)
    if np.any(key[1:] < key[:-1]):
        order = _sort_order(key)
        key, group, day, amount = key[order], group[order], day[order], amount[order]
    new = np.empty(len(key), dtype=bool)
    new[0] = True
    np.not_equal(key[1:], key[:-1], out=new[1:])
    if not new.all():
        idx = np.flatnonzero(new)
        group, day, amount = group[idx], day[idx], np.add.reduceat(amount, idx)
    keep = amount != 0
    if not keep.all():
        group, day, amount = group[keep], day[keep], amount[keep]
    return group, day, amount


def xirr_grouped(group: np.ndarray, day: np.ndarray, amount: np.ndarray, n_groups: int) -> IrrResult:
    """IRR per group of dated flows, given in any order (``day`` in integer days, any epoch).

    Groups are solved in buckets of similar length (≤32, ≤64, ≤128 … flows), so that one long series
    does not pad a hundred thousand short ones; one sort puts every bucket in a contiguous block."""
    group = np.asarray(group, np.int64)
    rate = np.full(n_groups, np.nan)
    status = np.full(n_groups, int(IrrStatus.EMPTY), dtype=np.int8)
    roots: dict[int, tuple[float, ...]] = {}
    if len(group) == 0:
        return IrrResult(rate, status, roots)
    counts = np.bincount(group, minlength=n_groups)
    bucket = np.maximum(np.ceil(np.log2(np.maximum(counts, 1))), 5).astype(np.int64)
    g, d, a = _sorted_merged(group, np.asarray(day, np.int64), np.asarray(amount, float), bucket)
    if len(g) == 0:
        return IrrResult(rate, status, roots)
    b = bucket[g]
    edges = np.flatnonzero(np.diff(b)) + 1
    for lo, hi in zip(np.concatenate(([0], edges)), np.concatenate((edges, [len(g)]))):
        part_g = g[lo:hi]
        first = np.empty(len(part_g), dtype=bool)
        first[0] = True
        np.not_equal(part_g[1:], part_g[:-1], out=first[1:])
        members = part_g[first]
        local = np.cumsum(first) - 1
        part = xirr_padded(pad_sorted(local, d[lo:hi], a[lo:hi], len(members)))
        rate[members] = part.rate
        status[members] = part.status
        for i, r in part.roots.items():
            roots[int(members[i])] = r
    return IrrResult(rate, status, roots)


# ---------------------------------------------------------------- NPV in u-space
def _npv_and_slope(flows: PaddedFlows, u: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """g(u)·s and g'(u)·s for one u per row, with a positive row scale s = e^(−max_k(−t_k·u)) that keeps
    every term ≤ 1: the largest exponent sits at the last flow when u < 0 and at the first when u ≥ 0."""
    first = 0.0 if flows.first_time is None else flows.first_time
    e = flows.times * (-u)[:, None]
    e -= np.where(u < 0, -flows.last_time * u, -first * u)[:, None]
    np.exp(e, out=e)
    e *= flows.amounts
    g = e.sum(axis=1)
    e *= flows.times
    return g, -e.sum(axis=1)


def _sign_changes(values: np.ndarray, real: np.ndarray) -> np.ndarray:
    """Upper bound on the sign changes along each row over the real entries. An exact zero counts as one
    possible change (conservative: the bound may only be too high, never too low)."""
    s = np.sign(values)
    both = real[:, 1:] & real[:, :-1]
    flips = ((s[:, 1:] * s[:, :-1] < 0) & both).sum(axis=1)
    return flips + ((s == 0) & real).sum(axis=1)


def side_bounds(amounts: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Upper bounds on the roots with r > 0 and with −1 < r < 0, and whether r = 0 is a root, per row
    (Laguerre's rule, see the module doc). Real entries are the non-zero ones."""
    real = amounts != 0
    forward = np.cumsum(amounts, axis=1)
    total = forward[:, -1]
    backward = total[:, None] - forward + amounts  # Σ of the flows from j to the end
    scale = np.abs(amounts).sum(axis=1)
    zero_root = np.abs(total) <= 1e-14 * scale
    # A partial sum that is zero up to rounding could hide a sign change: make it an exact zero,
    # which _sign_changes counts as a possible change.
    tiny = 1e-12 * scale[:, None]
    forward[np.abs(forward) <= tiny] = 0.0
    backward[np.abs(backward) <= tiny] = 0.0
    return _sign_changes(forward, real), _sign_changes(backward, real), zero_root


def root_bound(amounts: np.ndarray) -> np.ndarray:
    """Upper bound on the number of IRRs above −100% for each row."""
    positive, negative, zero = side_bounds(amounts)
    return positive + negative + zero


def _first_last_sign(amounts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    nz = amounts != 0
    first = np.argmax(nz, axis=1)
    last = amounts.shape[1] - 1 - np.argmax(nz[:, ::-1], axis=1)
    rows = np.arange(len(amounts))
    return np.sign(amounts[rows, first]), np.sign(amounts[rows, last])


# ---------------------------------------------------------------- solvers
def _initial_guess(times: np.ndarray, amounts: np.ndarray) -> np.ndarray:
    """ln(multiple)/duration: exact for two flows, close for conventional fund flows."""
    pos = np.where(amounts > 0, amounts, 0.0)
    neg = np.where(amounts < 0, -amounts, 0.0)
    sp, sn = pos.sum(axis=1), neg.sum(axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        tp = (pos * times).sum(axis=1) / sp
        tn = (neg * times).sum(axis=1) / sn
        span = tp - tn
        guess = np.log(sp / sn) / span
    return np.where(np.isfinite(guess) & (np.abs(span) > 1e-3), np.clip(guess, -10.0, 10.0), np.log1p(0.1))


def _newton(flows: PaddedFlows, rows: np.ndarray, u0: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Plain Newton from u0 on the given rows; returns (u, converged)."""
    u = u0.copy()
    done = np.zeros(len(rows), dtype=bool)
    active = np.arange(len(rows))
    for _ in range(MAX_NEWTON):
        g, dg = _npv_and_slope(flows.rows(rows[active]), u[active])
        with np.errstate(divide="ignore", invalid="ignore"):
            step = g / dg
        bad = ~np.isfinite(step)
        step = np.where(bad, 0.0, step)
        new = u[active] - step
        out = bad | (new < U_MIN) | (new > U_MAX)
        u[active] = np.clip(new, U_MIN, U_MAX)
        ok = ~out & (np.abs(step) <= STEP_TOL * np.maximum(1.0, np.abs(new)))
        done[active[ok]] = True
        active = active[~ok & ~out]
        if len(active) == 0:
            break
    return u, done


def _safeguarded(flows: PaddedFlows, rows: np.ndarray, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    """Newton kept inside a sign-changing bracket [lo, hi], bisecting whenever Newton leaves it or stalls
    (rtsafe). ``rows`` may repeat: one entry per bracket."""
    sub = flows.rows(rows)
    g_lo = _npv_and_slope(sub, lo)[0]
    lo, hi = lo.copy(), hi.copy()
    x = 0.5 * (lo + hi)
    prev_step = hi - lo
    active = np.arange(len(rows))
    for _ in range(MAX_SAFE):
        g, dg = _npv_and_slope(sub.rows(active), x[active])
        same = np.sign(g) == np.sign(g_lo[active])
        lo[active] = np.where(same, x[active], lo[active])
        g_lo[active] = np.where(same, g, g_lo[active])
        hi[active] = np.where(same, hi[active], x[active])
        with np.errstate(divide="ignore", invalid="ignore"):
            newton = x[active] - g / dg
        a_lo, a_hi = lo[active], hi[active]
        bisect = ~np.isfinite(newton) | (newton <= a_lo) | (newton >= a_hi) | (
            np.abs(newton - x[active]) > 0.5 * np.abs(prev_step[active])
        )
        nxt = np.where(g == 0, x[active], np.where(bisect, 0.5 * (a_lo + a_hi), newton))
        step = nxt - x[active]
        prev_step[active] = step
        x[active] = nxt
        finished = (g == 0) | (np.abs(step) <= STEP_TOL * np.maximum(1.0, np.abs(nxt))) | (a_hi - a_lo <= STEP_TOL)
        active = active[~finished]
        if len(active) == 0:
            break
    return x


def _rate_grid() -> np.ndarray:
    """u-grid for the multi-root scan: fine where fund IRRs live (−95% … +1000%), coarse outside."""
    return np.unique(
        np.concatenate(
            [
                np.linspace(U_MIN, -3.0, 48, endpoint=False),
                np.linspace(-3.0, np.log(11.0), 400, endpoint=False),
                np.linspace(np.log(11.0), U_MAX, 48),
            ]
        )
    )


def _grid_signs(flows: PaddedFlows, grid: np.ndarray) -> np.ndarray:
    """Sign of the NPV of every row at every grid point."""
    if flows.shared_times():
        # one time grid for all rows: the NPV at all grid points is one matrix product C · E^T,
        # with E scaled per grid point (a positive factor, so signs are unchanged)
        t = flows.times[0]
        a = -np.outer(grid, t)
        e = np.exp(a - a.max(axis=1, keepdims=True))
        return np.sign(flows.amounts @ e.T).astype(np.int8)
    signs = np.empty((len(flows.amounts), len(grid)), dtype=np.int8)
    for j, u in enumerate(grid):
        signs[:, j] = np.sign(_npv_and_slope(flows, np.full(len(flows.amounts), u))[0])
    return signs


def _side_brackets(flows: PaddedFlows, rows: np.ndarray, grid: np.ndarray) -> tuple[np.ndarray, ...]:
    """(row, lo, hi) for every sign change of the NPV between neighbouring grid points; a grid point that
    is itself a root gives lo = hi."""
    if len(rows) == 0 or len(grid) < 2:
        empty = np.array([], dtype=np.int64)
        return empty, np.array([]), np.array([])
    signs = _grid_signs(flows.rows(rows), grid)
    left, right = signs[:, :-1], signs[:, 1:]
    crossing = (left * right < 0) | ((right == 0) & (left != 0))
    which_row, which_cell = np.nonzero(crossing)
    exact = right[which_row, which_cell] == 0
    lo = np.where(exact, grid[which_cell + 1], grid[which_cell])
    return rows[which_row], lo, grid[which_cell + 1]


def _roots_of(flows: PaddedFlows, rows: np.ndarray, positive: np.ndarray, negative: np.ndarray,
              zero: np.ndarray) -> list[list[float]]:
    """Every root (in u) of rows whose bound allows several. A side (u > 0 or u < 0) with at most one root
    needs only its end signs; a side that may hold several is scanned on the rate grid."""
    grid = _rate_grid()
    if flows.shared_times():
        # keep |t·u| ≤ 700 so that no term of a row underflows when the scale is shared
        reach = 700.0 / max(float(flows.times[0].max()), 1e-9)
        grid = grid[(grid >= -reach) & (grid <= reach)]
    total = flows.amounts[rows].sum(axis=1)  # g(0), up to the positive row scale
    first, last = _first_last_sign(flows.amounts[rows])
    found: list[list[float]] = [[0.0] if z else [] for z in zero]
    brackets: list[tuple[np.ndarray, ...]] = []
    for scan, sign_far, edge, side_grid in (
        (positive >= 2, first, U_MAX, np.concatenate(([0.0], grid[grid > 0]))),
        (negative >= 2, last, U_MIN, np.concatenate((grid[grid < 0], [0.0]))),
    ):
        # at most one root on this side: it exists iff the NPV has opposite signs at u = 0 and at the far end
        one = ~scan & ~zero & (np.sign(total) != sign_far) & (sign_far != 0)
        k = np.flatnonzero(one)
        lo, hi = (np.zeros(len(k)), np.full(len(k), edge)) if edge > 0 else (np.full(len(k), edge), np.zeros(len(k)))
        brackets.append((k, lo, hi))
        k = np.flatnonzero(scan)
        r, lo, hi = _side_brackets(flows, rows[k], side_grid)
        local = np.searchsorted(rows[k], r) if len(k) else r
        brackets.append((k[local] if len(k) else local, lo, hi))
    k = np.concatenate([b[0] for b in brackets]).astype(np.int64)
    lo = np.concatenate([b[1] for b in brackets])
    hi = np.concatenate([b[2] for b in brackets])
    keep = ~(zero[k] & (lo == 0.0) & (hi == 0.0))  # u = 0 is already listed
    k, lo, hi = k[keep], lo[keep], hi[keep]
    if len(k):  # a root beyond the far end of the range leaves no sign change in its bracket: drop it
        g_lo = _npv_and_slope(flows.rows(rows[k]), lo)[0]
        g_hi = _npv_and_slope(flows.rows(rows[k]), hi)[0]
        keep = (lo == hi) | (np.sign(g_lo) != np.sign(g_hi))
        k, lo, hi = k[keep], lo[keep], hi[keep]
    if len(k):
        exact = lo == hi
        u = lo.copy()
        if (~exact).any():
            u[~exact] = _safeguarded(flows, rows[k[~exact]], lo[~exact], hi[~exact])
        for i, value in zip(k, u):
            if not (zero[i] and value == 0.0):
                found[i].append(float(value))
    return [sorted(v) for v in found]


def xirr_padded(flows: PaddedFlows) -> IrrResult:
    """IRR of every row of a padded array (rows sorted by time, same-day flows merged)."""
    c = flows.amounts
    n = len(c)
    rate = np.full(n, np.nan)
    status = np.full(n, int(IrrStatus.EMPTY), dtype=np.int8)
    roots: dict[int, tuple[float, ...]] = {}
    has_pos = (c > 0).any(axis=1)
    has_neg = (c < 0).any(axis=1)
    status[has_pos != has_neg] = IrrStatus.NO_SIGN_CHANGE
    mixed = np.flatnonzero(has_pos & has_neg)
    if len(mixed) == 0:
        return IrrResult(rate, status, roots)
    # Scale each row to unit size: the roots do not change, sums stay well inside float range.
    scale = np.abs(c[mixed]).max(axis=1)
    sub = flows.rows(mixed)
    flows = PaddedFlows(sub.times, sub.amounts / scale[:, None], sub.last_time, sub.first_time)
    sides = side_bounds(flows.amounts)
    bound = sides[0] + sides[1] + sides[2]
    first_sign, last_sign = _first_last_sign(flows.amounts)
    odd = first_sign != last_sign  # an odd number of roots, so at least one

    single = np.flatnonzero(bound <= 1)
    has_root = single[odd[single]]
    rate_mixed = np.full(len(mixed), np.nan)
    status_mixed = np.full(len(mixed), int(IrrStatus.NO_ROOT), dtype=np.int8)
    if len(has_root):
        u0 = _initial_guess(flows.times[has_root], flows.amounts[has_root])
        u, ok = _newton(flows, has_root, u0)
        rate_mixed[has_root] = np.expm1(u)
        status_mixed[has_root] = IrrStatus.UNIQUE
        retry = has_root[~ok]
        if len(retry):
            lo, hi = np.full(len(retry), U_MIN), np.full(len(retry), U_MAX)
            g_lo = _npv_and_slope(flows.rows(retry), lo)[0]
            g_hi = _npv_and_slope(flows.rows(retry), hi)[0]
            inside = np.sign(g_lo) != np.sign(g_hi)
            rate_mixed[retry[inside]] = np.expm1(_safeguarded(flows, retry[inside], lo[inside], hi[inside]))
            rate_mixed[retry[~inside]] = np.nan
            status_mixed[retry[~inside]] = IrrStatus.OUT_OF_RANGE

    several = np.flatnonzero(bound >= 2)
    if len(several):
        positive, negative, zero = (b[several] for b in sides)
        for k, found in zip(several, _roots_of(flows, several, positive, negative, zero)):
            if len(found) == 1:
                rate_mixed[k] = np.expm1(found[0])
                status_mixed[k] = IrrStatus.UNIQUE
            elif len(found) > 1:
                status_mixed[k] = IrrStatus.MULTIPLE
                roots[int(mixed[k])] = tuple(float(v) for v in np.expm1(found))
    rate[mixed] = rate_mixed
    status[mixed] = status_mixed
    return IrrResult(rate, status, roots)


# ---------------------------------------------------------------- convenience
def xirr_one(days: list[int] | np.ndarray, amounts: list[float] | np.ndarray) -> IrrResult:
    """IRR of a single dated series (days as integers, e.g. date.toordinal())."""
    d = np.asarray(days, dtype=np.int64)
    return xirr_grouped(np.zeros(len(d), dtype=np.int64), d, np.asarray(amounts, float), 1)


def xnpv(rate: float, days: np.ndarray, amounts: np.ndarray) -> float:
    """NPV at ``rate`` of dated flows (act/365 from the first date)."""
    d = np.asarray(days, dtype=np.int64)
    t = (d - d.min()) / DAYS_PER_YEAR
    return float(np.sum(np.asarray(amounts, float) * (1.0 + rate) ** (-t)))
