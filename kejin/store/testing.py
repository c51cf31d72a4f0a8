"""Helpers for tests of the service: a fresh, migrated database on SQLite or on the PostgreSQL server.

``POSTGRES_URL`` (default ``postgresql://postgres@127.0.0.1:5432/postgres``) is the maintenance connection
used to create and drop a throw-away database per use.
"""

from __future__ import annotations

import os
import uuid
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

DEFAULT_PG = "postgresql://postgres@127.0.0.1:5432/postgres"


def postgres_admin_url() -> str:
    return os.environ.get("KEJIN_TEST_POSTGRES_URL", DEFAULT_PG)


def postgres_unreachable_reason() -> str | None:
    """None when the server answers; otherwise why the PostgreSQL tests skip."""
    try:
        import psycopg
    except ImportError:
        return "psycopg is not installed"
    try:
        with psycopg.connect(postgres_admin_url().replace("postgresql+psycopg", "postgresql"), connect_timeout=2):
            return None
    except Exception as exc:  # noqa: BLE001
        return f"PostgreSQL not reachable at {postgres_admin_url()}: {type(exc).__name__}"


@contextmanager
def fresh_url(kind: str, tmp: Path) -> Iterator[str]:
    """A URL to an empty database of ``kind`` ("sqlite" or "postgres"), dropped afterwards."""
    if kind == "sqlite":
        yield f"sqlite:///{tmp / f'kejin-{uuid.uuid4().hex[:8]}.db'}"
        return
    import psycopg

    admin = postgres_admin_url()
    name = f"kejin_test_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(admin, autocommit=True) as c:
        c.execute(f'CREATE DATABASE "{name}"')
    base = admin.rsplit("/", 1)[0]
    try:
        yield f"{base}/{name}"
    finally:
        with psycopg.connect(admin, autocommit=True) as c:
            c.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
