"""The per-row input digest (``row_digest``, form ``kejin-row-v1``): stable across file formats and
row order, one changed value changes exactly its own row, and verify names that enterprise-year."""

from __future__ import annotations

import datetime as dt
import json
import struct

import numpy as np
import polars as pl

from kejin.facts import load_facts
from kejin.facts.synth import synth_facts
from kejin.points import score
from kejin.points.digest import _kind, input_digest, row_digests
from kejin.points.methods import resolve
from kejin.points.verify import read_results, verify

M64 = (1 << 64) - 1


# ---------------------------------------------------------------- the form, transcribed from the spec


def _mix(z: int) -> int:
    z &= M64
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & M64
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & M64
    return z ^ (z >> 31)


def _t(b: bytes) -> int:
    acc = len(b)
    for k in range(0, len(b), 8):
        word = int.from_bytes(b[k:k + 8].ljust(8, b"\0"), "little")
        acc = (acc + word * pow(0x9E3779B97F4A7C15, k // 8 + 1, 1 << 64)) & M64
    return _mix(acc)


def _reference(frame: pl.DataFrame, columns: list[str]) -> list[str]:
    """``kejin-row-v1`` one row and one value at a time, straight from the docstring."""
    out = []
    for row in frame.iter_rows(named=True):
        acc = 0
        for c in sorted(columns):
            kind, x = _kind(frame.schema[c]), row[c]
            key = _mix(_t(f"{c}:{kind}:value".encode())) | 1
            blank = _mix(_t(f"{c}:{kind}:blank".encode())) | 1
            if x is None:
                v = 0
            elif kind == "num":
                v = struct.unpack("<Q", struct.pack("<d", float(x) + 0.0))[0]
            elif kind == "bool":
                v = int(x)
            elif kind == "date":
                v = (x - dt.date(1970, 1, 1)).days & M64
            elif kind == "list":
                v = _t(";".join(x).encode())
            else:
                v = _t(x.encode())
            acc = (acc + key * v + blank * (x is None)) & M64
        out.append(f"{_mix(acc ^ _t(b'kejin-row-v1')):016x}")
    return out


TINY = pl.DataFrame({
    "uscc": ["91440305787789323F"],
    "year": [2024],
    "revenue": [3182340.19],
    "employees": pl.Series([40], dtype=pl.Int64),
    "high_tech_certified": [True],
    "established": [dt.date(2019, 3, 12)],
    "frontier_sectors": [["quantum", "ai"]],
    "region_code": pl.Series([None], dtype=pl.String),
})


def test_pinned_value_of_a_one_row_frame():
    # computed with _reference (the spec, one value at a time); pinned so the form cannot drift
    assert _reference(TINY, TINY.columns) == ["407be36d865516f9"]
    assert row_digests(TINY, TINY.columns).to_list() == ["407be36d865516f9"]
    d = row_digests(TINY, TINY.columns)
    assert d.name == "row_digest" and d.dtype == pl.String


def test_vectorised_equals_reference_on_awkward_values():
    frame = pl.DataFrame({
        "uscc": ["a", None, "", "中文字符串很长很长的xyz", "12345678", "123456789abcdefgh", "a"],
        "amount": [1.5, None, 0.0, -0.0, -3.25, 1e300, 1.5],
        "count": pl.Series([1, None, 0, -5, 2**40, 7, 1], dtype=pl.Int64),
        "flag": [True, None, False, True, False, None, True],
        "day": [dt.date(2020, 1, 1), None, dt.date(1960, 5, 5), dt.date(1970, 1, 1), None, dt.date(2099, 1, 1), dt.date(2020, 1, 1)],
        "tags": [["ai", "x"], None, [], ["量子"], ["a"], None, ["ai", "x"]],
    })
    got = row_digests(frame, frame.columns).to_list()
    assert got == _reference(frame, frame.columns)
    assert got[0] == got[6]  # the same values give the same digest
    # runs of equal texts (a firm's years) are hashed once: same result
    runs = pl.concat([frame] * 3).sort("uscc", nulls_last=True)
    assert row_digests(runs, runs.columns).to_list() == _reference(runs, runs.columns)
    assert row_digests(frame.head(0), frame.columns).to_list() == []
    # -0.0 is 0.0
    z = pl.DataFrame({"x": [0.0, -0.0]})
    assert row_digests(z, ["x"])[0] == row_digests(z, ["x"])[1]


def test_rows_across_block_boundaries():
    n = 70_000  # three blocks of 32,768 rows
    frame = pl.DataFrame({
        "uscc": [f"firm{i // 3:06d}" for i in range(n)],
        "amount": [None if i % 7 == 0 else i / 100 for i in range(n)],
        "flag": [i % 5 == 0 for i in range(n)],
    })
    full = row_digests(frame, frame.columns)
    for lo in (0, 32_760, 65_530, n - 5):
        part = frame.slice(lo, 12)
        assert full.slice(lo, 12).to_list() == row_digests(part, part.columns).to_list() == _reference(part, part.columns)


def test_blank_differs_from_zero_false_and_empty():
    frame = pl.DataFrame({
        "n": [None, 0.0], "i": pl.Series([None, 0], dtype=pl.Int64), "b": [None, False],
        "s": [None, ""], "d": pl.Series([None, 0], dtype=pl.Int32).cast(pl.Date),
    })
    for c in frame.columns:
        d = row_digests(frame, [c])
        assert d[0] != d[1], c


def test_synth_rows_match_reference():
    m = resolve("local-frontier-pilot")  # text, list, date, bool, integer and decimal columns
    facts = synth_facts(40, seed=3).sort("uscc", "year")
    cols = m.input_columns()
    assert row_digests(facts, cols).to_list() == _reference(facts, cols)


# ---------------------------------------------------------------- in the published results


def test_same_digests_from_csv_xlsx_and_parquet(tmp_path, sample_csv):
    from kejin.cli.facts import write_frame

    base = load_facts(sample_csv)
    results = {}
    for suffix in (".csv", ".parquet", ".xlsx"):
        out = tmp_path / f"facts{suffix}"
        write_frame(base, out)
        results[suffix] = score(load_facts(out))
    csv = score(base)
    assert csv["row_digest"].n_unique() == csv.height
    for suffix, res in results.items():
        assert res["row_digest"].to_list() == csv["row_digest"].to_list(), suffix
        assert res["input_digest"][0] == csv["input_digest"][0], suffix


def test_row_digest_column_is_the_prepared_rows_digest():
    facts = synth_facts(120, seed=5)
    m = resolve("national-core")
    res = score(facts, m)
    assert res.columns[-5:] == ["row_digest", "method", "method_version", "method_sha256", "input_digest"]
    expected = row_digests(facts, m.input_columns())  # rows in the input's order
    assert res["row_digest"].to_list() == expected.to_list()


def test_input_digest_in_an_order_equals_that_of_the_rows_moved_into_it():
    """``input_digest(frame, cols, order)`` hashes each column taken in ``order``: the same bytes
    as the table gathered into that order first (text of one width and of mixed widths, lists,
    blanks of every kind)."""
    frame = pl.DataFrame({
        "uscc": ["91110108933283671B", "91440305787789323F", "91310115619345141E"] * 4,
        "name": ["甲", None, "a much longer name than twelve bytes", ""] * 3,
        "amount": [1.5, None, 0.0, -0.0, -3.25, 1e300] * 2,
        "count": pl.Series([1, None, 0, -5, 2**40, 7] * 2, dtype=pl.Int64),
        "flag": [True, None, False] * 4,
        "day": [dt.date(2020, 1, 1), None, dt.date(1960, 5, 5)] * 4,
        "tags": [["ai", "x"], None, [], ["量子"]] * 3,
    })
    order = np.array([5, 0, 11, 3, 7, 1, 10, 2, 9, 4, 8, 6])
    assert input_digest(frame, frame.columns, order) == input_digest(frame[order], frame.columns)
    assert input_digest(frame, frame.columns, order) != input_digest(frame, frame.columns)


def test_independent_of_input_row_order():
    facts = synth_facts(120, seed=5)
    a = score(facts).select("uscc", "year", "row_digest", "input_digest")
    b = score(facts.sample(fraction=1.0, shuffle=True, seed=9)).select("uscc", "year", "row_digest", "input_digest")
    assert a.sort("uscc", "year").equals(b.sort("uscc", "year"))
    cols = resolve("national-core").input_columns()
    rev = facts.reverse()
    assert row_digests(rev, cols).to_list() == row_digests(facts, cols).to_list()[::-1]


def test_one_fen_changes_exactly_that_row_and_verify_names_it(tmp_path):
    facts = synth_facts(120, seed=5)
    res = score(facts)
    out = tmp_path / "r.csv"
    res.write_csv(out)
    published = read_results(out)
    assert published.schema["row_digest"] == pl.String
    assert verify(published, facts).ok
    uscc, year = facts.row(17, named=True)["uscc"], facts.row(17, named=True)["year"]
    one_fen = facts.with_columns(pl.when(pl.int_range(pl.len()) == 17).then(pl.col("rd_expense") + 0.01).otherwise(pl.col("rd_expense")).alias("rd_expense"))
    changed = score(one_fen).join(res, on=["uscc", "year"], suffix="_old").filter(pl.col("row_digest") != pl.col("row_digest_old"))
    assert changed.select("uscc", "year").rows() == [(uscc, year)]
    rep = verify(published, one_fen)
    assert not rep.ok
    first = rep.first
    assert (first.uscc, first.year, first.column) == (uscc, year, "row_digest")
    assert "该企业年度的输入数据与发布时不同" in first.text() and "the input of this enterprise-year differs" in first.text()
    assert uscc in first.text() and str(year) in first.text()
    assert [d.column for d in rep.differences].count("row_digest") == 1
    assert any(d.column == "input_digest" for d in rep.differences)  # still the integrity check
    # older results without the column verify as before: the input digest is named
    legacy = published.drop("row_digest")
    assert verify(legacy, facts).ok
    assert verify(legacy, one_fen).first.column == "input_digest"


def test_unused_column_changes_nothing():
    facts = synth_facts(120, seed=5)
    m = resolve("national-core")
    unused = next(c for c, t in facts.schema.items() if t == pl.Float64 and c not in m.input_columns())
    res = score(facts, m)
    edited = facts.with_columns((pl.col(unused) + 1000.0).alias(unused), pl.lit("改名").alias("name"))
    assert score(edited, m)["row_digest"].to_list() == res["row_digest"].to_list()
    assert verify(res, edited, m).ok


def test_cli_verify_names_the_changed_enterprise_year(tmp_path, sample_csv):
    from typer.testing import CliRunner

    import kejin.cli as cli

    cli._mount()
    runner = CliRunner()
    out = tmp_path / "r.json"
    r = runner.invoke(cli.app, ["points", "score", "--method", "national-core", "--input", str(sample_csv), "--format", "json", "--output", str(out)])
    assert r.exit_code == 0, r.output
    rows = json.loads(out.read_text(encoding="utf-8"))
    assert all(len(row["row_digest"]) == 16 for row in rows)
    lines = sample_csv.read_text(encoding="utf-8").splitlines()
    header = lines[0].split(",")
    cells = lines[5].split(",")
    i = header.index("rd_expense")
    cells[i] = f"{float(cells[i]) + 0.01:.2f}"
    lines[5] = ",".join(cells)
    facts = tmp_path / "facts.csv"
    facts.write_text("\n".join(lines) + "\n", encoding="utf-8")
    r = runner.invoke(cli.app, ["points", "verify", str(out), "--input", str(facts)])
    assert r.exit_code == 1
    text = " ".join(r.output.split())
    assert f"{cells[header.index('uscc')]} {cells[header.index('year')]} row_digest" in text, r.output
