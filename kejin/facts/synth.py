"""Synthetic enterprise-years — clearly labelled, for demos, tests and benchmarks.

Every firm gets three consecutive years (so growth and 3-year rules have history). The
distributions are documented in docs/facts.md ("Synthetic data"):

- stage (start-up 35% / growth 40% / mature 25%) sets the scale: revenue is log-normal with a
  heavy (Pareto, alpha 1.6) upper tail, median ¥3 M / ¥25 M / ¥120 M;
- R&D intensity is Beta-distributed with a mean of 9% / 6% / 4% by stage, ×1.4 in frontier sectors;
- employees grow with revenue (log-log slope 0.6); tech staff share Beta(4, 8), R&D staff a
  share of tech staff;
- IP counts are Poisson with a rate that rises with R&D spend;
- each year revenue grows by a normal draw (mean 15% / 12% / 6%, sd 25%);
- 3% of optional cells are left blank (unknown), as in real imports;
- HNTE expert-review scores exist for 60% of rows (higher for R&D-intensive firms), blank otherwise.

Names start with "【合成】" (synthetic) and USCCs are valid but random.
"""

from __future__ import annotations

from datetime import date

import numpy as np
import polars as pl

from kejin.facts import codes, schema

REGIONS = ["110108", "310115", "440305", "440106", "420111", "510107", "610131", "500112", "320506", "330106", "340104", "370102"]
INDUSTRIES = ["C3971", "C3973", "I6513", "I6511", "C3491", "C2761", "C3441", "C3922", "C3484", "M7320", "C3562", "I6520"]
STAGES = np.array(["startup", "growth", "mature"])
STAGE_P = [0.35, 0.40, 0.25]
MEDIAN_REVENUE = np.array([3e6, 2.5e7, 1.2e8])
RD_MEAN = np.array([0.09, 0.06, 0.04])
GROWTH_MEAN = np.array([0.15, 0.12, 0.06])
YEARS = 3


def _uscc(rng: np.random.Generator, n: int, regions: np.ndarray) -> np.ndarray:
    charset = np.frombuffer(codes.USCC_CHARSET.encode(), dtype=np.uint8)
    body = np.empty((n, 17), dtype=np.uint8)
    body[:, 0] = ord("9")
    body[:, 1] = ord("1")
    body[:, 2:8] = np.frombuffer("".join(regions).encode(), dtype=np.uint8).reshape(n, 6)
    # organisation code: 8 alphanumerics + its own check (any charset char is accepted here)
    body[:, 8:17] = charset[rng.integers(0, 31, size=(n, 9))]
    lut = np.full(256, 0, dtype=np.int64)
    for i, c in enumerate(codes.USCC_CHARSET):
        lut[ord(c)] = i
    total = (lut[body] * codes.USCC_WEIGHTS).sum(axis=1)
    check = charset[(31 - total % 31) % 31]
    full = np.concatenate([body, check[:, None]], axis=1)
    return full.view("S18").ravel().astype(str)


def _blank(rng: np.random.Generator, values: np.ndarray, rate: float) -> list:
    out = values.astype(object)
    out[rng.random(len(values)) < rate] = None
    return out.tolist()


def _expert_scores(rng: np.random.Generator, n: int, intensity: np.ndarray) -> dict[str, list]:
    """HNTE expert-judged items, higher for R&D-intensive firms; blank where no review took place."""
    quality = np.clip(intensity / 0.08, 0, 1)  # 8% R&D intensity counts as a strong profile
    reviewed = rng.random(n) < 0.6

    def draw(top: int) -> list:
        values = np.clip(np.round(top * (0.35 + 0.55 * quality + rng.normal(0, 0.12, n))), 0, top).astype(np.int64)
        out = values.astype(object)
        out[~reviewed] = None
        return out.tolist()

    return {
        "hnte_ip_advancement": draw(8),
        "hnte_ip_core_support": draw(8),
        "hnte_ip_acquisition": draw(6),
        "hnte_standard_bonus": draw(2),
        "hnte_rd_management": draw(20),
    }


