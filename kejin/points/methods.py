"""Points method packs: the model, loading, inheritance (local packs) and validation.

A method is data (a YAML pack under ``kejin/packs/points/<id>/<version>.yaml``): indicators
written in the rules expression language, groups, weights per stage, the stage rule, how raw
values become indicator scores, caps, bonus indicators, cohorts and tier rules. A local pack
names ``extends: <id>[@version]`` (or a pack file, a relative path taken from its own folder) and
adds indicators, changes weights, restricts the cohort. Every indicator and every weight set it
writes documents ``why`` (``weights_why`` for weight sets).

Every problem found on load names the pack file that has it and the key as written in that file
(``add_indicators[0].value`` in a local pack), once, with a Chinese sentence and the English one
(pydantic's own detail only in English). Beyond the model: weights per stage, groups, the data
norms' fields, derived cycles, clip order, an input for every indicator, and a true/false (or
0/1) value for ``boolean`` normalisation, judged from the field types of the data norms.
"""

from __future__ import annotations

import ast
import copy
import hashlib
import threading
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from kejin.errors import NotFoundError, PackError, Problem
from kejin.facts import schema
from kejin.i18n import Text
from kejin.rules import expr as ex
from kejin.rules.pack_messages import unique
from kejin.rules.packfile import PackMeta, dotted, file_sha256, pack_error, read_yaml, validate

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
    weights_why: dict[str, str] = {}  # the reason for each weight set (stage or "*")
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
    weights_why: dict[str, str] = {}
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
    out["weights_why"] = {**base["weights_why"], **child.weights_why}
    bonus = out["bonus"]
    bonus["indicators"] = list(bonus["indicators"]) + [b.model_dump(mode="python", by_alias=True) for b in child.add_bonus]
    if child.bonus_cap is not None:
        bonus["cap"] = child.bonus_cap
    return out


# ---------------------------------------------------------------- value types (boolean normalisation)

_FIELD_KINDS = {"bool": "bool", "int": "number", "amount": "number", "ratio": "number", "text": "text", "enum": "text", "date": "date", "list": "list"}
_KIND_WORDS = {"number": ("数值", "a number"), "text": ("文本", "text"), "date": ("日期", "a date"), "list": ("列表", "a list")}
_FIELD_TYPE_WORDS = {"int": ("整数", "an integer"), "amount": ("金额", "an amount"), "ratio": ("比率", "a ratio"), "text": ("文本", "a text"),
                     "enum": ("枚举", "an enumeration"), "date": ("日期", "a date"), "list": ("列表", "a list")}


def _join(kinds: list[str]) -> str:
    if "unknown" in kinds:
        return "unknown"
    if all(k == "bool" for k in kinds):
        return "bool"
    if all(k in ("bool", "flag") for k in kinds):
        return "flag"
    if all(k in ("bool", "flag", "number") for k in kinds):
        return "number"
    return next(k for k in kinds if k not in ("bool", "flag", "number"))


