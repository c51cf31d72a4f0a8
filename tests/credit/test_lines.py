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
