"""Labels of the web UI in Chinese (simplified) and English."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from kejin.funds.lifecycle import RULE_RESULTS
from kejin.funds.tolerance import EXEMPTION_STATUS
from kejin.funds.vocab import EXIT_KINDS, STAGES, STRATEGIES
from kejin.i18n import Text

LABELS: dict[str, tuple[str, str]] = {
    "app": ("科金 · 科技金融平台", "kejin · tech-finance platform"),
    "login": ("登录", "Log in"), "logout": ("退出", "Log out"), "username": ("用户名", "Username"),
    "password": ("密码", "Password"), "login_failed": ("用户名或密码错误", "Wrong username or password"),
    "overview": ("区域概览", "Region overview"), "enterprises": ("企业", "Enterprises"),
    "profile": ("企业档案", "Enterprise profile"), "import": ("导入数据", "Import"),
    "recommendations": ("推荐名单", "Recommendations"), "consents": ("授权管理", "Consents"),
    "funds": ("基金", "Funds"), "fund": ("基金看板", "Fund dashboard"), "audit": ("审计日志", "Audit log"),
    "lang_switch": ("English", "中文"), "role": ("角色", "Role"),
    "role_bureau": ("科技局", "Tech bureau"), "role_bank": ("银行", "Bank"), "role_fund_manager": ("基金管理人", "Fund manager"),
    "role_insurer": ("保险机构", "Insurer"), "role_enterprise": ("企业", "Enterprise"),
    "points_by_stage": ("各阶段积分分布", "Points by stage"), "tier_counts": ("梯队企业数", "Firms per tier"),
    "frontier": ("前沿领域企业数", "Firms per frontier sector"), "by_district": ("各区县平均积分", "Average points by district"),
    "batch": ("批次", "Batch"), "no_batch": ("尚未发布积分批次", "No points batch published yet"),
    "uscc": ("统一社会信用代码", "USCC"), "name": ("企业名称", "Name"), "region": ("行政区划", "Region"),
    "industry": ("行业", "Industry"), "sectors": ("前沿领域", "Frontier sectors"), "year": ("年度", "Year"),
    "points": ("积分", "Points"), "stage": ("阶段", "Stage"), "tier": ("梯队", "Tier"), "percentile": ("百分位", "Percentile"),
    "rank": ("排名", "Rank"), "export_csv": ("导出 CSV", "Export CSV"), "filter": ("筛选", "Filter"),
    "revenue": ("营业收入", "Revenue"), "rd_expense": ("研发费用", "R&D expense"), "employees": ("职工数", "Employees"),
    "total_assets": ("资产总额", "Total assets"), "net_profit": ("净利润", "Net profit"),
    "facts_by_year": ("分年度数据", "Facts by year"), "timeline": ("信用记录时间线", "Credit record timeline"),
    "radar": ("分组得分雷达图", "Group radar"), "standards": ("达标情况", "Standards met"), "gaps": ("差距与建议", "Gaps and suggestions"),
    "met": ("达标", "met"), "not_met": ("未达标", "not met"), "unknown": ("无法判断", "cannot tell"),
    "standard": ("标准", "Standard"), "result": ("结果", "Result"), "reason": ("理由", "Reason"),
    "upload": ("上传", "Upload"), "file": ("文件", "File"), "status": ("状态", "Status"), "progress": ("进度", "Progress"),
    "row": ("行", "Row"), "field": ("字段", "Field"), "value": ("值", "Value"), "problem": ("问题", "Problem"),
    "import_hint": ("CSV / XLSX / Parquet，中文或英文表头；任一行有误则整批不导入。",
                    "CSV / XLSX / Parquet with Chinese or English headers; one bad row and nothing is imported."),
    "st_queued": ("排队中", "queued"), "st_running": ("导入中", "running"), "st_succeeded": ("已完成", "succeeded"),
    "st_failed": ("失败，未写入任何数据", "failed; nothing was written"), "rows_written": ("已写入行数", "Rows written"),
    "institution": ("机构", "Institution"), "purpose": ("用途", "Purpose"), "granted_at": ("授权时间", "Granted"),
    "revoked_at": ("撤销时间", "Revoked"), "in_force": ("生效中", "in force"), "revoked": ("已撤销", "revoked"),
    "grant": ("授权", "Grant"), "revoke": ("撤销", "Revoke"), "expired": ("已到期", "expired"),
    "expires_on": ("有效期至（含当日，北京时间）", "Valid until (that day included, Beijing time)"),
    "until_revoked": ("至撤销为止", "until revoked"), "ends_at": ("到期时间（北京时间）", "Ends (Beijing time)"),
    "consent_hint": ("授权后，该机构可查看本企业详细档案；每次查看都记入审计日志。",
                     "Once granted, the institution may read your detailed record; every read is logged."),
    "who_read": ("谁查看了本企业档案", "Who read your record"), "when": ("时间", "When"), "actor": ("操作人", "Actor"),
    "action": ("操作", "Action"), "consent": ("授权", "Consent"),
    "strategy": ("策略", "Strategy"), "inception": ("成立日", "Inception"), "verdict": ("生命周期结论", "Lifecycle verdict"),
    "jcurve": ("J 曲线与区间", "J-curve against its band"), "as_of": ("估值日", "As of"), "age": ("年限", "Age (yrs)"),
    "paid_in": ("实缴", "Paid in"), "distributed": ("分配", "Distributed"), "nav": ("净值", "NAV"),
    "v_on_track": ("符合预期", "on track"), "v_watch": ("关注", "watch"), "v_off_track": ("偏离", "off track"),
    "v_too_early": ("为时尚早", "too early"), "band_low": ("区间下沿", "band low"), "band_high": ("区间上沿", "band high"),
    "band_mid": ("区间中值", "band mid"), "floor": ("底线", "floor"), "fixed_rules": ("固定年度规则", "Fixed annual rules"),
    "not_found": ("未找到", "Not found"), "invalid_input": ("输入无效", "Invalid input"),
    "no_access": ("无权查看", "No access"), "count": ("共", "Total"), "prev": ("上一页", "Previous"), "next": ("下一页", "Next"),
    "search": ("搜索", "Search"), "chain": ("哈希链", "Hash chain"), "intact": ("完好", "intact"), "broken": ("已断开", "BROKEN"),
    "no_data": ("暂无数据", "No data"),
    "tolerance": ("容错与尽职免责", "Loss tolerance and due-diligence exemption"),
    "scheme": ("容错方案", "Tolerance scheme"), "tolerance_verdict": ("容错结论", "Tolerance verdict"),
    "net_loss_rate": ("基金净亏损率", "Fund net loss rate"), "gross_loss_rate": ("项目亏损合计 / 本金", "Project losses / principal"),
    "loss_limit": ("基金容亏率", "Fund loss-rate limit"), "project_cap": ("单项目容亏上限", "Single-project cap"),
    "losses_beyond": ("超出容错的亏损项目", "Losses beyond tolerance"), "losses": ("亏损项目", "Loss-making investments"),
    "investment": ("项目", "Investment"), "company": ("被投企业", "Company"), "cost": ("投资成本", "Cost"),
    "realised": ("已回收", "Realised"), "remaining": ("剩余价值", "Remaining value"), "loss": ("亏损", "Loss"),
    "loss_rate": ("亏损率", "Loss rate"), "within": ("容错判断", "Tolerance"), "exemption": ("免责材料", "Exemption evidence"),
    "evidence_needed": ("尚缺材料", "Evidence still needed"), "portfolio": ("投资组合", "Portfolio"),
    "invested_on": ("投资日", "Invested"), "no_losses": ("暂无亏损项目", "No loss-making investment"),
    "scheme_default": ("按基金策略默认", "the default for the fund's strategy"), "scheme_fund": ("基金指定", "named by the fund"),
    "scheme_option": ("指定", "chosen"), "confidence": ("可信度", "confidence"), "none_set": ("未设定", "none set"),
    "amounts_in": ("金额单位", "Amounts in"), "chart_missing": ("图表库未安装（vizly），仅显示表格", "Chart library (vizly) not installed: tables only"),
    "sheet": ("工作表", "Worksheet"),
    "sheet_placeholder": ("默认第一个", "the first if empty"),
    "sheet_hint": ("工作表（可不填）：Excel 工作簿的数据不在第一个工作表时，填写数据所在工作表的名称；CSV 和 Parquet 文件不用填。",
                   "Worksheet (optional): when the data of an Excel workbook are not on its first sheet, name the sheet they are on; "
                   "not needed for CSV and Parquet files."),
    "error_title": ("出错了", "Something went wrong"),
}

# Errors of the web forms, in both languages (shown together, the page's language first).
ERRORS: dict[str, tuple[str, str]] = {
    "login_missing": ("请填写用户名和密码", "enter your username and password"),
    "login_failed": LABELS["login_failed"],
    "no_file": ("请选择要上传的文件（CSV、XLSX 或 Parquet）", "choose a file to upload (CSV, XLSX or Parquet)"),
    "csrf": ("页面已过期或不是从本站打开的：请刷新页面后重新提交", "the page has expired or was not opened from this site: reload it and submit again"),
    "no_institution": ("请选择要授权的机构", "choose the institution to grant consent to"),
    "no_page": ("没有这个页面：请从导航栏进入", "there is no such page: use the links at the top"),
    "bad_end_date": ("授权截止日期无效：须为今天或以后的日期（年-月-日）", "invalid end date: it must be today or later (year-month-day)"),
}


def label(key: str, lang: str) -> str:
    zh, en = LABELS.get(key, (key, key))
    return en if lang == "en" else zh


@dataclass(frozen=True)
class MoneyUnit:
    """One unit for every amount of a table — 万元, or 亿元 once the largest reaches 1 亿 — named in the
    column headers, so the cells are plain numbers that line up and compare (the custom of Chinese
    financial tables)."""

    divisor: float
    zh: str
    en: str

    def label(self, lang: str) -> str:
        return self.en if lang == "en" else self.zh

    def fmt(self, v: float | None) -> str:
        return "—" if v is None else f"{v / self.divisor:,.2f}"


WAN = MoneyUnit(1e4, "万元", "CNY 10k")
YI = MoneyUnit(1e8, "亿元", "CNY 100M")


def money_unit(*columns: Iterable[float | None]) -> MoneyUnit:
    """The unit for a table holding ``columns`` of yuan amounts."""
    top = max((abs(v) for col in columns for v in col if v is not None), default=0.0)
    return YI if top >= 1e8 else WAN


# Labels of the fund domain's codes, from the domain's own vocabularies.
_TOLERANCE = {"within": Text(zh="在容错范围内", en="within tolerance"),
              "beyond": Text(zh="超出容错范围", en="beyond tolerance"),
              "none": Text(zh="尚未报送投资项目", en="no investments filed yet"),
              True: Text(zh="在容错范围内", en="within"), False: Text(zh="超出", en="beyond")}
CODES: dict[str, dict] = {"strategy": STRATEGIES, "stage": STAGES, "exit": EXIT_KINDS, "rule": RULE_RESULTS,
                          "exemption": EXEMPTION_STATUS, "tolerance": _TOLERANCE}


def code_label(kind: str, code: object, lang: str) -> str:
    """The label of ``code`` in one of the vocabularies of ``CODES`` (the code itself if unknown)."""
    text = CODES[kind].get(code)
    return text.get(lang) if text is not None else ("—" if code is None else str(code))
