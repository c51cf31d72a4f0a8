"""Points method packs: the model, loading, inheritance (local packs) and validation.

A method is data (a YAML pack under ``kejin/packs/points/<id>/<version>.yaml``): indicators
written in the rules expression language, groups, weights per stage, the stage rule, how raw
values become indicator scores, caps, bonus indicators, cohorts and tier rules. A local pack
names ``extends: <id>[@version]`` and adds indicators, changes weights, restricts the cohort.
Every problem found on load names the pack file and the dotted key, in Chinese and English.
"""

from __future__ import annotations

import copy
import hashlib
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from kejin.errors import NotFoundError, PackError, Problem
from kejin.facts import schema
from kejin.i18n import Text
from kejin.rules import expr as ex
from kejin.rules.packfile import PackMeta, file_sha256, pack_error, read_yaml, validate

PACK_DIR = Path(__file__).resolve().parent.parent / "packs" / "points"
KIND = "points-method"
WEIGHT_TOLERANCE = 1e-9
ALL_STAGES = "*"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class TierStep(_Strict):
    """Fixed tiers: the first step whose threshold the value reaches gives the score."""

    ge: float
    score: float = Field(ge=0, le=1)


class Normalise(_Strict):
    """How a raw indicator value becomes a score in [0, 1]."""

    method: Literal["percentile", "minmax", "log", "tiers", "boolean"]
    winsor: tuple[float, float] = (0.01, 0.99)  # minmax: cohort quantiles used as the ends
    cap: float | None = Field(default=None, gt=0)  # log: value that scores 1
    steps: list[TierStep] = []  # tiers
    otherwise: float = Field(default=0.0, ge=0, le=1)  # tiers: below every step

    @model_validator(mode="after")
    def _check(self) -> "Normalise":
        if self.method == "log" and self.cap is None:
            raise ValueError("log normalisation needs cap / 对数归一化需要 cap")
        if self.method == "tiers":
            if not self.steps:
                raise ValueError("tiers normalisation needs steps / 分档归一化需要 steps")
            ge = [s.ge for s in self.steps]
            if ge != sorted(ge, reverse=True):
                raise ValueError("tier steps must be in descending order of ge / 分档阈值须从高到低")
        lo, hi = self.winsor
        if not (0 <= lo < hi <= 1):
            raise ValueError("winsor must be 0 <= lo < hi <= 1 / 缩尾分位须满足 0 <= lo < hi <= 1")
        return self


class Indicator(_Strict):
    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    name: Text
    group: str
    value: str  # expression over the facts (kejin.rules.expr)
    normalise: Normalise
    direction: Literal["higher", "lower"] = "higher"
    clip: tuple[float | None, float | None] | None = None  # caps on the raw value before normalising
    why: str = ""  # the reason for the indicator and its weight (docs)


class BonusIndicator(Indicator):
    group: str = "bonus"
    points: float = Field(gt=0)  # bonus points at score 1


class Group(_Strict):
    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    name: Text


class Stage(_Strict):
    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    name: Text
    when: str  # expression; the first stage whose condition is true is the firm's stage


class Cohort(_Strict):
    """Who a firm is compared with: year × stage, optionally × region prefix or industry."""

    region_digits: Literal[0, 2, 4, 6] = 0
    industry: Literal["none", "section", "division"] = "none"
    min_size: int = Field(default=20, ge=1)
    on_small: Literal["flag", "error"] = "flag"


class Scope(_Strict):
    """Which firms a (local) method scores at all; restricts the cohort."""

    region_prefixes: list[str] = []
    sectors_any: list[str] = []


class Missing(_Strict):
    """Blank inputs: ``reweight`` scores on the usable indicators if the unusable weight is at
    most ``max_unusable_weight`` (share of the stage's weights); ``zero`` scores them 0;
    ``require`` scores no firm with any unusable indicator."""

    policy: Literal["reweight", "zero", "require"] = "reweight"
    max_unusable_weight: float = Field(default=0.35, ge=0, le=1)


class TierRule(_Strict):
    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    name: Text
    top: float = Field(gt=0, le=1)  # share of the cohort, best first (0.05 = top 5 %)


class Tiers(_Strict):
    rules: list[TierRule]
    otherwise: TierRule | None = None  # label of firms outside every list; top is ignored

    @model_validator(mode="after")
    def _order(self) -> "Tiers":
        tops = [t.top for t in self.rules]
        if tops != sorted(tops):
            raise ValueError("tier rules must be in ascending order of top / 榜单须按 top 从小到大")
        return self


