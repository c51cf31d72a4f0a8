"""The fund packs: loss tolerance and exemption, lifecycle bands (Takahashi–Alexander calibration and the
fixed annual rules they are compared with), guidance-fund policy targets, and Monte Carlo assumptions.

Every number lives in a versioned YAML file under ``kejin/packs/funds/`` with its source and effective
dates; this module only describes and checks their shape.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Generic, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, model_validator

from kejin.errors import PackError, Problem
from kejin.funds.vocab import STRATEGIES
from kejin.i18n import Text
from kejin.rules.packfile import Effective, PackMeta, Source, file_sha256, read_yaml, validate

PACK_DIR = Path(__file__).resolve().parent.parent / "packs" / "funds"
Strategy = Literal["seed", "angel", "vc", "growth"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)


# ---------------------------------------------------------------- tolerance and exemption
class ToleranceScheme(_Strict):
    id: str = Field(pattern=r"^[a-z0-9][a-z0-9\-]*$")
    name: Text
    source: Source
    effective: Effective
    fund_types: list[Strategy]
    project_loss_cap: float | None = Field(default=None, ge=0, le=1)  # per project, share of its cost
    portfolio_loss_rate: float | None = Field(default=None, ge=0, le=1)  # whole fund, share of principal
    portfolio_basis: Literal["net", "gross"] = "net"
    note: Text | None = None


class Precondition(_Strict):
    id: str = Field(pattern=r"^[a-z][a-z_]*$")
    label: Text
    evidence: Text  # what a reviewer expects to see


class Exemption(_Strict):
    source: Source
    preconditions: list[Precondition]
    review: Text


class TolerancePack(PackMeta):
    schemes: list[ToleranceScheme]
    default_scheme: dict[Strategy, str]
    exemption: Exemption

    @model_validator(mode="after")
    def _consistent(self) -> "TolerancePack":
        ids = [s.id for s in self.schemes]
        if len(ids) != len(set(ids)):
            raise ValueError("scheme ids must be unique")
        for strategy, scheme in self.default_scheme.items():
            if scheme not in ids:
                raise ValueError(f"default_scheme.{strategy}: unknown scheme '{scheme}'")
        missing = set(STRATEGIES) - set(self.default_scheme)
        if missing:
            raise ValueError(f"default_scheme must name a scheme for every strategy; missing {sorted(missing)}")
        for s in self.schemes:
            if s.project_loss_cap is None and s.portfolio_loss_rate is None:
                raise ValueError(f"scheme {s.id}: needs project_loss_cap or portfolio_loss_rate")
        return self

    def scheme(self, scheme_id: str) -> ToleranceScheme:
        for s in self.schemes:
            if s.id == scheme_id:
                return s
        raise KeyError(scheme_id)


# ---------------------------------------------------------------- lifecycle bands
class Growth(_Strict):
    floor: float = Field(gt=-1)  # below the floor path: off track
    low: float = Field(gt=-1)  # between floor and low: watch
    mid: float = Field(gt=-1)  # the central expectation
    high: float = Field(gt=-1)

    @model_validator(mode="after")
    def _ordered(self) -> "Growth":
        if not self.floor <= self.low <= self.mid <= self.high:
            raise ValueError("growth rates must be ordered floor ≤ low ≤ mid ≤ high")
        return self


class Calibration(_Strict):
    rc: list[float] = Field(min_length=1)  # contribution rate by year of age; the last one repeats
    life: float = Field(gt=0)
    bow: float = Field(gt=0)
    bow_slow: float = Field(gt=0)  # the slowest distribution pattern still expected (DPI band)
    yield_: float = Field(alias="yield", ge=0, le=1)
    growth: Growth
    j_curve: list[float] = []  # added to G in years 1, 2, … (early write-downs): the J-curve dip
    fee_drag: list[float] = []  # share of the year-1, 2, … contribution that pays fees and never becomes NAV
    dpi_from_age: float = Field(ge=0)  # DPI is judged only from this age on
    judge_from_age: float = Field(ge=0)  # before this age a verdict is 'too early'

    @model_validator(mode="after")
    def _rates(self) -> "Calibration":
        if any(not 0 < r <= 1 for r in self.rc):
            raise ValueError("rc values must lie in (0, 1]")
        if any(not 0 <= f < 1 for f in self.fee_drag):
            raise ValueError("fee_drag values must lie in [0, 1)")
        if any(self.growth.floor + j <= -1 for j in self.j_curve):
            raise ValueError("growth.floor + j_curve must stay above −100%")
        if self.bow_slow < self.bow:
            raise ValueError("bow_slow must be ≥ bow (a larger bow delays distributions)")
        return self


class FixedRule(_Strict):
    id: str
    label: Text
    metric: Literal["tvpi", "dpi", "irr"]
    minimum: float
    from_age: float = Field(ge=0)
    source: Source


class LifecyclePack(PackMeta):
    strategies: dict[Strategy, Calibration]
    fixed_rules: list[FixedRule]

    @model_validator(mode="after")
    def _complete(self) -> "LifecyclePack":
        missing = set(STRATEGIES) - set(self.strategies)
        if missing:
            raise ValueError(f"strategies must cover {sorted(STRATEGIES)}; missing {sorted(missing)}")
        return self


# ---------------------------------------------------------------- policy indicators
class Reinvestment(_Strict):
    required: bool
    min_ratio: float | None = Field(default=None, ge=0)
    basis: Text
    source: Source


class PolicyPack(PackMeta):
    seed_startup_stages: list[Strategy]
    seed_startup_min_share: float = Field(ge=0, le=1)
    frontier_min_share: float | None = Field(default=None, ge=0, le=1)
    leverage_reference: float | None = Field(default=None, gt=0)
    reinvestment: Reinvestment


# ---------------------------------------------------------------- Monte Carlo assumptions
class StageAssumptions(_Strict):
    failure_prob: float = Field(ge=0, le=1)
    pareto_alpha: float = Field(gt=1)  # tail index of successful exit multiples (> 1: finite mean)
    x_min: float = Field(gt=0)  # smallest multiple of a success
    cap: float | None = Field(default=None, gt=0)  # largest multiple kept (None: uncapped)
    hold_years_mean: float = Field(gt=0)
    failure_years_mean: float = Field(gt=0)


class Scenario(_Strict):
    stage_mix: dict[Strategy, float]
    life: int = Field(ge=2, le=40)
    investment_years: int = Field(ge=1)
    fee_rate: float = Field(ge=0, le=0.1)  # on commitment during the investment period
    fee_rate_after: float = Field(ge=0, le=0.1)  # on commitment after it

    @model_validator(mode="after")
    def _mix(self) -> "Scenario":
        if abs(sum(self.stage_mix.values()) - 1) > 1e-9:
            raise ValueError("stage_mix shares must add up to 1")
        if self.investment_years > self.life:
            raise ValueError("investment_years must not exceed life")
        return self


class SimulationPack(PackMeta):
    stages: dict[Strategy, StageAssumptions]
    scenarios: dict[Strategy, Scenario]

    def scenario(self, name: str) -> "ScenarioAssumptions":
        return ScenarioAssumptions(name, self.scenarios[name], self.stages)  # type: ignore[index]


@dataclass(frozen=True)
class ScenarioAssumptions:
    name: str
    scenario: Scenario
    stages: dict[str, StageAssumptions]


# ---------------------------------------------------------------- loading
P = TypeVar("P", bound=PackMeta)


@dataclass(frozen=True)
class Loaded(Generic[P]):
    pack: P
    file: str
    sha256: str

    def provenance(self) -> dict[str, str]:
        return {"id": self.pack.id, "version": self.pack.version, "file": self.file, "sha256": self.sha256}


KINDS: dict[str, type[PackMeta]] = {
    "funds.tolerance": TolerancePack,
    "funds.lifecycle": LifecyclePack,
    "funds.policy": PolicyPack,
    "funds.simulation": SimulationPack,
}
DEFAULT_FILES = {
    "funds.tolerance": "tolerance-cn-2025.yaml",
    "funds.lifecycle": "lifecycle-bands-2025.yaml",
    "funds.policy": "guidance-policy-2025.yaml",
    "funds.simulation": "simulation-reference-2025.yaml",
}


def load(kind: str, path: Path | str | None = None) -> Loaded:
    """Load and check a fund pack of ``kind`` (the default file of that kind when ``path`` is None)."""
    file = Path(path) if path else PACK_DIR / DEFAULT_FILES[kind]
    data = read_yaml(file)
    if not isinstance(data, dict):
        raise PackError(Problem("pack.invalid", "规则包应为键值映射", "a pack must be a mapping", file=str(file)))
    if data.get("kind") != kind:
        raise PackError(Problem("pack.kind", f"规则包类型应为 {kind}", f"pack kind must be {kind}", file=str(file),
                                key="kind", value=data.get("kind")))
    pack = validate(KINDS[kind], data, file)
    return Loaded(pack, str(file), file_sha256(file))


def load_tolerance_pack(path: Path | str | None = None) -> Loaded[TolerancePack]:
    return load("funds.tolerance", path)


def load_lifecycle_pack(path: Path | str | None = None) -> Loaded[LifecyclePack]:
    return load("funds.lifecycle", path)


def load_policy_pack(path: Path | str | None = None) -> Loaded[PolicyPack]:
    return load("funds.policy", path)


def load_simulation_pack(path: Path | str | None = None) -> SimulationPack:
    return load("funds.simulation", path).pack
