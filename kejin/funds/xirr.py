"""Vectorised XIRR for many cash-flow series at once, with every root and a reason when there is none.

The rate r solves  Σ_k c_k (1+r)^(−t_k) = 0  with t_k in years (act/365 from the first flow).
We work in u = ln(1+r), where the NPV is a sum of exponentials g(u) = Σ c_k e^(−t_k u). Far from
everyday rates each row is scaled by its largest term, so no rate between −100% and +10^21% overflows;
signs, roots and the Newton step g/g' do not depend on a positive row factor.

How many roots a series can have is bounded before any root is searched for (Pólya–Szegő, Problems
and Theorems in Analysis II, Part V, §1, Laguerre's extension of Descartes' rule, valid for real
exponents): roots with r > 0 ≤ sign changes of the forward partial sums of the flows; roots with
−1 < r < 0 ≤ sign changes of the backward partial sums; r = 0 is a root iff the flows sum to zero.
Applied to the flows discounted at a pivot a, the same rule bounds the roots above and below a.
Series whose bound is ≤ 1 (most real funds) get one safeguarded Newton solve. The others get the same
Newton solve, and the rule at pivots just below and just above the root found shows whether it is the
only one (a late call after the first distributions allows two roots by the bound, seldom has them);
only the rest are scanned on a rate grid for every sign change of the NPV, and each bracket is refined.
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
ZERO_ROOT_TOL = 1e-7  # |u| within which a refined root is the known root r = 0 (the accuracy asked of r)
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
    """Series as rows of equal length: ``times`` in years from each row's first flow, zero padding.

    The solvers work on column-major copies: each flow position of all rows is one contiguous vector, so
    partial sums are a loop of vector adds and row reductions read memory in order."""

    times: np.ndarray  # (n, m) float64, non-decreasing along each row over the real flows
    amounts: np.ndarray  # (n, m) float64, padding = 0
    last_time: np.ndarray  # (n,) time of each row's last real flow
    first_time: np.ndarray | None = None  # (n,) time of the first real flow; None: 0 (rows start at t = 0)

    def rows(self, r: np.ndarray) -> "PaddedFlows":
        first = None if self.first_time is None else self.first_time[r]
        return PaddedFlows(_take_rows(self.times, r), _take_rows(self.amounts, r), self.last_time[r], first)

    def shared_times(self) -> bool:
        """All rows on the same time grid (yearly simulation output): the scan can use one matrix product."""
        return bool(len(self.times) and (self.times == self.times[0]).all())


def _take_rows(a: np.ndarray, r: np.ndarray) -> np.ndarray:
    """Rows ``r`` of ``a``, column-major when there are many: one column at a time, as numpy's fancy
    indexing returns row-major and converting would copy twice. A few rows (brackets being refined, once
    per step) take one fancy index: the layout does not matter there, the call count does."""
    if len(r) * a.shape[1] < 1 << 16:
        return a[r]
    out = np.empty((len(r), a.shape[1]), order="F")
    for j in range(a.shape[1]):
        np.take(a[:, j], r, out=out[:, j])
    return out


def _padded_width(counts: np.ndarray) -> np.ndarray:
    """Row width for series of ``counts`` flows: at least 32, else rounded up to a quarter of the count's
    power of two (33–64 flows → 40, 48, 56 or 64), so that padding costs at most a quarter of the work."""
    counts = np.maximum(counts, 1)
    step = np.maximum(2.0 ** (np.floor(np.log2(counts)) - 2), 8.0)
    return np.maximum(np.ceil(counts / step) * step, 32).astype(np.int64)


def _padded_rows(row: np.ndarray, day: np.ndarray, amount: np.ndarray, width: int) -> tuple[np.ndarray, PaddedFlows]:
    """Flows sorted by (row, day), at most ``width`` per row, as column-major (n, width) arrays; returns
    the row ids in the order of the arrays' rows, longest series first. With that order, the j-th flows of
    all rows that have one are a prefix of column j: the arrays are filled one column at a time with no
    temporary as long as the flows."""
    first = np.empty(len(row), dtype=bool)
    first[0] = True
    np.not_equal(row[1:], row[:-1], out=first[1:])
    starts = np.flatnonzero(first)
    counts = np.diff(starts, append=len(row))
    longest = np.argsort(-counts, kind="stable")
    starts, counts = starts[longest], counts[longest]
    n = len(starts)
    times, amounts = np.zeros((n, width), order="F"), np.zeros((n, width), order="F")
    day0 = day[starts]
    have = np.searchsorted(-counts, -np.arange(width), side="left")  # rows with more than j flows
    for j in range(int(counts[0])):
        at = starts[: have[j]] + j
        np.subtract(day[at], day0[: have[j]], out=times[: have[j], j])
        amounts[: have[j], j] = amount[at]
    times /= DAYS_PER_YEAR
    last_time = times[np.arange(n), counts - 1]
    return row[starts], PaddedFlows(times, amounts, last_time)


def _sort_in_place(key: np.ndarray, amount: np.ndarray, spare: np.ndarray) -> np.ndarray:
    """Sort ``key`` in place (stable) and return ``amount`` in the same order; ``spare`` (as long as key)
    is scratch space. When key and position fit in 63 bits together, the packed values are sorted instead:
    a plain value sort in Polars is several times faster than an argsort, and the sorted keys come out of
    it without a gather. One thread: on a shared two-core machine the threaded sort cost twice the CPU
    time for little gain in wall time."""
    n = len(key)
    pos_bits = max(int(n - 1).bit_length(), 1)
    if int(key.max()) < (1 << (63 - pos_bits)):
        position = spare
        position[:] = np.arange(n)
        key <<= pos_bits
        key |= position
        packed = pl.Series(key).sort(multithreaded=False).to_numpy()
        np.bitwise_and(packed, (1 << pos_bits) - 1, out=position)
        np.right_shift(packed, pos_bits, out=key)
        return amount[position]
    order = np.argsort(key, kind="stable")
    key[:] = key[order]
    return amount[order]


def _sorted_merged(group: np.ndarray, day: np.ndarray, amount: np.ndarray,
                   level: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Flows sorted by (level of their group, group, day), same-day flows added up (the NPV is the same,
    sign counts are not) and zero flows dropped, so each row's first flow sits at t = 0.

    Returns (row, day, amount) with row = level · n_groups + group. The sort is skipped when the flows
    are already in order. Two integer buffers serve every step: on a first run each fresh array of
    millions of rows costs page faults, about as much as the arithmetic on it."""
    day_min = int(day.min())
    day_bits = (int(day.max()) - day_min).bit_length()
    key = level[group]  # one integer (level, group, day − day_min), built in place
    key *= len(level)
    key += group
    key <<= day_bits
    key += day
    key -= day_min
    spare = np.empty_like(key)
    if np.any(key[1:] < key[:-1]):
        amount = _sort_in_place(key, amount, spare)
    new = np.empty(len(key), dtype=bool)
    new[0] = True
    np.not_equal(key[1:], key[:-1], out=new[1:])
    if not new.all():
        at = np.cumsum(new, out=spare)
        at -= 1
        amount = np.bincount(at, weights=amount)  # adds each day's flows in input order
        key, spare = np.compress(new, key, out=spare[: len(amount)]), key
    keep = amount != 0
    if not keep.all():
        key, amount = key[keep], amount[keep]
    row = np.right_shift(key, day_bits, out=spare[: len(key)])
    key &= (1 << day_bits) - 1
    key += day_min
    return row, key, amount


