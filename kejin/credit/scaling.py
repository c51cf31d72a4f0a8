"""Points scaling: turning log-odds into a score with points-to-double-odds (PDO) and base odds.

``score = offset + factor · ln(odds of not defaulting)``, ``factor = pdo / ln 2``,
``offset = base_score − factor · ln(base_odds)``. The settings are saved inside the card, so a
reloaded card scores exactly as the one that was fitted (toad issue #110).
"""

from __future__ import annotations

import math

import numpy as np
from pydantic import BaseModel, ConfigDict, Field


class Scaling(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    pdo: float = Field(20.0, gt=0, description="points that double the odds")
    base_score: float = Field(600.0, description="score at the base odds")
    base_odds: float = Field(50.0, gt=0, description="non-default : default odds at the base score")
    rounding: bool = Field(False, description="round each bin's points to a whole number")

    @property
    def factor(self) -> float:
        return self.pdo / math.log(2)

    @property
    def offset(self) -> float:
        return self.base_score - self.factor * math.log(self.base_odds)

    def bin_points(self, coefficient: float, woe: np.ndarray, intercept: float, n_features: int) -> np.ndarray:
        """Points of each bin; the intercept and offset are spread evenly over the features.

        The model is ``logit(PD) = intercept + Σ coefficient·WOE`` so higher WOE (safer) with a
        negative coefficient earns more points.
        """
        points = -self.factor * (coefficient * woe + intercept / n_features) + self.offset / n_features
        return np.round(points) if self.rounding else points

    def pd_from_score(self, score: np.ndarray) -> np.ndarray:
        return 1.0 / (1.0 + np.exp((np.asarray(score, dtype=np.float64) - self.offset) / self.factor))

    def score_from_pd(self, pd: np.ndarray) -> np.ndarray:
        pd = np.asarray(pd, dtype=np.float64)
        return self.offset + self.factor * np.log((1 - pd) / pd)