def value_kind(source: str, derived: dict[str, str] | None = None) -> str:
    """What an expression yields, from the field types of the data norms: ``bool`` (true/false),
    ``flag`` (a number that can only be 0 or 1, e.g. ``where(cond, 1, 0)``), ``number``, ``text``,
    ``date``, ``list`` or ``unknown`` (a field outside the norms, a derived cycle)."""
    derived = derived or {}
    types = {f.name: f.type for f in schema.fields()}

    def kind(node: ast.expr, stack: tuple[str, ...]) -> str:
        if isinstance(node, ast.Constant):
            v = node.value
            if isinstance(v, bool):
                return "bool"
            if isinstance(v, (int, float)):
                return "flag" if v in (0, 1) else "number"
            return "text"
        if isinstance(node, ast.Name):
            if node.id in ("true", "false"):
                return "bool"
            if node.id in derived:
                return "unknown" if node.id in stack else kind(ex.parse(derived[node.id]), stack + (node.id,))
            return _FIELD_KINDS.get(types.get(node.id, ""), "unknown")
        if isinstance(node, (ast.Compare, ast.BoolOp)):
            return "bool"
        if isinstance(node, ast.UnaryOp):
            inner = kind(node.operand, stack)
            if inner == "unknown" or isinstance(node.op, ast.UAdd):
                return inner
            if isinstance(node.op, ast.Not):
                return "bool" if inner in ("bool", "flag") else inner
            return "number" if inner in ("bool", "flag", "number") else inner
        if isinstance(node, ast.BinOp):
            a, b = kind(node.left, stack), kind(node.right, stack)
            if "unknown" in (a, b):
                return "unknown"
            if isinstance(node.op, ast.Mult) and a in ("bool", "flag") and b in ("bool", "flag"):
                return "flag"
            return _join([a, b, "number"])
        if isinstance(node, ast.Call):
            fn, args = node.func.id, node.args  # type: ignore[attr-defined]
            if fn == "lag" and args:
                return kind(args[0], stack)
            if fn in ("is_known", "has_sector"):
                return "bool"
            if fn in ("sum_years", "sum_years_actual", "years_present", "age_years", "age_days"):
                return "number"
            if fn == "abs" and args:
                inner = kind(args[0], stack)
                return "flag" if inner in ("bool", "flag") else inner
            if fn == "where" and len(args) == 3:
                return _join([kind(args[1], stack), kind(args[2], stack)])
            if fn in ("coalesce", "max", "min") and args:
                return _join([kind(a, stack) for a in args])
        return "unknown"

    try:
        return kind(ex.parse(source), ())
    except ex.ExprError:
        return "unknown"


def _kind_words(source: str, kind: str) -> tuple[str, str]:
    zh, en = _KIND_WORDS.get(kind, ("非真假值", "not true/false"))
    name = str(source).strip()
    if name in schema.field_names():
        fz, fe = _FIELD_TYPE_WORDS.get(schema.field(name).type, (zh, en))
        return f"{zh}（{name} 在数据规范中是{fz}字段）", f"{en} ({name} is {fe} field of the data norms)"
    return zh, en


# ---------------------------------------------------------------- checks of one file, loading

Origins = dict[str, tuple[str, str]]  # "indicators.<id>" / "bonus.indicators.<id>" → (file, key prefix in that file)

_STATE = threading.local()  # .loading: pack files this thread is loading (innermost last): an extends cycle shows up here


def _loading() -> list[str]:
    if not hasattr(_STATE, "loading"):
        _STATE.loading = []
    return _STATE.loading


def _own_indicators(raw: _RawPack) -> list[tuple[str, Indicator, str]]:
    """The indicators this file writes: (merged prefix, indicator, key prefix as in the file)."""
    out = [(f"indicators.{i.id}", i, f"indicators.{i.id}") for i in raw.indicators or []]
    out += [(f"indicators.{i.id}", i, f"add_indicators[{j}]") for j, i in enumerate(raw.add_indicators)]
    out += [(f"bonus.indicators.{i.id}", i, f"bonus.indicators.{i.id}") for i in (raw.bonus.indicators if raw.bonus else [])]
    out += [(f"bonus.indicators.{i.id}", i, f"add_bonus[{j}]") for j, i in enumerate(raw.add_bonus)]
    return out


