import sys
from pathlib import Path as _Path

import pytest

sys.path.insert(0, str(_Path(__file__).parent))  # the test files import api_helpers


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


