"""Exporting a card as SQL so a bank can score inside its own warehouse.

The expression is plain ANSI SQL (CASE, IN, IS NULL, TRIM, NULLIF, EXP): it runs unchanged in
DuckDB, PostgreSQL, Hive/Spark SQL and most warehouses. Blanks and unseen categories follow
the card's rules: blank → the missing bin, unseen category → neutral points (WOE 0).
"""

from __future__ import annotations

from kejin.credit.card import CardFeature, Scorecard


def _identifier(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _number(value: float) -> str:
    return repr(float(value))


def feature_case(feature: CardFeature) -> str:
    column = _identifier(feature.name)
    points = [b.points for b in feature.bins]
    if feature.kind == "numeric":
        lines = [f"WHEN {column} IS NULL THEN {_number(points[-1])}"]
        lines += [f"WHEN {column} < {_number(split)} THEN {_number(points[k])}" for k, split in enumerate(feature.splits)]
        lines.append(f"ELSE {_number(points[len(feature.splits)])}")
    else:
        value = f"NULLIF(TRIM(CAST({column} AS VARCHAR)), '')"
        lines = [f"WHEN {value} IS NULL THEN {_number(points[-1])}"]
        lines += [
            f"WHEN {value} IN ({', '.join(_literal(c) for c in group)}) THEN {_number(points[k])}"
            for k, group in enumerate(feature.groups)
        ]
        lines.append(f"ELSE {_number(feature.neutral_points)}  -- unseen category: neutral")
    body = "\n    ".join(lines)
    return f"CASE\n    {body}\n  END"


def score_expression(card: Scorecard) -> str:
    """The score as one SQL expression: the sum of every feature's CASE."""
    return "(\n  " + "\n  + ".join(f"-- {f.name}\n  {feature_case(f)}" for f in card.features) + "\n)"


def to_sql(card: Scorecard, table: str = "loans") -> str:
    """A complete query: every input column plus ``score`` and ``pd``."""
    scaling = card.scaling
    score = score_expression(card)
    return (
        f"-- kejin scorecard {card.model_id} v{card.version} ({card.format}); "
        f"pdo={scaling.pdo:g} base_score={scaling.base_score:g} base_odds={scaling.base_odds:g}\n"
        f"-- 评分卡 SQL：空值进入缺失箱，训练中未出现的类别得中性分（WOE=0）\n"
        f"-- blanks use the missing bin; categories unseen in training get neutral points (WOE 0)\n"
        f"WITH scored AS (\n  SELECT t.*, {score} AS score\n  FROM {table} AS t\n)\n"
        f"SELECT scored.*, 1.0 / (1.0 + EXP((score - {_number(scaling.offset)}) / {_number(scaling.factor)})) AS pd\n"
        f"FROM scored\n"
    )
