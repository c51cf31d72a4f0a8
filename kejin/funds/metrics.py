"""Fund performance for many funds at once: XIRR, TVPI, DPI, RVPI, the J-curve, KS-PME and Direct Alpha.

Flows are signed from the investor's side (calls < 0, distributions > 0) in a frame with columns
``fund_id, date, amount``; NAV marks are ``fund_id, date, nav``. Every figure is computed with
column expressions and one call of the vectorised IRR engine, never a Python loop per fund.
"""

from __future__ import annotations

import numpy as np
import polars as pl

from kejin.errors import InputError, Problem
from kejin.funds.tables import Column, TableSpec, raise_if, read_typed
from kejin.funds.xirr import IrrResult, IrrStatus, xirr_grouped
from kejin.i18n import Text

INDEX = TableSpec("index", Text(zh="指数", en="index"), (
    Column("date", Text(zh="日期", en="date"), "date", required=True),
    Column("level", Text(zh="指数点位", en="level"), "amount", required=True, minimum=1e-12, aliases=("close", "收盘")),
))

EPOCH_DAY = "__day"


def irr_by_group(frame: pl.DataFrame, key: str | list[str]) -> pl.DataFrame:
    """IRR of the flows ``date, amount`` of each group of ``key``; one row per group with
    ``irr, irr_status, irr_note_zh, irr_note_en, irr_roots``."""
    keys = [key] if isinstance(key, str) else key
    groups = frame.select(keys).unique(maintain_order=False).sort(keys).with_row_index("__g")
    work = (
        frame.join(groups, on=keys, how="left")
        .select(pl.col("__g").cast(pl.Int64), pl.col("date").cast(pl.Int32).cast(pl.Int64).alias(EPOCH_DAY), "amount")
        .sort(["__g", EPOCH_DAY])
    )
    result = xirr_grouped(
        work.get_column("__g").to_numpy(), work.get_column(EPOCH_DAY).to_numpy(),
        work.get_column("amount").to_numpy(), groups.height,
    )
    return groups.drop("__g").hstack(irr_columns(result))


def irr_columns(result: IrrResult) -> pl.DataFrame:
    """The IRR result as columns; notes only where there is no single IRR."""
    n = len(result.rate)
    status = result.status
    rate = np.where(status == IrrStatus.UNIQUE, result.rate, np.nan)
    names = pl.Series([s.name.lower() for s in IrrStatus]).gather(status)  # a gather, no string per row from numpy
    notes_zh: list[str | None] = [None] * n
    notes_en: list[str | None] = [None] * n
    roots: list[list[float] | None] = [None] * n
    for i in np.flatnonzero(status != IrrStatus.UNIQUE):  # only the exceptions get a Python-level note
        note = result.note(int(i))
        notes_zh[i], notes_en[i] = note.zh, note.en
        if status[i] == IrrStatus.MULTIPLE:
            roots[i] = list(result.roots[int(i)])
    return pl.DataFrame(
        {
            "irr": pl.Series(rate, dtype=pl.Float64).fill_nan(None),
            "irr_status": names,
            "irr_note_zh": pl.Series(notes_zh, dtype=pl.String),
            "irr_note_en": pl.Series(notes_en, dtype=pl.String),
            "irr_roots": pl.Series(roots, dtype=pl.List(pl.Float64)),
        }
    )


def final_nav(navs: pl.DataFrame) -> pl.DataFrame:
    """The latest NAV mark of each fund: ``fund_id, nav_date, nav``."""
    return (
        navs.sort(["fund_id", "date"])
        .group_by("fund_id", maintain_order=True)
        .agg(pl.col("date").last().alias("nav_date"), pl.col("nav").last())
    )


def with_terminal_nav(flows: pl.DataFrame, navs: pl.DataFrame) -> pl.DataFrame:
    """The flows plus each fund's final NAV as a positive flow on its date (the IRR convention)."""
    last = final_nav(navs).select("fund_id", pl.col("nav_date").alias("date"), pl.col("nav").alias("amount"))
    return pl.concat([flows.select("fund_id", "date", "amount"), last], how="vertical_relaxed")


