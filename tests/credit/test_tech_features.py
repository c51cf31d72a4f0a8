"""kejin's own technology features (``kejin.credit.tech_features``) and the book built from facts."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import polars as pl
import pytest

from kejin.credit import metrics
from kejin.credit.ratios import FINANCIAL_RATIOS, financial_ratios
from kejin.credit.scorecard import FitOptions, fit_scorecard, score_frame
from kejin.credit.synthetic import interrupt_rd, make_fact_loan_book
from kejin.credit.tech_features import NOT_FEATURES, join_onto, standards_column, tech_features
from kejin.errors import InputError
from kejin.facts import load_facts
from kejin.facts.synth import synth_facts
from kejin.points import record, score
from kejin.points.credit_record import rd_continuity

SAMPLE = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "enterprise_facts_sample.csv"
# Measured over seeds 0–25 of make_fact_loan_book(45 000) with this split: hold-out Gini gain
# 0.129 on average (sd 0.017, smallest 0.089). 0.05 is ~40 % of the mean and 4.5 sd below it,
# so the test fails when kejin's features stop adding information, not on sampling noise.
MIN_GINI_GAIN = 0.05


@pytest.fixture(scope="module")
def sample() -> pl.DataFrame:
    if not SAMPLE.exists():
        pytest.skip(f"shared sample not present: {SAMPLE}")
    return load_facts(SAMPLE)


@pytest.fixture(scope="module")
def gappy_facts() -> pl.DataFrame:
    """Synthetic facts with every shape of R&D history: stops, blanks and a missing year."""
    facts = interrupt_rd(synth_facts(900, seed=5), gap_rate=0.3, seed=5)
    blank = pl.int_range(pl.len()) % 17 == 3
    facts = facts.with_columns(pl.when(blank).then(None).otherwise(pl.col("rd_expense")).alias("rd_expense"))
    middle_years = pl.int_range(pl.len()) % 3 == 1
    return facts.filter(~(middle_years & (pl.int_range(pl.len()) % 7 == 1)))  # some firms lose their middle year


def test_sample_agrees_with_the_record(sample):
    """Per firm, the columnar features equal ``kejin.points.record`` (the per-firm Python path)."""
    features = tech_features(sample)
    assert features.height == sample.height
    for uscc in sample.get_column("uscc").unique().to_list():
        rec = record(sample, uscc)
        rows = features.filter(pl.col("uscc") == uscc).sort("year")
        last = rows.row(-1, named=True)
        assert last["rd_years_unbroken"] == rec["rd_continuity"]["unbroken_rd_years"]
        assert last["rd_cumulative"] == pytest.approx(rec["rd_continuity"]["cumulative_rd"], abs=0.01)
        for year, row in zip(rec["years"], rows.iter_rows(named=True)):
            stock, flow = year["ip_stock"], year["ip_flow"]
            assert row["ip_stock"] == stock["ip_class1"] + stock["ip_class2"]
            assert row["ip_flow"] == (None if flow["ip_class1"] is None else flow["ip_class1"] + flow["ip_class2"])
            assert (row["innovation_points"], row["points_percentile"], row["points_tier"]) == (year["points"], year["percentile"], year["tier"])
            assert all(row[f"group_{g}"] == v for g, v in year["groups"].items())
            expected = {p: None if status == "not_evaluable" else status == "pass" for p, status in year["standards"].items()}
            assert {p: row[standards_column(p)] for p in expected} == expected
            assert row["standards_met"] == len(year["standards_met"])


def test_continuity_agrees_with_the_record_on_gaps(gappy_facts):
    """Every enterprise-year's run and cumulative R&D equal ``rd_continuity`` of the years up to it."""
    features = tech_features(gappy_facts).select("uscc", "year", "rd_years_unbroken", "rd_cumulative")
    by_firm: dict[str, list[dict]] = {}
    for row in gappy_facts.select("uscc", "year", "rd_expense").sort("uscc", "year").iter_rows(named=True):
        by_firm.setdefault(row["uscc"], []).append(row)
    expected = []
    for uscc, rows in by_firm.items():
        for k, row in enumerate(rows):
            cont = rd_continuity(rows[: k + 1])
            expected.append((uscc, row["year"], cont["unbroken_rd_years"], cont["cumulative_rd"]))
    got = [(u, y, n, pytest.approx(c, abs=0.01)) for u, y, n, c in features.iter_rows()]
    assert got == expected
    assert set(features.get_column("rd_years_unbroken").unique().to_list()) == {0, 1, 2, 3}  # the fixture covers every run length


