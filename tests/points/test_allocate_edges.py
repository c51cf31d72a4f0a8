"""Edge cases of ``kejin points allocate``: eligibility, the default cap, amount validation, provenance.

Each test here failed before the fixes of the allocation audit (tiered ignored ``min_tier``;
the default ``capped`` cap could make a spendable budget an error; ``nan``/``inf`` crashed; the
table recorded only the rule).
"""

from __future__ import annotations

import io
import json
import re
from pathlib import Path

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kejin.errors import InputError, PackError
from kejin.facts.synth import synth_facts
from kejin.points import score
from kejin.points.allocate import PACK, PROVENANCE, allocate, load_allocation_pack, to_fen
from kejin.rules.packfile import file_sha256

SAMPLE = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "enterprise_facts_sample.csv"
RULES = ("proportional", "tiered", "capped")


@pytest.fixture(scope="module")
def scores() -> pl.DataFrame:
    return score(synth_facts(900, seed=11))


def firms(n: int, tiers: list[str | None] | None = None) -> pl.DataFrame:
    """``n`` scored firms of 2024 with points n, n-1, …, 1 (tiers cycle lead, race, strive, none, unlisted)."""
    cycle = ["lead", "race", "strive", "none", None]
    return pl.DataFrame(
        {
            "uscc": [f"F{i:04d}" for i in range(n)],
            "year": [2024] * n,
            "points": [float(n - i) for i in range(n)],
            "tier": tiers if tiers is not None else [cycle[i % len(cycle)] for i in range(n)],
            "method": ["m"] * n,
            "method_version": ["1"] * n,
            "method_sha256": ["a" * 64] * n,
            "input_digest": ["d" * 64] * n,
        },
        schema_overrides={"tier": pl.String},
    )


# ---------------------------------------------------------------- 1. eligibility


@pytest.mark.parametrize("min_tier, tiers", [("lead", {"lead"}), ("race", {"lead", "race"}), ("strive", {"lead", "race", "strive"}), (None, {"lead", "race", "strive"})])
def test_every_rule_pays_the_same_tiers(scores, min_tier, tiers):
    got = {rule: allocate(scores, "1000000", rule, min_tier=min_tier) for rule in RULES}
    for rule, a in got.items():
        assert set(a.table["tier"].unique()) == tiers, rule
        assert a.parameters["eligible_tiers"] == [t for t in ("lead", "race", "strive") if t in tiers]
        assert int(a.table["amount_fen"].sum()) == 100_000_000
    assert set(got["tiered"].table["uscc"]) == set(got["proportional"].table["uscc"]) == set(got["capped"].table["uscc"])


def test_tiered_min_tier_lead_on_hand_example():
    a = allocate(firms(8), "60.00", "tiered", min_tier="lead")  # lead firms: F0000 and F0005
    assert a.table["uscc"].to_list() == ["F0000", "F0005"] and a.table["amount_fen"].to_list() == [3000, 3000]
    assert a.table["eligible_tiers"].unique().to_list() == ["lead"]


def test_min_tier_none_pays_unlisted_except_under_tiered():
    res = firms(10)
    a = allocate(res, "100", "proportional", min_tier="none")
    assert a.table.height == 10 and a.parameters["eligible_tiers"] == ["lead", "race", "strive", "none"]
    t = allocate(res, "100", "tiered", min_tier="none")
    assert set(t.table["tier"]) == {"lead", "race", "strive"} and t.parameters["eligible_tiers"] == ["lead", "race", "strive"]
    assert [n["code"] for n in t.notes] == ["allocate.tiered_unlisted"]


def test_tiered_min_tier_none_error_does_not_list_none():
    res = firms(6, tiers=[None] * 6)  # small cohorts only: no tier at all
    with pytest.raises(InputError) as e:
        allocate(res, "100", "tiered", min_tier="none")
    msg = str(e.value)
    assert "tiers lead, race, strive)" in msg and "strive, none" not in msg
    assert "tiered" in msg and "unlisted" in msg
    # the other rules do pay them
    assert allocate(res, "100", "proportional", min_tier="none").table.height == 6
    with pytest.raises(InputError) as e:
        allocate(res, "100", "proportional")
    assert "tiers lead, race, strive)" in str(e.value)


