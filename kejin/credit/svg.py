"""Small inline-SVG charts for the HTML reports (no JavaScript, no CDN)."""

from __future__ import annotations

from html import escape
from typing import Sequence

PALETTE = ["#1f5aa6", "#d1495b", "#2e933c", "#edae49", "#6b4c9a", "#00798c", "#8d6a9f", "#424b54"]
WIDTH, HEIGHT = 640, 300
MARGIN_LEFT, MARGIN_RIGHT, MARGIN_TOP, MARGIN_BOTTOM = 70, 20, 30, 60


def _fmt(value: float) -> str:
    if value == 0:
        return "0"
    magnitude = abs(value)
    if magnitude >= 1e8:
        return f"{value / 1e8:.2f}亿"
    if magnitude >= 1e4:
        return f"{value / 1e4:.1f}万"
    if magnitude >= 100:
        return f"{value:.0f}"
    if magnitude >= 1:
        return f"{value:.2f}"
    return f"{value:.3f}"


def _frame(title: str, body: list[str], width: int = WIDTH, height: int = HEIGHT) -> str:
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" width="{width}" height="{height}" '
        f'font-family="sans-serif" font-size="11" role="img"><title>{escape(title)}</title>'
        f'<text x="{width / 2}" y="16" text-anchor="middle" font-size="13" font-weight="bold">{escape(title)}</text>'
        + "".join(body)
        + "</svg>"
    )


def _axes(y_low: float, y_high: float, y_label: str, x_label: str) -> list[str]:
    plot_h = HEIGHT - MARGIN_TOP - MARGIN_BOTTOM
    parts = [
        f'<line x1="{MARGIN_LEFT}" y1="{MARGIN_TOP}" x2="{MARGIN_LEFT}" y2="{HEIGHT - MARGIN_BOTTOM}" stroke="#333"/>',
        f'<line x1="{MARGIN_LEFT}" y1="{HEIGHT - MARGIN_BOTTOM}" x2="{WIDTH - MARGIN_RIGHT}" y2="{HEIGHT - MARGIN_BOTTOM}" stroke="#333"/>',
        f'<text x="14" y="{MARGIN_TOP + plot_h / 2}" transform="rotate(-90 14 {MARGIN_TOP + plot_h / 2})" text-anchor="middle">{escape(y_label)}</text>',
        f'<text x="{(MARGIN_LEFT + WIDTH - MARGIN_RIGHT) / 2}" y="{HEIGHT - 8}" text-anchor="middle">{escape(x_label)}</text>',
    ]
    for i in range(5):
        value = y_low + (y_high - y_low) * i / 4
        y = HEIGHT - MARGIN_BOTTOM - plot_h * i / 4
        parts.append(f'<line x1="{MARGIN_LEFT - 4}" y1="{y:.1f}" x2="{WIDTH - MARGIN_RIGHT}" y2="{y:.1f}" stroke="#ddd"/>')
        parts.append(f'<text x="{MARGIN_LEFT - 6}" y="{y + 4:.1f}" text-anchor="end">{_fmt(value)}</text>')
    return parts


