from __future__ import annotations

import polars as pl
import pytest
import yaml

from kejin.credit.lines import DEFAULT_LINE_PACK, load_line_policy, suggest_lines
from kejin.errors import InputError, PackError


def test_table_of_firms_gets_lines_and_explanations():
    firms = pl.DataFrame(
        {"tier": ["tier_40", "none"], "innovation_points": [92, 55], "standards_met": [3, 0], "revenue": [20e6, 5e6], "existing_debt": [4e6, 0.0]}
    )
    out = suggest_lines(load_line_policy(), firms)
    assert out["line_yuan"].to_list() == [10_000_000, 0]
    assert "负债空间" in out["explanation_zh"][0] and "debt room" in out["explanation_en"][0]


def test_bad_rows_are_named():
    firms = pl.DataFrame({"tier": ["tier_9"], "innovation_points": [80], "standards_met": [1], "revenue": [-1.0], "existing_debt": [0.0]})
    with pytest.raises(InputError) as caught:
        suggest_lines(load_line_policy(), firms, "firms.csv")
    assert {(p.code, p.row, p.field) for p in caught.value.problems} == {("line.unknown_tier", 2, "tier"), ("line.bad_value", 2, "revenue")}


def test_a_band_without_a_price_is_refused(tmp_path):
    data = yaml.safe_load(DEFAULT_LINE_PACK.read_text(encoding="utf-8"))
    del data["price"]["spread_bands"]["B"]
    path = tmp_path / "lines.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    with pytest.raises(PackError) as caught:
        load_line_policy(path)
    assert caught.value.problems[0].key == "price.spread_bands.B"


def test_a_bad_pd_or_infinite_amount_is_named_not_used(tmp_path):
    path = tmp_path / "firms.csv"
    path.write_text(
        "tier,innovation_points,standards_met,revenue,existing_debt,pd\n"
        "tier_35,78,2,8000000,1000000,-0.5\n"
        "tier_35,78,2.7,8000000,1000000,1.5\n"
        "tier_35,78,2,inf,1000000,\n"
        "tier_35,78,2,8000000,1000000,NaN\n",
        encoding="utf-8",
    )
    from kejin.credit.table import read_table

    with pytest.raises(InputError) as caught:
        suggest_lines(load_line_policy(), read_table(path), str(path))
    found = {(p.row, p.field) for p in caught.value.problems}
    assert found == {(2, "pd"), (3, "standards_met"), (3, "pd"), (4, "revenue")}
    assert all(p.file == str(path) and p.zh and p.en for p in caught.value.problems)


def test_text_in_the_pd_column_is_an_error_not_a_crash(cli_app, tmp_path):
    from typer.testing import CliRunner

    path = tmp_path / "firms.csv"
    path.write_text("tier,innovation_points,standards_met,revenue,existing_debt,pd\ntier_35,78,2,8000000,1000000,abc\n", encoding="utf-8")
    result = CliRunner().invoke(cli_app, ["credit", "line", "--data", str(path), "--format", "csv"])
    assert isinstance(result.exception, InputError), result.output  # the CLI prints it and exits 2; no TypeError
    assert [(p.row, p.field, p.value) for p in result.exception.problems] == [(2, "pd", "abc")]


def test_a_blank_pd_is_allowed(tmp_path):
    firms = pl.DataFrame({"tier": ["tier_35"], "innovation_points": [78], "standards_met": [2], "revenue": [8e6],
                          "existing_debt": [1e6], "pd": [None]}, schema_overrides={"pd": pl.Float64})
    assert suggest_lines(load_line_policy(), firms)["line_yuan"].to_list() == [2_530_000]
