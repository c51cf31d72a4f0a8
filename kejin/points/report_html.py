"""The credit record as one self-contained HTML page with inline SVG charts (no scripts,
nothing fetched). Every label in Chinese and English."""

from __future__ import annotations

from html import escape
from typing import Any

W, H, PAD = 560, 220, 44
COLOURS = ["#1f6feb", "#d97706", "#16a34a", "#9333ea", "#dc2626", "#0891b2", "#65a30d", "#db2777"]


def _axis(ymax: float, title: str) -> list[str]:
    out = [f'<text x="{PAD}" y="16" font-size="13" font-weight="bold">{escape(title)}</text>']
    for k in range(5):
        v = ymax * k / 4
        y = H - PAD + 10 - (H - PAD - 20) * k / 4
        out.append(f'<line x1="{PAD}" x2="{W - 10}" y1="{y:.1f}" y2="{y:.1f}" stroke="#e5e7eb"/>')
        out.append(f'<text x="{PAD - 4}" y="{y + 4:.1f}" font-size="10" text-anchor="end">{_fmt(v)}</text>')
    return out


def _fmt(v: float) -> str:
    if abs(v) >= 1e8:
        return f"{v / 1e8:.1f}亿"
    if abs(v) >= 1e4:
        return f"{v / 1e4:.0f}万"
    return f"{v:.0f}" if abs(v) >= 10 else f"{v:.1f}"


def _x(i: int, n: int) -> float:
    return PAD + 20 + (W - PAD - 50) * (i / max(n - 1, 1))


def _y(v: float, ymax: float) -> float:
    return H - PAD + 10 - (H - PAD - 20) * (v / ymax if ymax else 0)


def line_chart(title: str, labels: list[Any], series: dict[str, list[float | None]], ymax: float | None = None) -> str:
    vals = [v for s in series.values() for v in s if v is not None]
    ymax = ymax or (max(vals) * 1.1 if vals else 1.0) or 1.0
    parts = _axis(ymax, title)
    n = len(labels)
    for i, lab in enumerate(labels):
        parts.append(f'<text x="{_x(i, n):.1f}" y="{H - PAD + 26}" font-size="10" text-anchor="middle">{escape(str(lab))}</text>')
    for j, (name, values) in enumerate(series.items()):
        c = COLOURS[j % len(COLOURS)]
        pts = [(_x(i, n), _y(v, ymax), v) for i, v in enumerate(values) if v is not None]
        if len(pts) > 1:
            parts.append(f'<polyline fill="none" stroke="{c}" stroke-width="2" points="{" ".join(f"{x:.1f},{y:.1f}" for x, y, _ in pts)}"/>')
        for x, y, v in pts:
            parts.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3.5" fill="{c}"><title>{escape(name)}: {v}</title></circle>')
            parts.append(f'<text x="{x:.1f}" y="{y - 7:.1f}" font-size="10" text-anchor="middle" fill="{c}">{_fmt(v)}</text>')
        parts.append(f'<rect x="{W - 200}" y="{6 + 14 * j}" width="10" height="10" fill="{c}"/><text x="{W - 186}" y="{15 + 14 * j}" font-size="10">{escape(name)}</text>')
    return f'<svg xmlns="http://www.w3.org/2000/svg" width="{W}" height="{H}" role="img" aria-label="{escape(title)}">{"".join(parts)}</svg>'


def bar_chart(title: str, labels: list[Any], series: dict[str, list[float | None]], stacked: bool = True) -> str:
    n = len(labels)
    totals = [sum((s[i] or 0) for s in series.values()) if stacked else max((s[i] or 0) for s in series.values()) for i in range(n)]
    ymax = (max(totals) * 1.1 if totals and max(totals) > 0 else 1.0)
    parts = _axis(ymax, title)
    slot = (W - PAD - 30) / max(n, 1)
    bw = slot * 0.6 / (1 if stacked else max(len(series), 1))
    for i, lab in enumerate(labels):
        x0 = PAD + 10 + slot * i + slot * 0.2
        parts.append(f'<text x="{x0 + slot * 0.3:.1f}" y="{H - PAD + 26}" font-size="10" text-anchor="middle">{escape(str(lab))}</text>')
        base = 0.0
        for j, (name, values) in enumerate(series.items()):
            v = values[i] or 0
            c = COLOURS[j % len(COLOURS)]
            if stacked:
                y1, y0 = _y(base + v, ymax), _y(base, ymax)
                x = x0
                base += v
            else:
                y1, y0 = _y(v, ymax), _y(0, ymax)
                x = x0 + bw * j
            parts.append(f'<rect x="{x:.1f}" y="{y1:.1f}" width="{bw:.1f}" height="{max(y0 - y1, 0):.1f}" fill="{c}"><title>{escape(name)} {lab}: {v}</title></rect>')
    for j, name in enumerate(series):
        parts.append(f'<rect x="{W - 200}" y="{6 + 14 * j}" width="10" height="10" fill="{COLOURS[j % len(COLOURS)]}"/><text x="{W - 186}" y="{15 + 14 * j}" font-size="10">{escape(name)}</text>')
    return f'<svg xmlns="http://www.w3.org/2000/svg" width="{W}" height="{H}" role="img" aria-label="{escape(title)}">{"".join(parts)}</svg>'


