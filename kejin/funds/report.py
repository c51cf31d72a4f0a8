"""The evaluation report: each fund's J-curve against its lifecycle band, the verdicts beside the fixed
annual rules, the tolerance verdicts and the policy indicators — as HTML (inline SVG, nothing fetched)
or PDF (reportlab, CJK text in the built-in STSong-Light font, no font files needed).

Both renderers draw from the same ``ReportData`` and the same chart geometry.
"""

from __future__ import annotations

import html
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

import numpy as np
import polars as pl

from kejin.funds import lifecycle, policy, tolerance
from kejin.funds.ledger import Ledger
from kejin.funds.packs import LifecyclePack, Loaded, PolicyPack, TolerancePack
from kejin.funds.vocab import STRATEGIES

WIDTH, HEIGHT, PAD = 520.0, 240.0, 40.0
COLORS = {"band": "#cfe3f6", "mid": "#2b6cb0", "floor": "#c53030", "fund": "#111111", "dpi": "#2f855a"}


@dataclass(frozen=True)
class Chart:
    """A J-curve chart in page coordinates (y down): band polygon, reference lines, the fund's points."""

    band: list[tuple[float, float]]
    lines: dict[str, list[tuple[float, float]]]
    points: list[tuple[float, float]]
    x_ticks: list[tuple[float, str]]
    y_ticks: list[tuple[float, str]]


@dataclass(frozen=True)
class FundSection:
    fund_id: str
    name: str
    strategy: str
    latest: dict
    rules: list[tuple[str, str]]
    chart: Chart


@dataclass(frozen=True)
class ReportData:
    title: str
    generated: str
    as_of: str
    sections: list[FundSection]
    tolerance_funds: pl.DataFrame
    tolerance_losses: pl.DataFrame
    indicators: pl.DataFrame
    provenance: list[dict[str, str]]
    source: str


def chart(history: pl.DataFrame, band: lifecycle.Band) -> Chart:
    """Geometry of TVPI against the band, ages 0..life (or the fund's age if older)."""
    ages_fund = history.get_column("age_years").to_numpy()
    tvpi_fund = history.get_column("tvpi").fill_null(np.nan).to_numpy()
    max_age = float(max(band.ages[-1], np.nanmax(ages_fund) if len(ages_fund) else 0))
    grid = np.linspace(0, band.ages[-1], 60)
    paths = band.at(grid)
    top = float(np.nanmax([paths["tvpi_high"].max(), np.nanmax(tvpi_fund) if len(tvpi_fund) else 1, 1.2])) * 1.05
    bottom = float(min(np.nanmin(paths["tvpi_floor"]), np.nanmin(tvpi_fund) if len(tvpi_fund) else 1, 0.8)) * 0.95

    def xy(age: float, value: float) -> tuple[float, float]:
        x = PAD + (WIDTH - 2 * PAD) * age / max_age
        y = HEIGHT - PAD - (HEIGHT - 2 * PAD) * (value - bottom) / (top - bottom)
        return round(x, 1), round(y, 1)

    band_poly = [xy(a, v) for a, v in zip(grid, paths["tvpi_low"])] + [
        xy(a, v) for a, v in zip(grid[::-1], paths["tvpi_high"][::-1])]
    lines = {k: [xy(a, v) for a, v in zip(grid, paths[f"tvpi_{k}"])] for k in ("mid", "floor")}
    points = [xy(a, v) for a, v in zip(ages_fund, tvpi_fund) if np.isfinite(v)]
    step = max(1, int(round(max_age / 10)))
    x_ticks = [(xy(a, bottom)[0], f"{a:g}") for a in range(0, int(max_age) + 1, step)]
    y_ticks = [(xy(0, v)[1], f"{v:.1f}") for v in np.linspace(bottom, top, 5)]
    return Chart(band_poly, lines, points, x_ticks, y_ticks)


