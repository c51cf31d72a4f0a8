"""Demo data for a first start: organisations of every kind, users, the sample firms plus synthetic ones,
a standards run, a published points batch (when the points engine is installed), consents and a fund with
its cash flows, NAVs and portfolio (investments, exits, exemption evidence: the tolerance verdicts have data).

Every demo user's password is ``DEMO_PASSWORD``; it is for trying kejin out on one machine only.
"""

from __future__ import annotations

import datetime as dt
import logging
from pathlib import Path

import polars as pl
import sqlalchemy as sa

from kejin.api import fund_ledger
from kejin.api.security import hash_password
from kejin.store import chain, portfolio, repo
from kejin.store.db import Database
from kejin.store.models import CashFlow, Consent, Fund, Organisation, User

log = logging.getLogger("kejin.demo")
DEMO_PASSWORD = "kejin-demo"
SAMPLE_NAMES = ("enterprise_facts_sample.csv",)

ORGS = [
    ("bureau", "bureau", "市科技局", "Municipal Science and Technology Bureau"),
    ("bank1", "bank", "示例科技支行", "Example Tech Sub-branch Bank"),
    ("bank2", "bank", "另一家示例银行", "Another Example Bank"),
    ("fund1", "fund_manager", "示例创投基金管理有限公司", "Example Venture Fund Manager"),
    ("insurer1", "insurer", "示例科技保险公司", "Example Tech Insurer"),
]


def sample_file() -> Path | None:
    """The shared sample facts file, if this checkout has shared/ beside it."""
    here = Path(__file__).resolve()
    for parent in here.parents:
        cand = parent / "shared" / "data" / "enterprise_facts_sample.csv"
        if cand.exists():
            return cand
        cand = parent.parent / "shared" / "data" / "enterprise_facts_sample.csv"
        if cand.exists():
            return cand
    return None


def demo_facts(n_synthetic: int = 240, seed: int = 7) -> pl.DataFrame:
    from kejin.facts import check_facts, load_facts
    from kejin.facts.synth import synth_facts

    parts = []
    sample = sample_file()
    if sample is not None:
        parts.append(load_facts(sample))
    parts.append(check_facts(synth_facts(n_synthetic, seed=seed)))
    frame = pl.concat(parts, how="vertical_relaxed")
    return frame.unique(["uscc", "year"], keep="first", maintain_order=True)


def demo_fund_flows(inception: dt.date) -> list[dict]:
    """A venture fund's first six years: calls in years 1–4, a distribution in year 5, a NAV each year end."""
    flows = []
    calls = [-30e6, -25e6, -20e6, -15e6]
    navs = [26e6, 52e6, 78e6, 98e6, 104e6, 112e6]
    for i, amount in enumerate(calls):
        flows.append({"date": inception + dt.timedelta(days=30 + 365 * i), "amount": amount, "type": "investment", "nav": None})
    flows.append({"date": inception + dt.timedelta(days=365 * 4 + 200), "amount": 12e6, "type": "distribution_proceeds", "nav": None})
    for i, nav in enumerate(navs):
        flows.append({"date": inception + dt.timedelta(days=365 * (i + 1) - 1), "amount": None, "type": None, "nav": nav})
    return flows


# (stage, amount, invested, fair value and its date, exit (date, kind, proceeds), evidence {precondition: status})
_DEALS = [
    ("vc", 15e6, "2019-09-15", None, ("2024-03-20", "ipo", 28e6), {}),
    ("vc", 10e6, "2019-11-01", None, ("2023-05-10", "writeoff", 0.0),
     {"lawful_compliant": "met", "diligence_documented": "met"}),
    ("vc", 12e6, "2020-08-01", (8.4e6, "2024-12-31"), None,
     {"lawful_compliant": "met", "diligence_documented": "met", "no_improper_gain": "met", "no_major_adverse": "met"}),
    ("angel", 8e6, "2020-12-01", None, ("2023-09-01", "secondary", 3e6),
     {"lawful_compliant": "met", "no_improper_gain": "not_met"}),
    ("vc", 14e6, "2021-06-01", (21e6, "2024-12-31"), None, {}),
    ("growth", 10e6, "2022-03-01", None, None, {}),
    ("vc", 9e6, "2022-09-01", (12e6, "2024-12-31"), None, {}),
]