def heatmap(title: str, years: list[int], classes: list[str], counts: dict[tuple[int, str], int]) -> str:
    cw, ch, left, top = 44, 20, 70, 30
    width = left + cw * len(years) + 20
    height = top + ch * len(classes) + 20
    peak = max(counts.values()) if counts else 1
    parts = [f'<text x="4" y="16" font-size="13" font-weight="bold">{escape(title)}</text>']
    for i, y in enumerate(years):
        parts.append(f'<text x="{left + cw * i + cw / 2}" y="{top - 4}" font-size="10" text-anchor="middle">{y}</text>')
    for j, c in enumerate(classes):
        parts.append(f'<text x="{left - 6}" y="{top + ch * j + 14}" font-size="10" text-anchor="end">{escape(c)}</text>')
        for i, y in enumerate(years):
            v = counts.get((y, c), 0)
            alpha = 0.08 + 0.92 * v / peak if v else 0.03
            parts.append(f'<rect x="{left + cw * i}" y="{top + ch * j}" width="{cw - 2}" height="{ch - 2}" fill="#1f6feb" fill-opacity="{alpha:.2f}"><title>{c} {y}: {v}</title></rect>')
            if v:
                parts.append(f'<text x="{left + cw * i + cw / 2 - 1}" y="{top + ch * j + 14}" font-size="10" text-anchor="middle">{v}</text>')
    return f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" role="img" aria-label="{escape(title)}">{"".join(parts)}</svg>'


# the status of a year without a row in the results: the method's scope leaves the firm out
OUT_OF_SCOPE = ("不在方法范围内，未评分", "outside the method's scope, not scored")
TYPE_LABELS = {"invention": "发明 invention", "utility": "实用新型 utility model", "design": "外观设计 design"}


def patent_table(patents: list[dict[str, Any]]) -> str:
    """The firm's patents themselves, one row each (every cell escaped)."""
    cell = lambda v: escape("—" if v is None or v == "" else str(v))  # noqa: E731
    rows = "".join(
        "<tr>" + "".join(f"<td>{cell(v)}</td>" for v in (p["patent_id"], TYPE_LABELS.get(p["type"], p["type"]), p["ipc"], p["application_date"], p["grant_date"])) + "</tr>"
        for p in patents
    )
    return (
        f"<h3>专利清单（{len(patents)} 件）/ Patent list ({len(patents)})</h3>"
        "<table><tr><th>专利号 patent id</th><th>类型 type</th><th>IPC 分类号 IPC class</th><th>申请日 application date</th><th>授权日 grant date</th></tr>"
        + rows + "</table>"
    )