def _check_file(raw: _RawPack, path: Path) -> list[Problem]:
    """Checks of what one file writes, named by its own keys: clip order, a ``why`` for every
    indicator it defines and for every weight set it writes."""
    problems: list[Problem] = []

    def bad(key: str, zh: str, en: str, value: Any = None) -> None:
        problems.append(Problem("pack.invalid", zh, en, file=str(path), key=key, value=value))

    for _, ind, at in _own_indicators(raw):
        if ind.clip is not None:
            lo, hi = ind.clip
            if lo is not None and hi is not None and lo > hi:
                bad(f"{at}.clip", f"指标 {ind.id} 的 clip 下限 {lo:g} 大于上限 {hi:g}：应写成 [下限, 上限]",
                    f"indicator {ind.id}: clip lower end {lo:g} is above the upper end {hi:g}; write [lower, upper]", list(ind.clip))
        if not ind.why.strip():
            bad(f"{at}.why", f"指标 {ind.id} 缺少 why：每个指标都须说明设置理由（及其权重的理由）",
                f"indicator {ind.id} has no why: every indicator documents the reason for it and its weight")
    written = raw.weights or {}
    for stage in written:
        if not raw.weights_why.get(stage, "").strip():
            bad(f"weights_why.{stage}", f"权重组 {stage} 缺少理由：在 weights_why.{stage} 写明这组权重（或其改动）的理由",
                f"weight set {stage} has no reason: write why these weights (or changes) are chosen under weights_why.{stage}")
    for stage in raw.weights_why:
        if stage not in written:
            bad(f"weights_why.{stage}", f"本文件的 weights 中没有权重组 {stage}，无从说明理由",
                f"this file's weights have no weight set {stage} for this reason to explain", stage)
    return problems


def _parent(spec: str, path: Path) -> Method:
    """The method a local pack extends; a relative file path is taken from the pack's folder.
    Any problem names the local pack file and its ``extends`` key."""
    target = spec
    if spec.endswith((".yaml", ".yml")) and not Path(spec).is_absolute():
        target = str(path.parent / spec)
    if spec.endswith((".yaml", ".yml")):
        resolved, loading = str(Path(target).resolve()), _loading()
        if resolved in loading:
            chain = " → ".join([*loading[loading.index(resolved):], resolved])
            raise pack_error(path, "extends", f"继承形成循环：{chain}", f"extends forms a cycle: {chain}", spec)
        if not Path(target).exists():
            raise pack_error(path, "extends", f"找不到上级方法文件 {target}（相对路径从本文件所在目录算起）",
                             f"parent method file {target} not found (a relative path is taken from this pack's folder)", spec)
    try:
        return resolve(target)
    except NotFoundError as exc:
        first = exc.problems[0]
        raise PackError(Problem("pack.invalid", f"extends 指向的上级方法无法找到：{first.zh}", f"the parent method named by extends cannot be found: {first.en}",
                                file=str(path), key="extends", value=spec)) from None
    except PackError as exc:
        head = Problem("pack.invalid", "extends 指向的上级方法无效（问题见下）", "the parent method named by extends is invalid (problems below)",
                       file=str(path), key="extends", value=spec)
        raise PackError([head, *exc.problems]) from None


def load_method_file(path: Path | str) -> Method:
    path = Path(path)
    data = _split(read_yaml(path), path)
    data["meta"] = validate(PackMeta, data["meta"], path)
    raw = validate(_RawPack, data, path)
    own_sha = file_sha256(path)
    problems = _check_file(raw, path)
    origins: Origins = {merged: (str(path), at) for merged, _, at in _own_indicators(raw)}
    loading = _loading()
    loading.append(str(path.resolve()))
    try:
        if raw.extends:
            parent = _parent(raw.extends, path)
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

        def locate(loc: tuple[Any, ...]) -> tuple[str, str]:
            # a merged position (indicators[19].clip) → the file and key that wrote it
            for head, prefix in ((("indicators",), "indicators"), (("bonus", "indicators"), "bonus.indicators")):
                n = len(head)
                if tuple(loc[:n]) == head and len(loc) > n and isinstance(loc[n], int):
                    items = merged["indicators"] if n == 1 else merged.get("bonus", {}).get("indicators", [])
                    if loc[n] < len(items) and isinstance(items[loc[n]], dict):
                        f, at = origins.get(f"{prefix}.{items[loc[n]].get('id')}", (str(path), f"{prefix}.{items[loc[n]].get('id')}"))
                        return f, dotted((at, *loc[n + 1:])) if loc[n + 1:] else at
            return str(path), dotted(loc)

        method = validate(Method, merged, path, locate)
        check_method(method, path, origins)
    except PackError as exc:
        raise PackError(unique([*problems, *exc.problems])) from None
    finally:
        loading.pop()
    if problems:
        raise PackError(unique(problems))
    return method