def collect(ledger: Ledger, as_of: date | None, fund_ids: list[str] | None, life: Loaded[LifecyclePack],
            tol: Loaded[TolerancePack], pol: Loaded[PolicyPack]) -> ReportData:
    latest, judged = lifecycle.evaluate(ledger, life.pack, as_of, fund_ids)
    names = dict(ledger.funds.select("fund_id", "name").iter_rows())
    sections = []
    for row in latest.sort("fund_id").iter_rows(named=True):
        strategy = row["strategy"]
        b = lifecycle.band(strategy, life.pack.strategies[strategy])
        history = judged.filter(pl.col("fund_id") == row["fund_id"]).sort("as_of")
        rules = [(r.label.both(), row[f"rule_{r.id}"]) for r in life.pack.fixed_rules]
        sections.append(FundSection(row["fund_id"], names.get(row["fund_id"], ""), strategy, row, rules, chart(history, b)))
    funds, losses = tolerance.assess(ledger, tol.pack, as_of)
    if fund_ids:
        funds = funds.filter(pl.col("fund_id").is_in(fund_ids))
        losses = losses.filter(pl.col("fund_id").is_in(fund_ids))
    indicators = policy.indicators(ledger, pol.pack, fund_ids)
    return ReportData(
        title="引导基金全生命周期评价报告 / Guidance fund whole-lifecycle evaluation",
        generated=datetime.now().strftime("%Y-%m-%d %H:%M"),
        as_of=str(as_of) if as_of else "最新净值日 / latest NAV date",
        sections=sections, tolerance_funds=funds, tolerance_losses=losses, indicators=indicators,
        provenance=[life.provenance(), tol.provenance(), pol.provenance()],
        source=f"{ledger.source} (sha256 {ledger.digest[:16]}…)",
    )


def _pct(v) -> str:
    return "—" if v is None or (isinstance(v, float) and np.isnan(v)) else f"{v:.1%}"


def _num(v, digits: int = 2) -> str:
    """A multiple or ratio, always with ``digits`` decimals (money goes through ``_money``)."""
    if v is None or (isinstance(v, float) and np.isnan(v)):
        return "—"
    return f"{v:,.{digits}f}"


def _money(v) -> str:
    """An amount in whole yuan with separators, whatever its size (0 is ``0``, not ``0.00``)."""
    return "—" if v is None or (isinstance(v, float) and np.isnan(v)) else f"{v:,.0f}"


# ---------------------------------------------------------------- HTML
def svg(c: Chart) -> str:
    def pts(p: list[tuple[float, float]]) -> str:
        return " ".join(f"{x},{y}" for x, y in p)

    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH:g}" height="{HEIGHT:g}" role="img">',
             f'<polygon points="{pts(c.band)}" fill="{COLORS["band"]}" stroke="none"/>',
             f'<polyline points="{pts(c.lines["mid"])}" fill="none" stroke="{COLORS["mid"]}" stroke-width="1.5"/>',
             f'<polyline points="{pts(c.lines["floor"])}" fill="none" stroke="{COLORS["floor"]}" stroke-dasharray="4 3"/>']
    if c.points:
        parts.append(f'<polyline points="{pts(c.points)}" fill="none" stroke="{COLORS["fund"]}" stroke-width="2"/>')
        parts += [f'<circle cx="{x}" cy="{y}" r="2" fill="{COLORS["fund"]}"/>' for x, y in c.points]
    base = HEIGHT - PAD
    parts.append(f'<line x1="{PAD}" y1="{base}" x2="{WIDTH - PAD}" y2="{base}" stroke="#555"/>')
    parts.append(f'<line x1="{PAD}" y1="{PAD}" x2="{PAD}" y2="{base}" stroke="#555"/>')
    parts += [f'<text x="{x}" y="{base + 14}" font-size="10" text-anchor="middle">{t}</text>' for x, t in c.x_ticks]
    parts += [f'<text x="{PAD - 4}" y="{y + 3}" font-size="10" text-anchor="end">{t}</text>' for y, t in c.y_ticks]
    parts.append(f'<text x="{WIDTH / 2}" y="{HEIGHT - 6}" font-size="10" text-anchor="middle">基金年龄（年）/ fund age (years)</text>')
    parts.append(f'<text x="12" y="{PAD - 10}" font-size="10">TVPI</text>')
    parts.append("</svg>")
    return "".join(parts)


