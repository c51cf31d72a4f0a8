"""Turning engine frames into what people read: JSON records, reasons, gap sentences, tables."""

from __future__ import annotations

import math
from typing import Any, Iterator

import polars as pl

from kejin.facts import schema
from kejin.standards.engine import condition_gap_specs, gap_specs
from kejin.standards.pack import Indicator, Scale, StandardPack, Tier

STATUS_TEXT = {
    "pass": ("符合", "pass"),
    "fail": ("不符合", "fail"),
    "not_evaluable": ("无法评价", "not evaluable"),
}


def _num(v: Any) -> Any:
    if isinstance(v, float):
        if math.isnan(v):
            return None
        return int(v) if v.is_integer() else round(v, 6)
    return v


def missing_list(row: dict[str, Any]) -> list[str]:
    return [m for m in (row.get("missing") or "").split(";") if m]


def missing_label(name: str, lang: str, year: int | None = None) -> str:
    """``revenue@t-1`` → 营业收入(前1年) / Operating (sales) revenue (1 year earlier); with the
    row's ``year`` (2024) the earlier year is named too: 营业收入(前1年，即2023年)."""
    field_name, _, lag = name.partition("@t-")
    f = schema.field(field_name)
    when = year - int(lag) if lag and year is not None else None
    if lang == "zh":
        return f.zh + (f"(前{lag}年" + (f"，即{when}年" if when is not None else "") + ")" if lag else "")
    return f.en + (f" ({lag} year{'s' if lag != '1' else ''} earlier" + (f", {when}" if when is not None else "") + ")" if lag else "")


def _straddles(lo: Any, hi: Any, ge: float | None, gt: float | None) -> bool:
    """A band [lo, hi] that a mark (``>= ge`` or ``> gt``) cannot decide."""
    if lo is None or hi is None:
        return False
    if ge is not None:
        return lo < ge <= hi
    return gt is not None and lo <= gt < hi


def _mark(ge: float | None, gt: float | None) -> str:
    return f"≥{_num(ge)}" if ge is not None else f">{_num(gt)}"


def _band(lo: Any, hi: Any) -> str:
    return f"{_num(lo)}" if lo == hi else f"{_num(lo)}–{_num(hi)}"


def undecided_parts(pack: StandardPack, row: dict[str, Any]) -> tuple[list[str], list[str]]:
    """What keeps an undecided verdict open (zh, en): gates and route conditions that cannot be
    decided, and score bands (total, indicator or group minimums) that straddle their mark."""
    zh: list[str] = []
    en: list[str] = []
    for g in pack.verdict.gates:
        if row.get(f"gate__{g.id}") is None:
            zh.append(f"条件“{g.name.zh}”无法判定")
            en.append(f"condition '{g.name.en}' cannot be decided")
    for r in pack.verdict.routes:
        if row.get(f"route__{r.id}") is not None:
            continue
        for c in r.all:
            if row.get(f"cond__{r.id}__{c.id}") is None:
                zh.append(f"{r.id}：条件“{c.name.zh}”无法判定")
                en.append(f"{r.id}: condition '{c.name.en}' cannot be decided")
        if r.kind != "score" or r.min_total is None:
            continue
        lo, hi = row.get("total_lo"), row.get("total_hi")
        if _straddles(lo, hi, r.min_total.ge, r.min_total.gt):
            mark = _mark(r.min_total.ge, r.min_total.gt)
            zh.append(f"得分区间 {_band(lo, hi)} 跨越“{r.name.zh}”的分数线（{mark}）")
            en.append(f"the score range {_band(lo, hi)} straddles the mark of '{r.name.en}' ({mark})")
        for m in r.indicator_minimums:
            ind = pack.indicator(m.indicator)
            lo, hi = row.get(f"{ind.id}__lo"), row.get(f"{ind.id}__hi")
            if _straddles(lo, hi, m.ge, m.gt):
                mark = _mark(m.ge, m.gt)
                zh.append(f"指标“{ind.name.zh}”得分区间 {_band(lo, hi)} 跨越最低要求（{mark}）")
                en.append(f"the points range {_band(lo, hi)} of '{ind.name.en}' straddles its minimum ({mark})")
        for gm in r.group_minimums:
            group = next(g for g in pack.groups if g.id == gm.group)
            lo, hi = row.get(f"group__{gm.group}__lo"), row.get(f"group__{gm.group}__hi")
            if _straddles(lo, hi, gm.ge, None):
                mark = _mark(gm.ge, None)
                zh.append(f"“{group.name.zh}”小计区间 {_band(lo, hi)} 跨越最低要求（{mark}）")
                en.append(f"the '{group.name.en}' sub-total range {_band(lo, hi)} straddles its minimum ({mark})")
    return zh, en