def test_unknown_min_tier_lists_the_choices():
    with pytest.raises(InputError, match="available: lead, race, strive, none"):
        allocate(firms(5), "100", "tiered", min_tier="gold")


# ---------------------------------------------------------------- 2. the default cap


def test_default_cap_is_raised_when_few_firms():
    res = firms(8, tiers=[None] * 8)
    a = allocate(res, "1000000", "capped", min_tier="none")
    t = a.table
    assert int(t["amount_fen"].sum()) == 100_000_000
    assert a.parameters["cap_fen"] == 12_500_000 and a.parameters["cap_basis"] == "raised"
    assert a.parameters["cap_share_fen"] == 10_000_000
    assert int(t["amount_fen"].max()) == 12_500_000 and t["bound"].to_list() == ["cap"] * 8
    assert set(t["cap_yuan"]) == {"125000.00"} and set(t["cap_basis"]) == {"raised"} and set(t["cap_share"]) == {"0.1"}
    (note,) = a.notes
    assert note["code"] == "allocate.cap_raised" and "125000.00" in note["en"] and "125000.00" in note["zh"] and "100000.00" in note["en"]
    assert a.as_dict()["notes"] == a.notes


def test_default_cap_is_raised_for_a_budget_of_a_few_fen(scores):
    a = allocate(scores, "0.05", "capped")
    assert int(a.table["amount_fen"].sum()) == 5 and a.parameters["cap_fen"] == 1 and a.parameters["cap_basis"] == "raised"
    assert a.table.filter(pl.col("amount_fen") > 0)["uscc"].to_list() == a.table["uscc"].head(5).to_list()  # the 5 highest


def test_default_cap_not_raised_when_it_suffices(scores):
    a = allocate(scores, "1000000", "capped")
    assert a.parameters["cap_basis"] == "cap_share" and a.parameters["cap_fen"] == 10_000_000 and not a.notes


def test_explicit_cap_is_never_raised_and_the_error_names_the_numbers():
    res = firms(8, tiers=[None] * 8)
    with pytest.raises(InputError) as e:
        allocate(res, "1000000", "capped", min_tier="none", cap="100000")
    msg = str(e.value)
    for number in ("8 × 100000.00 = 800000.00", "1000000.00", "125000.00"):
        assert number in msg
    assert re.search(r"[\u4e00-\u9fff]", msg) and "cannot exhaust" in msg
    with pytest.raises(InputError, match=r"cap \(10\.00 yuan\) is below the floor \(20\.00 yuan\)"):
        allocate(res, "100", "proportional", min_tier="none", cap="10", floor="20")
    with pytest.raises(InputError, match=r"8 × 20\.00 = 160\.00 yuan\) exceed the budget of 100\.00"):
        allocate(res, "100", "proportional", min_tier="none", floor="20")
    a = allocate(res, "1000000", "capped", min_tier="none", cap="125000")  # just enough
    assert a.parameters["cap_basis"] == "user" and int(a.table["amount_fen"].sum()) == 100_000_000