class Bonus(_Strict):
    cap: float = Field(default=0.0, ge=0)
    indicators: list[BonusIndicator] = []


class Method(_Strict):
    """A resolved (inheritance applied) points method."""

    meta: PackMeta
    extends: str | None = None
    scale: float = Field(default=100.0, gt=0)
    derived: dict[str, str] = {}
    stages: list[Stage]
    groups: list[Group]
    indicators: list[Indicator]
    weights: dict[str, dict[str, float]]
    bonus: Bonus = Bonus()
    cohort: Cohort = Cohort()
    scope: Scope = Scope()
    missing: Missing = Missing()
    tiers: Tiers
    file: str = ""
    sha256: str = ""
    files: list[str] = []

    @property
    def id(self) -> str:
        return self.meta.id

    @property
    def version(self) -> str:
        return self.meta.version

    @property
    def ref(self) -> str:
        return f"{self.meta.id}@{self.meta.version}"

    @property
    def stage_ids(self) -> list[str]:
        return [s.id for s in self.stages]

    def all_indicators(self) -> list[Indicator]:
        return [*self.indicators, *self.bonus.indicators]

    def indicator(self, iid: str) -> Indicator:
        for ind in self.all_indicators():
            if ind.id == iid:
                return ind
        raise KeyError(iid)

    def stage_weights(self, stage: str) -> dict[str, float]:
        return self.weights.get(stage) or self.weights[ALL_STAGES]

    def expressions(self) -> dict[str, str]:
        """Every expression of the method, by key (for uses, docs and the SQL rendering)."""
        out = {f"stages[{i}].when": s.when for i, s in enumerate(self.stages)}
        out.update({f"indicators.{i.id}.value": i.value for i in self.indicators})
        out.update({f"bonus.indicators.{i.id}.value": i.value for i in self.bonus.indicators})
        return out

    def uses(self) -> set[ex.Use]:
        out: set[ex.Use] = set()
        for src in self.expressions().values():
            out |= ex.uses(src, self.derived)
        return out

    def input_columns(self) -> list[str]:
        """The fact columns the method reads (sorted): the input digest covers exactly these."""
        cols = {u.name for u in self.uses() if u.name != "__present__"} | {"uscc", "year"}
        if self.cohort.region_digits or self.scope.region_prefixes:
            cols.add("region_code")
        if self.cohort.industry != "none":
            cols.add("industry_code")
        if self.scope.sectors_any:
            cols.add("frontier_sectors")
        return sorted(cols)


# ---------------------------------------------------------------- loading


class _RawPack(_Strict):
    """What a pack file may contain (before inheritance)."""

    meta: PackMeta
    extends: str | None = None
    scale: float | None = None
    derived: dict[str, str] = {}
    stages: list[Stage] | None = None
    groups: list[Group] | None = None
    indicators: list[Indicator] | None = None
    add_indicators: list[Indicator] = []
    remove_indicators: list[str] = []
    weights: dict[str, dict[str, float]] | None = None
    bonus: Bonus | None = None
    add_bonus: list[BonusIndicator] = []
    bonus_cap: float | None = None
    cohort: Cohort | None = None
    scope: Scope | None = None
    missing: Missing | None = None
    tiers: Tiers | None = None


_META_KEYS = {"id", "version", "kind", "name", "issuer", "source", "effective", "uncertain", "notes"}


def _split(data: Any, file: Path) -> dict[str, Any]:
    if not isinstance(data, dict):
        raise pack_error(file, "", "规则包应为 YAML 映射", "a pack must be a YAML mapping")
    meta = {k: v for k, v in data.items() if k in _META_KEYS}
    rest = {k: v for k, v in data.items() if k not in _META_KEYS}
    if meta.get("kind") != KIND:
        raise pack_error(file, "kind", f"kind 应为 {KIND}", f"kind must be {KIND}", meta.get("kind"))
    return {"meta": meta, **rest}