def encode_ids(*columns: pl.Series) -> tuple[pl.Series, list[np.ndarray]]:
    """Integer codes 0..k−1 for fund ids across several columns, numbered in sorted id order.

    The distinct ids are found by hashing and sorted (k of them); a cast to an Enum of them then gives every
    row its code directly, the Enum's physical value: no string sort, join or lookup table over the flows."""
    text = [c.cast(pl.String) for c in columns]
    names = pl.concat([c.unique() for c in text]).unique().sort()
    dtype = pl.Enum(names)
    return names.alias("fund_id"), [c.cast(dtype).to_physical().to_numpy().astype(np.int64) for c in text]


NAV_STATUS = ("current", "stale", "none")  # a NAV at the valuation date T / only an older one / none at all


def nav_notes(status: str, nav: float | None = None, nav_day=None, last_flow=None) -> Text | None:
    """Why RVPI and TVPI are blank (no usable NAV), or why TVPI is 0 (a reported total loss)."""
    if status == "stale":
        return Text(
            zh=f"最新净值 {nav:,.2f}（{nav_day}）早于最后一笔现金流（{last_flow}），已过时，不予使用：RVPI、TVPI 未知；"
               "IRR 与 PME 按基金已全部退出计算（估值日为最后一笔现金流日）",
            en=f"the latest NAV {nav:,.2f} of {nav_day} predates the last flow ({last_flow}): stale, not used; RVPI and "
               "TVPI are unknown; the IRR and PME take the fund as fully realised (valued at its last flow date)",
        )
    if status == "none":
        return Text(
            zh="没有净值记录：RVPI、TVPI 未知（若基金已全部退出，请在最后一笔现金流当日或之后填报净值 0）；"
               "IRR 与 PME 按基金已全部退出计算",
            en="no NAV reported: RVPI and TVPI are unknown (if the fund is fully realised, report a NAV of 0 on or after "
               "its last flow); the IRR and PME take the fund as fully realised",
        )
    if status == "total_loss":
        return Text(zh="全部损失：净值为 0 且没有任何分配，IRR 记为 −100%",
                    en="total loss: the NAV is 0 and nothing was distributed; the IRR is taken as −100%")
    return None