def fmt_change(lever: str, current: float | None, needed: float) -> tuple[str, str]:
    f = schema.field(lever)
    cur = current or 0.0
    delta = needed - cur
    sign = "+" if delta >= 0 else "−"
    if f.type == "amount":
        amount = f"¥{abs(delta):,.2f}"
        return f"{f.zh} {sign}{amount}", f"{f.en} {sign}{amount}"
    return f"{f.zh} {sign}{abs(delta):g}", f"{f.en} {sign}{abs(delta):g}"


def _expert_bands(pack: StandardPack, row: dict[str, Any]) -> bool:
    """Some indicator sits, surely, in a tier whose points are a range (``points: [7, 8]``)."""
    for ind in pack.indicators:
        band = (row.get(f"{ind.id}__lo"), row.get(f"{ind.id}__hi"))
        if band[0] is None or band[0] == band[1]:
            continue
        for sc in ind.scales:
            idx = row.get(f"idx__{ind.id}__{sc.id}")
            if idx is not None and not sc.points_from_value and tuple(sc.tiers[idx].band) == band:
                return True
    return False


def reason(pack: StandardPack, row: dict[str, Any]) -> dict[str, str]:
    decided = row["decided_by"]
    if decided.startswith("route:"):
        rid = decided.split(":", 1)[1]
        route = next(r for r in pack.verdict.routes if r.id == rid)
        return {"code": decided, "zh": f"符合：{route.name.zh}", "en": f"pass: {route.name.en}"}
    if decided.startswith("gate:"):
        gid = decided.split(":", 1)[1]
        gate = next(g for g in pack.verdict.gates if g.id == gid)
        return {"code": decided, "zh": f"不符合条件：{gate.name.zh}", "en": f"fails condition: {gate.name.en}"}
    names = missing_list(row) if decided in ("missing", "undecided") else []
    if names:
        year = row.get("year")
        zh = "、".join(missing_label(m, "zh", year) for m in names)
        en = ", ".join(missing_label(m, "en", year) for m in names)
        return {"code": decided, "zh": f"无法评价：缺少 {zh}", "en": f"not evaluable: missing {en}"}
    if decided in ("missing", "undecided"):
        # every input is known: a band of points left to expert discretion straddles a mark, or a
        # figure cannot be worked out (e.g. a division by zero)
        zh_parts, en_parts = undecided_parts(pack, row)
        if not zh_parts:
            zh_parts, en_parts = ["认定结果无法判定"], ["the verdict cannot be decided"]
        if decided == "undecided" and _expert_bands(pack, row):
            zh_parts.append("各项输入均已知，区间来自档内由专家酌定的分值")
            en_parts.append("every input is known; the range comes from points within bands that are left to the experts")
        return {"code": decided, "zh": "无法评价：" + "；".join(zh_parts), "en": "not evaluable: " + "; ".join(en_parts)}
    parts_zh, parts_en = [], []
    for r in pack.verdict.routes:
        if r.kind == "score":
            lo, hi = row.get("total_lo"), row.get("total_hi")
            total = f"{_num(lo)}" if lo == hi else f"{_num(lo)}–{_num(hi)}"
            parts_zh.append(f"得分 {total}，未达到“{r.name.zh}”")
            parts_en.append(f"score {total} does not meet '{r.name.en}'")
        else:
            failed = [c for c in r.all if row.get(f"cond__{r.id}__{c.id}") is False]
            if failed and r.kind == "conditions":
                parts_zh.append(f"{r.id}：{failed[0].name.zh} 未满足")
                parts_en.append(f"{r.id}: {failed[0].name.en} not met")
    if not parts_zh:
        parts_zh, parts_en = ["不满足任一认定路径"], ["no route to qualify is met"]
    return {"code": decided, "zh": "；".join(parts_zh), "en": "; ".join(parts_en)}


def gaps_of(pack: StandardPack, row: dict[str, Any]) -> list[dict[str, Any]]:
    """The gap list of one row: for each lever, the smallest change to the next tier (best alternative)."""
    best: dict[tuple[str, str], dict[str, Any]] = {}
    for spec in gap_specs(pack):
        to = row.get(f"{spec.key}__to")
        if to is None:
            continue
        current = row.get(spec.lever)
        change = to - (current or 0.0)
        key = (spec.indicator.id, spec.lever)
        if key in best and abs(best[key]["change"]) <= abs(change):
            continue
        zh, en = fmt_change(spec.lever, current, to)
        points_to = _num(row.get(f"{spec.key}__points"))
        flips = row.get(f"{spec.key}__flips")
        best[key] = {
            "indicator": spec.indicator.id,
            "via": spec.scale.id if spec.indicator.alternatives else None,
            "lever": spec.lever,
            "current": _num(current),
            "needed": _num(to),
            "change": _num(change),
            "points_from": _num(row.get(f"{spec.indicator.id}__lo")),
            "points_to": points_to,
            "flips_verdict": flips,
            "zh": f"{zh} → {spec.indicator.name.zh} {points_to} 分" + ("，即可通过认定" if flips else ""),
            "en": f"{en} → {spec.indicator.name.en} {points_to} points" + (", which alone turns the verdict to pass" if flips else ""),
        }
    out = sorted(best.values(), key=lambda g: (not g["flips_verdict"], g["indicator"]))
    return out + condition_gaps_of(row, condition_gap_specs(pack))