def check_method(m: Method, file: Path | str, origins: Origins | None = None) -> None:
    """Cross-field checks: groups, weights per stage, inputs, expressions, cycles, the value type
    a boolean normalisation needs. ``origins`` names, per indicator, the file and key that wrote
    it (a local pack's ``add_indicators[0]``); by default the merged key in ``file``."""
    problems: list[Problem] = []
    origins = origins or {}

    def bad(key: str, zh: str, en: str, value: Any = None) -> None:
        problems.append(Problem("pack.invalid", zh, en, file=str(file), key=key, value=value))

    def at(merged: str, suffix: str) -> tuple[str, str]:
        f, prefix = origins.get(merged, (str(file), merged))
        return f, f"{prefix}.{suffix}"

    def ibad(merged: str, suffix: str, zh: str, en: str, value: Any = None) -> None:
        f, key = at(merged, suffix)
        problems.append(Problem("pack.invalid", zh, en, file=f, key=key, value=value))

    group_ids = {g.id for g in m.groups}
    ids = [i.id for i in m.all_indicators()]
    for dup in sorted({i for i in ids if ids.count(i) > 1}):
        bad(f"indicators.{dup}", f"指标 id 重复：{dup}", f"duplicate indicator id: {dup}", dup)
    for i in m.indicators:
        if i.group not in group_ids:
            ibad(f"indicators.{i.id}", "group", f"指标 {i.id}：未定义的指标组 {i.group}", f"indicator {i.id}: undefined group {i.group}", i.group)
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
    indicators = {f"indicators.{i.id}": i for i in m.indicators} | {f"bonus.indicators.{i.id}": i for i in m.bonus.indicators}
    for key, src in m.expressions().items():
        merged = key.removesuffix(".value")
        ind = indicators.get(merged) if key.endswith(".value") else None

        def report(zh: str, en: str, value: Any = src) -> None:
            if ind is None:
                bad(key, zh, en, value)
            else:
                ibad(merged, "value", f"指标 {ind.id}：{zh}", f"indicator {ind.id}: {en}", value)

        try:
            used = ex.uses(src, m.derived)
            ex.Compiler(m.derived).compile(src)
        except ex.ExprError as exc:
            report(exc.zh, exc.en)
            continue
        for name in sorted({u.name for u in used}):
            if name not in known_fields:
                report(f"表达式引用了数据规范中不存在的字段 {name}", f"expression refers to a field {name} that is not in the data norms")
        if ind is None:
            continue
        if not used:
            report("取值不读取任何数据字段（是常数）：每个指标都须有输入", "its value reads no fact field (a constant): every indicator needs an input")
        if ind.normalise.method == "boolean":
            kind = value_kind(src, m.derived)
            if kind not in ("bool", "flag", "unknown"):
                kz, ke = _kind_words(src, kind)
                ibad(merged, "normalise.method",
                     f"指标 {ind.id} 用 boolean 归一化，但取值“{src}”是{kz}，不是真/假：任何正数都得 1 分。"
                     "请写成条件（如 … >= 1）或 0/1 值（where(条件, 1, 0)），或改用 tiers / log",
                     f"indicator {ind.id} uses boolean normalisation but its value '{src}' is {ke}, not true/false: "
                     "every positive value would score 1. Write a condition (e.g. … >= 1) or a 0/1 value (where(cond, 1, 0)), or use tiers / log",
                     "boolean")
    if problems:
        raise PackError(unique(problems))


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