def _merge(parent: Method, child: _RawPack, file: Path) -> dict[str, Any]:
    """Apply a local pack onto its parent: add/remove indicators, change weights (per stage,
    per indicator), add bonus indicators, replace cohort/scope/tiers/missing/stages."""
    base = parent.model_dump(mode="python", by_alias=True, exclude={"file", "sha256", "files", "meta", "extends"})
    base = copy.deepcopy(base)
    out: dict[str, Any] = dict(base)
    out["derived"] = {**base["derived"], **child.derived}
    for key in ("stages", "groups", "indicators", "cohort", "scope", "missing", "tiers", "bonus"):
        val = getattr(child, key)
        if val is not None:
            out[key] = val.model_dump(mode="python", by_alias=True) if isinstance(val, BaseModel) else [v.model_dump(mode="python", by_alias=True) for v in val]
    if child.scale is not None:
        out["scale"] = child.scale
    known = {i["id"] for i in out["indicators"]}
    for j, rid in enumerate(child.remove_indicators):
        if rid not in known:
            raise pack_error(file, f"remove_indicators[{j}]", f"上级方法中没有指标 {rid}", f"no indicator {rid} in the parent method", rid)
    out["indicators"] = [i for i in out["indicators"] if i["id"] not in set(child.remove_indicators)]
    for j, add in enumerate(child.add_indicators):
        if add.id in known:
            raise pack_error(file, f"add_indicators[{j}].id", f"指标 {add.id} 已存在", f"indicator {add.id} already exists", add.id)
        out["indicators"].append(add.model_dump(mode="python", by_alias=True))
    weights = {s: {k: v for k, v in w.items() if k not in set(child.remove_indicators)} for s, w in base["weights"].items()}
    for stage, changes in (child.weights or {}).items():
        weights.setdefault(stage, dict(weights.get(ALL_STAGES, {})))
        weights[stage].update(changes)
    if child.weights and ALL_STAGES in child.weights:
        for stage in list(weights):
            if stage != ALL_STAGES:
                weights[stage].update(child.weights[ALL_STAGES])
    out["weights"] = weights
    bonus = out["bonus"]
    bonus["indicators"] = list(bonus["indicators"]) + [b.model_dump(mode="python", by_alias=True) for b in child.add_bonus]
    if child.bonus_cap is not None:
        bonus["cap"] = child.bonus_cap
    return out


def load_method_file(path: Path | str) -> Method:
    path = Path(path)
    data = _split(read_yaml(path), path)
    data["meta"] = validate(PackMeta, data["meta"], path)
    raw = validate(_RawPack, data, path)
    own_sha = file_sha256(path)
    if raw.extends:
        parent = resolve(raw.extends)
        if parent.id == raw.meta.id:
            raise pack_error(path, "extends", "方法不能继承自身", "a method cannot extend itself", raw.extends)
        merged = _merge(parent, raw, path)
        sha = hashlib.sha256(f"kejin-method-v1\n{parent.sha256}\n{own_sha}\n".encode()).hexdigest()
        files = [*parent.files, str(path)]
    else:
        missing = [k for k in ("stages", "groups", "indicators", "weights", "tiers") if getattr(raw, k) is None]
        if missing:
            raise pack_error(path, missing[0], f"缺少必需的键 {missing[0]}", f"missing required key {missing[0]}")
        merged = raw.model_dump(mode="python", by_alias=True, exclude={"meta", "extends", "add_indicators", "remove_indicators", "add_bonus", "bonus_cap"}, exclude_none=True)
        sha, files = own_sha, [str(path)]
    merged = {**merged, "meta": raw.meta.model_dump(mode="python", by_alias=True), "extends": raw.extends, "file": str(path), "sha256": sha, "files": files}
    method = validate(Method, merged, path)
    check_method(method, path)
    return method