def xirr_grouped(group: np.ndarray, day: np.ndarray, amount: np.ndarray, n_groups: int) -> IrrResult:
    """IRR per group of dated flows, given in any order (``day`` in integer days, any epoch).

    Groups are solved in blocks of similar length (see ``_padded_width``), so that one long series does
    not pad a hundred thousand short ones; one sort puts every block in a contiguous run."""
    group = np.asarray(group, np.int64)
    day = np.asarray(day)
    if day.dtype != np.int32:  # int32 (Polars dates) is used as it is: no copy of millions of days
        day = day.astype(np.int64, copy=False)
    rate = np.full(n_groups, np.nan)
    status = np.full(n_groups, int(IrrStatus.EMPTY), dtype=np.int8)
    roots: dict[int, tuple[float, ...]] = {}
    if len(group) == 0:
        return IrrResult(rate, status, roots)
    widths, level = np.unique(_padded_width(np.bincount(group, minlength=n_groups)), return_inverse=True)
    row, d, a = _sorted_merged(group, day, np.asarray(amount, float), level)

    bounds = np.searchsorted(row, np.arange(len(widths) + 1) * n_groups)
    for width, lo, hi in zip(widths, bounds[:-1], bounds[1:]):
        if lo == hi:
            continue
        members, flows = _padded_rows(row[lo:hi], d[lo:hi], a[lo:hi], int(width))
        members %= n_groups
        part = xirr_padded(flows)
        rate[members] = part.rate
        status[members] = part.status
        for i, r in part.roots.items():
            roots[int(members[i])] = r
    return IrrResult(rate, status, roots)