def bar_chart(
    title: str,
    labels: Sequence[str],
    series: dict[str, Sequence[float]],
    y_label: str = "",
    x_label: str = "",
    thresholds: Sequence[tuple[float, str]] = (),
) -> str:
    """Grouped vertical bars; optional horizontal threshold lines (e.g. PSI 0.10 / 0.25)."""
    values = [v for vs in series.values() for v in vs] + [t for t, _ in thresholds]
    y_low, y_high = min(0.0, min(values, default=0.0)), max(values, default=1.0) or 1.0
    y_high *= 1.05
    plot_w, plot_h = WIDTH - MARGIN_LEFT - MARGIN_RIGHT, HEIGHT - MARGIN_TOP - MARGIN_BOTTOM
    slot = plot_w / max(len(labels), 1)
    bar_w = slot * 0.8 / max(len(series), 1)
    scale = plot_h / (y_high - y_low)
    zero_y = HEIGHT - MARGIN_BOTTOM + y_low * scale
    parts = _axes(y_low, y_high, y_label, x_label)
    for s, (name, vs) in enumerate(series.items()):
        colour = PALETTE[s % len(PALETTE)]
        for i, value in enumerate(vs):
            x = MARGIN_LEFT + slot * i + slot * 0.1 + bar_w * s
            top = zero_y - max(value, 0) * scale
            height = abs(value) * scale
            parts.append(
                f'<rect x="{x:.1f}" y="{top:.1f}" width="{bar_w:.1f}" height="{height:.1f}" fill="{colour}">'
                f"<title>{escape(labels[i])} · {escape(name)}: {value:.4g}</title></rect>"
            )
    step = max(1, len(labels) // 20)
    for i in range(0, len(labels), step):
        x = MARGIN_LEFT + slot * (i + 0.5)
        label = labels[i] if len(labels[i]) <= 14 else labels[i][:13] + "…"
        parts.append(
            f'<text x="{x:.1f}" y="{HEIGHT - MARGIN_BOTTOM + 12}" text-anchor="end" '
            f'transform="rotate(-35 {x:.1f} {HEIGHT - MARGIN_BOTTOM + 12})">{escape(label)}</text>'
        )
    for value, name in thresholds:
        y = zero_y - value * scale
        parts.append(f'<line x1="{MARGIN_LEFT}" y1="{y:.1f}" x2="{WIDTH - MARGIN_RIGHT}" y2="{y:.1f}" stroke="#d1495b" stroke-dasharray="5,3"/>')
        parts.append(f'<text x="{WIDTH - MARGIN_RIGHT}" y="{y - 3:.1f}" text-anchor="end" fill="#d1495b">{escape(name)}</text>')
    parts += _legend(list(series))
    return _frame(title, parts)


def line_chart(
    title: str,
    series: dict[str, tuple[Sequence[float], Sequence[float]]],
    x_label: str = "",
    y_label: str = "",
    diagonal: bool = False,
    x_ticks: Sequence[str] | None = None,
) -> str:
    """Lines through (x, y) points; ``diagonal`` draws y = x (ROC, calibration)."""
    xs = [x for x_values, _ in series.values() for x in x_values]
    ys = [y for _, y_values in series.values() for y in y_values]
    x_low, x_high = min(xs, default=0.0), max(xs, default=1.0)
    y_low, y_high = min(0.0, min(ys, default=0.0)), max(ys, default=1.0)
    if diagonal:
        x_low, y_low = min(x_low, y_low), min(x_low, y_low)
        x_high = y_high = max(x_high, y_high)
    x_high = x_high if x_high > x_low else x_low + 1
    y_high = (y_high if y_high > y_low else y_low + 1) * 1.02
    plot_w, plot_h = WIDTH - MARGIN_LEFT - MARGIN_RIGHT, HEIGHT - MARGIN_TOP - MARGIN_BOTTOM

    def px(x: float) -> float:
        return MARGIN_LEFT + (x - x_low) / (x_high - x_low) * plot_w

    def py(y: float) -> float:
        return HEIGHT - MARGIN_BOTTOM - (y - y_low) / (y_high - y_low) * plot_h

    parts = _axes(y_low, y_high, y_label, x_label)
    if x_ticks:
        step = max(1, len(x_ticks) // 12)
        for i in range(0, len(x_ticks), step):
            parts.append(f'<text x="{px(i):.1f}" y="{HEIGHT - MARGIN_BOTTOM + 14}" text-anchor="middle">{escape(x_ticks[i])}</text>')
    else:
        for i in range(5):
            value = x_low + (x_high - x_low) * i / 4
            parts.append(f'<text x="{px(value):.1f}" y="{HEIGHT - MARGIN_BOTTOM + 14}" text-anchor="middle">{_fmt(value)}</text>')
    if diagonal:
        parts.append(f'<line x1="{px(x_low):.1f}" y1="{py(x_low):.1f}" x2="{px(x_high):.1f}" y2="{py(x_high):.1f}" stroke="#999" stroke-dasharray="4,4"/>')
    for s, (name, (x_values, y_values)) in enumerate(series.items()):
        colour = PALETTE[s % len(PALETTE)]
        points = " ".join(f"{px(x):.1f},{py(y):.1f}" for x, y in zip(x_values, y_values))
        parts.append(f'<polyline points="{points}" fill="none" stroke="{colour}" stroke-width="2"/>')
        if len(x_values) <= 40:
            parts += [f'<circle cx="{px(x):.1f}" cy="{py(y):.1f}" r="3" fill="{colour}"/>' for x, y in zip(x_values, y_values)]
    parts += _legend(list(series))
    return _frame(title, parts)


def _legend(names: list[str]) -> list[str]:
    if len(names) < 2:
        return []
    parts = []
    for i, name in enumerate(names):
        x = MARGIN_LEFT + 10 + 150 * (i % 4)
        y = MARGIN_TOP + 6 + 14 * (i // 4)
        parts.append(f'<rect x="{x}" y="{y - 8}" width="10" height="10" fill="{PALETTE[i % len(PALETTE)]}"/>')
        parts.append(f'<text x="{x + 14}" y="{y + 1}">{escape(name)}</text>')
    return parts