def test_ip_flow_is_blank_after_a_missing_year():
    facts = synth_facts(6, seed=2).filter(pl.int_range(pl.len()) != 1)  # firm 1 loses its middle year
    features = tech_features(facts).sort("uscc", "year")
    first = features.filter(pl.col("uscc") == facts.get_column("uscc")[0])
    assert first.get_column("year").to_list() == [2022, 2024]
    assert first.get_column("ip_flow").to_list() == [None, None]  # 2024 has no 2023 to compare with
    assert first.get_column("rd_years_unbroken").to_list() == [1, 1]


def test_year_option_keeps_history(gappy_facts):
    full = tech_features(gappy_facts).filter(pl.col("year") == 2024)
    assert tech_features(gappy_facts, year=2024).equals(full)


def test_points_columns_come_from_the_engine(gappy_facts):
    features = tech_features(gappy_facts, "v2")
    scored = score(gappy_facts, "v2").sort("uscc", "year")
    assert features.get_column("innovation_points").equals(scored.get_column("points"), check_names=False)
    assert {"group_input", "group_output", "group_development"} <= set(features.columns)
    assert features.get_column("points_method").unique().to_list() == ["v2@2025.1"]


def test_rows_out_of_the_method_scope_keep_their_other_features(gappy_facts):
    features = tech_features(gappy_facts, "local-frontier-pilot")
    assert features.height == gappy_facts.height
    outside = features.join(gappy_facts.select("uscc", "year", "region_code"), on=["uscc", "year"]).filter(~pl.col("region_code").str.starts_with("44"))
    assert outside.height > 0 and outside.get_column("innovation_points").null_count() == outside.height
    assert outside.get_column("standards_met").null_count() == 0


def test_financial_ratios_blank_on_zero_denominators():
    facts = pl.DataFrame({"uscc": ["A", "B"], "year": [2024, 2024], "revenue": [100.0, 0.0], "net_profit": [10.0, 5.0],
                          "total_assets": [200.0, None], "total_liabilities": [50.0, 0.0], "operating_cash_flow": [25.0, 1.0]})
    ratios = financial_ratios(facts)
    assert ratios.row(0) == ("A", 2024, 0.25, 0.1, 100.0, 0.5)
    assert ratios.row(1) == ("B", 2024, None, None, 0.0, None)


def test_join_onto_a_loan_book(gappy_facts):
    features = tech_features(gappy_facts)
    firms = features.get_column("uscc").unique(maintain_order=True).head(3).to_list()
    loans = pl.DataFrame({"uscc": [firms[2], "91000000000000000X", firms[0]], "year": [2024, 2024, 2023], "default": [0, 1, 0]})
    joined = join_onto(loans, features)
    assert joined.get_column("uscc").to_list() == loans.get_column("uscc").to_list()  # loan order kept
    assert joined.get_column("points_method").null_count() == 1
    with pytest.raises(InputError) as caught:
        join_onto(loans.drop("year"), features)
    assert caught.value.problems[0].code == "features.year_needed"
    assert join_onto(loans.drop("year"), tech_features(gappy_facts, year=2024)).height == 3
    with pytest.raises(InputError) as caught:
        join_onto(loans.with_columns(pl.lit(1).alias("ip_stock")), features)
    assert caught.value.problems[0].code == "features.column_clash"


def test_fact_book_follows_its_documented_process():
    book = make_fact_loan_book(9_000, seed=4)
    assert book.height == 3_000 and book.get_column("year").unique().to_list() == [2024]
    assert book.get_column("default").mean() == pytest.approx(0.05, abs=0.012)
    # R&D interruptions make continuity vary; firms with a full run default less often
    rate = book.group_by(pl.col("rd_years_unbroken") == 3).agg(pl.col("default").mean()).sort("rd_years_unbroken")
    assert rate.get_column("default")[1] < rate.get_column("default")[0]
    assert book.get_column("rd_years_unbroken").n_unique() == 4


def test_kejin_features_raise_the_gini():
    """The gain of adding kejin's features to the financial ratios, on a fixed split."""
    book = make_fact_loan_book(45_000, seed=1)
    order = np.random.default_rng(0).permutation(book.height)
    cut = int(0.6 * book.height)
    train, holdout = book[order[:cut]], book[order[cut:]]
    y = holdout.get_column("default").to_numpy()
    cards = {
        "financial": fit_scorecard(train, "default", FitOptions(features=FINANCIAL_RATIOS)),
        # every other column (constant or weak ones are left out by the fit, with a reason)
        "with kejin": fit_scorecard(train, "default", FitOptions(exclude=NOT_FEATURES)),
    }
    gini = {name: metrics.gini(y, score_frame(card, holdout).get_column("pd").to_numpy()) for name, card in cards.items()}
    print(f"hold-out Gini financial {gini['financial']:.4f} → with kejin features {gini['with kejin']:.4f}")
    used = {f.name for f in cards["with kejin"].features}
    assert {"innovation_points", "rd_years_unbroken"} <= used
    assert gini["with kejin"] - gini["financial"] > MIN_GINI_GAIN
