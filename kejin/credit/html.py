"""One bilingual HTML page layout shared by the scorecard, monitoring and sharing reports."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Sequence

from jinja2 import Environment, select_autoescape
from markupsafe import Markup

from kejin.i18n import Text

_PAGE = """<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8"><title>{{ title.zh }} / {{ title.en }}</title>
<style>
body{font-family:"PingFang SC","Microsoft YaHei","Noto Sans CJK SC",sans-serif;margin:2em auto;max-width:1100px;color:#222}
h1{font-size:1.5em}h2{font-size:1.2em;border-bottom:1px solid #ccc;padding-bottom:.2em;margin-top:1.8em}
table{border-collapse:collapse;margin:.6em 0;font-size:.9em}td,th{border:1px solid #ccc;padding:.25em .6em;text-align:right}
th{background:#f2f4f7}td:first-child,th:first-child{text-align:left}.note{color:#555;font-size:.9em}
.stable{color:#2e7d32}.warning{color:#b26a00;font-weight:bold}.alert{color:#c62828;font-weight:bold}
.charts{display:flex;flex-wrap:wrap;gap:1em}
</style></head><body>
<h1>{{ title.zh }}<br><small>{{ title.en }}</small></h1>
<p class="note">{{ subtitle }} · 生成于 generated {{ generated }}</p>
{% for s in sections %}
<h2>{{ s.title.zh }} / {{ s.title.en }}</h2>
{% if s.note %}<p class="note">{{ s.note }}</p>{% endif %}
{% if s.charts %}<div class="charts">{% for c in s.charts %}{{ c }}{% endfor %}</div>{% endif %}
{% for t in s.tables %}
<table><thead><tr>{% for h in t.headers %}<th>{{ h.zh }}<br>{{ h.en }}</th>{% endfor %}</tr></thead>
<tbody>{% for row in t.rows %}<tr>{% for cell in row %}<td{% if cell in classes %} class="{{ cell }}"{% endif %}>{{ cell }}</td>{% endfor %}</tr>{% endfor %}</tbody></table>
{% endfor %}
{% endfor %}
</body></html>
"""

_env = Environment(autoescape=select_autoescape(default=True, default_for_string=True))


@dataclass
class HtmlTable:
    headers: Sequence[Text]
    rows: Sequence[Sequence[Any]]


@dataclass
class Section:
    title: Text
    note: str = ""
    charts: list[str] = field(default_factory=list)
    tables: list[HtmlTable] = field(default_factory=list)


def cell(value: Any, digits: int = 4) -> str:
    if isinstance(value, float):
        return f"{value:.{digits}f}" if abs(value) < 1e6 else f"{value:,.0f}"
    return "" if value is None else str(value)


def render_page(title: Text, subtitle: str, sections: list[Section]) -> str:
    prepared = [
        Section(
            title=s.title,
            note=s.note,
            charts=[Markup(c) for c in s.charts],
            tables=[HtmlTable(t.headers, [[cell(v) for v in row] for row in t.rows]) for t in s.tables],
        )
        for s in sections
    ]
    return _env.from_string(_PAGE).render(
        title=title,
        subtitle=subtitle,
        generated=datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        sections=prepared,
        classes={"stable", "warning", "alert"},
    )


def write_page(path: Path, title: Text, subtitle: str, sections: list[Section]) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(render_page(title, subtitle, sections), encoding="utf-8")
    return path
