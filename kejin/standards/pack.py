"""Standard packs: the data model of a public evaluation standard, loaded and checked.

A pack is a YAML file ``kejin/packs/standards/<id>/<version>.yaml`` with its test cases in
``<version>.tests.yaml`` beside it. The model below is the pack language; its documentation
is docs/standards.md.
"""

from __future__ import annotations

from functools import cached_property
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from kejin.errors import PackError, Problem
from kejin.facts import schema
from kejin.i18n import Text
from kejin.rules import expr as ex
from kejin.rules.packfile import PackMeta, file_sha256, read_yaml, validate

Points = float | tuple[float, float]
Unit = Literal["ratio", "yuan", "count", "years", "points", "flag"]


class Tier(BaseModel):
    """One band. Exactly one of ge/gt/le/lt/when, or none for the catch-all last band.

    ``ge: 0.30`` reads "30%(含)以上" (inclusive); ``lt: 0.55`` reads "低于55%". Bands are tried
    top-down; the first that holds gives the points. ``points: [9, 10]`` is a band of points left
    to expert discretion (HNTE).
    """

    model_config = ConfigDict(extra="forbid")

    ge: float | None = None
    gt: float | None = None
    le: float | None = None
    lt: float | None = None
    when: str | None = None
    points: Points

    @model_validator(mode="after")
    def _one_test(self) -> "Tier":
        tests = [k for k in ("ge", "gt", "le", "lt", "when") if getattr(self, k) is not None]
        if len(tests) > 1:
            raise ValueError(f"a tier has one test, got {tests}")
        lo, hi = self.band
        if lo > hi:
            raise ValueError("points band must be [low, high]")
        return self

    @property
    def band(self) -> tuple[float, float]:
        return (self.points, self.points) if isinstance(self.points, (int, float)) else tuple(self.points)  # type: ignore[return-value]

    @property
    def test(self) -> tuple[str, float | str] | None:
        for k in ("ge", "gt", "le", "lt", "when"):
            v = getattr(self, k)
            if v is not None:
                return k, v
        return None


class Scale(BaseModel):
    """A value and its bands (an indicator, or one of its alternatives)."""

    model_config = ConfigDict(extra="forbid")

    id: str
    name: Text
    value: str | None = None
    unit: Unit = "ratio"
    tiers: list[Tier] = []
    levers: list[str] = []
    # points are the value itself, clipped to [0, max_points] (e.g. expert scores, local points)
    points_from_value: bool = False
    max_points: float | None = None

    @model_validator(mode="after")
    def _shape(self) -> "Scale":
        if self.points_from_value:
            if self.tiers or not self.value or self.max_points is None:
                raise ValueError("points_from_value needs a value and max_points and no tiers")
            return self
        if not self.tiers:
            raise ValueError("at least one tier is needed")
        if self.tiers[-1].test is not None:
            raise ValueError("the last tier must be the catch-all (no test)")
        for t in self.tiers[:-1]:
            if t.test is None:
                raise ValueError("only the last tier may be a catch-all")
            if t.test[0] != "when" and self.value is None:
                raise ValueError("tiers with ge/gt/le/lt need a value expression")
        return self


class Indicator(BaseModel):
    """A scored indicator: one scale, or alternatives of which the firm takes the best."""

    model_config = ConfigDict(extra="forbid")

    id: str
    name: Text
    group: str | None = None
    max_points: float
    value: str | None = None
    unit: Unit = "ratio"
    tiers: list[Tier] | None = None
    points_from_value: bool = False
    levers: list[str] = []
    alternatives: list[Scale] | None = None
    note: str | None = None

    @model_validator(mode="after")
    def _shape(self) -> "Indicator":
        if sum([self.tiers is not None, self.alternatives is not None, self.points_from_value]) != 1:
            raise ValueError("give exactly one of tiers, alternatives or points_from_value")
        return self

    @cached_property
    def scales(self) -> list[Scale]:
        if self.alternatives:
            return self.alternatives
        return [
            Scale(
                id=self.id,
                name=self.name,
                value=self.value,
                unit=self.unit,
                tiers=self.tiers or [],
                levers=self.levers,
                points_from_value=self.points_from_value,
                max_points=self.max_points if self.points_from_value else None,
            )
        ]


