"""Chinese and English labels of the columns the points commands publish: the headers of a
spreadsheet (a recommendation list) and of the console tables. The CSV and JSON files keep the
column ids."""

from __future__ import annotations

COLUMN_LABELS: dict[str, tuple[str, str]] = {
    "position": ("序号", "position"),
    "uscc": ("统一社会信用代码", "USCC"),
    "name": ("企业名称", "name"),
    "year": ("年度", "year"),
    "region_code": ("行政区划代码", "region code"),
    "frontier_sectors": ("前沿领域", "frontier sectors"),
    "stage": ("阶段", "stage"),
    "points": ("创新积分", "points"),
    "percentile": ("百分位", "percentile"),
    "rank": ("组内名次", "rank in cohort"),
    "cohort_size": ("比较组规模", "cohort size"),
    "tier": ("榜单", "tier"),
    "standards_met": ("符合标准", "standards met"),
    "trend": ("较上年变化", "change on last year"),
    "reason_zh": ("推荐理由（中文）", "reason (Chinese)"),
    "reason_en": ("推荐理由（英文）", "reason (English)"),
    "method": ("方法", "method"),
    "method_version": ("方法版本", "method version"),
    "method_sha256": ("方法 SHA-256", "method SHA-256"),
    "input_digest": ("输入摘要", "input digest"),
    "status": ("状态", "status"),
    "raised": ("加分项", "raised"),
    "lowered": ("减分项", "lowered"),
    "unusable": ("无法使用", "unusable"),
    "amount_yuan": ("金额（元）", "amount_yuan"),
    "bound": ("触及上下限", "bound"),
}
