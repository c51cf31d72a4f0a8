"""Reading and validating fact files: formats, encodings, headers, and every bad-input case."""

from pathlib import Path

import polars as pl
import pytest

from kejin.errors import InputError
from kejin.facts import load_facts, schema
from kejin.facts.template import write_template


def rewrite(src: Path, dst: Path, edit=lambda lines: lines, encoding="utf-8") -> Path:
    lines = src.read_text(encoding="utf-8").splitlines()
    dst.write_text("\n".join(edit(lines)) + "\n", encoding=encoding)
    return dst


def problems(path) -> list:
    with pytest.raises(InputError) as info:
        load_facts(path)
    return info.value.problems


def test_sample_reads(sample_csv):
    df = load_facts(sample_csv)
    assert df.shape[0] == 24
    assert df.schema["revenue"] == pl.Float64 and df.schema["established"] == pl.Date
    assert df.filter(pl.col("uscc") == "91310115619345141E")["frontier_sectors"][0].to_list() == ["embodied_ai", "ai"]


def chinese(lines):
    header = [schema.field(h).zh for h in lines[0].split(",")]
    return [",".join(header)] + lines[1:]


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gb18030"])
def test_chinese_headers_in_each_encoding(sample_csv, tmp_path, encoding):
    path = rewrite(sample_csv, tmp_path / "cn.csv", chinese, encoding)
    assert load_facts(path).equals(load_facts(sample_csv))


def test_parquet_and_xlsx_round_trip(sample_csv, tmp_path):
    from kejin.cli.facts import write_frame

    base = load_facts(sample_csv)
    for suffix in (".parquet", ".xlsx"):
        out = tmp_path / f"facts{suffix}"
        write_frame(base, out)
        assert load_facts(out).equals(base), suffix


def test_wan_yuan_header_is_converted(sample_csv, tmp_path):
    def in_wan(lines):
        header = lines[0].split(",")
        i = header.index("revenue")
        header[i] = "营业收入(万元)"
        rows = []
        for line in lines[1:]:
            cells = line.split(",")
            cells[i] = str(round(float(cells[i]) / 10000, 6))
            rows.append(",".join(cells))
        return [",".join(header)] + rows

    a = load_facts(rewrite(sample_csv, tmp_path / "wan.csv", in_wan))
    b = load_facts(sample_csv)
    assert a.equals(b)  # to the fen: the same facts in 元 and in 万元 are the same table (and digest)


def test_every_problem_reported_at_once_with_row_field_and_both_languages(sample_csv, tmp_path):
    def break_it(lines):
        out = list(lines)
        c = out[3].split(",")  # Excel row 4
        c[0] = c[0][:-1] + ("A" if c[0][-1] != "A" else "B")  # wrong check character
        out[3] = ",".join(c)
        c = out[5].split(",")  # row 6: tech staff above employees
        c[8] = str(int(c[7]) + 1)
        out[5] = ",".join(c)
        c = out[7].split(",")  # row 8: negative amount and text in a number column
        c[10] = "-5"
        c[18] = "abc"
        out[7] = ",".join(c)
        out.append(out[1])  # duplicate (uscc, year)
        return out

    found = problems(rewrite(sample_csv, tmp_path / "bad.csv", break_it))
    by = {(p.row, p.field, p.code) for p in found}
    assert (4, "uscc", "uscc.check") in by
    assert (6, "tech_staff", "value.exceeds") in by
    assert (8, "revenue", "value.min") in by
    assert (8, "rd_expense", "value.type") in by
    assert {p.code for p in found if p.field == "uscc"} >= {"key.duplicate"}
    for p in found:
        assert p.zh and p.en and p.file


def test_wrong_and_missing_headers(sample_csv, tmp_path):
    def rename(lines):
        return [lines[0].replace("revenue,", "revenu,").replace("employees,", "")] + [
            ",".join(c for i, c in enumerate(line.split(",")) if i != 7) for line in lines[1:]
        ]

    found = problems(rewrite(sample_csv, tmp_path / "hdr.csv", rename))
    codes = {(p.code, p.field) for p in found}
    assert ("header.unknown", "revenu") in codes
    assert ("header.missing", "employees") in codes
    unknown = next(p for p in found if p.code == "header.unknown")
    assert "revenue" in unknown.en  # a suggestion


def test_blank_required_and_bad_values(sample_csv, tmp_path):
    def edit(lines):
        out = list(lines)
        c = out[1].split(",")
        c[1] = ""  # name blank
        c[3] = "990305"  # province does not exist
        c[4] = "C9971"  # division not in section C
        c[5] = "2030-01-01"  # established after the year end
        c[28] = "maybe"  # not a yes/no
        out[1] = ",".join(c)
        return out

    found = {(p.field, p.code) for p in problems(rewrite(sample_csv, tmp_path / "v.csv", edit))}
    assert {("name", "value.required"), ("region_code", "value.region"), ("industry_code", "value.industry"),
            ("established", "value.established"), ("high_tech_certified", "value.type")} <= found


