"""Storage for the kejin service (floor 2): SQLAlchemy models, Alembic migrations, repositories and the
tamper-evident chain of published points batches.

SQLite (``kejin.db``) is the default; ``KEJIN_DATABASE_URL`` selects another database (PostgreSQL).
Domain packages never import this one.
"""

from kejin.store.db import Database, database_url, migrate

__all__ = ["Database", "database_url", "migrate"]
