"""Row layout by key: strictly ascending, firm after firm, and the firm order that sorts them."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kejin.facts.layout import byte_order, firm_order, firm_runs, keys_strictly_ascending, sorted_keys


def table(rows: list[tuple[str | None, int | None]]) -> pl.DataFrame:
    return pl.DataFrame({"uscc": [r[0] for r in rows], "year": [r[1] for r in rows], "row": list(range(len(rows)))}, schema={"uscc": pl.String, "year": pl.Int64, "row": pl.Int64})


def test_firm_after_firm_in_any_order_of_firms():
    t = table([("B", 2022), ("B", 2023), ("A", 2021), ("C", 2020), ("C", 2024)])
    assert not keys_strictly_ascending(t)
    assert firm_runs(t).tolist() == [0, 2, 3]
    ordered = t[firm_order(t, firm_runs(t))]
    assert ordered.equals(t.sort(["uscc", "year"]))
    assert keys_strictly_ascending(ordered)


@pytest.mark.parametrize("rows", [
    [("B", 2022), ("A", 2021), ("B", 2023)],  # a firm comes back later
    [("A", 2023), ("A", 2022)],  # years not ascending within the firm
    [("A", 2022), ("A", 2022)],  # a repeated key
    [("A", 2022), (None, 2023)],  # a blank key
    [("A", 2022), ("B", None)],
])
def test_not_firm_grouped(rows):
    assert firm_runs(table(rows)) is None


def test_empty_and_single_row():
    assert firm_runs(table([])).tolist() == []
    assert firm_runs(table([("A", 2020)])).tolist() == [0]
    assert keys_strictly_ascending(table([("A", 2020)]))


codes = st.text(alphabet="0123456789ABCDGHJKLMNPQRTUWXY中\x7f", min_size=0, max_size=20)


@settings(max_examples=200, deadline=None)
@given(st.lists(codes, max_size=40), st.sampled_from([None, 17, 18]))
def test_byte_order_is_polars_text_order(values, same_width):
    if same_width:  # the radix path (e.g. 18-character USCCs, and an odd width); ties keep their order
        values = [(v.replace("中", "Z") + "0" * 20)[:same_width] for v in values]
    s = pl.Series("u", values, dtype=pl.String)
    expected = s.to_frame().select(pl.arg_sort_by("u", maintain_order=True)).to_series().to_numpy()
    assert np.array_equal(byte_order(s), expected)


@settings(max_examples=100, deadline=None)
@given(st.lists(st.tuples(st.text(alphabet="ABC123", min_size=18, max_size=18), st.integers(1, 4)), unique_by=lambda f: f[0], max_size=30), st.randoms())
def test_firm_order_sorts_any_firm_grouped_table(firms, rnd):
    rnd.shuffle(firms)
    rows = [(code, 2020 + y) for code, years in firms for y in range(years)]
    t = table(rows)
    runs = firm_runs(t)
    assert runs is not None
    assert t[firm_order(t, runs)].equals(t.sort(["uscc", "year"]))


years = st.one_of(st.none(), st.integers(-(2**63), 2**63 - 1), st.integers(1990, 2030))


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.one_of(st.none(), codes), years), max_size=40), st.sampled_from([None, 17, 18]), st.booleans())
def test_key_order_is_polars_stable_sort_by_uscc_and_year(rows, same_width, known):
    """Repeated keys keep their order; blank codes or years, codes of several widths and years
    of any size (negative, 64-bit extremes) sort as Polars sorts them."""
    if known:  # as validated facts: no blank key (then ``same_width`` takes the radix path)
        rows = [(u or "", 2024 if y is None else y) for u, y in rows]
    if same_width:
        rows = [(None if u is None else (u.replace("中", "Z") + "0" * 20)[:same_width], y) for u, y in rows]
    t = table(rows)
    expected = t.select(pl.arg_sort_by(["uscc", "year"], maintain_order=True)).to_series().to_numpy()
    assert np.array_equal(sorted_keys(t).order, expected)


def test_key_order_repeated_keys_keep_their_order_in_the_radix_path():
    t = table([("B" * 18, 2023), ("A" * 18, 2024), ("B" * 18, 2023), ("A" * 18, -5), ("B" * 18, 2022)])
    assert sorted_keys(t).order.tolist() == [3, 1, 4, 0, 2]


def test_key_order_of_years_of_any_integer_type():
    codes = ["B" * 18, "A" * 18, "B" * 18]
    for dtype, years in ((pl.UInt64, [2**64 - 1, 3, 2]), (pl.Int8, [-1, 5, -128]), (pl.UInt32, [7, 7, 1])):
        t = pl.DataFrame({"uscc": codes, "year": pl.Series(years, dtype=dtype)})
        expected = t.select(pl.arg_sort_by(["uscc", "year"], maintain_order=True)).to_series().to_numpy()
        assert np.array_equal(sorted_keys(t).order, expected), dtype


@pytest.mark.parametrize("swap_at", [10, 4_095, 4_096, 9_998])
def test_keys_strictly_ascending_looks_past_the_first_rows(swap_at):
    """Past the quick look at the first rows the whole table is checked: a single pair out of
    order anywhere, early or late, is found."""
    rows = [(f"{i:018d}", 2024) for i in range(10_000)]
    assert keys_strictly_ascending(table(rows))
    rows[swap_at], rows[swap_at + 1] = rows[swap_at + 1], rows[swap_at]
    assert not keys_strictly_ascending(table(rows))



@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.one_of(st.none(), codes), st.one_of(st.none(), years)), max_size=40), st.sampled_from([None, 5, 18]))
def test_sorted_keys_number_the_firms_in_key_order_and_find_a_repeat(rows, same_width):
    """The firms numbered in (uscc, year) order as a dense rank of the sorted codes (each blank
    code a firm of its own), the years in that order, and the first repeated key found as
    Polars' duplicate search finds it; for codes of one width by their bytes, otherwise by Polars."""
    if same_width:
        rows = [(None if u is None else (u.replace("中", "Z") + "0" * 20)[:same_width], y) for u, y in rows]
    t = table(rows)
    keys = sorted_keys(t)
    in_order = t[keys.order]
    assert in_order.select("uscc", "year").equals(t.sort(["uscc", "year"], maintain_order=True).select("uscc", "year"))
    assert keys.year.to_list() == in_order["year"].to_list()
    codes_in_order = in_order["uscc"].to_list()
    expected, last = [], object()
    for code in codes_in_order:
        expected.append((expected[-1] if expected else -1) + (code is None or code != last))
        last = code
    assert keys.firm.tolist() == expected
    repeated = t.filter(pl.struct("uscc", "year").is_duplicated() & pl.col("uscc").is_not_null() & pl.col("year").is_not_null())
    row = keys.first_repeat()
    if repeated.height:
        assert row is not None and (t["uscc"][row], t["year"][row]) in set(zip(repeated["uscc"], repeated["year"]))
    else:
        assert row is None
