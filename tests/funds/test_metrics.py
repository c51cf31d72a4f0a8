"""TVPI/DPI/RVPI, J-curve, KS-PME and Direct Alpha on hand-worked examples; the quick cash-flow file."""

from __future__ import annotations

import math
from datetime import date

import polars as pl
import pytest

from kejin.errors import InputError
from kejin.funds.cashflows import read_cashflows
from kejin.funds.metrics import fund_metrics, jcurve, pme


def frame(rows):
    return pl.DataFrame(rows, schema=["fund_id", "date", "amount"], orient="row")


def navs(rows):
    return pl.DataFrame(rows, schema=["fund_id", "date", "nav"], orient="row")


def test_multiples_and_irr_by_hand():
    f = frame([("A", date(2020, 1, 1), -100.0), ("A", date(2021, 1, 1), -50.0), ("A", date(2022, 1, 1), 60.0)])
    n = navs([("A", date(2021, 12, 31), 999.0), ("A", date(2022, 12, 31), 150.0)])
    m = fund_metrics(f, n).row(0, named=True)
    assert m["paid_in"] == 150 and m["distributed"] == 60 and m["nav"] == 150
    assert m["dpi"] == pytest.approx(0.4) and m["rvpi"] == pytest.approx(1.0) and m["tvpi"] == pytest.approx(1.4)
    assert m["nav_date"] == date(2022, 12, 31)
    # IRR uses the final NAV as a terminal flow
    import pyxirr

    expected = pyxirr.xirr([date(2020, 1, 1), date(2021, 1, 1), date(2022, 1, 1), date(2022, 12, 31)],
                           [-100, -50, 60, 150])
    assert m["irr"] == pytest.approx(expected, abs=1e-7)


def test_pme_hand_worked():
    """Calls of 100 at I=100 and 50 at I=125; a distribution of 60 at I=150; NAV 120 at I=120.

    KS = (60·120/150 + 120) / (100·120/100 + 50·120/125) = (48 + 120) / (120 + 48) = 1.0
    Direct Alpha: FV flows −120, −48, +48, +120 → IRR a = 0, α = ln(1 + a) = 0.
    """
    d = [date(2020, 1, 1), date(2021, 1, 1), date(2022, 1, 1), date(2023, 1, 1)]
    f = frame([("A", d[0], -100.0), ("A", d[1], -50.0), ("A", d[2], 60.0)])
    n = navs([("A", d[3], 120.0)])
    index = pl.DataFrame({"date": d, "level": [100.0, 125.0, 150.0, 120.0]})
    row = pme(f, n, index).row(0, named=True)
    assert row["ks_pme"] == pytest.approx(1.0)
    assert row["direct_alpha"] == pytest.approx(0.0, abs=1e-9)
    # a flat index makes KS-PME the TVPI and Direct Alpha ln(1 + IRR)
    flat = pl.DataFrame({"date": d, "level": [100.0] * 4})
    row = pme(f, n, flat).row(0, named=True)
    m = fund_metrics(f, n).row(0, named=True)
    assert row["ks_pme"] == pytest.approx(m["tvpi"])
    assert row["direct_alpha"] == pytest.approx(math.log1p(m["irr"]), abs=1e-9)


def test_pme_needs_the_index_to_cover_the_flows():
    f = frame([("A", date(2019, 1, 1), -100.0)])
    n = navs([("A", date(2020, 1, 1), 100.0)])
    with pytest.raises(InputError, match="index"):
        pme(f, n, pl.DataFrame({"date": [date(2019, 6, 1)], "level": [1.0]}))


def test_jcurve_irr_to_each_nav_date():
    f = frame([("A", date(2020, 1, 1), -100.0), ("A", date(2021, 1, 1), 20.0)])
    n = navs([("A", date(2020, 12, 31), 90.0), ("A", date(2021, 12, 31), 100.0)])
    j = jcurve(f, n)
    assert j.get_column("tvpi").to_list() == pytest.approx([0.9, 1.2])
    assert j.get_column("irr")[0] < 0 < j.get_column("irr")[1]


def test_quick_file_any_row_order_and_oddities_accepted(tmp_path, data_dir):
    text = (data_dir / "cashflows.csv").read_text(encoding="utf-8")
    header, *rows = text.strip().splitlines()
    shuffled = tmp_path / "shuffled.csv"
    shuffled.write_text("\n".join([header] + rows[::-1]) + "\n", encoding="utf-8")
    a = fund_metrics(*_flows(read_cashflows(data_dir / "cashflows.csv")))
    b = fund_metrics(*_flows(read_cashflows(shuffled)))
    assert a.equals(b)
    # a distribution before any call is taken as it is (no warning machinery on the quick path)
    odd = tmp_path / "odd.csv"
    odd.write_text("fund_id,date,amount\nX,2020-01-01,50\nX,2021-01-01,-100\nX,2022-01-01,80\n", encoding="utf-8")
    # (its NPV 50 − 100v + 80v² never reaches zero: no IRR, said so)
    assert fund_metrics(*_flows(read_cashflows(odd))).row(0, named=True)["irr_status"] == "no_root"


def _flows(cf):
    return cf.flows, cf.navs


def test_quick_file_errors_are_all_reported(tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text(
        "fund_id,date,amount,type,nav\n"
        "A,2020-13-01,-1,,\n"          # no month 13
        "A,2020-01-01,abc,,\n"         # not a number
        "A,2020-01-02,,,-5\n"          # NAV below zero
        ",2020-01-03,-1,,\n"           # no fund
        "A,2020-01-04,100,investment,\n",  # a call must be negative
        encoding="utf-8")
    with pytest.raises(InputError) as err:
        read_cashflows(bad)
    found = {(p.row, p.field, p.code) for p in err.value.problems}
    assert {(2, "date", "cell.parse"), (3, "amount", "cell.parse"), (4, "nav", "cell.minimum"),
            (5, "fund_id", "cell.required")} <= found
    assert all(p.zh and p.en for p in err.value.problems)


def test_quick_file_in_gb18030_with_chinese_headers(tmp_path):
    path = tmp_path / "gb.csv"
    path.write_bytes("基金编号,日期,金额\n甲,2021-01-01,-100\n甲,2022-01-01,110\n".encode("gb18030"))
    m = fund_metrics(*_flows(read_cashflows(path))).row(0, named=True)
    assert m["fund_id"] == "甲" and m["irr"] == pytest.approx(0.10, abs=1e-9)
    bom = tmp_path / "bom.csv"
    bom.write_bytes(b"\xef\xbb\xbffund_id,date,amount\nB,2021-01-01,-100\nB,2022-01-01,121\n")
    assert fund_metrics(*_flows(read_cashflows(bom))).row(0, named=True)["irr"] == pytest.approx(0.21, abs=1e-9)