# ---------------------------------------------------------------- NPV in u-space
def _discount(flows: PaddedFlows, u: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
    """e^(−t_k·u) for every flow, up to a positive factor per row. Far from everyday rates (|u|·t > 500)
    each row is divided by its largest factor (at the first flow when u ≥ 0, at the last when u < 0), so
    that none overflows; elsewhere that pass is saved."""
    e = np.multiply(flows.times, -u[:, None], out=out)
    if len(u) and float(np.max(np.abs(u) * flows.last_time)) > 500.0:  # e^±500 is still far inside float64
        first = 0.0 if flows.first_time is None else flows.first_time
        e += (np.where(u < 0, flows.last_time, first) * u)[:, None]
    return np.exp(e, out=e)


def _npv(flows: PaddedFlows, u: np.ndarray) -> np.ndarray:
    """g(u) for one u per row, up to a positive row factor."""
    return np.einsum("ij,ij->i", flows.amounts, _discount(flows, u))


def _npv_and_slope(flows: PaddedFlows, u: np.ndarray, out: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """g(u) and g'(u) for one u per row, up to the same positive row factor (``out``: a buffer to reuse)."""
    e = _discount(flows, u, out)
    return np.einsum("ij,ij->i", flows.amounts, e), -np.einsum("ij,ij,ij->i", flows.amounts, flows.times, e)


def _partial_sums(amounts: np.ndarray) -> np.ndarray:
    """Forward partial sums along each row, one flow position at a time: on column-major rows each step is
    one contiguous vector add (numpy's cumsum along axis 1 is several times slower)."""
    out = np.empty(amounts.shape, order="F")
    if amounts.shape[1]:
        out[:, 0] = amounts[:, 0]
    for j in range(1, amounts.shape[1]):
        np.add(out[:, j - 1], amounts[:, j], out=out[:, j])
    return out


def _sign_changes(pos: np.ndarray, neg: np.ndarray, real: np.ndarray) -> np.ndarray:
    """Upper bound on the sign changes along each row of a sequence, given where it is clearly positive
    and clearly negative. A value that is neither (zero up to rounding) at a real flow may hide up to two
    changes, and counts as two; entries that repeat their neighbour (no real flow there) change nothing."""
    flips = (pos[:, 1:] & neg[:, :-1]) | (neg[:, 1:] & pos[:, :-1])
    unsure = real & ~(pos | neg)
    return np.count_nonzero(flips, axis=1) + 2 * np.count_nonzero(unsure, axis=1)


def side_bounds(amounts: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Upper bounds on the roots with r > 0 and with −1 < r < 0, and whether r = 0 is a root, per row
    (Laguerre's rule, see the module doc). Real entries are the non-zero ones."""
    amounts = np.asfortranarray(amounts)
    real = amounts != 0
    forward = _partial_sums(amounts)
    total = forward[:, -1]
    scale = np.abs(amounts).sum(axis=1)
    zero_root = np.abs(total) <= 1e-14 * scale
    # A partial sum within `tiny` of zero could hide a sign change: _sign_changes counts it as possible ones.
    tiny = (1e-12 * scale)[:, None]
    positive = _sign_changes(forward > tiny, forward < -tiny, real)
    # the backward partial sum from position j (Σ of the flows from j to the end) is total − forward[j − 1]
    total = total[:, None]
    before = forward[:, :-1]
    pos = np.empty(real.shape, dtype=bool, order="F")
    neg = np.empty(real.shape, dtype=bool, order="F")
    pos[:, :1], neg[:, :1] = total > tiny, total < -tiny
    np.less(before, total - tiny, out=pos[:, 1:])
    np.greater(before, total + tiny, out=neg[:, 1:])
    return positive, _sign_changes(pos, neg, real), zero_root


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
def _initial_guess(flows: PaddedFlows) -> np.ndarray:
    """ln(multiple)/duration: exact for two flows, close for conventional fund flows. With S = Σc and
    A = Σ|c| the distributions sum to (A + S)/2 and the calls to (A − S)/2, and likewise for Σc·t."""
    c, t = flows.amounts, flows.times
    mag = np.abs(c)
    total, gross = c.sum(axis=1), mag.sum(axis=1)
    timed, timed_gross = np.einsum("ij,ij->i", c, t), np.einsum("ij,ij->i", mag, t)
    sp, sn = gross + total, gross - total  # twice the distributions and twice the calls
    with np.errstate(divide="ignore", invalid="ignore"):
        span = (timed_gross + timed) / sp - (timed_gross - timed) / sn
        guess = np.log(sp / sn) / span
    return np.where(np.isfinite(guess) & (np.abs(span) > 1e-3), np.clip(guess, -10.0, 10.0), np.log1p(0.1))


def _newton(flows: PaddedFlows, u0: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Plain Newton from u0 on every row; returns (u, converged). Rows that are done leave the working
    arrays only once a quarter of them is done (each removal is a copy); until then they ride along."""
    u = u0.copy()
    done = np.zeros(len(u), dtype=bool)
    held = np.arange(len(u))  # the rows of ``flows`` in ``work``
    work, live = flows, np.ones(len(u), dtype=bool)
    buffer = np.empty(flows.times.shape, order="F")
    for _ in range(MAX_NEWTON):
        g, dg = _npv_and_slope(work, u[held], buffer)
        with np.errstate(divide="ignore", invalid="ignore"):
            step = g / dg
        bad = ~np.isfinite(step)
        new = u[held] - np.where(bad, 0.0, step)
        out = bad | (new < U_MIN) | (new > U_MAX)
        converged = ~out & (np.abs(step) <= STEP_TOL * np.maximum(1.0, np.abs(new)))
        u[held[live]] = np.clip(new[live], U_MIN, U_MAX)
        done[held[live & converged]] = True
        live &= ~(converged | out)
        if not live.any():
            break
        if np.count_nonzero(live) < 0.75 * len(live):
            keep = np.flatnonzero(live)
            work, held, live = work.rows(keep), held[keep], live[keep]
            buffer = np.empty(work.times.shape, order="F")
    return u, done


def _only_root(flows: PaddedFlows, u: np.ndarray) -> np.ndarray:
    """Whether the root u of each row is its only root. Laguerre's rule applied to the flows discounted at
    a pivot a bounds the roots above a (forward partial sums) and below a (backward ones): if at most one
    root lies above u − δ and at most one below u + δ, u is the only one. This spares the grid scan for
    series whose sign pattern alone would allow several roots (a call after the first distribution)."""
    delta = 1e-6 * np.maximum(1.0, np.abs(u))
    above = side_bounds(flows.amounts * _discount(flows, u - delta))[0]
    below = side_bounds(flows.amounts * _discount(flows, u + delta))[1]
    return (above <= 1) & (below <= 1)


def _safeguarded(flows: PaddedFlows, rows: np.ndarray, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    """Newton kept inside a sign-changing bracket [lo, hi], bisecting whenever Newton leaves it or stalls
    (rtsafe). ``rows`` may repeat: one entry per bracket."""
    sub = flows.rows(rows)
    g_lo = _npv(sub, lo)
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
    # a block of grid points at a time, about a million terms each: few rows (the usual case) take one
    # or two passes instead of one pass per grid point; each term is scaled by its row's largest one
    n, m = flows.amounts.shape
    first = np.zeros(n) if flows.first_time is None else flows.first_time
    signs = np.empty((n, len(grid)), dtype=np.int8)
    block = max(1, 1_000_000 // max(n * m, 1))
    for lo in range(0, len(grid), block):
        u = grid[lo : lo + block, None, None]
        e = flows.times * -u
        e += np.where(u < 0, flows.last_time[:, None], first[:, None]) * u
        signs[:, lo : lo + block] = np.sign(np.einsum("ij,bij->ib", flows.amounts, np.exp(e, out=e)))
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
        sub = flows.rows(rows[k])
        keep = (lo == hi) | (np.sign(_npv(sub, lo)) != np.sign(_npv(sub, hi)))
        k, lo, hi = k[keep], lo[keep], hi[keep]
    if len(k):
        exact = lo == hi
        u = lo.copy()
        if (~exact).any():
            u[~exact] = _safeguarded(flows, rows[k[~exact]], lo[~exact], hi[~exact])
        for i, value in zip(k, u):
            # u = 0 is listed already when the flows sum to zero; a bracket next to it can be refined onto it
            # again, off by rounding: not a second root
            if not (zero[i] and abs(value) <= ZERO_ROOT_TOL):
                found[i].append(float(value))
    return [sorted(v) for v in found]


def xirr_padded(flows: PaddedFlows) -> IrrResult:
    """IRR of every row of a padded array (rows sorted by time, same-day flows merged)."""
    c = flows.amounts
    n = len(c)
    rate = np.full(n, np.nan)
    status = np.full(n, int(IrrStatus.EMPTY), dtype=np.int8)
    roots: dict[int, tuple[float, ...]] = {}
    if n == 0 or c.shape[1] == 0:
        return IrrResult(rate, status, roots)
    top, bottom = c.max(axis=1), c.min(axis=1)
    status[(top > 0) != (bottom < 0)] = IrrStatus.NO_SIGN_CHANGE
    mixed = np.flatnonzero((top > 0) & (bottom < 0))
    if len(mixed) == 0:
        return IrrResult(rate, status, roots)
    # Scale each row to unit size: the roots do not change, sums stay well inside float range.
    sub = flows if len(mixed) == n else flows.rows(mixed)
    scale = np.maximum(top, -bottom)[mixed]
    amounts = np.divide(sub.amounts, scale[:, None], out=np.empty(sub.amounts.shape, order="F"))
    flows = PaddedFlows(np.asfortranarray(sub.times), amounts, sub.last_time, sub.first_time)
    sides = side_bounds(amounts)
    bound = sides[0] + sides[1] + sides[2]
    first_sign, last_sign = _first_last_sign(amounts)
    rate_mixed = np.full(len(mixed), np.nan)
    status_mixed = np.full(len(mixed), int(IrrStatus.NO_ROOT), dtype=np.int8)

    # Different signs at the two ends: an odd number of roots, so at least one; Newton from the guess finds
    # one. It is the IRR where the bound allows a single root, or where Laguerre's rule at it says so.
    solve = np.flatnonzero(first_sign != last_sign)
    if len(solve):
        part = flows if len(solve) == len(mixed) else flows.rows(solve)
        u, ok = _newton(part, _initial_guess(part))
        u[sides[2][solve] & (np.abs(u) <= ZERO_ROOT_TOL)] = 0.0  # the flows sum to zero: r = 0 exactly
        single = bound[solve] <= 1
        unique = ok & single
        check = np.flatnonzero(ok & ~single)
        if len(check):
            unique[check] = _only_root(part.rows(check), u[check])
        rate_mixed[solve[unique]] = np.expm1(u[unique])
        status_mixed[solve[unique]] = IrrStatus.UNIQUE
        retry = solve[single & ~ok]
        if len(retry):
            lo, hi = np.full(len(retry), U_MIN), np.full(len(retry), U_MAX)
            edges = flows.rows(retry)
            inside = np.sign(_npv(edges, lo)) != np.sign(_npv(edges, hi))
            rate_mixed[retry[inside]] = np.expm1(_safeguarded(flows, retry[inside], lo[inside], hi[inside]))
            status_mixed[retry] = np.where(inside, IrrStatus.UNIQUE, IrrStatus.OUT_OF_RANGE)

    several = np.flatnonzero((bound >= 2) & (status_mixed != IrrStatus.UNIQUE))
    if len(several):
        positive, negative, zero = (b[several] for b in sides)
        for k, found in zip(several, _roots_of(flows, several, positive, negative, zero)):
            if len(found) == 1:
                rate_mixed[k] = np.expm1(found[0])
                status_mixed[k] = IrrStatus.UNIQUE
            elif len(found) > 1:
                status_mixed[k] = IrrStatus.MULTIPLE
                roots[int(mixed[k])] = tuple(float(v) for v in np.expm1(found))
    # No root inside the range, yet the NPV at an end of the range has not reached the sign it tends to
    # (the first flow's as r → ∞, the last flow's as r → −100%): a root lies beyond that end.
    none = np.flatnonzero(status_mixed == IrrStatus.NO_ROOT)
    if len(none):
        edges = flows.rows(none)
        high = np.sign(_npv(edges, np.full(len(none), U_MAX)))
        low = np.sign(_npv(edges, np.full(len(none), U_MIN)))
        beyond = (high != first_sign[none]) | (low != last_sign[none])
        status_mixed[none[beyond]] = IrrStatus.OUT_OF_RANGE
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