def render(rec: dict[str, Any]) -> str:
    from kejin.points.engine import STATUS

    years = rec["years"]
    labels = [y["year"] for y in years]
    tiers = rec.get("tiers", {})
    charts = [
        line_chart("积分与同组百分位 / Points and cohort percentile", labels, {"积分 points": [y["points"] for y in years], "百分位 percentile": [y["percentile"] for y in years]}, ymax=110),
        bar_chart("分组得分 / Group sub-scores", labels, {f'{v["zh"]} {v["en"]}': [y["groups"].get(k) for y in years] for k, v in rec.get("groups", {}).items()}),
        bar_chart("研发费用（元）/ R&D expense (yuan)", labels, {"研发费用 R&D": [y["rd_expense"] for y in years]}),
        bar_chart("知识产权存量 / IP stock", labels, {
            "Ⅰ类 Class I": [y["ip_stock"]["ip_class1"] for y in years],
            "Ⅱ类 Class II": [y["ip_stock"]["ip_class2"] for y in years],
            "主营发明 invention (main business)": [y["ip_stock"]["invention_patents_main_business"] for y in years],
        }, stacked=False),
    ]
    rows = []
    for y in years:
        t = tiers.get(y["tier"] or "", {})
        rows.append(
            "<tr>" + "".join(f"<td>{escape(str(v))}</td>" for v in (
                y["year"], y["stage"] or "—", "—" if y["points"] is None else y["points"], "—" if y["percentile"] is None else y["percentile"],
                f'{y["rank"]}/{y["cohort_size"]}' if y["rank"] else "—", f'{t.get("zh", "—")} {t.get("en", "")}', " / ".join(STATUS.get(y["status"] or "", OUT_OF_SCOPE)),
                ", ".join(y["standards_met"]) or "—", y["raised"] or "—", y["lowered"] or "—", y["unusable"] or "—",
            )) + "</tr>"
        )
    rd = rec["rd_continuity"]
    tp = rec.get("tech_path")
    path_html = "<p>未提供专利清单 / no patent list supplied</p>"
    if tp:
        classes = list(tp["classes"])[:12]
        counts = {(y["year"], c): n for y in tp["years"] for c, n in y["classes"].items()}
        path_html = heatmap("技术路径：各年申请的 IPC 小类 / Technology path: IPC subclasses filed per year", [y["year"] for y in tp["years"]], classes, counts)
        path_html += "<table><tr><th>年度 year</th><th>申请 filed</th><th>授权 granted</th><th>集中度 HHI</th><th>偏移 shift</th><th>新进入 new classes</th></tr>" + "".join(
            f'<tr><td>{y["year"]}</td><td>{y["filed"]}</td><td>{y["granted"]}</td><td>{y["hhi"] if y["hhi"] is not None else "—"}</td>'
            f'<td>{y["shift_from_before"] if y["shift_from_before"] is not None else "—"}</td><td>{escape(", ".join(y["new_classes"])) or "—"}</td></tr>'
            for y in tp["years"]) + "</table>"
        path_html += f'<p>专利 patents {tp["patents"]}，授权 granted {tp["granted"]}，主要小类 main class {escape(str(tp["main_class"]))}，总体集中度 overall HHI {tp["hhi"]}</p>'
    plist = rec.get("patent_list")
    if plist:
        path_html += patent_table(plist)
    elif plist is not None and not tp:
        path_html = "<p>专利清单中没有该企业的专利 / the patent list has no patents of this firm</p>"
    return f"""<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8"><title>技术侧信用记录 / Technology-side credit record — {escape(str(rec["name"]))}</title>
<style>body{{font-family:system-ui,"PingFang SC","Microsoft YaHei",sans-serif;margin:24px;color:#111}}table{{border-collapse:collapse;margin:8px 0}}
td,th{{border:1px solid #d1d5db;padding:4px 8px;font-size:13px}}th{{background:#f3f4f6}}.charts svg{{margin:6px;border:1px solid #eee}}.meta{{color:#555;font-size:12px}}</style></head>
<body><h1>技术侧信用记录 / Technology-side credit record</h1>
<h2>{escape(str(rec["name"]))} · {escape(rec["uscc"])}</h2>
<p>行政区划 region {escape(str(rec.get("region_code")))} · 行业 industry {escape(str(rec.get("industry_code")))} · 前沿领域 frontier {escape(", ".join(rec.get("frontier_sectors") or []) or "—")}</p>
<p class="meta">方法 method {escape(rec["method"])}@{escape(rec["method_version"])} · SHA-256 {rec["method_sha256"]}<br>输入摘要 input digest {rec["input_digest"]}</p>
<div class="charts">{"".join(charts)}</div>
<h3>逐年积分与达标 / Points and standards by year</h3>
<table><tr><th>年度 year</th><th>阶段 stage</th><th>积分 points</th><th>百分位 percentile</th><th>名次 rank</th><th>榜单 tier</th><th>状态 status</th><th>符合标准 standards met</th><th>加分项 raised</th><th>减分项 lowered</th><th>无法使用 unusable</th></tr>{"".join(rows)}</table>
<h3>研发连续性（时间账单）/ R&D continuity (the time bill)</h3>
<p>连续研发年数 unbroken R&amp;D years: <b>{rd["unbroken_rd_years"]}</b> · 有研发年数 years with R&amp;D: {rd["years_with_rd"]}/{rd["years_on_record"]} · 累计研发费用 cumulative R&amp;D: <b>{rd["cumulative_rd"]:,.2f}</b> 元 yuan ({rd["first_year"]}–{rd["last_year"]})</p>
<h3>技术路径 / Technology path</h3>{path_html}
<p class="meta">由 kejin 生成；参考方法，非官方权重 / generated by kejin; reference method, not the official weights.</p>
</body></html>
"""