class Condition(BaseModel):
    """A named yes/no test, e.g. a size gate or a direct-qualification condition."""

    model_config = ConfigDict(extra="forbid")

    id: str
    name: Text
    when: str
    levers: list[str] = []


class Threshold(BaseModel):
    model_config = ConfigDict(extra="forbid")

    ge: float | None = None
    gt: float | None = None

    @model_validator(mode="after")
    def _one(self) -> "Threshold":
        if (self.ge is None) == (self.gt is None):
            raise ValueError("give exactly one of ge / gt")
        return self


class IndicatorMinimum(BaseModel):
    model_config = ConfigDict(extra="forbid")

    indicator: str
    ge: float | None = None
    gt: float | None = None


class GroupMinimum(BaseModel):
    model_config = ConfigDict(extra="forbid")

    group: str
    ge: float


class Group(BaseModel):
    """A block of indicators (e.g. 创新能力); its sub-total may be capped."""

    model_config = ConfigDict(extra="forbid")

    id: str
    name: Text
    cap: float | None = None


class Route(BaseModel):
    """One way to pass: a direct condition, the score, or a set of conditions (all must hold)."""

    model_config = ConfigDict(extra="forbid")

    id: str
    name: Text
    kind: Literal["direct", "score", "conditions"]
    all: list[Condition] = []
    min_total: Threshold | None = None
    indicator_minimums: list[IndicatorMinimum] = []
    group_minimums: list[GroupMinimum] = []

    @model_validator(mode="after")
    def _shape(self) -> "Route":
        if self.kind == "score" and self.min_total is None:
            raise ValueError("a score route needs min_total")
        if self.kind != "score" and not self.all:
            raise ValueError("a direct or conditions route needs its conditions under 'all'")
        return self


class Verdict(BaseModel):
    model_config = ConfigDict(extra="forbid")

    gates: list[Condition] = []
    routes: list[Route] = Field(min_length=1)


class StandardPack(PackMeta):
    """A public evaluation standard as data."""

    kind: Literal["standard"]
    family: str | None = None  # e.g. "listing" for exchange listing standards
    # "actual period" (HNTE): a year before the firm was established is outside its evaluation
    # period, so the absent row of such a year is not a missing input (the pack's expressions
    # must give such years no weight themselves; see the hnte pack). Without it every earlier
    # year an expression reads is needed.
    actual_period: bool = False
    derived: dict[str, str] = {}
    groups: list[Group] = []
    indicators: list[Indicator] = []
    verdict: Verdict

    # set after loading
    file: str = ""
    sha256: str = ""

    @property
    def ref(self) -> str:
        return f"{self.id}@{self.version}"

    @property
    def max_total(self) -> float:
        total = 0.0
        for g in self.groups:
            sub = sum(i.max_points for i in self.indicators if i.group == g.id)
            total += min(sub, g.cap) if g.cap is not None else sub
        return total + sum(i.max_points for i in self.indicators if i.group not in {g.id for g in self.groups})

    def indicator(self, ind_id: str) -> Indicator:
        for i in self.indicators:
            if i.id == ind_id:
                return i
        raise KeyError(ind_id)

    def expressions(self) -> list[tuple[str, str]]:
        """Every (key, expression) in the pack, for checking and for the lag planner."""
        out: list[tuple[str, str]] = []
        for i, ind in enumerate(self.indicators):
            for j, sc in enumerate(ind.scales):
                base = f"indicators[{i}]" + (f".alternatives[{j}]" if ind.alternatives else "")
                if sc.value:
                    out.append((f"{base}.value", sc.value))
                for k, t in enumerate(sc.tiers):
                    if t.when:
                        out.append((f"{base}.tiers[{k}].when", t.when))
        for g, cond in enumerate(self.verdict.gates):
            out.append((f"verdict.gates[{g}].when", cond.when))
        for r, route in enumerate(self.verdict.routes):
            for c, cond in enumerate(route.all):
                out.append((f"verdict.routes[{r}].all[{c}].when", cond.when))
        return out

    def uses(self) -> set[ex.Use]:
        found: set[ex.Use] = set()
        for _, source in self.expressions():
            found |= ex.uses(source, self.derived)
        return found


