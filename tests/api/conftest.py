import sys
from pathlib import Path as _Path

import pytest

sys.path.insert(0, str(_Path(__file__).parent))  # the test files import api_helpers

from kejin.store.db import Database
from kejin.store.testing import fresh_url, postgres_unreachable_reason

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


from pathlib import Path


from kejin.api import create_app
from kejin.api import demo

SAMPLE = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "enterprise_facts_sample.csv"


@pytest.fixture
def seeded(db):
    demo.seed(db, n_synthetic=40)
    return db


@pytest.fixture
def app(seeded):
    return create_app(seeded)