def check_method(m: Method, file: Path | str) -> None:
    """Cross-field checks: groups, weights per stage, inputs, expressions, cycles."""
    problems: list[Problem] = []

    def bad(key: str, zh: str, en: str, value: Any = None) -> None:
        problems.append(Problem("pack.invalid", zh, en, file=str(file), key=key, value=value))

    group_ids = {g.id for g in m.groups}
    ids = [i.id for i in m.all_indicators()]
    for dup in sorted({i for i in ids if ids.count(i) > 1}):
        bad(f"indicators.{dup}", f"指标 id 重复：{dup}", f"duplicate indicator id: {dup}", dup)
    for i in m.indicators:
        if i.group not in group_ids:
            bad(f"indicators.{i.id}.group", f"未定义的指标组 {i.group}", f"undefined group {i.group}", i.group)
    stage_ids = m.stage_ids
    if len(set(stage_ids)) != len(stage_ids):
        bad("stages", "阶段 id 重复", "duplicate stage ids")
    base_ids = {i.id for i in m.indicators}
    for stage in stage_ids:
        if stage not in m.weights and ALL_STAGES not in m.weights:
            bad(f"weights.{stage}", f"阶段 {stage} 没有权重", f"no weights for stage {stage}")
    for stage, w in m.weights.items():
        if stage != ALL_STAGES and stage not in stage_ids:
            bad(f"weights.{stage}", f"未定义的阶段 {stage}", f"undefined stage {stage}", stage)
            continue
        for iid, val in w.items():
            if iid not in base_ids:
                bad(f"weights.{stage}.{iid}", f"权重指向未定义的指标 {iid}", f"weight for an undefined indicator {iid}", iid)
            if val < 0:
                bad(f"weights.{stage}.{iid}", "权重不能为负", "a weight cannot be negative", val)
        for iid in sorted(base_ids - set(w)):
            bad(f"weights.{stage}.{iid}", f"指标 {iid} 在阶段 {stage} 没有权重（不用时写 0）", f"indicator {iid} has no weight in stage {stage} (write 0 if unused)")
        total = sum(w.values())
        if abs(total - m.scale) > WEIGHT_TOLERANCE * max(1.0, m.scale):
            bad(f"weights.{stage}", f"阶段 {stage} 的权重合计为 {total:g}，应为 {m.scale:g}", f"weights of stage {stage} sum to {total:g}, not {m.scale:g}", total)
    if m.bonus.indicators and m.bonus.cap <= 0:
        bad("bonus.cap", "有加分指标时 cap 须大于 0", "bonus.cap must be > 0 when there are bonus indicators", m.bonus.cap)
    # derived cycles and expressions; every input must be a field of the data norms
    known_fields = set(schema.field_names()) | {"__present__"}
    for name in m.derived:
        try:
            ex.uses(name, m.derived)
        except ex.ExprError as exc:
            bad(f"derived.{name}", exc.zh, exc.en)
    for key, src in m.expressions().items():
        try:
            used = ex.uses(src, m.derived)
            ex.Compiler(m.derived).compile(src)
        except ex.ExprError as exc:
            bad(key, exc.zh, exc.en, src)
            continue
        for u in sorted(used, key=lambda u: (u.name, u.lag)):
            if u.name not in known_fields:
                bad(key, f"表达式引用了数据规范中不存在的字段 {u.name}", f"expression refers to a field {u.name} that is not in the data norms", src)
    if problems:
        raise PackError(problems)


# ---------------------------------------------------------------- registry


def method_files(root: Path = PACK_DIR) -> list[Path]:
    out = []
    for p in sorted(root.glob("*/*.yaml")):
        if p.name.endswith(".tests.yaml"):
            continue
        head = p.read_text(encoding="utf-8")[:2000]
        if f"kind: {KIND}" in head:
            out.append(p)
    return out


@lru_cache(maxsize=None)
def _load_cached(path: str, mtime: float) -> Method:
    return load_method_file(path)


def load(path: Path | str) -> Method:
    p = Path(path)
    return _load_cached(str(p.resolve()), p.stat().st_mtime if p.exists() else 0.0)


def _index(root: Path = PACK_DIR) -> dict[tuple[str, str], Path]:
    out = {}
    for p in method_files(root):
        head = read_yaml(p) or {}
        out[(str(head.get("id")), str(head.get("version")))] = p
    return out


def all_methods(root: Path = PACK_DIR) -> list[Method]:
    return [load(p) for p in method_files(root)]


def resolve(spec: str, root: Path = PACK_DIR) -> Method:
    """``ID``, ``ID@VERSION`` or a path to a method pack file."""
    if spec.endswith((".yaml", ".yml")):
        if not Path(spec).exists():
            raise NotFoundError(Problem("method.missing", "找不到积分方法文件", "method pack file not found", file=spec))
        return load(spec)
    pid, _, version = spec.partition("@")
    index = _index(root)
    found = sorted((v, p) for (i, v), p in index.items() if i == pid and (not version or v == version))
    if not found:
        known = ", ".join(f"{i}@{v}" for i, v in sorted(index))
        raise NotFoundError(Problem("method.unknown", f"未知的积分方法“{spec}”（可用：{known}）", f"unknown points method '{spec}' (available: {known})"))
    return load(found[-1][1])
