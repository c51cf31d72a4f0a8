"""Documented synthetic loan books of tech firms in which technology matters for default.

Two books:

* ``make_fact_loan_book`` — built from synthetic enterprise facts (``kejin.facts.synth``) with
  the technology features computed by the real engines (``kejin.credit.tech_features``); the
  book for showing what kejin's own features add. Process in ``make_fact_loan_book``.
* ``make_loan_book`` — firms drawn from two latent traits, with columns *named like* kejin's
  outputs and the credit fields (60号 tier, loan amount, LGD, period drift) that the
  monitoring, line and loss-sharing demos need. Its process:

1. Two latent traits per firm, correlated ρ = 0.3: financial health ``F`` and technology
   strength ``K``, both standard normal. A period-level ``drift`` lowers ``F`` (a harder year).
2. Observed financial features are noisy views of ``F``:
   ``revenue`` = exp(16 + 0.6·F + 0.9·ε) yuan (median ≈ 8.9 M);
   ``debt_ratio`` = logistic(−0.4 − 0.7·F + 0.5·ε); ``current_ratio`` = exp(0.3 + 0.3·F + 0.35·ε)
   (3 % blank); ``roa`` = 0.03 + 0.035·F + 0.04·ε; ``years_operating`` = 1 + Poisson(4 + 2·max(F, −1.5));
   ``industry`` (6 GB/T 4754 codes) and ``province`` (4 codes) are categorical.
3. Observed technology features are noisy views of ``K`` (and partly ``F``):
   ``points_tech`` = clip(50 + 14·K + 8·ε, 0, 100); ``points_growth`` = clip(50 + 8·F + 5·K + 10·ε, 0, 100);
   ``innovation_points`` = round(0.6·points_tech + 0.4·points_growth + bonus), bonus ∈ [0, 30] rising
   with K (total 0–130, as the 2.0 method's 100 + 30);
   ``standards_met`` ~ Binomial(4, logistic(K − 0.5)); ``rd_years_unbroken`` = min(10, Poisson(e^(1 + 0.45·K)));
   ``ip_stock`` = Poisson(e^(1.6 + 0.8·K)) (2 % blank).
   ``tier`` (for 财金〔2024〕60号 sharing and lines) follows standards met: 4 → ``tier_40``,
   3 → ``tier_35``, 1–2 → ``tier_30``, 0 → ``none``.
4. Default within a year: ``logit PD = α − 0.85·F − 0.65·K + 0.25·[industry is C27]``, α chosen
   so that the mean PD is ``default_rate`` (5 % unless set). Technology lowers default on its own,
   so adding the technology columns to the financial ones must raise the Gini.
5. Credit fields for lines and sharing: ``existing_debt`` = revenue·debt_ratio·0.6,
   ``loan_amount`` = min(30 M, revenue·U(0.1, 0.4)) rounded to 10 000 yuan, ``lgd`` = 0.45.
"""

from __future__ import annotations

import numpy as np
import polars as pl
from scipy import optimize, special

from kejin.credit.ratios import financial_ratios
from kejin.credit.tech_features import tech_features
from kejin.facts.synth import synth_facts

INDUSTRIES = ["C39", "I65", "C35", "C27", "M73", "C38"]
PROVINCES = ["110000", "310000", "320000", "440000"]
FINANCIAL_FEATURES = ["revenue", "debt_ratio", "current_ratio", "roa", "years_operating", "industry", "province"]
TECH_FEATURES = ["innovation_points", "points_tech", "points_growth", "standards_met", "rd_years_unbroken", "ip_stock"]
TIER_BY_STANDARDS = np.array(["none", "tier_30", "tier_30", "tier_35", "tier_40"])


def _blank(values: np.ndarray, share: float, rng: np.random.Generator) -> np.ndarray:
    out = values.astype(np.float64)
    out[rng.random(len(out)) < share] = np.nan
    return out