def fund_metrics(flows: pl.DataFrame, navs: pl.DataFrame) -> pl.DataFrame:
    """One row per fund: paid-in, distributed, NAV, DPI, RVPI, TVPI and IRR (with its status and note).

    The valuation date T of a fund is the later of its last NAV date and its last flow date. Only a NAV
    dated T counts (``nav_status`` current): it is the terminal value of the IRR and the NAV of RVPI/TVPI.
    A latest NAV older than the last flow is stale (``nav_status`` stale) and a fund may have none
    (``nav_status`` none): RVPI and TVPI are then blank, the IRR takes the fund as fully realised, and
    ``nav_note`` says so. A NAV of 0 with nothing distributed is a total loss: TVPI 0 and an IRR of −100%."""
    names, (fc, nc) = encode_ids(flows.get_column("fund_id"), navs.get_column("fund_id"))
    k = len(names)
    amount = flows.get_column("amount").to_numpy()
    day = flows.get_column("date").cast(pl.Int32).to_numpy()  # days since 1970-01-01, kept in int32
    part = np.maximum(amount, 0.0)  # one buffer for both sides: every fresh 4 M-row array costs page faults
    distributed = np.bincount(fc, weights=part, minlength=k)
    np.minimum(amount, 0.0, out=part)
    paid_in = 0.0 - np.bincount(fc, weights=part, minlength=k)  # Σ max(−c, 0) exactly, and +0.0 for none
    n_flows = np.bincount(fc, minlength=k)
    first = np.full(k, np.iinfo(day.dtype).max, dtype=day.dtype)
    last = np.full(k, -1, dtype=day.dtype)
    np.minimum.at(first, fc, day)
    np.maximum.at(last, fc, day)
    first[n_flows == 0] = -1
    # each fund's latest NAV mark; it is its terminal value only when dated on or after its last flow
    nav_day = navs.get_column("date").cast(pl.Int32).to_numpy()
    nav_value = navs.get_column("nav").to_numpy()
    order = np.lexsort((nav_day, nc))
    is_last = np.ones(len(order), dtype=bool)
    is_last[:-1] = nc[order][1:] != nc[order][:-1]
    final = order[is_last]
    latest = np.full(k, np.nan)
    latest_day = np.full(k, -1, dtype=np.int64)
    latest[nc[final]] = nav_value[final]
    latest_day[nc[final]] = nav_day[final]
    has_nav = latest_day >= 0
    current = has_nav & (latest_day >= last)
    stale = has_nav & ~current
    valuation_day = np.maximum(latest_day, last.astype(np.int64))
    nav = np.where(current, latest, np.nan)
    nav_date = np.where(current, latest_day, -1)
    series = (fc, day, amount)
    used = final[current[nc[final]]]
    if len(used):  # each fund's current NAV is its terminal flow (no copy of the flows when there is none)
        series = tuple(np.concatenate(pair) for pair in zip(series, (nc[used], nav_day[used], nav_value[used])))
    irr = irr_columns(xirr_grouped(*series, k))
    with np.errstate(divide="ignore", invalid="ignore"):
        dpi = np.where(paid_in > 0, distributed / paid_in, np.nan)
        rvpi = np.where((paid_in > 0) & current, nav / paid_in, np.nan)
    total_loss = current & (nav == 0) & (distributed == 0) & (paid_in > 0)
    status = np.where(current, "current", np.where(stale, "stale", "none"))
    notes_zh = np.full(k, None, dtype=object)
    notes_en = np.full(k, None, dtype=object)
    for kind, mask in (("none", ~has_nav & (paid_in > 0)), ("total_loss", total_loss)):  # one text each
        note = nav_notes(kind)
        notes_zh[mask], notes_en[mask] = note.zh, note.en
    for i in np.flatnonzero(stale):  # the stale NAVs name their own date and value
        note = nav_notes("stale", float(latest[i]), _day_text(latest_day[i]), _day_text(last[i]))
        notes_zh[i], notes_en[i] = note.zh, note.en
    if total_loss.any():
        mask = pl.Series(total_loss)
        irr = irr.with_columns(
            pl.when(mask).then(pl.lit(-1.0)).otherwise(pl.col("irr")).alias("irr"),
            pl.when(mask).then(pl.lit("total_loss")).otherwise(pl.col("irr_status")).alias("irr_status"),
            pl.when(mask).then(None).otherwise(pl.col("irr_note_zh")).alias("irr_note_zh"),
            pl.when(mask).then(None).otherwise(pl.col("irr_note_en")).alias("irr_note_en"),
        )

    def as_date(days: np.ndarray) -> pl.Series:
        return pl.Series(np.where(days >= 0, days, 0), dtype=pl.Int32).cast(pl.Date).set(pl.Series(days < 0), None)

    return pl.DataFrame(
        {
            "fund_id": names,
            "paid_in": paid_in,
            "distributed": distributed,
            "nav": pl.Series(nav).fill_nan(None),
            "nav_date": as_date(nav_date),
            "nav_status": pl.Series(status, dtype=pl.String),
            "valuation_date": as_date(valuation_day),
            "dpi": pl.Series(dpi).fill_nan(None),
            "rvpi": pl.Series(rvpi).fill_nan(None),
            "tvpi": pl.Series(dpi + rvpi).fill_nan(None),
            "first_date": as_date(first),
            "last_flow_date": as_date(last),
            "n_flows": np.maximum(n_flows, 0),
            "nav_note_zh": pl.Series(notes_zh.tolist(), dtype=pl.String),
            "nav_note_en": pl.Series(notes_en.tolist(), dtype=pl.String),
        }
    ).hstack(irr)


def _day_text(days) -> str | None:
    """Days since 1970-01-01 as YYYY-MM-DD (None for −1, no date)."""
    from datetime import date, timedelta

    return None if days < 0 else (date(1970, 1, 1) + timedelta(days=int(days))).isoformat()