@settings(max_examples=60, deadline=None)
@given(n=st.integers(1, 40), fen=st.integers(1, 10**9), floor=st.integers(0, 500))
def test_default_cap_is_the_smallest_that_spends_the_budget(n, fen, floor):
    res = firms(n, tiers=["lead"] * n)
    floor = min(floor, fen // n)
    a = allocate(res, f"{fen // 100}.{fen % 100:02d}", "capped", floor=f"{floor // 100}.{floor % 100:02d}")
    amounts = a.table["amount_fen"].to_list()
    cap = a.parameters["cap_fen"]
    share = fen // 10
    assert sum(amounts) == fen and max(amounts) <= cap and min(amounts) >= floor
    if share * n >= fen:
        assert cap == share and a.parameters["cap_basis"] == "cap_share"
    else:
        assert cap * n >= fen > (cap - 1) * n and a.parameters["cap_basis"] == "raised"


# ---------------------------------------------------------------- 3. amounts


@pytest.mark.parametrize("text, code", [
    ("nan", "allocate.amount"), ("NaN", "allocate.amount"), ("sNaN", "allocate.amount"), ("-nan", "allocate.amount"),
    ("abc", "allocate.amount"), ("", "allocate.amount"), ("1,5", "allocate.amount"), ("1.2.3", "allocate.amount"),
    ("inf", "allocate.infinite"), ("-inf", "allocate.infinite"), ("Infinity", "allocate.infinite"), (float("inf"), "allocate.infinite"),
    ("-1", "allocate.negative"), ("-0.01", "allocate.negative"),
    ("12.345", "allocate.fen"), ("0.001", "allocate.fen"), ("1.0000000000000000000000000000001", "allocate.fen"),
    ("1e999999999", "allocate.large"), ("1e18", "allocate.large"),
])
@pytest.mark.parametrize("what", ["budget", "cap", "floor"])
def test_bad_amounts_are_bilingual_input_errors(text, code, what):
    kw = {"budget": "100", "cap": None, "floor": None, "min_tier": "none"}
    kw[what] = text
    with pytest.raises(InputError) as e:
        allocate(firms(5), kw.pop("budget"), "proportional", **kw)
    (p,) = e.value.problems
    assert p.code == code and p.field == what
    assert re.search(r"[\u4e00-\u9fff]", p.zh) and re.search(r"[a-z]", p.en)


@pytest.mark.parametrize("text, fen", [("1,000,000.00", 100_000_000), ("12.340", 1234), ("1e3", 100_000), (" 7 ", 700), ("-0", 0), ("0.10", 10), (12, 1200), ("１２", 1200)])
def test_good_amounts(text, fen):
    assert to_fen(text) == fen


# ---------------------------------------------------------------- 4. provenance on every row


@pytest.mark.parametrize("rule", RULES)
def test_every_row_documents_how_it_was_made(scores, rule):
    a = allocate(scores, "123456.78", rule, floor="10", min_tier="race")
    t = a.table
    assert list(t.columns[-len(PROVENANCE):]) == list(PROVENANCE)
    one = {c: t[c].unique().to_list() for c in PROVENANCE}
    for c, values in one.items():
        assert len(values) == 1, c  # the same on every row
    v = {c: values[0] for c, values in one.items()}
    assert v["rule"] == rule and v["budget_yuan"] == "123456.78" and v["floor_yuan"] == "10.00" and v["min_tier"] == "race"
    assert v["eligible_tiers"] == "lead;race"
    assert v["cap_yuan"] == ("12345.67" if rule == "capped" else None)
    assert v["cap_basis"] == ("cap_share" if rule == "capped" else "none")
    assert v["tier_weights"] == ("lead=3;race=2" if rule == "tiered" else None)
    assert v["method"] == "national-core" and v["method_version"] == scores["method_version"][0]
    assert v["method_sha256"] == scores["method_sha256"][0] and v["input_digest"] == scores["input_digest"][0]
    assert v["allocation_pack"] == "allocation-reference" and v["allocation_pack_version"] == "2025.1"
    assert v["allocation_pack_sha256"] == file_sha256(PACK) == a.parameters["pack_sha256"]
    assert (t["year"] == a.parameters["year"]).all()
    back = pl.read_csv(io.StringIO(t.write_csv()), infer_schema_length=0)  # the CLI's CSV
    assert back.columns == t.columns and back.height == t.height
    assert back["budget_yuan"].unique().to_list() == ["123456.78"] and back["method_sha256"].unique().to_list() == [scores["method_sha256"][0]]


def test_provenance_without_method_columns_or_pack_sha():
    res = firms(3, tiers=["lead", "race", "strive"]).drop("method", "method_version", "method_sha256", "input_digest")
    pack = load_allocation_pack().model_copy(update={"sha256": ""})
    a = allocate(res, "60", "tiered", pack=pack)
    assert a.table["amount_fen"].to_list() == [3000, 2000, 1000]
    for c in ("method", "method_sha256", "input_digest", "allocation_pack_sha256"):
        assert a.table[c].null_count() == a.table.height
    assert a.table["allocation_pack"].to_list() == ["allocation-reference"] * 3


# ---------------------------------------------------------------- the pack


def test_pack_is_checked(tmp_path):
    text = PACK.read_text(encoding="utf-8")
    bad = tmp_path / "bad.yaml"
    bad.write_text(text.replace("tier_weights: {lead: 3, race: 2, strive: 1}", "tier_weights: {lead: 3, race: 2, gold: 1}"), encoding="utf-8")
    with pytest.raises(PackError, match="gold"):
        load_allocation_pack(bad)
    bad.write_text(text + "sha256: abc\n", encoding="utf-8")
    with pytest.raises(PackError):
        load_allocation_pack(bad)
    bad.write_text(text.replace("eligible_tiers: [lead, race, strive]", "eligible_tiers: [lead, race, strive, none]"), encoding="utf-8")
    with pytest.raises(PackError):
        load_allocation_pack(bad)
    ok = tmp_path / "ok.yaml"
    ok.write_text(text, encoding="utf-8")
    assert load_allocation_pack(ok).sha256 == file_sha256(PACK)


def test_solver_is_not_quadratic():
    """1,500 firms with floors and caps: ~0.3 s (the old linear scan of breakpoints took ~14 s here)."""
    import time

    res = firms(1500, tiers=["lead"] * 1500).with_columns((pl.col("points") / 7).round(4))
    t0 = time.perf_counter()
    a = allocate(res, "1000000.01", "capped", floor="10", cap="1500")
    assert int(a.table["amount_fen"].sum()) == 100_000_001
    assert time.perf_counter() - t0 < 5


# ---------------------------------------------------------------- CLI


def _app():
    import kejin.cli as cli

    cli._mount()
    return cli.app


def test_cli_csv_carries_provenance_and_bad_budget_is_an_error(tmp_path):
    if not SAMPLE.exists():
        pytest.skip("shared sample not present")
    from typer.testing import CliRunner

    runner = CliRunner()
    app = _app()
    r = runner.invoke(app, ["points", "allocate", "-b", "1000000", "--rule", "capped", "--min-tier", "none", "-i", str(SAMPLE), "--format", "csv"])
    assert r.exit_code == 0, r.output
    back = pl.read_csv(io.StringIO(r.stdout), infer_schema_length=0)
    assert back.height == 8 and set(PROVENANCE) <= set(back.columns)
    assert back["cap_yuan"].unique().to_list() == ["125000.00"] and back["cap_basis"].unique().to_list() == ["raised"]
    assert back["amount_fen"].cast(pl.Int64).sum() == 100_000_000
    r = runner.invoke(app, ["points", "allocate", "-b", "1000000", "--rule", "capped", "--min-tier", "none", "-i", str(SAMPLE), "--format", "json"])
    assert r.exit_code == 0 and json.loads(r.stdout)["notes"][0]["code"] == "allocate.cap_raised"
    for budget in ("nan", "inf"):
        r = runner.invoke(app, ["points", "allocate", "-b", budget, "-i", str(SAMPLE), "--min-tier", "none"])
        assert isinstance(r.exception, InputError), (budget, r.exception)  # the CLI prints it bilingually, exit 2
        assert r.exception.problems[0].field == "budget"


@pytest.mark.parametrize("rule", ["proportional", "capped"])
def test_no_listed_firm_because_every_cohort_is_small_points_to_min_tier_none(rule):
    """As `kejin recommend` does: when the year's scored firms are all in cohorts too small for
    lists, the error says so and names the way out (not under tiered, which never pays them)."""
    res = firms(6, tiers=[None] * 6)
    with pytest.raises(InputError) as e:
        allocate(res, "100", rule)
    problem = e.value.problems[0]
    assert "--min-tier none" in problem.zh and "--min-tier none" in problem.en
    assert "6" in problem.en and "too small" in problem.en and "过小" in problem.zh
    with pytest.raises(InputError) as e:
        allocate(res, "100", "tiered")
    assert "--min-tier none" not in str(e.value)
    listed = firms(6, tiers=["none"] * 6)  # a large cohort, nobody in the lists: no such hint
    with pytest.raises(InputError) as e:
        allocate(listed, "100", rule)
    assert "--min-tier none" not in str(e.value)


def test_a_budget_of_zero_is_refused_not_split_into_zeros():
    from kejin.errors import InputError
    from kejin.points.allocate import allocate

    results = pl.DataFrame({"uscc": ["91440300MA5F000001", "91440300MA5F000002"], "year": [2024, 2024], "points": [60.0, 40.0], "tier": ["lead", "race"]})
    for rule in ("proportional", "tiered", "capped"):
        with pytest.raises(InputError) as err:
            allocate(results, "0", rule=rule)
        assert err.value.problems[0].code == "allocate.zero" and err.value.problems[0].field == "budget"
