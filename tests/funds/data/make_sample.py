"""Writes the fictional sample ledger used by the tests and the docs (deterministic; run to regenerate):

    python tests/funds/data/make_sample.py

A national guidance fund → a regional fund → sub-funds (seed, VC, growth, angel), each sub-fund's calls
made of its investments and fees, its distributions of its exits, its NAV of the deals it still holds.
Fund-of-funds flows are their share of the sub-funds' flows. All names and numbers are made up.
"""

from __future__ import annotations

import csv
from datetime import date, timedelta
from pathlib import Path

import numpy as np

from kejin.facts.codes import make_uscc

HERE = Path(__file__).resolve().parent
LEDGER = HERE / "ledger"
AS_OF = date(2024, 12, 31)
SECTORS = ["ai", "quantum", "ic", "biomedicine", "new_materials", "embodied_ai", "low_altitude", "new_energy"]

FUNDS = [
    # fund_id, name, level, strategy, inception, term, invest years, region, reinvest region, scheme
    ("NGF", "示例国家级创业投资引导基金（虚构）", "national", "seed", date(2016, 1, 4), 20, 10, "110000", "", ""),
    ("YRD", "示例长三角区域基金（虚构）", "regional", "vc", date(2016, 6, 1), 15, 8, "310000", "", ""),
    ("SEED1", "示例上海种子子基金（虚构）", "sub_fund", "seed", date(2017, 3, 1), 15, 6, "310000", "310000", ""),
    ("VC1", "示例苏州创投子基金（虚构）", "sub_fund", "vc", date(2016, 9, 1), 12, 5, "320500", "320500", ""),
    ("GR1", "示例杭州成长子基金（虚构）", "sub_fund", "growth", date(2018, 1, 2), 10, 4, "330100", "330100", ""),
    ("ANG1", "示例郑州天使子基金（虚构）", "sub_fund", "angel", date(2019, 5, 6), 15, 5, "410100", "410100",
     "zhengzhou-angel-2024"),
]
COMMITMENTS = [
    ("NGF", "MOF", "财政部（超长期特别国债）", "government", 2_000_000_000, date(2016, 1, 4)),
    ("YRD", "NGF", "示例国家级创业投资引导基金", "fund", 1_000_000_000, date(2016, 6, 1)),
    ("YRD", "SH-FIN", "上海市财政局", "government", 500_000_000, date(2016, 6, 1)),
    ("YRD", "SOE-A", "某国有投资集团", "soe", 1_500_000_000, date(2016, 6, 1)),
    ("YRD", "BANK-A", "某银行理财子公司", "bank", 500_000_000, date(2016, 6, 1)),
    ("SEED1", "YRD", "示例长三角区域基金", "fund", 100_000_000, date(2017, 3, 1)),
    ("SEED1", "XH-FIN", "徐汇区财政局", "government", 50_000_000, date(2017, 3, 1)),
    ("SEED1", "PRIV-A", "某民营企业", "private", 100_000_000, date(2017, 3, 1)),
    ("VC1", "YRD", "示例长三角区域基金", "fund", 300_000_000, date(2016, 9, 1)),
    ("VC1", "SOE-B", "苏州某国资平台", "soe", 200_000_000, date(2016, 9, 1)),
    ("VC1", "INS-A", "某保险资管", "insurance", 200_000_000, date(2016, 9, 1)),
    ("VC1", "PRIV-B", "某家族办公室", "private", 300_000_000, date(2016, 9, 1)),
    ("GR1", "NGF", "示例国家级创业投资引导基金", "fund", 200_000_000, date(2018, 1, 2)),
    ("GR1", "BANK-B", "某银行", "bank", 100_000_000, date(2018, 1, 2)),
    ("GR1", "INS-B", "某保险公司", "insurance", 200_000_000, date(2018, 1, 2)),
    ("GR1", "PRIV-C", "某上市公司", "private", 300_000_000, date(2018, 1, 2)),
    ("ANG1", "ZZ-FIN", "郑州市财政局", "government", 60_000_000, date(2019, 5, 6)),
    ("ANG1", "PRIV-D", "某天使投资人", "private", 40_000_000, date(2019, 5, 6)),
]
# per sub-fund: deals, stage mix, failure probability, multiple scale, holding years, fee rate
PLANS = {
    "SEED1": (14, ["seed"] * 10 + ["angel"] * 3 + ["vc"], 0.45, 3.2, 6.0),
    "VC1": (16, ["angel"] * 3 + ["vc"] * 10 + ["growth"] * 3, 0.30, 2.6, 5.0),
    "GR1": (10, ["vc"] * 3 + ["growth"] * 7, 0.20, 1.7, 4.0),
    "ANG1": (10, ["seed"] * 3 + ["angel"] * 6 + ["vc"], 0.40, 2.4, 6.0),
}
PRECONDITIONS = ["lawful_compliant", "diligence_documented", "no_improper_gain", "no_major_adverse"]


