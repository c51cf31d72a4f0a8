"""Whole-lifecycle evaluation: a fund's TVPI and DPI at age t against the band its strategy is expected
to show at that age (Takahashi–Alexander paths at the pack's floor / low / mid / high growth), with the
verdict of each fixed annual rule beside it, so the difference the policy makes is visible.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np
import polars as pl

from kejin.errors import InputError, Problem
from kejin.funds.ledger import Ledger
from kejin.funds.metrics import jcurve
from kejin.funds.packs import Calibration, FixedRule, LifecyclePack
from kejin.funds.takahashi import TAParams, at_age, project
from kejin.i18n import Text

VERDICTS: dict[str, Text] = {
    "on_track": Text(zh="符合预期", en="on track"),
    "watch": Text(zh="关注", en="watch"),
    "off_track": Text(zh="偏离预期", en="off track"),
    "too_early": Text(zh="评价期未到", en="too early to judge"),
}
RULE_RESULTS = {"pass": Text(zh="达标", en="pass"), "fail": Text(zh="不达标", en="fail"),
                "not_yet": Text(zh="未到考核年份", en="not yet applicable"), "n/a": Text(zh="无数据", en="no data")}


@dataclass(frozen=True)
class Band:
    """Expected yearly paths of a strategy (commitment 1): TVPI at four growth rates and DPI at three."""

    strategy: str
    ages: np.ndarray
    tvpi: dict[str, np.ndarray]
    dpi: dict[str, np.ndarray]

    def at(self, age: np.ndarray) -> dict[str, np.ndarray]:
        out = {f"tvpi_{k}": at_age(v, self.ages, age, 1.0) for k, v in self.tvpi.items()}
        out.update({f"dpi_{k}": at_age(v, self.ages, age, 0.0) for k, v in self.dpi.items()})
        return out


def band(strategy: str, cal: Calibration, years: int | None = None) -> Band:
    years = years or int(np.ceil(cal.life))
    g = cal.growth
    kw = {"early": tuple(cal.j_curve), "drag": tuple(cal.fee_drag)}
    tvpi_paths = project(TAParams.of(cal), np.array([g.floor, g.low, g.mid, g.high]), years, **kw).tvpi()
    slow = project(TAParams.of(cal, bow=cal.bow_slow), g.low, years, **kw).dpi()
    mid = project(TAParams.of(cal), g.mid, years, **kw).dpi()
    high = project(TAParams.of(cal), g.high, years, **kw).dpi()
    ages = np.arange(1, years + 1)
    return Band(strategy, ages, dict(zip(("floor", "low", "mid", "high"), tvpi_paths)),
                {"low": slow, "mid": mid, "high": high})


def judge(frame: pl.DataFrame, pack: LifecyclePack) -> pl.DataFrame:
    """Add bands, verdict and reasons, and each fixed rule's result, to rows with
    ``strategy, age_years, tvpi, dpi, irr`` (one row per fund, or per fund and date)."""
    n = frame.height
    cols: dict[str, np.ndarray] = {k: np.full(n, np.nan) for k in
                                   ("tvpi_floor", "tvpi_low", "tvpi_mid", "tvpi_high", "dpi_low", "dpi_mid", "dpi_high")}
    dpi_from = np.full(n, np.inf)
    judge_from = np.zeros(n)
    strategy = frame.get_column("strategy").to_numpy()
    age = frame.get_column("age_years").to_numpy().astype(float)
    for name, cal in pack.strategies.items():  # four strategies: one vectorised pass each
        rows = np.flatnonzero(strategy == name)
        if len(rows):
            for key, values in band(name, cal).at(age[rows]).items():
                cols[key][rows] = values
            dpi_from[rows] = cal.dpi_from_age
            judge_from[rows] = cal.judge_from_age
    tvpi = frame.get_column("tvpi").fill_null(np.nan).to_numpy().astype(float)
    dpi = frame.get_column("dpi").fill_null(np.nan).to_numpy().astype(float)
    below_floor = tvpi < cols["tvpi_floor"]
    below_low = tvpi < cols["tvpi_low"]
    slow_dpi = (age >= dpi_from) & (dpi < cols["dpi_low"])
    verdict = np.where(np.isnan(tvpi) | (age < judge_from), "too_early",
                       np.where(below_floor, "off_track", np.where(below_low | slow_dpi, "watch", "on_track")))
    reason_zh, reason_en = _reasons(verdict, age, tvpi, dpi, cols, below_floor, below_low, slow_dpi, dpi_from,
                                    judge_from)
    out = frame.with_columns(
        [pl.Series(k, v).fill_nan(None) for k, v in cols.items()]
        + [pl.Series("verdict", verdict), pl.Series("reason_zh", reason_zh), pl.Series("reason_en", reason_en)]
    )
    return out.with_columns([_rule_expr(rule).alias(f"rule_{rule.id}") for rule in pack.fixed_rules])


def _reasons(verdict, age, tvpi, dpi, b, below_floor, below_low, slow_dpi, dpi_from,
             judge_from) -> tuple[list[str], list[str]]:
    zh, en = [], []
    for i in range(len(verdict)):  # text only; the verdicts above are vectorised
        if verdict[i] == "too_early":
            if np.isnan(tvpi[i]):
                zh.append("尚无实缴出资")
                en.append("no capital paid in yet")
            else:
                zh.append(f"第{age[i]:.1f}年，第{judge_from[i]:g}年起评价（TVPI {tvpi[i]:.2f}）")
                en.append(f"age {age[i]:.1f}; judged from age {judge_from[i]:g} (TVPI {tvpi[i]:.2f})")
            continue
        band_zh = f"第{age[i]:.1f}年：TVPI {tvpi[i]:.2f}，预期区间 {b['tvpi_low'][i]:.2f}–{b['tvpi_high'][i]:.2f}（中值 {b['tvpi_mid'][i]:.2f}，下限 {b['tvpi_floor'][i]:.2f}）"
        band_en = f"age {age[i]:.1f}: TVPI {tvpi[i]:.2f}, expected {b['tvpi_low'][i]:.2f}–{b['tvpi_high'][i]:.2f} (mid {b['tvpi_mid'][i]:.2f}, floor {b['tvpi_floor'][i]:.2f})"
        if below_floor[i]:
            z, e = "TVPI 低于下限路径", "TVPI below the floor path"
        elif below_low[i]:
            z, e = "TVPI 低于区间下沿、高于下限", "TVPI below the band but above the floor"
        elif slow_dpi[i]:
            z, e = (f"DPI {dpi[i]:.2f} 低于最慢预期分配路径 {b['dpi_low'][i]:.2f}",
                    f"DPI {dpi[i]:.2f} below the slowest expected distribution path {b['dpi_low'][i]:.2f}")
        else:
            z, e = "在预期区间内或以上", "within or above the expected band"
            if age[i] < dpi_from[i]:
                z, e = z + f"（DPI 自第{dpi_from[i]:g}年起评价）", e + f" (DPI judged from age {dpi_from[i]:g})"
        zh.append(f"{z}；{band_zh}")
        en.append(f"{e}; {band_en}")
    return zh, en


def _rule_expr(rule: FixedRule) -> pl.Expr:
    value = pl.col(rule.metric)
    return (
        pl.when(pl.col("age_years") < rule.from_age).then(pl.lit("not_yet"))
        .when(value.is_null()).then(pl.lit("n/a"))
        .when(value >= rule.minimum).then(pl.lit("pass"))
        .otherwise(pl.lit("fail"))
    )


def fund_history(ledger: Ledger, without_facility: bool = False) -> pl.DataFrame:
    """The J-curve of every fund in the ledger (one row per NAV date), with strategy and age from inception."""
    inception = ledger.funds.select("fund_id", "inception")
    series = jcurve(ledger.signed_flows(without_facility), ledger.navs, inception)
    return series.join(ledger.funds.select("fund_id", "strategy"), on="fund_id", how="left")


def evaluate(ledger: Ledger, pack: LifecyclePack, as_of: date | None = None,
             fund_ids: list[str] | None = None) -> tuple[pl.DataFrame, pl.DataFrame]:
    """(latest verdict per fund, verdict at every NAV date). The evaluation date of a fund is its last NAV
    date on or before ``as_of``. An unknown fund id, a fund asked for by id with no NAV mark on or before
    ``as_of``, or nothing at all to judge is an error naming the option and what the ledger holds."""
    known = ledger.fund_ids()
    unknown = [f for f in dict.fromkeys(fund_ids or []) if f not in known]
    if unknown:
        raise InputError([
            Problem("fund.unknown", f"台账中没有基金 {f}（现有：{', '.join(sorted(known))}）",
                    f"the ledger has no fund {f} (funds: {', '.join(sorted(known))})", field="--fund", value=f)
            for f in unknown
        ])
    history = fund_history(ledger)
    if fund_ids:
        history = history.filter(pl.col("fund_id").is_in(fund_ids))
    if as_of is not None:
        history = history.filter(pl.col("as_of") <= as_of)
    wanted = list(dict.fromkeys(fund_ids)) if fund_ids else known
    judged_ids = set(history.get_column("fund_id").unique().to_list())
    missing = [f for f in wanted if f not in judged_ids]
    if fund_ids and missing:
        raise InputError(_nothing_to_judge(ledger, missing, as_of))
    if history.height == 0:
        raise InputError(_nothing_at_all(ledger, as_of))
    judged = judge(history, pack)
    latest = judged.sort(["fund_id", "as_of"]).group_by("fund_id", maintain_order=True).last()
    return latest, judged


def _nothing_to_judge(ledger: Ledger, funds: list[str], as_of: date | None) -> list[Problem]:
    """Why these funds cannot be judged: no NAV mark at all, or none on or before ``as_of``."""
    first = dict(ledger.navs.group_by("fund_id").agg(pl.col("date").min()).iter_rows())
    inception = dict(ledger.funds.select("fund_id", "inception").iter_rows())
    problems = []
    for fid in funds[:50]:
        started = inception.get(fid)
        if fid not in first:
            problems.append(Problem("evaluate.no_nav", f"基金 {fid} 没有任何净值记录，无法评价（成立日 {started}）",
                                    f"fund {fid} has no NAV mark, so it cannot be judged (inception {started})",
                                    field="--fund", value=fid))
        else:
            problems.append(Problem(
                "evaluate.as_of", f"基金 {fid} 在 {as_of} 及以前没有净值记录（成立日 {started}，首个净值日 {first[fid]}）",
                f"fund {fid} has no NAV mark on or before {as_of} (inception {started}, first NAV date {first[fid]})",
                field="--as-of", value=str(as_of)))
    return problems


def _nothing_at_all(ledger: Ledger, as_of: date | None) -> Problem:
    """No fund of the ledger has a NAV mark (on or before ``as_of``)."""
    if ledger.navs.height == 0:
        return Problem("evaluate.no_nav", "台账没有任何净值记录，无法评价", "the ledger has no NAV marks, so no fund can be judged",
                       field="navs")
    first = ledger.navs.sort("date").row(0, named=True)
    started = ledger.funds.get_column("inception").min()
    return Problem(
        "evaluate.as_of",
        f"{as_of} 及以前没有任何基金的净值记录：最早的净值日为 {first['date']}（基金 {first['fund_id']}），最早的成立日为 {started}",
        f"no fund has a NAV mark on or before {as_of}: the earliest NAV date is {first['date']} "
        f"(fund {first['fund_id']}), the earliest inception {started}",
        field="--as-of", value=str(as_of))
