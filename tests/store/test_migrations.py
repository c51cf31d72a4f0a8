import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from kejin.store.db import Database, current_revision
from kejin.store.models import Base


def test_upgrade_empty_database_matches_models(url):
    db = Database(url)
    assert current_revision(db.engine) is None
    db.migrate()
    assert current_revision(db.engine) == "0002"
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
    assert current_revision(db.engine) == "0002"
    with db.engine.connect() as conn:
        rows = conn.execute(sa.text("SELECT uscc, year, import_job_id FROM facts")).all()
        assert [tuple(r) for r in rows] == [("91440305787789323F", 2023, None)]
        assert "import_jobs" in sa.inspect(conn).get_table_names()
    db.migrate()  # idempotent at head
    db.dispose()
