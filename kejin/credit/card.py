"""The saved scorecard: a versioned JSON file that carries everything needed to score.

Bins, WOE, points, the scaling settings, the calibration, what was excluded and why, and the
development sample's distributions (for PSI/CSI monitoring) all live in one file, validated
when it is loaded.
"""

from __future__ import annotations

import json
import re
from datetime import datetime
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

import kejin
from kejin.credit.scaling import Scaling
from kejin.errors import InputError, Problem
from kejin.rules.packfile import validate

CARD_FORMAT = "kejin.scorecard/1"
UnseenPolicy = Literal["neutral", "error"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class CardBin(_Strict):
    label: str
    count: int
    events: int
    woe: float
    points: float


class CardFeature(_Strict):
    name: str
    kind: Literal["numeric", "categorical"]
    splits: list[float] = []  # numeric: bin k holds splits[k-1] <= x < splits[k]
    groups: list[list[str]] = []  # categorical: the categories of each bin
    bins: list[CardBin]  # regular bins, then the missing bin last
    coefficient: float
    iv: float
    trend: Literal["ascending", "descending"]
    neutral_points: float = Field(description="points for WOE 0: unseen categories under the neutral policy")

    @property
    def missing_bin(self) -> CardBin:
        return self.bins[-1]

    @property
    def max_points(self) -> float:
        return max(b.points for b in self.bins if b.count > 0)


class Excluded(_Strict):
    name: str
    code: str
    zh: str
    en: str
    iv: float | None = None


class Calibration(_Strict):
    sample_default_rate: float
    target_pd: float | None = None
    intercept_shift: float = 0.0


class CalibrationBand(_Strict):
    band: int
    score_low: float
    score_high: float
    n: int
    defaults: int
    observed_rate: float
    mean_pd: float


class Evaluation(_Strict):
    """Performance on one labelled sample (development or any later one)."""

    n: int
    defaults: int
    auc: float
    gini: float
    ks: float
    calibration: list[CalibrationBand]
    hosmer_lemeshow: float
    hosmer_lemeshow_p: float
    histogram_edges: list[float]
    histogram_goods: list[int]
    histogram_bads: list[int]
    roc_fpr: list[float]
    roc_tpr: list[float]


class Development(_Strict):
    score_edges: list[float]  # band k of the score holds edges[k-1] <= score < edges[k]
    score_counts: list[int]
    evaluation: Evaluation


class DataInfo(_Strict):
    file: str | None
    sha256: str | None
    rows: int
    target: str
    event_value: str


class FitSettings(_Strict):
    """The binning and selection settings the card was fitted with, for re-fitting it."""

    min_iv: float = Field(0.005, ge=0)  # features carrying less information are left out
    max_n_prebins: int = Field(50, ge=2, le=200)
    min_bin_size: float = Field(0.05, gt=0, lt=0.5)
    seed: int = 0
    l2: float = Field(1.0, ge=0)  # L2 penalty on the coefficients (scikit-learn's default C = 1)


class Scorecard(_Strict):
    format: Literal["kejin.scorecard/1"] = CARD_FORMAT
    model_id: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_\-]*$")
    version: int = Field(ge=1)
    created: datetime
    kejin_version: str
    data: DataInfo
    scaling: Scaling
    settings: FitSettings = FitSettings()
    calibration: Calibration
    intercept: float
    unseen_policy: UnseenPolicy = "neutral"
    features: list[CardFeature]
    excluded: list[Excluded] = []
    development: Development

    def feature(self, name: str) -> CardFeature:
        return next(f for f in self.features if f.name == name)

    def to_json(self) -> str:
        return self.model_dump_json(indent=2)


def versioned_path(out: Path, model_id: str) -> tuple[Path, int]:
    """A directory gets ``<model_id>-v<N>.json`` with the next free N; a file path is used as is."""
    if out.suffix.lower() == ".json" and not out.is_dir():
        match = re.search(r"-v(\d+)\.json$", out.name)
        return out, int(match.group(1)) if match else 1
    out.mkdir(parents=True, exist_ok=True)
    taken = [int(m.group(1)) for p in out.glob(f"{model_id}-v*.json") if (m := re.search(r"-v(\d+)\.json$", p.name))]
    version = max(taken, default=0) + 1
    return out / f"{model_id}-v{version}.json", version


def save_card(card: Scorecard, path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(card.to_json() + "\n", encoding="utf-8")
    return path


def load_card(path: Path | str) -> Scorecard:
    path = Path(path)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InputError(Problem("card.missing", "找不到评分卡文件", "scorecard file not found", file=str(path))) from None
    except json.JSONDecodeError as exc:
        raise InputError(
            Problem("card.json", f"评分卡文件不是有效的 JSON：{exc}", f"the scorecard file is not valid JSON: {exc}", file=str(path))
        ) from None
    if not isinstance(data, dict) or data.get("format") != CARD_FORMAT:
        raise InputError(
            Problem(
                "card.format",
                f"不是 kejin 评分卡文件（需要 format: {CARD_FORMAT}）",
                f"not a kejin scorecard file (expected format: {CARD_FORMAT})",
                file=str(path),
                key="format",
                value=data.get("format") if isinstance(data, dict) else None,
            )
        )
    return validate(Scorecard, data, path)


def kejin_version() -> str:
    return getattr(kejin, "__version__", "0")