def condition_gaps_of(row: dict[str, Any], specs: list) -> list[dict[str, Any]]:
    """Failing gates and route conditions that one fact change would meet."""
    out = []
    for spec in specs:
        to = row.get(f"{spec.key}__to")
        if to is None:
            continue
        current = row.get(spec.lever)
        zh, en = fmt_change(spec.lever, current, to)
        flips = row.get(f"{spec.key}__flips")
        route = spec.column.split("__")[1] + " " if spec.column.startswith("cond__") else ""
        out.append(
            {
                "condition": spec.column,
                "lever": spec.lever,
                "current": _num(current),
                "needed": _num(to),
                "change": _num(to - (current or 0.0)),
                "flips_verdict": flips,
                "zh": f"{zh} → 满足：{route}{spec.condition.name.zh}" + ("，即可通过认定" if flips else ""),
                "en": f"{en} → meets: {route}{spec.condition.name.en}" + (", which alone turns the verdict to pass" if flips else ""),
            }
        )
    return sorted(out, key=lambda g: not g["flips_verdict"])


def tier_text(tier: Tier) -> str:
    """A band as the pack states it: ``≥0.3 → 20``, ``ip_class2 >= 4 → 24``, ``else → 0``."""
    test = tier.test
    if test is None:
        return f"else → {_num(tier.points) if not isinstance(tier.points, tuple) else list(tier.points)}"
    op, operand = test
    sym = {"ge": "≥", "gt": ">", "le": "≤", "lt": "<", "when": ""}[op]
    value = f"{operand:g}" if isinstance(operand, float) else str(operand)
    points = _num(tier.points) if not isinstance(tier.points, tuple) else list(tier.points)
    return f"{sym}{value} → {points}"


def _tier_of(ind: Indicator, row: dict[str, Any]) -> dict[str, Any] | None:
    """The band the firm is surely in (of the scale that gives its points), or None if unknown."""
    best = None
    for sc in ind.scales:
        idx = row.get(f"idx__{ind.id}__{sc.id}")
        if idx is None or sc.points_from_value:
            continue
        tier = sc.tiers[idx]
        if best is None or tier.band[0] > best[1].band[0]:
            best = (sc, tier, idx)
    if best is None:
        return None
    sc, tier, idx = best
    return {"scale": sc.id, "index": idx + 1, "of": len(sc.tiers), "band": tier_text(tier)}


def indicators_of(pack: StandardPack, row: dict[str, Any]) -> list[dict[str, Any]]:
    """Each indicator's value, band and points. For an indicator with alternatives, ``value`` is
    the value of the alternative that earns its points, named in ``via`` (``{id, name_zh,
    name_en}``; None for single-scale indicators)."""
    out = []
    for ind in pack.indicators:
        lo, hi = row.get(f"{ind.id}__lo"), row.get(f"{ind.id}__hi")
        scale = ind.scales[0]
        via = None
        if ind.alternatives:
            chosen = row.get(f"{ind.id}__via")
            scale = next((sc for sc in ind.scales if sc.id == chosen), scale)
            if chosen is not None:
                via = {"id": scale.id, "name_zh": scale.name.zh, "name_en": scale.name.en}
        out.append(
            {
                "id": ind.id,
                "name_zh": ind.name.zh,
                "name_en": ind.name.en,
                "group": ind.group,
                "unit": scale.unit,
                "value": _num(row.get(f"{ind.id}__value")),
                "via": via,
                "tier": _tier_of(ind, row),
                "points": _num(lo) if lo == hi else None,
                "points_band": [_num(lo), _num(hi)],
                "max_points": _num(ind.max_points),
            }
        )
    return out


def conditions_of(pack: StandardPack, row: dict[str, Any]) -> list[dict[str, Any]]:
    out = []
    for g in pack.verdict.gates:
        out.append({"kind": "gate", "id": g.id, "name_zh": g.name.zh, "name_en": g.name.en, "met": row.get(f"gate__{g.id}")})
    for r in pack.verdict.routes:
        out.append({"kind": f"route:{r.kind}", "id": r.id, "name_zh": r.name.zh, "name_en": r.name.en, "met": row.get(f"route__{r.id}")})
    return out


