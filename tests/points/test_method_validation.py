"""Load-time validation of points method packs (kejin.points.methods).

Each check names the pack file that has the problem and the key as written in that file, in
Chinese and English, once. Variants are written from the shipped packs into tmp_path.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from kejin.errors import PackError
from kejin.points.methods import all_methods, load_method_file

ROOT = Path(__file__).resolve().parents[2]
PACKS = ROOT / "kejin" / "packs" / "points"
NATIONAL = PACKS / "national-core" / "2024.1.yaml"
LOCAL = PACKS / "local-frontier-pilot" / "2025.1.yaml"
DOCS = ROOT / "docs" / "points.md"

ASCII_WORDS = re.compile(r"[A-Za-z]{4,}")


def _variant(tmp: Path, src: Path, old: str, new: str, name: str = "variant.yaml") -> Path:
    text = src.read_text(encoding="utf-8")
    assert old in text, old
    p = tmp / name
    p.write_text(text.replace(old, new, 1), encoding="utf-8")
    return p


def _problems(path: Path) -> list:
    with pytest.raises(PackError) as err:
        load_method_file(path)
    return err.value.problems


def _one(path: Path, key: str):
    problems = _problems(path)
    hits = [p for p in problems if p.key == key]
    assert len(hits) == 1, [(p.file, p.key, p.en) for p in problems]
    assert hits[0].file == str(path)
    return hits[0]


# ---------------------------------------------------------------- 1. clip order


def test_reversed_clip_rejected(tmp_path):
    path = _variant(tmp_path, NATIONAL, "clip: [-1.0, 5.0]", "clip: [5.0, -1.0]")
    p = _one(path, "indicators.rd_growth.clip")
    assert "rd_growth" in p.zh and "rd_growth" in p.en and "lower" in p.en


def test_reversed_clip_in_local_pack_names_add_indicators(tmp_path):
    path = _variant(tmp_path, LOCAL, "    normalise: {method: percentile}\n", "    clip: [1.0, 0.0]\n    normalise: {method: percentile}\n")
    _one(path, "add_indicators[0].clip")


def test_equal_clip_ends_allowed(tmp_path):
    load_method_file(_variant(tmp_path, NATIONAL, "clip: [-1.0, 5.0]", "clip: [5.0, 5.0]"))


# ---------------------------------------------------------------- 2. every indicator reads an input


@pytest.mark.parametrize("value", ['"1"', '"2 * 3 + 1"', '"true"', '"where(true, 1, 0)"'])
def test_constant_indicator_rejected(tmp_path, value):
    path = _variant(tmp_path, NATIONAL, "value: rd_expense\n", f"value: {value}\n")
    p = _one(path, "indicators.rd_amount.value")
    assert "rd_amount" in p.zh and "rd_amount" in p.en


def test_constant_bonus_indicator_in_local_pack_rejected(tmp_path):
    path = _variant(tmp_path, LOCAL, 'value: "coalesce(st_projects, 0)"', 'value: "coalesce(0, 1)"')
    _one(path, "add_bonus[1].value")


# ---------------------------------------------------------------- 3. boolean normalisation needs a true/false value


def test_boolean_on_amount_rejected(tmp_path):
    path = _variant(tmp_path, NATIONAL, "value: provincial_rd_institution", "value: revenue")
    p = _one(path, "indicators.rd_institutions.normalise.method")
    assert "rd_institutions" in p.en and "revenue" in p.en


def test_boolean_on_count_rejected_but_comparison_allowed(tmp_path):
    bad = _variant(tmp_path, NATIONAL, "value: provincial_rd_institution", 'value: "coalesce(innovation_platforms, 0)"')
    _one(bad, "indicators.rd_institutions.normalise.method")
    ok = _variant(tmp_path, NATIONAL, "value: provincial_rd_institution", 'value: "coalesce(innovation_platforms, 0) >= 1"', "ok.yaml")
    load_method_file(ok)


def test_boolean_on_zero_one_value_allowed():
    # the shipped local pack scores where(has_sector(...), 1, 0) with boolean
    local = next(m for m in all_methods() if m.id == "local-frontier-pilot")
    assert local.indicator("frontier_sector").normalise.method == "boolean"


def test_boolean_on_numeric_bonus_in_local_pack_rejected(tmp_path):
    path = _variant(tmp_path, LOCAL, "normalise: {method: log, cap: 5}", "normalise: {method: boolean}")
    _one(path, "add_bonus[1].normalise.method")


# ---------------------------------------------------------------- 4. extends


def test_unknown_parent_names_local_file_and_extends(tmp_path):
    path = _variant(tmp_path, LOCAL, "extends: national-core@2024.1", "extends: national-core@2099.1")
    p = _one(path, "extends")
    assert p.value == "national-core@2099.1" and "national-core@2024.1" in p.en


def test_relative_extends_resolved_from_the_pack_folder(tmp_path, monkeypatch):
    folder = tmp_path / "packs"
    folder.mkdir()
    _variant(folder, NATIONAL, 'id: national-core\nversion: "2024.1"', 'id: my-national\nversion: "1.0"', "mynat.yaml")
    local = _variant(folder, LOCAL, "extends: national-core@2024.1", "extends: mynat.yaml", "local.yaml")
    monkeypatch.chdir("/")
    m = load_method_file(local)
    assert m.files == [str(folder / "mynat.yaml"), str(local)]


def test_missing_relative_parent_file_names_local_file(tmp_path, monkeypatch):
    local = _variant(tmp_path, LOCAL, "extends: national-core@2024.1", "extends: nowhere.yaml")
    monkeypatch.chdir("/")
    p = _one(local, "extends")
    assert str(tmp_path / "nowhere.yaml") in p.en


def test_invalid_parent_named_from_the_extends_key(tmp_path):
    parent = _variant(tmp_path, NATIONAL, "startup: {rd_amount: 8,", "startup: {rd_amount: 9,", "parent.yaml")
    parent.write_text(parent.read_text(encoding="utf-8").replace('id: national-core\nversion: "2024.1"', 'id: my-national\nversion: "1.0"'), encoding="utf-8")
    local = _variant(tmp_path, LOCAL, "extends: national-core@2024.1", "extends: parent.yaml", "local.yaml")
    problems = _problems(local)
    assert (problems[0].file, problems[0].key) == (str(local), "extends")
    assert any(p.file == str(parent) and p.key == "weights.startup" for p in problems)


def test_extends_cycle_rejected(tmp_path):
    a = _variant(tmp_path, LOCAL, "extends: national-core@2024.1", "extends: b.yaml", "a.yaml")
    b = _variant(tmp_path, LOCAL, "extends: national-core@2024.1", "extends: a.yaml", "b.yaml")
    b.write_text(b.read_text(encoding="utf-8").replace("id: local-frontier-pilot", "id: other-pilot"), encoding="utf-8")
    problems = _problems(a)
    assert any(p.key == "extends" and "cycle" in p.en for p in problems)


# ---------------------------------------------------------------- 5. the file's own key, once, Chinese without pydantic's English


def test_local_expression_error_names_add_indicators_once(tmp_path):
    path = _variant(tmp_path, LOCAL, "value: rd_expense_3y / revenue_3y", "value: rd_spend / revenue_3y")
    problems = _problems(path)
    assert len(problems) == 1, [p.text() for p in problems]
    assert (problems[0].file, problems[0].key) == (str(path), "add_indicators[0].value")
    assert "rd_spend" in problems[0].en and "rd_3y_intensity" in problems[0].en


def test_unknown_normalisation_names_position_and_id(tmp_path):
    text = NATIONAL.read_text(encoding="utf-8")
    path = tmp_path / "norm.yaml"
    path.write_text(text.replace("normalise: {method: log, cap: 20}", "normalise: {method: logarithm, cap: 20}"), encoding="utf-8")
    problems = _problems(path)
    keys = [p.key for p in problems]
    assert keys == ["indicators[4].normalise.method", "indicators[6].normalise.method"], keys
    assert "ip_class1" in problems[0].zh and "ip_class1" in problems[0].en
    assert "invention_patents_main" in problems[1].en
    for p in problems:
        assert not ASCII_WORDS.search(p.zh.replace("ip_class1", "").replace("invention_patents_main", "").replace("logarithm", "")
                                      .replace("percentile", "").replace("minmax", "").replace("tiers", "").replace("boolean", "")), p.zh
        assert "Input should be" in p.en  # pydantic's detail stays in the English half


def test_pydantic_messages_have_a_chinese_sentence(tmp_path):
    path = _variant(tmp_path, LOCAL, "cohort: {region_digits: 0, industry: none, min_size: 10", "cohort: {region_digits: 0, industry: none, min_size: -3")
    p = _one(path, "cohort.min_size")
    assert not ASCII_WORDS.search(p.zh), p.zh
    path = _variant(tmp_path, LOCAL, "bonus_cap: 8", "bonus_cap: 8\nweigths: {startup: {rd_intensity: 50}}", "typo.yaml")
    p = _one(path, "weigths")
    assert not ASCII_WORDS.search(p.zh), p.zh


def test_model_validator_message_split_by_language(tmp_path):
    path = _variant(tmp_path, NATIONAL, "normalise: {method: log, cap: 20}", "normalise: {method: log}")
    p = _problems(path)[0]
    assert p.key == "indicators[4].normalise" and "对数归一化需要 cap" in p.zh and "log normalisation needs cap" in p.en
    assert "needs cap" not in p.zh


# ---------------------------------------------------------------- 6. why for every indicator and weight set


def test_local_indicator_without_why_rejected(tmp_path):
    path = _variant(tmp_path, LOCAL, '    why: The pilot rewards sustained R&D (the "time bill"), not one good year.\n', "")
    p = _one(path, "add_indicators[0].why")
    assert "rd_3y_intensity" in p.en


def test_national_indicator_without_why_rejected(tmp_path):
    path = _variant(tmp_path, NATIONAL, "    why: Human capital behind the R&D spend.\n", "")
    _one(path, "indicators.rd_staff_share.why")


def test_blank_why_rejected(tmp_path):
    path = _variant(tmp_path, NATIONAL, "why: Human capital behind the R&D spend.", 'why: "  "')
    _one(path, "indicators.rd_staff_share.why")


def test_bonus_without_why_rejected(tmp_path):
    path = _variant(tmp_path, LOCAL, '    why: Confirmed auxiliary example (C1); a blank count adds nothing.\n', "")
    _one(path, "add_bonus[1].why")


def test_weight_set_without_why_rejected(tmp_path):
    text = NATIONAL.read_text(encoding="utf-8")
    start = text.index("weights_why:")
    end = text.index("\n\n", start)
    path = tmp_path / "nowhy.yaml"
    path.write_text(text[:start] + text[end + 2:], encoding="utf-8")
    keys = {p.key for p in _problems(path)}
    assert keys == {"weights_why.startup", "weights_why.growth", "weights_why.stable"}


def test_local_weight_change_without_why_rejected(tmp_path):
    text = LOCAL.read_text(encoding="utf-8")
    start = text.index("weights_why:")
    end = text.index("\n\n", start)
    path = tmp_path / "nowhy.yaml"
    path.write_text(text[:start] + text[end + 2:], encoding="utf-8")
    keys = {(p.file, p.key) for p in _problems(path)}
    assert keys == {(str(path), f"weights_why.{s}") for s in ("startup", "growth", "stable")}


def test_why_for_a_weight_set_that_does_not_exist_rejected(tmp_path):
    path = _variant(tmp_path, LOCAL, "weights_why:\n", "weights_why:\n  mature: no such stage\n")
    _one(path, "weights_why.mature")


def test_shipped_packs_document_every_indicator_and_weight_set():
    methods = all_methods()
    assert {m.id for m in methods} >= {"national-core", "v2", "local-frontier-pilot"}
    for m in methods:
        for ind in m.all_indicators():
            assert ind.why.strip(), (m.ref, ind.id)
        for stage in m.weights:
            assert m.weights_why.get(stage, "").strip(), (m.ref, stage)


# ---------------------------------------------------------------- 7. docs


def _section(title: str) -> str:
    text = DOCS.read_text(encoding="utf-8")
    start = text.index(f"## {title}")
    return text[start:text.index("\n## ", start + 1)]


def test_docs_national_weight_table_has_every_why():
    rows = [line for line in _section("national-core weights").splitlines() if line.startswith("| ") and not line.startswith("| indicator")]
    assert len(rows) == 18
    for line in rows:
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        assert cells[-1], line


def test_docs_v2_weights_have_reasons():
    section = _section("v2 weights")
    v2 = next(m for m in all_methods() if m.id == "v2")
    for ind in v2.all_indicators():
        row = next((line for line in section.splitlines() if line.startswith(f"| {ind.id}")), None)
        assert row is not None, ind.id
        assert [c.strip() for c in row.strip().strip("|").split("|")][-1], row