def make_loan_book(n: int = 20_000, seed: int = 0, default_rate: float = 0.05, drift: float = 0.0, period: str | None = None) -> pl.DataFrame:
    """``n`` synthetic tech firms with a 0/1 ``default`` column (process in the module docstring)."""
    rng = np.random.default_rng(seed)
    correlated = rng.multivariate_normal([0.0, 0.0], [[1.0, 0.3], [0.3, 1.0]], size=n)
    health, tech = correlated[:, 0] - drift, correlated[:, 1]
    noise = lambda: rng.standard_normal(n)  # noqa: E731 - one fresh draw per feature
    industry = rng.choice(INDUSTRIES, n)
    revenue = np.round(np.exp(16 + 0.6 * health + 0.9 * noise()), -3)
    debt_ratio = special.expit(-0.4 - 0.7 * health + 0.5 * noise())
    points_tech = np.clip(50 + 14 * tech + 8 * noise(), 0, 100)
    points_growth = np.clip(50 + 8 * health + 5 * tech + 10 * noise(), 0, 100)
    bonus = np.clip(10 + 8 * tech + 5 * noise(), 0, 30)
    standards = rng.binomial(4, special.expit(tech - 0.5))
    logit = -0.85 * health - 0.65 * tech + 0.25 * (industry == "C27")
    alpha = optimize.brentq(lambda a: special.expit(a + logit).mean() - default_rate, -20, 20)
    default = (rng.random(n) < special.expit(alpha + logit)).astype(np.int8)
    frame = pl.DataFrame(
        {
            "firm_id": [f"F{seed:03d}{i:07d}" for i in range(n)],
            "revenue": revenue,
            "debt_ratio": np.round(debt_ratio, 4),
            "current_ratio": np.round(_blank(np.exp(0.3 + 0.3 * health + 0.35 * noise()), 0.03, rng), 3),
            "roa": np.round(0.03 + 0.035 * health + 0.04 * noise(), 4),
            "years_operating": 1 + rng.poisson(4 + 2 * np.maximum(health, -1.5)),
            "industry": industry,
            "province": rng.choice(PROVINCES, n),
            "innovation_points": np.round(0.6 * points_tech + 0.4 * points_growth + bonus).astype(np.int64),
            "points_tech": np.round(points_tech, 1),
            "points_growth": np.round(points_growth, 1),
            "standards_met": standards,
            "rd_years_unbroken": np.minimum(10, rng.poisson(np.exp(1 + 0.45 * tech))),
            "ip_stock": _blank(rng.poisson(np.exp(1.6 + 0.8 * tech)), 0.02, rng),
            "tier": TIER_BY_STANDARDS[standards],
            "existing_debt": np.round(revenue * debt_ratio * 0.6, -3),
            "loan_amount": np.minimum(30_000_000, np.round(revenue * rng.uniform(0.1, 0.4, n), -4)),
            "lgd": np.full(n, 0.45),
            "default": default,
        }
    )
    frame = frame.with_columns(pl.col(pl.Float64).fill_nan(None))  # blanks are nulls, as read from a CSV
    return frame.with_columns(pl.lit(period).alias("period")) if period else frame


# ------------------------------------------------------------------ the book built from facts
# Weights of the default logit on standardised drivers (z = (x − book mean) / book sd; blank → 0).
FACT_FINANCIAL_WEIGHTS = {"leverage": 0.60, "net_margin": -0.45, "log_revenue": -0.35, "cash_flow_to_debt": -0.30}
FACT_TECH_WEIGHTS = {"innovation_points": -0.65, "rd_years_unbroken": -0.45}
FACT_FRAILTY_SD = 0.6  # unobserved firm risk: no feature set can reach a perfect card
# Ratios are clipped before standardising so a near-zero denominator cannot dominate the logit.
FACT_CLIPS = {"leverage": (0.0, 1.5), "net_margin": (-1.0, 1.0), "cash_flow_to_debt": (-2.0, 2.0)}