def _table(headers: list[str], rows: list[list[str]]) -> str:
    head = "".join(f"<th>{html.escape(h)}</th>" for h in headers)
    body = "".join("<tr>" + "".join(f"<td>{html.escape(str(v))}</td>" for v in r) + "</tr>" for r in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def render_html(d: ReportData) -> str:
    out = [f"<!doctype html><html lang='zh-CN'><head><meta charset='utf-8'><title>{html.escape(d.title)}</title>",
           "<style>body{font-family:'Noto Sans CJK SC','Microsoft YaHei',sans-serif;margin:2em;max-width:60em}"
           "table{border-collapse:collapse;margin:.5em 0 1.5em}td,th{border:1px solid #ccc;padding:.25em .5em;font-size:.9em}"
           ".on_track{color:#2f855a}.watch{color:#b7791f}.off_track{color:#c53030}.legend span{margin-right:1.5em}</style>"
           "</head><body>",
           f"<h1>{html.escape(d.title)}</h1>",
           f"<p>评价日 / as of: {html.escape(d.as_of)} · 生成 / generated: {d.generated} · 台账 / ledger: {html.escape(d.source)}</p>",
           "<p class='legend'><span style='color:#2b6cb0'>━ 预期中值 / expected (mid)</span>"
           "<span style='background:#cfe3f6'>▇ 预期区间 / band (low–high)</span>"
           "<span style='color:#c53030'>┅ 下限 / floor</span><span>━● 基金 / fund</span></p>"]
    verdicts = lifecycle.VERDICTS
    for s in d.sections:
        r = s.latest
        out.append(f"<h2>{html.escape(s.fund_id)} {html.escape(s.name)} — {STRATEGIES[s.strategy].both()}</h2>")
        out.append(svg(s.chart))
        out.append(f"<p class='{r['verdict']}'><b>{verdicts[r['verdict']].both()}</b> — "
                   f"{html.escape(r['reason_zh'])}<br>{html.escape(r['reason_en'])}</p>")
        out.append(_table(["评价日 as of", "年龄 age", "TVPI", "DPI", "IRR", "区间 band"],
                          [[str(r["as_of"]), f"{r['age_years']:.1f}", _num(r["tvpi"]), _num(r["dpi"]), _pct(r["irr"]),
                            f"{_num(r['tvpi_low'])}–{_num(r['tvpi_high'])}"]]))
        out.append(_table(["固定年度规则 fixed annual rule", "结论 result"],
                          [[label, lifecycle.RULE_RESULTS[res].both()] for label, res in s.rules]))
    out.append("<h2>容错 / loss tolerance</h2>")
    out.append(_table(["基金 fund", "方案 scheme", "净亏损率 net loss", "超出容错 beyond", "结论 verdict", "理由 reason"],
                      [[f["fund_id"], f["scheme"], _pct(f["net_loss_rate"]), str(f["losses_beyond_tolerance"]),
                        f["verdict"], f"{f['reason_zh']} / {f['reason_en']}"] for f in d.tolerance_funds.iter_rows(named=True)]))
    if d.tolerance_losses.height:
        out.append(_table(["项目 investment", "亏损率 loss", "容错内 within", "依据 rule", "免责 exemption", "仍需材料 evidence needed"],
                          [[x["investment_id"], _pct(x["loss_rate"]), "✓" if x["within_tolerance"] else "✗",
                            x["decided_by"] or "—", tolerance.EXEMPTION_STATUS[x["exemption"]].both(),
                            x["evidence_needed_zh"] or "—"] for x in d.tolerance_losses.iter_rows(named=True)]))
    out.append("<h2>政策指标 / policy indicators</h2>")
    out.append(_table(["基金 fund", "放大倍数 leverage", "撬动 crowded in", "种子/初创 seed share", "前沿 frontier", "企业数 firms", "返投 reinvest"],
                      [[i["fund_id"], _num(i["leverage"]), _money(i["crowded_in"]), _pct(i["seed_startup_share"]),
                        _pct(i["frontier_share"]), str(i["firms_supported"]), _num(i["reinvestment_ratio"])]
                       for i in d.indicators.iter_rows(named=True)]))
    out.append("<h2>规则包 / packs</h2>")
    out.append(_table(["id", "version", "file", "sha256"], [[p["id"], p["version"], p["file"], p["sha256"][:16] + "…"]
                                                            for p in d.provenance]))
    out.append("</body></html>")
    return "\n".join(out)


# ---------------------------------------------------------------- PDF
def render_pdf(d: ReportData, path: Path) -> None:
    from reportlab.graphics.shapes import Drawing, Line, PolyLine, Polygon, String
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

    pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))
    body = ParagraphStyle("body", fontName="STSong-Light", fontSize=9, leading=13)
    h1 = ParagraphStyle("h1", parent=body, fontSize=15, leading=20, spaceAfter=6)
    h2 = ParagraphStyle("h2", parent=body, fontSize=12, leading=16, spaceBefore=10, spaceAfter=4)

    def drawing(c: Chart) -> Drawing:
        dr = Drawing(WIDTH, HEIGHT)
        flip = [(x, HEIGHT - y) for x, y in c.band]  # reportlab's y axis points up
        dr.add(Polygon([v for p in flip for v in p], fillColor=colors.HexColor(COLORS["band"]), strokeColor=None))
        for key, dash in (("mid", None), ("floor", [4, 3])):
            dr.add(PolyLine([v for x, y in c.lines[key] for v in (x, HEIGHT - y)],
                            strokeColor=colors.HexColor(COLORS[key]), strokeDashArray=dash))
        if len(c.points) > 1:
            dr.add(PolyLine([v for x, y in c.points for v in (x, HEIGHT - y)], strokeColor=colors.black, strokeWidth=1.5))
        dr.add(Line(PAD, PAD, WIDTH - PAD, PAD, strokeColor=colors.grey))
        dr.add(Line(PAD, PAD, PAD, HEIGHT - PAD, strokeColor=colors.grey))
        for x, t in c.x_ticks:
            dr.add(String(x, PAD - 12, t, fontName="STSong-Light", fontSize=7, textAnchor="middle"))
        for y, t in c.y_ticks:
            dr.add(String(PAD - 4, HEIGHT - y - 2, t, fontName="STSong-Light", fontSize=7, textAnchor="end"))
        dr.add(String(WIDTH / 2, 6, "基金年龄（年）/ fund age (years) — TVPI", fontName="STSong-Light", fontSize=7,
                      textAnchor="middle"))
        return dr

    def table(rows: list[list[str]]) -> Table:
        t = Table([[Paragraph(html.escape(str(v)), body) for v in r] for r in rows], repeatRows=1)
        t.setStyle(TableStyle([("GRID", (0, 0), (-1, -1), 0.3, colors.grey),
                               ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#eeeeee"))]))
        return t

    story = [Paragraph(html.escape(d.title), h1),
             Paragraph(html.escape(f"评价日 / as of: {d.as_of} · 生成 / generated: {d.generated}"), body),
             Paragraph(html.escape(f"台账 / ledger: {d.source}"), body)]
    for s in d.sections:
        r = s.latest
        story += [Paragraph(html.escape(f"{s.fund_id} {s.name} — {STRATEGIES[s.strategy].both()}"), h2), drawing(s.chart),
                  Paragraph(html.escape(f"{lifecycle.VERDICTS[r['verdict']].both()} — {r['reason_zh']}"), body),
                  Paragraph(html.escape(r["reason_en"]), body), Spacer(1, 4),
                  table([["固定年度规则 fixed annual rule", "结论 result"]]
                        + [[label, lifecycle.RULE_RESULTS[res].both()] for label, res in s.rules])]
    story.append(Paragraph("容错 / loss tolerance", h2))
    story.append(table([["基金 fund", "方案 scheme", "净亏损率", "超出容错", "结论"]]
                       + [[f["fund_id"], f["scheme"], _pct(f["net_loss_rate"]), str(f["losses_beyond_tolerance"]),
                           f["verdict"]] for f in d.tolerance_funds.iter_rows(named=True)]))
    if d.tolerance_losses.height:
        story.append(table([["项目", "亏损率", "容错内", "依据", "免责"]]
                           + [[x["investment_id"], _pct(x["loss_rate"]), "✓" if x["within_tolerance"] else "✗",
                               x["decided_by"] or "—", tolerance.EXEMPTION_STATUS[x["exemption"]].zh]
                              for x in d.tolerance_losses.iter_rows(named=True)]))
    story.append(Paragraph("政策指标 / policy indicators", h2))
    story.append(table([["基金", "放大倍数", "种子/初创占比", "前沿占比", "企业数", "返投"]]
                       + [[i["fund_id"], _num(i["leverage"]), _pct(i["seed_startup_share"]), _pct(i["frontier_share"]),
                           str(i["firms_supported"]), _num(i["reinvestment_ratio"])] for i in d.indicators.iter_rows(named=True)]))
    SimpleDocTemplate(str(path), pagesize=A4, title="kejin funds report").build(story)


def build_report(ledger: Ledger, path: Path, as_of: date | None, fund_ids: list[str] | None,
                 life: Loaded[LifecyclePack], tol: Loaded[TolerancePack], pol: Loaded[PolicyPack]) -> Path:
    data = collect(ledger, as_of, fund_ids, life, tol, pol)
    path = Path(path)
    if path.suffix.lower() == ".pdf":
        render_pdf(data, path)
    else:
        path.write_text(render_html(data), encoding="utf-8")
    return path
