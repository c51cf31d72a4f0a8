"""The Excel import template, generated from the data norms."""

from __future__ import annotations

from pathlib import Path

from openpyxl import Workbook
from openpyxl.comments import Comment
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation

from kejin.facts import schema

TYPE_TEXT = {
    "text": ("文本", "text"),
    "int": ("整数", "whole number"),
    "amount": ("金额(元)", "amount in yuan"),
    "ratio": ("比率：小数或百分比，如 0.05 或 5%", "ratio: a fraction or a percentage, e.g. 0.05 or 5%"),
    "date": ("日期 YYYY-MM-DD", "date YYYY-MM-DD"),
    "bool": ("是/否", "yes/no"),
    "list": ("以分号分隔", "';'-separated list"),
    "enum": ("下拉选择", "choose from list"),
}


def type_text(f: schema.FactField) -> tuple[str, str]:
    if f.type == "ratio" and not f.fraction:
        return ("数值", "number")
    return TYPE_TEXT[f.type]


def _bound(f: schema.FactField, value: float) -> str:
    return f"{value * 100:g}%" if f.fraction else f"{value:g}"


def rule_text(f: schema.FactField) -> tuple[str, str]:
    zh, en = [], []
    if f.required:
        zh.append("必填")
        en.append("required")
    if f.min is not None:
        zh.append(f"≥{_bound(f, f.min)}")
        en.append(f">= {_bound(f, f.min)}")
    if f.max is not None:
        zh.append(f"≤{_bound(f, f.max)}")
        en.append(f"<= {_bound(f, f.max)}")
    if f.le_field:
        other = schema.field(f.le_field)
        zh.append(f"不大于{other.zh}")
        en.append(f"<= {other.name}")
    if f.values:
        zh.append("可选值：" + "/".join(f.values))
        en.append("one of " + ", ".join(f.values))
    checks = {
        "uscc": ("GB 32100-2015 校验码", "GB 32100-2015 check character"),
        "region": ("GB/T 2260 六位代码", "GB/T 2260 six digits"),
        "industry": ("GB/T 4754-2017，如 C3971", "GB/T 4754-2017, e.g. C3971"),
        "year_range": ("1990 至今", "1990 to the current year"),
        "not_after_year_end": ("不晚于年度末", "not after the year end"),
    }
    if f.check:
        zh.append(checks[f.check][0])
        en.append(checks[f.check][1])
    return "；".join(zh), "; ".join(en)


def write_template(path: Path | str, rows: int = 2000) -> Path:
    path = Path(path)
    book = Workbook()
    ws = book.active
    ws.title = "企业数据"
    header_fill = PatternFill("solid", fgColor="DDEBF7")
    required_font = Font(bold=True, color="C00000")
    yes_no = DataValidation(type="list", formula1='"是,否"', allow_blank=True, showErrorMessage=True,
                            errorTitle="是/否", error="请选择 是 或 否 / choose 是 (yes) or 否 (no)")
    ws.add_data_validation(yes_no)
    for col, f in enumerate(schema.fields(), start=1):
        cell = ws.cell(row=1, column=col, value=f.header_zh())
        cell.fill = header_fill
        cell.alignment = Alignment(wrap_text=True, vertical="center")
        if f.required:
            cell.font = required_font
        t_zh, t_en = type_text(f)
        r_zh, r_en = rule_text(f)
        cell.comment = Comment(f"{f.name} — {f.en}\n{t_zh} / {t_en}\n{r_zh}\n{r_en}", "kejin")
        letter = get_column_letter(col)
        ws.column_dimensions[letter].width = max(12, min(28, len(f.header_zh()) * 2))
        target = f"{letter}2:{letter}{rows + 1}"
        if f.type == "bool":
            yes_no.add(target)
        elif f.type == "enum" and f.values:
            dv = DataValidation(type="list", formula1='"' + ",".join(f.values) + '"', allow_blank=True)
            ws.add_data_validation(dv)
            dv.add(target)
        if f.type == "amount":
            for r in range(2, 3):
                ws.cell(row=r, column=col).number_format = "#,##0.00"
        if f.check == "uscc":  # a text column: as a number Excel would keep only 15 of the 18 digits
            for r in range(2, rows + 2):
                ws.cell(row=r, column=col).number_format = "@"
    ws.freeze_panes = "C2"
    guide = book.create_sheet("填写说明 Guide")
    guide.append(["字段 field", "中文表头", "English", "类型 type", "必填 required", "规则", "rule"])
    for f in schema.fields():
        r_zh, r_en = rule_text(f)
        guide.append([f.name, f.header_zh(), f.en, type_text(f)[0], "是" if f.required else "否", r_zh, r_en])
    guide.append([])
    guide.append(["金额单位为元；若使用万元，请把表头写成“营业收入(万元)”，导入时会自动换算。"])
    guide.append(["Amounts are in yuan; a header such as '营业收入(万元)' marks 10k-yuan units and is converted on import."])
    guide.append(["比率写小数或带百分号（0.05 或 5%）；表头写成“加权平均净资产收益率(%)”时整列按百分数读。只有比率可带 %。"])
    guide.append(["Ratios are fractions or percentages with the sign (0.05 or 5%); under a header such as '加权平均净资产收益率(%)' the column is in percent. Only ratios take %."])
    guide.append(["统一社会信用代码列须为文本格式（数字格式会丢失 18 位中的末几位）。 / Keep the USCC column as Text (a number cell loses digits)."])
    guide.append(["空白表示“未知”，不是零。 / A blank cell means unknown, never zero."])
    book.save(path)
    return path