def synth_facts(n: int, seed: int = 0, last_year: int = 2024, blank_rate: float = 0.03) -> pl.DataFrame:
    """``n`` synthetic enterprise-years (firms of three consecutive years), valid under the data norms."""
    rng = np.random.default_rng(seed)
    firms = -(-n // YEARS)
    stage = rng.choice(3, size=firms, p=STAGE_P)
    sectors_all = np.array(schema.norms().frontier_sectors)
    has_sector = rng.random(firms) < 0.6
    sector = rng.choice(sectors_all, size=firms)
    region = rng.choice(REGIONS, size=firms)
    uscc = _uscc(rng, firms, region)
    established_year = last_year - YEARS - rng.integers(0, 4, size=firms) - stage * 4
    established = [date(int(y), int(m), int(d)) for y, m, d in zip(established_year, rng.integers(1, 13, firms), rng.integers(1, 29, firms))]

    # heavy-tailed revenue: log-normal body, Pareto tail for the top 5%
    base = MEDIAN_REVENUE[stage] * np.exp(rng.normal(0, 0.9, firms))
    tail = rng.random(firms) < 0.05
    base[tail] *= rng.pareto(1.6, tail.sum()) + 1
    rd_mean = RD_MEAN[stage] * np.where(has_sector, 1.4, 1.0)
    rd_intensity = rng.beta(2.0, 2.0 / rd_mean - 2.0)
    tech_share = rng.beta(4, 8, firms)
    growth_mean = GROWTH_MEAN[stage]

    rows_firm = np.repeat(np.arange(firms), YEARS)[:n]
    year_idx = np.tile(np.arange(YEARS), firms)[:n]
    year = last_year - (YEARS - 1) + year_idx
    growth = rng.normal(growth_mean[rows_firm], 0.25)
    growth[year_idx == 0] = 0.0
    # cumulative growth within each firm
    factor = np.exp(np.log1p(np.clip(growth, -0.8, 3.0)))
    cum = np.ones(n)
    for k in range(1, YEARS):
        m = year_idx == k
        cum[m] = cum[np.flatnonzero(m) - 1] * factor[m]
    revenue = np.round(base[rows_firm] * cum, 2)
    rd = np.round(revenue * np.clip(rd_intensity[rows_firm] * np.exp(rng.normal(0, 0.15, n)), 0, 0.9), 2)
    employees = np.maximum(3, np.round(12 * (revenue / 1e6) ** 0.6 * np.exp(rng.normal(0, 0.3, n)))).astype(np.int64)
    tech = np.minimum(employees, np.round(employees * np.clip(tech_share[rows_firm] + rng.normal(0, 0.03, n), 0.02, 0.95))).astype(np.int64)
    rd_staff = np.minimum(tech, np.round(tech * rng.uniform(0.5, 0.9, n))).astype(np.int64)
    main_rev = np.round(revenue * rng.uniform(0.55, 1.0, n), 2)
    hi_rev = np.round(revenue * rng.uniform(0.2, 0.95, n), 2)
    total_cost = np.round(revenue * rng.uniform(0.75, 1.15, n) + rd * 0.5, 2)
    net_profit = np.round(revenue - total_cost, 2)
    assets = np.round(revenue * rng.uniform(0.6, 2.0, n), 2)
    liabilities = np.round(assets * rng.beta(3, 4, n), 2)
    ocf = np.round(net_profit * rng.uniform(0.5, 1.5, n), 2)
    ip_rate = np.clip(rd / 2e6, 0.05, 40)
    ip1 = rng.poisson(ip_rate * 0.6)
    ip2 = rng.poisson(ip_rate * 1.5)
    ip1_self = np.minimum(ip1, rng.binomial(ip1, 0.7))
    ip1_hv = np.minimum(ip1_self, rng.binomial(ip1_self, 0.3))
    inv_main = rng.binomial(ip1 + 2, 0.8)
    equity = np.where(rng.random(n) < 0.2, np.round(rng.lognormal(np.log(2e7), 1.0, n), 2), 0.0)
    booleans = lambda p: rng.random(n) < p  # noqa: E731

    data = {
        "uscc": uscc[rows_firm].tolist(),
        "name": [f"【合成】样例科技企业{i:07d}" for i in rows_firm],
        "year": year.astype(np.int64),
        "region_code": region[rows_firm].tolist(),
        "industry_code": rng.choice(INDUSTRIES, size=firms)[rows_firm].tolist(),
        "established": [established[i] for i in rows_firm],
        "frontier_sectors": [[sector[i]] if has_sector[i] else [] for i in rows_firm],
        "employees": employees,
        "tech_staff": tech,
        "rd_staff": _blank(rng, rd_staff, blank_rate),
        "revenue": revenue,
        "main_business_revenue": _blank(rng, main_rev, blank_rate),
        "hi_tech_revenue": _blank(rng, hi_rev, blank_rate),
        "total_cost": _blank(rng, total_cost, blank_rate),
        "net_profit": _blank(rng, net_profit, blank_rate),
        "total_assets": assets,
        "total_liabilities": _blank(rng, liabilities, blank_rate),
        "operating_cash_flow": _blank(rng, ocf, blank_rate),
        "rd_expense": rd,
        "rd_expense_domestic": _blank(rng, np.round(rd * rng.uniform(0.5, 1.0, n), 2), blank_rate),
        "ip_class1": ip1,
        "ip_class1_self_developed": ip1_self,
        "ip_class1_high_value": ip1_hv,
        "ip_class2": ip2,
        "invention_patents_main_business": inv_main,
        "tech_transfers": rng.poisson(np.clip(rd / 3e6, 0.1, 10)),
        "tech_contract_amount": np.round(rd * rng.uniform(0, 0.5, n), 2),
        "equity_financing": equity,
        "high_tech_certified": booleans(0.3),
        "national_award_top3_5y": booleans(0.01),
        "provincial_rd_institution": booleans(0.08),
        "led_standard_5y": booleans(0.04),
        "serious_violation": booleans(0.01),
        "prohibited_industry": booleans(0.002),
        "award_3y": booleans(0.05),
        "srdi_award_3y": booleans(0.02),
        "innovation_honours": booleans(0.05),
        "contest_top500_3y": booleans(0.01),
        "leading_product_strategic": booleans(0.5),
        "years_in_niche": np.minimum(year - established_year[rows_firm], rng.integers(1, 15, n)).astype(np.int64),
        "srdi_product_field": rng.choice(["key_chain", "foundation", "other"], size=n, p=[0.2, 0.3, 0.5]).tolist(),
        "digitalisation_level": rng.integers(1, 5, n),
        "quality_items": rng.integers(0, 5, n),
        "rd_institution_level": rng.choice(["none", "below_municipal", "municipal", "provincial", "national"], size=n, p=[0.5, 0.2, 0.18, 0.1, 0.02]).tolist(),
        "local_feature_points": np.round(rng.uniform(0, 15, n), 1),
        "hnte_field": booleans(0.7),
        # expert-review scores exist only for firms that went through an HNTE review (60%)
        **_expert_scores(rng, n, rd / np.maximum(revenue, 1.0)),
        "market_cap_expected": np.round(revenue * rng.lognormal(1.5, 0.8, n), 2),
        "net_profit_deducted": np.round(net_profit * rng.uniform(0.7, 1.0, n), 2),
        "roe_weighted": np.round(rng.normal(0.06, 0.08, n), 4),
        "star_std5_conditions": booleans(0.01),
        "star_exception": booleans(0.01),
        "software_enterprise": booleans(0.1),
        "neeq_innovation_tier": booleans(0.05),
    }
    frame = pl.DataFrame(data)
    out = []
    for f in schema.fields():
        if f.name in frame.columns:
            out.append(pl.col(f.name).cast(f.dtype))
        else:
            out.append(pl.lit(None, dtype=f.dtype).alias(f.name))
    return frame.select(out)