def records(pack: StandardPack, frame: pl.DataFrame) -> Iterator[dict[str, Any]]:
    """One JSON-ready object per enterprise-year."""
    for row in frame.iter_rows(named=True):
        lo, hi = row.get("total_lo"), row.get("total_hi")
        yield {
            "uscc": row["uscc"],
            "name": row["name"],
            "year": row["year"],
            "pack": pack.id,
            "pack_version": pack.version,
            "pack_sha256": pack.sha256,
            "total": _num(lo) if lo == hi else None,
            "total_band": None if lo is None else [_num(lo), _num(hi)],
            "max_total": _num(pack.max_total) if pack.indicators else None,
            "passed": row["passed"],
            "status": row["status"],
            "decided_by": row["decided_by"],
            "reason": reason(pack, row),
            "missing": missing_list(row),
            "indicators": indicators_of(pack, row),
            "conditions": conditions_of(pack, row),
            "gaps": gaps_of(pack, row),
        }


def _whole_points(ind: Indicator) -> bool:
    """Every points value of the indicator is a whole number (known from the pack, not the data):
    whole-number bands, or points read from a whole-number fact (e.g. an expert's item score)."""

    def whole(sc: Scale) -> bool:
        if sc.points_from_value:
            names = set(schema.field_names())
            return sc.value in names and schema.field(sc.value).type == "int" and float(sc.max_points or 0).is_integer()
        return all(float(b).is_integer() for t in sc.tiers for b in t.band)

    return all(whole(sc) for sc in ind.scales)


def _whole_totals(pack: StandardPack) -> bool:
    return all(_whole_points(i) for i in pack.indicators) and all(g.cap is None or float(g.cap).is_integer() for g in pack.groups)


def wide_columns(pack: StandardPack, gap_columns: list[str], missing: pl.Expr | None = None) -> list[pl.Expr]:
    """The export columns of one pack, prefixed by its id, over an engine frame of that pack.

    ``{pack}.status`` is pass / fail / not_evaluable; ``{pack}.total`` is blank when unknown
    inputs leave a band (``total_lo``..``total_hi``); ``{pack}.points.{indicator}`` likewise;
    ``{pack}.gap.{indicator}.{fact}`` is the value of the fact that reaches the next tier.
    Points that the pack only ever gives as whole numbers are written as integers ("20", not
    "20.0"); that is decided by the pack, so every chunk of an export has the same types.
    """
    pre = pack.id
    cols = [pl.col("status").alias(f"{pre}.status"), pl.col("decided_by").alias(f"{pre}.decided_by")]
    if pack.indicators:
        kind = pl.Int32 if _whole_totals(pack) else pl.Float64
        lo, hi = pl.col("total_lo"), pl.col("total_hi")
        cols += [
            pl.when(lo == hi).then(lo).otherwise(None).cast(kind).alias(f"{pre}.total"),
            lo.cast(kind).alias(f"{pre}.total_lo"),
            hi.cast(kind).alias(f"{pre}.total_hi"),
        ]
    cols.append((pl.col("missing") if missing is None else missing).alias(f"{pre}.missing"))
    for ind in pack.indicators:
        lo, hi = pl.col(f"{ind.id}__lo"), pl.col(f"{ind.id}__hi")
        kind = pl.Int32 if _whole_points(ind) else pl.Float64
        cols.append(pl.when(lo == hi).then(lo).otherwise(None).cast(kind).alias(f"{pre}.points.{ind.id}"))
    for c in gap_columns:
        if c.startswith(("gap__", "cgap__")) and c.endswith("__to"):
            lever = c[:-4].rsplit("__", 1)[1]
            value = pl.col(c).cast(pl.Int64) if schema.field(lever).type == "int" else pl.col(c)  # counts as counts
            cols.append(value.alias(f"{pre}.gap." + c.split("__", 1)[1][:-4].replace("__", ".")))
    return cols


def wide(packs: list[StandardPack], frames: dict[str, pl.DataFrame]) -> pl.DataFrame:
    """The columnar export (CSV): one row per enterprise-year, columns prefixed by pack id (see
    `wide_columns`). All frames come from one prepared table, so their rows are in the same
    (uscc, year) order."""
    first = frames[packs[0].ref]
    parts = [first.select("uscc", "name", "year")]
    for pack in packs:
        frame = frames[pack.ref]
        parts.append(frame.select(wide_columns(pack, frame.columns)))
    return pl.concat(parts, how="horizontal")
