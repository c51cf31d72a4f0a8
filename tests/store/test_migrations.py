import sqlalchemy as sa
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from kejin.store.db import Database, alembic_config, current_revision
from kejin.store.models import Base

HEAD = "0004"


def test_upgrade_empty_database_matches_models(url):
    db = Database(url)
    assert current_revision(db.engine) is None
    db.migrate()
    assert current_revision(db.engine) == HEAD
    with db.engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    assert diff == [], diff
    db.dispose()


def test_upgrade_from_previous_migration_keeps_data(url):
    db = Database(url)
    db.migrate("0001")
    with db.engine.begin() as conn:
        assert "import_jobs" not in sa.inspect(conn).get_table_names()
        conn.execute(sa.text("INSERT INTO enterprises (uscc, name, region_code, updated_at) "
                             "VALUES ('91440305787789323F', '示例', '440305', CURRENT_TIMESTAMP)"))
        conn.execute(sa.text("INSERT INTO facts (uscc, year, data, updated_at) VALUES "
                             "('91440305787789323F', 2023, '{\"uscc\": \"91440305787789323F\"}', CURRENT_TIMESTAMP)"))
    db.migrate()
    assert current_revision(db.engine) == HEAD
    with db.engine.connect() as conn:
        rows = conn.execute(sa.text("SELECT uscc, year, import_job_id FROM facts")).all()
        assert [tuple(r) for r in rows] == [("91440305787789323F", 2023, None)]
        assert "import_jobs" in sa.inspect(conn).get_table_names()
    db.migrate()  # idempotent at head
    db.dispose()


PORTFOLIO_TABLES = {"fund_investments", "fund_exits", "fund_evidence"}


def test_upgrade_from_0002_keeps_funds_and_their_ledgers(url):
    db = Database(url)
    db.migrate("0002")
    with db.engine.begin() as conn:
        assert not PORTFOLIO_TABLES & set(sa.inspect(conn).get_table_names())
        conn.execute(sa.text("INSERT INTO organisations (kind, name, created_at) VALUES ('fund_manager', '管理人', CURRENT_TIMESTAMP)"))
        conn.execute(sa.text("INSERT INTO funds (id, name, strategy, inception, term_years, manager_org_id, created_at) "
                             "VALUES ('F1', '一号基金', 'vc', '2020-01-01', 10, 1, CURRENT_TIMESTAMP)"))
        conn.execute(sa.text("INSERT INTO cash_flows (fund_id, date, amount, type) VALUES ('F1', '2020-02-01', -5e6, 'investment')"))
    db.migrate()
    assert current_revision(db.engine) == HEAD
    with db.engine.connect() as conn:
        assert [tuple(r) for r in conn.execute(sa.text("SELECT id, name, tolerance_scheme FROM funds"))] == [("F1", "一号基金", None)]
        assert [tuple(r) for r in conn.execute(sa.text("SELECT fund_id, amount FROM cash_flows"))] == [("F1", -5e6)]
        assert PORTFOLIO_TABLES <= set(sa.inspect(conn).get_table_names())
    with db.engine.begin() as conn:  # and back: the portfolio tables go, the funds stay
        command.downgrade(alembic_config(conn), "0002")
    with db.engine.connect() as conn:
        assert not PORTFOLIO_TABLES & set(sa.inspect(conn).get_table_names())
        assert conn.execute(sa.text("SELECT count(*) FROM funds")).scalar() == 1
    db.dispose()


def test_upgrade_from_0003_keeps_consents_until_revoked(url):
    db = Database(url)
    db.migrate("0003")
    with db.engine.begin() as conn:
        conn.execute(sa.text("INSERT INTO organisations (kind, name, created_at) VALUES ('bank', '银行', CURRENT_TIMESTAMP)"))
        conn.execute(sa.text("INSERT INTO users (username, password_hash, org_id, is_active, created_at) "
                             "VALUES ('u', 'x', 1, true, CURRENT_TIMESTAMP)"))
        conn.execute(sa.text("INSERT INTO enterprises (uscc, name, region_code, updated_at) "
                             "VALUES ('91440305787789323F', '示例', '440305', CURRENT_TIMESTAMP)"))
        conn.execute(sa.text("INSERT INTO consents (uscc, institution_org_id, granted_by, granted_at) "
                             "VALUES ('91440305787789323F', 1, 1, CURRENT_TIMESTAMP)"))
    db.migrate()
    with db.engine.connect() as conn:
        assert [tuple(r) for r in conn.execute(sa.text("SELECT uscc, expires_at FROM consents"))] == [("91440305787789323F", None)]
    with db.engine.begin() as conn:
        command.downgrade(alembic_config(conn), "0003")
    with db.engine.connect() as conn:
        assert "expires_at" not in {c["name"] for c in sa.inspect(conn).get_columns("consents")}
        assert conn.execute(sa.text("SELECT count(*) FROM consents")).scalar() == 1
    db.dispose()