def jcurve(flows: pl.DataFrame, navs: pl.DataFrame, inception: pl.DataFrame | None = None) -> pl.DataFrame:
    """The fund's figures at every NAV date since inception: paid-in, distributed, NAV, DPI, TVPI and the
    since-inception IRR with that NAV as terminal value. ``inception`` (fund_id, inception) sets age 0;
    without it the first flow does."""
    start = (
        inception.select("fund_id", pl.col("inception").alias("start"))
        if inception is not None
        else flows.group_by("fund_id").agg(pl.col("date").min().alias("start"))
    )
    marks = navs.select("fund_id", pl.col("date").alias("as_of"), "nav").unique(["fund_id", "as_of"], keep="last")
    upto = marks.join(flows.select("fund_id", "date", "amount"), on="fund_id", how="inner").filter(
        pl.col("date") <= pl.col("as_of")
    )
    sums = upto.group_by(["fund_id", "as_of"]).agg(
        (-pl.col("amount").clip(upper_bound=0)).sum().alias("paid_in"),
        pl.col("amount").clip(lower_bound=0).sum().alias("distributed"),
    )
    series = pl.concat(
        [
            upto.select("fund_id", "as_of", "date", "amount"),
            marks.select("fund_id", "as_of", pl.col("as_of").alias("date"), pl.col("nav").alias("amount")),
        ],
        how="vertical_relaxed",
    )
    irr = irr_by_group(series, ["fund_id", "as_of"]).select("fund_id", "as_of", "irr", "irr_status")
    paid = pl.when(pl.col("paid_in") > 0).then(pl.col("paid_in")).otherwise(None)
    return (
        marks.join(sums, on=["fund_id", "as_of"], how="left")
        .join(start, on="fund_id", how="left")
        .with_columns(pl.col("paid_in").fill_null(0.0), pl.col("distributed").fill_null(0.0))
        .with_columns(
            ((pl.col("as_of") - pl.col("start")).dt.total_days() / 365.0).alias("age_years"),
            (pl.col("distributed") / paid).alias("dpi"),
            ((pl.col("distributed") + pl.col("nav")) / paid).alias("tvpi"),
            (pl.col("distributed") + pl.col("nav") - pl.col("paid_in")).alias("net_value"),
        )
        .join(irr, on=["fund_id", "as_of"], how="left")
        .drop("start")
        .sort(["fund_id", "as_of"])
    )


def read_index(path) -> pl.DataFrame:
    """A public-market index series ``date, level`` (levels > 0; one level per date)."""
    frame, problems, file = read_typed(str(path), INDEX)
    if not problems and frame.get_column("date").is_duplicated().any():
        problems.append(Problem("index.duplicate", "指数有重复日期", "the index has a date twice", file=file, field="date"))
    raise_if(problems)
    return frame.drop("_row").sort("date")


def index_levels(index: pl.DataFrame, dates: pl.DataFrame, file: str = "index") -> pl.Series:
    """The index level in force on each date (last level on or before it)."""
    idx = index.select("date", pl.col("level").cast(pl.Float64)).sort("date")
    probe = dates.with_row_index("__i").sort("date")
    joined = probe.join_asof(idx, on="date", strategy="backward").sort("__i")
    missing = joined.filter(pl.col("level").is_null())
    if missing.height:
        first = idx.get_column("date").min() if idx.height else None
        raise InputError(
            Problem(
                "index.coverage",
                f"指数序列从 {first} 开始，早于此日期的现金流无法折算（最早的为 {missing.get_column('date').min()}）",
                f"the index series starts on {first}; flows before it cannot be scaled "
                f"(earliest is {missing.get_column('date').min()})",
                file=file,
            )
        )
    return joined.get_column("level")


def valuation(flows: pl.DataFrame, navs: pl.DataFrame) -> pl.DataFrame:
    """Per fund (with flows or NAVs): the valuation date T = max(last NAV date, last flow date), the NAV at T
    (``nav_T``; 0 when there is none), and ``nav_status``: current (a NAV dated T), stale (the latest NAV
    predates the last flow: ignored) or none."""
    last_flow = flows.group_by("fund_id").agg(pl.col("date").max().alias("last_flow_date"))
    latest = final_nav(navs)
    both = last_flow.join(latest, on="fund_id", how="full", coalesce=True)
    current = pl.col("nav_date").is_not_null() & (
        pl.col("last_flow_date").is_null() | (pl.col("nav_date") >= pl.col("last_flow_date")))
    return both.select(
        "fund_id",
        pl.max_horizontal("nav_date", "last_flow_date").alias("valuation_date"),
        pl.when(current).then(pl.col("nav")).otherwise(0.0).alias("nav_T"),
        pl.when(current).then(pl.lit("current")).when(pl.col("nav_date").is_not_null()).then(pl.lit("stale"))
        .otherwise(pl.lit("none")).alias("nav_status"),
    )


