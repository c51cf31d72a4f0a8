from pathlib import Path

import pytest

from kejin.store.db import Database
from kejin.store.testing import fresh_url, postgres_unreachable_reason

REPO = Path(__file__).resolve().parents[1]
SAMPLE = REPO.parent / "shared" / "data" / "enterprise_facts_sample.csv"


@pytest.fixture(scope="session")
def sample_csv() -> Path:
    if not SAMPLE.exists():
        pytest.skip(f"shared sample file not found at {SAMPLE}")
    return SAMPLE


# Storage and API tests run on each database backend (PostgreSQL only when reachable).
BACKENDS = [pytest.param("sqlite", id="sqlite"), pytest.param("postgres", id="postgres", marks=pytest.mark.postgres)]


@pytest.fixture(params=BACKENDS)
def backend(request):
    if request.param == "postgres":
        reason = postgres_unreachable_reason()
        if reason:
            pytest.skip(reason)
    return request.param


@pytest.fixture
def url(backend, tmp_path):
    with fresh_url(backend, tmp_path) as u:
        yield u


@pytest.fixture
def db(url):
    d = Database(url)
    d.migrate()
    yield d
    d.dispose()