def quarter_ends(start: date, end: date) -> list[date]:
    out, y, q = [], start.year, (start.month - 1) // 3
    while True:
        month = 3 * (q + 1)
        d = date(y + (month == 12), 1, 1) - timedelta(days=1) if month == 12 else date(y, month + 1, 1) - timedelta(days=1)
        if d > end:
            return out
        if d > start:
            out.append(d)
        q = (q + 1) % 4
        y += q == 0


def main() -> None:
    rng = np.random.default_rng(2024)
    fund_info = {f[0]: f for f in FUNDS}
    committed = {}
    for c in COMMITMENTS:
        committed[c[0]] = committed.get(c[0], 0) + c[4]
    investments, exits, evidence = [], [], []
    flows: dict[str, list[tuple[date, str, float, bool, date | None]]] = {}
    navs: dict[str, dict[date, float]] = {}
    serial = 0
    for fid, (n_deals, stages, p_fail, scale, hold) in PLANS.items():
        _, _, _, _, start, term, invest_years, region, _, _ = fund_info[fid]
        size = committed[fid]
        fee_total = 0.015 * size * invest_years
        deal_size = (size - fee_total) * 0.92 / n_deals
        held: list[tuple[date, float, date, float, str]] = []  # date in, cost, date out, value out, kind
        fund_flows = flows.setdefault(fid, [])
        for k in range(n_deals):
            serial += 1
            day = start + timedelta(days=int(rng.integers(60, invest_years * 365 - 30)))
            stage = stages[k % len(stages)]
            cost = round(deal_size * rng.uniform(0.6, 1.4), -4)
            deal_region = region if rng.random() < 0.6 else rng.choice(["110108", "440305", "340100"])
            uscc = make_uscc(f"91{deal_region}MA{serial:07d}")
            sectors = ";".join(sorted(set(rng.choice(SECTORS, size=int(rng.integers(0, 3)))))) if rng.random() < 0.8 else ""
            inv_id = f"{fid}-{k + 1:02d}"
            fails = rng.random() < p_fail
            out_day = day + timedelta(days=int(365 * (rng.uniform(1.5, 3.5) if fails else rng.uniform(0.6, 1.4) * hold)))
            multiple = 0.0 if fails else float(np.clip(scale * rng.pareto(2.2) + 0.6, 0.3, 25))
            investments.append([inv_id, fid, uscc, f"示例企业{serial:03d}（虚构）", sectors, stage, deal_region, cost,
                                day.isoformat(), round(cost * rng.uniform(3, 8), -4), "", ""])
            facility = rng.random() < 0.3
            fund_flows.append((day, "investment", cost, facility, day - timedelta(days=int(rng.integers(20, 59))) if facility else None))
            if out_day <= AS_OF:
                kind = "writeoff" if fails else rng.choice(["ipo", "mna", "buyback", "secondary"])
                proceeds = round(cost * multiple, -2)
                exits.append([inv_id, out_day.isoformat(), kind, proceeds])
                if proceeds > 0:
                    fund_flows.append((out_day + timedelta(days=30), "distribution_proceeds", proceeds, False, None))
                if fails:
                    met = PRECONDITIONS[: int(rng.integers(1, 5))]
                    for p in met:
                        evidence.append([inv_id, p, "met", f"{inv_id}-{p}.pdf", out_day.isoformat()])
            elif fails:
                investments[-1][10] = round(cost * 0.1, -2)  # marked down, not yet written off
                investments[-1][11] = AS_OF.isoformat()
            held.append((day, cost, out_day, cost * multiple, "fail" if fails else "ok"))
        for q in quarter_ends(start, min(AS_OF, start + timedelta(days=365 * invest_years))):
            fund_flows.append((q, "management_fee", round(0.015 * size / 4, -2), False, None))
        if fid == "VC1":
            fund_flows.append((date(2021, 6, 30), "distribution_income", 3_500_000.0, False, None))
        marks = {}
        for q in quarter_ends(start, AS_OF):
            value = 0.0
            for d_in, cost, d_out, v_out, how in held:
                if d_in <= q < d_out:
                    years_held = (q - d_in).days / 365
                    span = max((d_out - d_in).days / 365, 0.5)
                    # marked from cost towards the exit value as the holding period runs
                    w = min(max(years_held / span, 0.0), 1.0)
                    value += cost + (v_out - cost) * w * (0.8 if how == "ok" else 0.7)
            marks[q] = round(value, -2)
        navs[fid] = marks

    # fund-of-funds: their share of each sub-fund's flows and NAV, plus their own fee
    lp_of = {}
    for fund, lp, _, kind, amount, _ in COMMITMENTS:
        if kind == "fund":
            lp_of.setdefault(lp, []).append((fund, amount / committed[fund]))

    def fof(fid: str) -> None:
        for child, share in lp_of.get(fid, []):
            if child in lp_of:
                fof(child)
            for d, kind, amount, _, _ in flows[child]:
                flows.setdefault(fid, []).append((d, kind, round(amount * share, -2), False, None))
            for q, v in navs[child].items():
                navs.setdefault(fid, {})
                navs[fid][q] = navs[fid].get(q, 0.0) + round(v * share, -2)

    fof("NGF")
    for fid in ("NGF", "YRD"):
        start = fund_info[fid][4]
        for q in quarter_ends(start, AS_OF):
            flows[fid].append((q, "management_fee", round(0.002 * committed[fid] / 4, -2), False, None))

    LEDGER.mkdir(exist_ok=True)

    def write(name: str, header: list[str], rows: list[list]) -> None:
        with open(LEDGER / f"{name}.csv", "w", newline="", encoding="utf-8") as fh:
            w = csv.writer(fh)
            w.writerow(header)
            w.writerows(rows)

    write("funds", ["fund_id", "name", "level", "strategy", "inception", "term_years", "investment_years",
                    "region_code", "reinvest_region", "tolerance_scheme"],
          [[f[0], f[1], f[2], f[3], f[4].isoformat(), f[5], f[6], f[7], f[8], f[9]] for f in FUNDS])
    write("commitments", ["fund_id", "lp_id", "lp_name", "lp_type", "amount", "date"],
          [[c[0], c[1], c[2], c[3], c[4], c[5].isoformat()] for c in COMMITMENTS])
    rows = []
    for fid, items in flows.items():
        for d, kind, amount, facility, fdate in items:
            rows.append([fid, d.isoformat(), kind, f"{amount:.2f}", "true" if facility else "",
                         fdate.isoformat() if fdate else ""])
    rows.sort(key=lambda r: (r[1], r[0], r[2]))  # any order works; date order reads best
    write("cashflows", ["fund_id", "date", "type", "amount", "facility_funded", "facility_date"], rows)
    write("navs", ["fund_id", "date", "nav"],
          sorted([[fid, q.isoformat(), f"{v:.2f}"] for fid, m in navs.items() for q, v in m.items()]))
    write("investments", ["investment_id", "fund_id", "company_uscc", "company_name", "sectors", "stage", "region_code",
                          "amount", "date", "valuation", "fair_value", "fair_value_date"], investments)
    write("exits", ["investment_id", "date", "kind", "proceeds"], exits)
    write("evidence", ["investment_id", "precondition", "status", "document", "date"], evidence)


if __name__ == "__main__":
    main()