def pme(flows: pl.DataFrame, navs: pl.DataFrame, index: pl.DataFrame, index_file: str = "index") -> pl.DataFrame:
    """Kaplan–Schoar PME and Direct Alpha per fund, on actual dates, to each fund's valuation date T.

    T is the later of the last NAV date and the last flow date, so no flow is ever left out; NAV_T is the NAV
    dated T, or 0 when the latest NAV is older than the last flow (stale, ignored) or there is none (the
    fund is taken as fully realised at its last flow; ``pme_note`` says so).
    KS = [Σ D_t·I_T/I_t + NAV_T] / Σ C_t·I_T/I_t;  Direct Alpha: a = XIRR of (D_t − C_t)·I_T/I_t with
    NAV_T at T, α = ln(1 + a) (Gredil, Griffiths & Stucke 2014).
    """
    value = valuation(flows, navs)
    f = flows.select("fund_id", "date", "amount").join(value.select("fund_id", "valuation_date"), on="fund_id",
                                                        how="inner")
    level_t = index_levels(index, f.select("date"), index_file)
    level_T = index_levels(index, f.select(pl.col("valuation_date").alias("date")), index_file)
    f = f.with_columns((pl.col("amount") * (level_T / level_t)).alias("fv"))
    sums = f.group_by("fund_id").agg(
        pl.col("fv").clip(lower_bound=0).sum().alias("fv_distributions"),
        (-pl.col("fv").clip(upper_bound=0)).sum().alias("fv_calls"),
    )
    calls = pl.when(pl.col("fv_calls") > 0).then(pl.col("fv_calls"))
    ks = value.join(sums, on="fund_id", how="left").with_columns(
        ((pl.col("fv_distributions").fill_null(0.0) + pl.col("nav_T")) / calls).alias("ks_pme")
    )
    terminal = value.filter(pl.col("nav_T") > 0).select(
        "fund_id", pl.col("valuation_date").alias("date"), pl.col("nav_T").alias("amount"))
    series = pl.concat([f.select("fund_id", "date", pl.col("fv").alias("amount")), terminal], how="vertical_relaxed")
    alpha = irr_by_group(series, "fund_id").select(
        "fund_id",
        pl.col("irr").alias("direct_alpha_rate"),
        pl.col("irr").log1p().alias("direct_alpha"),
        pl.col("irr_note_en").alias("direct_alpha_note"),
    ) if series.height else pl.DataFrame(schema={"fund_id": pl.String, "direct_alpha_rate": pl.Float64,
                                                   "direct_alpha": pl.Float64, "direct_alpha_note": pl.String})
    note = (
        pl.when(pl.col("nav_status") == "stale")
        .then(pl.concat_str([pl.lit("最新净值早于最后一笔现金流，已过时，不予使用：PME 按基金在 "), pl.col("valuation_date").cast(pl.String),
                             pl.lit(" 已全部退出计算 / the latest NAV predates the last flow and is not used (stale): the PME "
                                    "takes the fund as fully realised on "), pl.col("valuation_date").cast(pl.String)]))
        .when(pl.col("nav_status") == "none")
        .then(pl.concat_str([pl.lit("没有净值记录：PME 按基金在 "), pl.col("valuation_date").cast(pl.String),
                             pl.lit(" 已全部退出计算 / no NAV reported: the PME takes the fund as fully realised on "),
                             pl.col("valuation_date").cast(pl.String)]))
    )
    return (
        ks.select("fund_id", "ks_pme", pl.col("valuation_date").alias("pme_date"), note.alias("pme_note"))
        .join(alpha, on="fund_id", how="left")
        .sort("fund_id")
    )