def test_truncated_xlsx(tmp_path):
    good = write_template(tmp_path / "t.xlsx")
    data = good.read_bytes()
    broken = tmp_path / "broken.xlsx"
    broken.write_bytes(data[: len(data) // 2])
    assert problems(broken)[0].code == "xlsx.broken"


def test_password_protected_xlsx(tmp_path):
    from msoffcrypto.format.ooxml import OOXMLFile

    plain = write_template(tmp_path / "plain.xlsx")
    path = tmp_path / "secret.xlsx"
    with plain.open("rb") as src, path.open("wb") as dst:
        OOXMLFile(src).encrypt("mima123", dst)  # a real ECMA-376 encrypted workbook
    p = problems(path)[0]
    assert p.code == "xlsx.encrypted" and "密码" in p.zh and "password" in p.en


def test_template_headers_are_read_back(tmp_path):
    from openpyxl import load_workbook

    path = write_template(tmp_path / "t.xlsx")
    ws = load_workbook(path).active
    headers = [c.value for c in ws[1]]
    assert headers[0] == "统一社会信用代码" and "营业收入(元)" in headers
    assert ws.data_validations.dataValidation, "yes/no drop-downs"
    assert all(schema.resolve_header(h)[0] for h in headers), "every template header maps back to a field"


def test_unsupported_and_missing_files(tmp_path):
    (tmp_path / "x.json").write_text("{}")
    assert problems(tmp_path / "x.json")[0].code == "file.type"
    assert problems(tmp_path / "nope.csv")[0].code == "file.missing"


def test_unknown_sheet_is_named(tmp_path):
    path = write_template(tmp_path / "t.xlsx")
    with pytest.raises(InputError) as info:
        load_facts(path, sheet="没有这个表")
    assert info.value.problems[0].code == "xlsx.sheet" and "企业数据" in info.value.problems[0].zh


def test_wan_yuan_amounts_are_exact_to_the_fen_at_a_band_edge(sample_csv, tmp_path):
    """0.57 万元 × 10 000 is 5 699.999… in binary floating point; converted amounts are rounded to
    the fen, so R&D of 0.57 万元 on revenue of 9.5 万元 is exactly 6 % — the top band of the
    tech-SME R&D table."""
    from kejin.standards import engine
    from kejin.standards.registry import resolve

    def in_wan(lines):
        header = lines[0].split(",")
        rev, rd, cost = header.index("revenue"), header.index("rd_expense"), header.index("total_cost")
        header[rev], header[rd] = f"{schema.field('revenue').zh}(万元)", f"{schema.field('rd_expense').zh}(万元)"
        cells = lines[1].split(",")
        cells[rev], cells[rd], cells[cost] = "9.5", "0.57", "1000000"
        for bounded in ("hi_tech_revenue", "main_business_revenue", "rd_expense_domestic"):  # not above the new totals
            cells[header.index(bounded)] = ""
        return [",".join(header), ",".join(cells)]

    facts = load_facts(rewrite(sample_csv, tmp_path / "wan.csv", in_wan))
    assert facts["rd_expense"].to_list() == [5700.0] and facts["revenue"].to_list() == [95000.0]
    (result,) = engine.evaluate(facts, resolve("tech-sme"), gaps=False).values()
    assert result["rd_input__lo"].to_list() == [50]


@pytest.mark.parametrize("suffix", ["csv", "parquet"])
def test_uscc_is_checked_as_typed(tmp_path, suffix):
    """A code padded with spaces is trimmed and accepted, an empty cell is blank (required), and a
    wrong check character is named with its row — from text and from typed Parquet columns."""
    from kejin.facts.synth import synth_facts

    facts = synth_facts(4, seed=3)
    codes = facts["uscc"].to_list()
    wrong = codes[1][:17] + ("0" if codes[1][17] != "0" else "1")
    edited = facts.with_columns(pl.Series("uscc", ["  " + codes[0] + " ", wrong, "", codes[3]])).drop("frontier_sectors")
    path = tmp_path / f"facts.{suffix}"
    edited.write_csv(path) if suffix == "csv" else edited.write_parquet(path)
    found = sorted((p.code, p.row, p.value) for p in problems(path) if p.field == "uscc")
    first = 3 if suffix == "csv" else 2  # a CSV row is its line in the file, after the header
    assert found == [("uscc.check", first, wrong), ("value.required", first + 1, "")]


@pytest.mark.parametrize("fields", [None, ["equity_financing", "industry_code"]], ids=["all fields", "some fields"])
def test_typed_parquet_columns_are_still_checked_and_trimmed(tmp_path, fields):
    """A Parquet column already of the right type is taken as it is only when typing would not
    change it: NaN and infinity are still reported, texts still trimmed, empty text still blank."""
    from kejin.facts.synth import synth_facts

    facts = synth_facts(30, seed=4)
    clean = tmp_path / "clean.parquet"
    facts.write_parquet(clean)
    base = load_facts(clean, fields=fields)
    row = pl.int_range(pl.len())

    not_numbers = tmp_path / "nan.parquet"
    facts.with_columns(
        pl.when(row == 0).then(float("nan")).when(row == 1).then(float("inf")).otherwise(pl.col("equity_financing")).alias("equity_financing")
    ).write_parquet(not_numbers)
    with pytest.raises(InputError) as info:
        load_facts(not_numbers, fields=fields)
    assert [(p.row, p.field, p.code) for p in info.value.problems] == [(1, "equity_financing", "value.type"), (2, "equity_financing", "value.type")]

    padded = tmp_path / "padded.parquet"
    facts.with_columns(
        pl.when(row == 2).then(pl.lit("  ") + pl.col("name") + "\u3000").otherwise(pl.col("name")).alias("name"),
        pl.when(row == 3).then(pl.lit("")).when(row == 4).then(pl.lit(" C3911 ")).otherwise(pl.col("industry_code")).alias("industry_code"),
        pl.when(row == 5).then(pl.lit(" ") + pl.col("uscc")).otherwise(pl.col("uscc")).alias("uscc"),
    ).write_parquet(padded)
    got = load_facts(padded, fields=fields)
    assert got["industry_code"][3] is None and got["industry_code"][4] == "C3911"
    expected = base.with_columns(pl.when(row == 3).then(None).when(row == 4).then(pl.lit("C3911")).otherwise(pl.col("industry_code")).alias("industry_code"))
    assert got.equals(expected)