def _check_semantics(pack: StandardPack, file: str) -> None:
    """Checks Pydantic cannot do: expressions parse, names exist, ids unique, totals add up."""
    problems: list[Problem] = []
    known = set(schema.field_names()) | {"true", "false"}

    def bad(key: str, zh: str, en: str, value: object = None) -> None:
        problems.append(Problem("pack.invalid", zh, en, file=file, key=key, value=value))

    for name, source in pack.derived.items():
        try:
            ex.parse(source)
        except ex.ExprError as exc:
            bad(f"derived.{name}", exc.zh, exc.en, source)
    for key, source in pack.expressions():
        try:
            for use in ex.uses(source, pack.derived):
                if use.name != "__present__" and use.name not in known:
                    bad(key, f"引用了不存在的字段“{use.name}”", f"refers to unknown field '{use.name}'", source)
        except ex.ExprError as exc:
            bad(key, exc.zh, exc.en, source)
    ids = [i.id for i in pack.indicators]
    for dup in {x for x in ids if ids.count(x) > 1}:
        bad("indicators", f"指标编号重复：{dup}", f"duplicate indicator id: {dup}")
    group_ids = {g.id for g in pack.groups}
    for i, ind in enumerate(pack.indicators):
        if pack.groups and ind.group not in group_ids:
            bad(f"indicators[{i}].group", f"未知指标组 {ind.group}", f"unknown group {ind.group}", ind.group)
        top = max((sc.max_points or 0.0) if sc.points_from_value else max(t.band[1] for t in sc.tiers) for sc in ind.scales)
        if abs(top - ind.max_points) > 1e-9:
            bad(f"indicators[{i}].max_points", f"最高分 {ind.max_points:g} 与分档最高分 {top:g} 不一致", f"max_points {ind.max_points:g} differs from the top tier {top:g}")
        for sc in ind.scales:
            for lever in sc.levers:
                if lever not in known:
                    bad(f"indicators[{i}].levers", f"调整项“{lever}”不是事实字段", f"lever '{lever}' is not a fact field", lever)
    for r, route in enumerate(pack.verdict.routes):
        for m, minimum in enumerate(route.indicator_minimums):
            if minimum.indicator not in ids:
                bad(f"verdict.routes[{r}].indicator_minimums[{m}]", f"未知指标 {minimum.indicator}", f"unknown indicator {minimum.indicator}")
        for m, minimum in enumerate(route.group_minimums):
            if minimum.group not in group_ids:
                bad(f"verdict.routes[{r}].group_minimums[{m}]", f"未知指标组 {minimum.group}", f"unknown group {minimum.group}")
        if route.kind == "score" and not pack.indicators:
            bad(f"verdict.routes[{r}]", "评分路径需要指标", "a score route needs indicators")
    if pack.actual_period and ex.Use("established", 0) not in pack.uses():
        bad("actual_period", "actual_period 需要规则包读取成立日期(established)，如 age_years()", "actual_period needs the pack to read `established` (e.g. age_years())")
    if problems:
        raise PackError(problems)


def load_pack(path: Path | str) -> StandardPack:
    path = Path(path)
    data = read_yaml(path)
    if not isinstance(data, dict):
        raise PackError(Problem("pack.invalid", "规则包应为 YAML 映射", "a pack must be a YAML mapping", file=str(path)))
    data.pop("file", None)
    data.pop("sha256", None)
    pack = validate(StandardPack, data, path)
    _check_semantics(pack, str(path))
    pack.file = str(path)
    pack.sha256 = file_sha256(path)
    return pack
