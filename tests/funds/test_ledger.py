"""Ledger import: typed, cross-checked, all or nothing; warnings for oddities that can be real."""

from __future__ import annotations

import shutil
from pathlib import Path

import polars as pl
import pytest

from kejin.errors import InputError
from kejin.funds.ledger import fund_tree, load_ledger, lp_share, write_ledger


def copy_ledger(data_dir: Path, tmp_path: Path) -> Path:
    target = tmp_path / "ledger"
    shutil.copytree(data_dir / "ledger", target)
    return target


def append(path: Path, line: str) -> None:
    with open(path, "a", encoding="utf-8") as fh:
        fh.write(line + "\n")


def test_sample_loads_clean(ledger):
    assert ledger.funds.height == 6 and not ledger.warnings
    assert set(ledger.signed_flows().get_column("type").unique()) >= {"investment", "management_fee"}
    # calls are negative from the investor's side, distributions positive
    f = ledger.signed_flows()
    assert (f.filter(pl.col("type") == "investment").get_column("amount") < 0).all()
    assert (f.filter(pl.col("type").str.starts_with("distribution")).get_column("amount") > 0).all()


def test_nesting_and_look_through_shares(ledger):
    assert set(fund_tree(ledger, "NGF")) == {"NGF", "YRD", "SEED1", "VC1", "GR1"}
    shares = dict(lp_share(ledger, "NGF").iter_rows())
    assert shares["YRD"] == pytest.approx(1000 / 3500)
    assert shares["VC1"] == pytest.approx(1000 / 3500 * 300 / 1000)
    assert shares["GR1"] == pytest.approx(200 / 800)


def test_facility_dates_move_calls_earlier(ledger):
    with_f = ledger.signed_flows()
    without = ledger.signed_flows(without_facility=True)
    moved = (with_f.get_column("date") != without.get_column("date")).sum()
    assert moved == ledger.cashflows.get_column("facility_funded").fill_null(False).sum() > 0
    assert (without.get_column("date") <= with_f.get_column("date")).all()


def test_every_cross_table_error_at_once(data_dir, tmp_path):
    path = copy_ledger(data_dir, tmp_path)
    append(path / "cashflows.csv", "NOPE,2020-01-01,investment,100,,")                     # unknown fund
    append(path / "cashflows.csv", "ANG1,2020-01-01,investment,999999999,,")              # beyond commitment
    append(path / "investments.csv", "X-1,SEED1,91310000MA0000001Y,x,,seed,310000,1,2010-01-01,,,")  # before start
    append(path / "navs.csv", "VC1,2020-02-01,-5")                                       # NAV below zero
    append(path / "cashflows.csv", "VC1,2020-13-45,investment,1,,")                      # bad date
    with pytest.raises(InputError) as err:
        load_ledger(path)
    codes = {p.code for p in err.value.problems}
    assert {"cell.minimum", "cell.parse"} <= codes  # cell problems are reported first, table by table
    # fix the cells; the cross-table problems then all come out together
    lines = (path / "navs.csv").read_text(encoding="utf-8").splitlines()[:-1]
    (path / "navs.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    lines = (path / "cashflows.csv").read_text(encoding="utf-8").splitlines()[:-1]
    (path / "cashflows.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    with pytest.raises(InputError) as err:
        load_ledger(path)
    codes = {p.code for p in err.value.problems}
    assert {"ref.unknown", "calls.over_commitment", "date.before_inception", "uscc.invalid"} <= codes
    assert all(p.file and p.zh and p.en for p in err.value.problems)


def test_fund_lp_loops_are_refused(data_dir, tmp_path):
    path = copy_ledger(data_dir, tmp_path)
    append(path / "commitments.csv", "NGF,VC1,loop,fund,1,2016-01-04")
    with pytest.raises(InputError) as err:
        load_ledger(path)
    assert any(p.code == "lp.cycle" for p in err.value.problems)


def test_oddities_are_warnings(data_dir, tmp_path):
    path = copy_ledger(data_dir, tmp_path)
    append(path / "cashflows.csv", "ANG1,2019-05-10,distribution_income,10,,")  # before ANG1's first call
    append(path / "cashflows.csv", "ANG1,2025-06-30,management_fee,10,,")      # after its last NAV
    book = load_ledger(path)
    codes = {w.code for w in book.warnings}
    assert codes == {"warn.distribution_before_call", "warn.flow_after_nav"}


def test_workbook_and_import_round_trip(ledger, data_dir, tmp_path):
    import openpyxl

    book = openpyxl.Workbook()
    book.remove(book.active)
    for name in ("funds", "commitments", "cashflows", "navs", "investments", "exits", "evidence"):
        frame = pl.read_csv(data_dir / "ledger" / f"{name}.csv", infer_schema=False)
        sheet = book.create_sheet(name if name != "funds" else "基金")  # Chinese sheet names work too
        sheet.append(frame.columns)
        for row in frame.iter_rows():
            sheet.append(list(row))
    xlsx = tmp_path / "ledger.xlsx"
    book.save(xlsx)
    from_xlsx = load_ledger(xlsx)
    assert from_xlsx.cashflows.equals(ledger.cashflows)
    out = write_ledger(ledger, tmp_path / "imported")
    again = load_ledger(out)
    for name in ledger.tables:
        assert again.tables[name].equals(ledger.tables[name]), name
