"""The stored fund portfolio: rows round-trip, a replacement drops the old rows, and the database itself
refuses an exit or evidence for an investment the fund does not hold."""

import datetime as dt

import pytest
import sqlalchemy as sa

from kejin.store import portfolio
from kejin.store.models import Fund, Organisation

INV = {"investment_id": "I1", "company_uscc": "91440305787789323F", "company_name": "示例", "sectors": "ai;quantum",
       "stage": "vc", "region_code": "440305", "amount": 5e6, "date": dt.date(2021, 3, 1), "valuation": None,
       "fair_value": 4e6, "fair_value_date": dt.date(2023, 12, 31)}


@pytest.fixture
def fund(db):
    with db.session() as s:
        org = Organisation(kind="fund_manager", name="管理人")
        s.add(org)
        s.flush()
        s.add(Fund(id="F1", name="一号", strategy="vc", inception=dt.date(2020, 1, 1), term_years=10, manager_org_id=org.id))
    return "F1"


def test_rows_round_trip_and_replace(db, fund):
    tables = {"investments": [INV], "exits": [{"investment_id": "I1", "date": dt.date(2024, 1, 2), "kind": "ipo",
                                               "proceeds": 9e6}],
              "evidence": [{"investment_id": "I1", "precondition": "lawful_compliant", "status": "met",
                            "document": "a.pdf", "date": None}]}
    with db.session() as s:
        assert portfolio.write(s, fund, tables, user_id=None, replace=False) == {"investments": 1, "exits": 1, "evidence": 1}
    with db.session() as s:
        stored = portfolio.read(s, fund)
    assert stored["investments"] == [{"fund_id": fund, **INV}]
    assert stored["exits"][0]["proceeds"] == 9e6 and stored["evidence"][0]["precondition"] == "lawful_compliant"
    with db.session() as s:
        portfolio.write(s, fund, {"investments": [{**INV, "investment_id": "I2"}]}, user_id=None, replace=True)
    with db.session() as s:
        stored = portfolio.read(s, fund)
    assert [r["investment_id"] for r in stored["investments"]] == ["I2"] and stored["exits"] == stored["evidence"] == []


def test_database_refuses_an_exit_of_an_unknown_investment(db, fund):
    with pytest.raises(sa.exc.IntegrityError):
        with db.session() as s:
            portfolio.write(s, fund, {"exits": [{"investment_id": "NOPE", "date": dt.date(2024, 1, 2), "kind": "ipo",
                                                 "proceeds": 1.0}]}, user_id=None, replace=False)
    with db.session() as s:
        assert portfolio.read(s, fund)["exits"] == []
