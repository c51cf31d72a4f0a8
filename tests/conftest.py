from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SAMPLE = REPO.parent / "shared" / "data" / "enterprise_facts_sample.csv"


@pytest.fixture(scope="session")
def sample_csv() -> Path:
    if not SAMPLE.exists():
        pytest.skip(f"shared sample file not found at {SAMPLE}")
    return SAMPLE