def demo_portfolio(fund_id: str, firms: list[dict]) -> dict[str, list[dict]]:
    """The demo fund's deals in ``firms`` (rows with uscc, name, region_code): an IPO, a write-off and a
    loss-making secondary (beyond the VC scheme's 40% cap), a loss within the cap, gains and one held at cost."""
    out: dict[str, list[dict]] = {"investments": [], "exits": [], "evidence": []}
    for i, (firm, (stage, amount, day, fair, exit_, evidence)) in enumerate(zip(firms, _DEALS), start=1):
        inv = f"{fund_id}-{i:02d}"
        out["investments"].append({"investment_id": inv, "company_uscc": firm["uscc"], "company_name": firm["name"],
                                   "region_code": firm["region_code"], "stage": stage, "amount": amount, "date": day,
                                   "fair_value": fair and fair[0], "fair_value_date": fair and fair[1]})
        if exit_:
            out["exits"].append({"investment_id": inv, "date": exit_[0], "kind": exit_[1], "proceeds": exit_[2]})
        out["evidence"] += [{"investment_id": inv, "precondition": k, "status": v, "document": f"{inv}-{k}.pdf"}
                            for k, v in evidence.items()]
    return out


def seed(db: Database, *, n_synthetic: int = 240, points: bool = True) -> bool:
    """Load the demo data into an empty database. Returns False (and does nothing) if any organisation exists."""
    with db.session() as s:
        if s.scalar(sa.select(sa.func.count()).select_from(Organisation)):
            return False
    facts = demo_facts(n_synthetic)
    repo.import_facts(db, facts)
    pw = hash_password(DEMO_PASSWORD)
    with db.session() as s:
        users = {}
        for username, kind, name, name_en in ORGS:
            org = Organisation(kind=kind, name=name, name_en=name_en)
            s.add(org)
            s.flush()
            users[username] = User(username=username, password_hash=pw, org_id=org.id, display_name=name)
        firms = facts.sort("uscc").unique("uscc", keep="last", maintain_order=True)
        sample = sample_file()
        first = load_sample_usccs(sample) if sample else firms.get_column("uscc").to_list()[:8]
        for i, uscc in enumerate(first, start=1):
            name = firms.filter(pl.col("uscc") == uscc).get_column("name")[0]
            org = Organisation(kind="enterprise", name=name, uscc=uscc)
            s.add(org)
            s.flush()
            users[f"firm{i}"] = User(username=f"firm{i}", password_hash=pw, org_id=org.id, display_name=name)
        s.add_all(users.values())
        s.flush()
        bank1 = s.get(Organisation, users["bank1"].org_id)
        s.add(Consent(uscc=first[0], institution_org_id=bank1.id, purpose="信贷审查 / credit review",
                      granted_by=users["firm1"].id))
        fund = Fund(id="VC-DEMO", name="示例早期创投基金 / Example early-stage VC fund", strategy="vc",
                    inception=dt.date(2019, 6, 30), term_years=10, manager_org_id=users["fund1"].org_id)
        s.add(fund)
        s.flush()
        s.add_all(CashFlow(fund_id=fund.id, created_by=users["fund1"].id, **f) for f in demo_fund_flows(fund.inception))
        investees = firms.filter(~pl.col("uscc").is_in(first)).select("uscc", "name", "region_code").to_dicts()
        deals = fund_ledger.check_filing(fund, demo_portfolio(fund.id, investees), {})  # the checks a manager's filing gets
        portfolio.write(s, fund.id, deals, user_id=users["fund1"].id, replace=False)
        repo.audit(s, user=None, action="demo.seed", detail={"facts": facts.height})
    run_demo_evaluations(db, facts, points=points)
    return True


def load_sample_usccs(path: Path) -> list[str]:
    frame = pl.read_csv(path, columns=["uscc"], infer_schema=False)
    return frame.get_column("uscc").unique(maintain_order=True).to_list()


def run_demo_evaluations(db: Database, facts: pl.DataFrame, points: bool = True) -> None:
    import uuid

    from kejin.standards import engine, results
    from kejin.standards.registry import resolve
    from kejin.store.models import Evaluation

    packs = resolve("all")
    frames = engine.evaluate(facts, packs)
    run_id = uuid.uuid4().hex
    by_ref = {pk.ref: pk for pk in packs}
    with db.session() as s:
        for ref, frame in frames.items():
            s.add_all(Evaluation(run_id=run_id, uscc=r["uscc"], year=r["year"], pack_ref=ref, passed=r["passed"],
                                 status=r["status"], record=r) for r in results.records(by_ref[ref], frame))
    if not points:
        return
    try:
        from kejin.api.routes.evaluations import score_rows

        year = int(facts.get_column("year").max())
        rows, meta = score_rows(facts, year, "national-core")
    except Exception as exc:  # noqa: BLE001 — the points engine may not be installed in this build
        log.warning("demo: no points batch published (%s)", type(exc).__name__)
        return
    with db.session() as s:
        s.connection(execution_options={"immediate": True})
        chain.append_batch(s, year=year, published_by="bureau", rows=rows, **meta)