def interrupt_rd(facts: pl.DataFrame, gap_rate: float, seed: int) -> pl.DataFrame:
    """Set R&D (and its domestic part) to 0 in some enterprise-years.

    ``kejin.facts.synth`` gives every firm R&D in every year, so R&D continuity could not vary.
    Each firm gets a propensity u ~ N(0, 1); a year's R&D stops with probability
    logistic(logit(gap_rate) + u), so interruptions cluster in the same firms, as in real books.
    """
    rng = np.random.default_rng([seed, 1])  # a stream apart from the facts' own
    firms = facts.get_column("uscc").unique(maintain_order=True)
    propensity = pl.DataFrame({"uscc": firms, "__u": rng.standard_normal(len(firms))})
    frame = facts.join(propensity, on="uscc", how="left", maintain_order="left")  # draws follow the row order
    p = special.expit(special.logit(gap_rate) + frame.get_column("__u").to_numpy())
    stop = pl.lit(pl.Series(rng.random(frame.height) < p))
    stopped = [pl.when(stop & pl.col(c).is_not_null()).then(0.0).otherwise(pl.col(c)).alias(c) for c in ("rd_expense", "rd_expense_domestic")]
    return frame.with_columns(stopped).drop("__u")


def _standardised(x: np.ndarray) -> np.ndarray:
    z = (x - np.nanmean(x)) / np.nanstd(x)
    return np.nan_to_num(z, nan=0.0)  # a blank counts as an average firm


def synthetic_tech_facts(n: int = 30_000, seed: int = 0, rd_gap_rate: float = 0.12) -> pl.DataFrame:
    """``synth_facts(n, seed)`` with R&D interruptions (``interrupt_rd``): the facts behind the book."""
    return interrupt_rd(synth_facts(n, seed), rd_gap_rate, seed)


def draw_defaults(book: pl.DataFrame, seed: int = 0, default_rate: float = 0.05) -> pl.Series:
    """0/1 defaults from the logistic process of ``make_fact_loan_book`` (step 3) over ``book``'s columns."""

    def driver(name: str) -> np.ndarray:
        if name == "log_revenue":
            x = np.log(book.get_column("revenue").to_numpy().clip(1.0, None))
        else:
            x = book.get_column(name).cast(pl.Float64).to_numpy()
            x = x.clip(*FACT_CLIPS[name]) if name in FACT_CLIPS else x
        return _standardised(x)

    rng = np.random.default_rng([seed, 2])
    weights = FACT_FINANCIAL_WEIGHTS | FACT_TECH_WEIGHTS
    logit = sum(w * driver(name) for name, w in weights.items()) + FACT_FRAILTY_SD * rng.standard_normal(book.height)
    alpha = optimize.brentq(lambda a: special.expit(a + logit).mean() - default_rate, -20, 20)
    return pl.Series("default", (rng.random(book.height) < special.expit(alpha + logit)).astype(np.int8))


def make_fact_loan_book(n: int = 30_000, seed: int = 0, default_rate: float = 0.05, rd_gap_rate: float = 0.12, method: str = "national-core") -> pl.DataFrame:
    """One loan per firm of ``synth_facts(n, seed)``, at the firm's latest year, with a 0/1 ``default``.

    The generating process:

    1. facts: ``kejin.facts.synth.synth_facts(n, seed)`` (firms of three consecutive years), then
       ``interrupt_rd``: R&D stops with probability ``rd_gap_rate`` (12 %) for a median firm,
       more often for some firms than others (about 16 % of enterprise-years end up without R&D);
    2. features: ``financial_ratios`` (leverage, net margin, revenue, cash flow to debt) and
       ``tech_features`` (the real innovation points of ``method``, group sub-scores, standards
       met, R&D continuity, IP stock and flow) of the firm's latest year;
    3. default within the next year: ``logit PD = α + Σ w·z`` with z the standardised drivers
       (ratios clipped first, revenue in logs, blanks at the mean) and weights
       leverage +0.60, net margin −0.45, ln revenue −0.35, cash flow to debt −0.30,
       innovation points −0.65, unbroken R&D years −0.45, plus an unobserved frailty
       0.6·N(0, 1); α is chosen so that the mean PD is ``default_rate``.

    Technology lowers default beyond the financial ratios (points and R&D continuity are only
    partly explained by them), so adding kejin's features to the financial ones raises the Gini.
    """
    facts = synthetic_tech_facts(n, seed, rd_gap_rate)
    latest = pl.col("year") == pl.col("year").max().over("uscc")
    book = financial_ratios(facts).join(tech_features(facts, method), on=["uscc", "year"], how="left", maintain_order="left").filter(latest)
    return book.with_columns(draw_defaults(book, seed, default_rate))
