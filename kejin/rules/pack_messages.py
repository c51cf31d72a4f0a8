"""Pack validation messages in Chinese and English: pydantic's errors as a Chinese sentence (its
own English words kept for the English half), a list entry named by its id, each problem once."""

from __future__ import annotations

from typing import Any

from kejin.errors import Problem

ZH_MESSAGES = {
    "missing": "缺少必需的键",
    "extra_forbidden": "不认识的键（此处不允许该键，是否拼写错误？）",
    "greater_than": "须大于 {gt}",
    "greater_than_equal": "须大于或等于 {ge}",
    "less_than": "须小于 {lt}",
    "less_than_equal": "须小于或等于 {le}",
    "string_pattern_mismatch": "格式不符合要求（须匹配 {pattern}）",
    "string_type": "应为文本",
    "int_type": "应为整数",
    "int_parsing": "应为整数",
    "int_from_float": "应为整数",
    "float_type": "应为数字",
    "float_parsing": "应为数字",
    "bool_type": "应为 true 或 false",
    "bool_parsing": "应为 true 或 false",
    "dict_type": "应为映射（键: 值）",
    "model_type": "应为映射（键: 值）",
    "model_attributes_type": "应为映射（键: 值）",
    "list_type": "应为列表",
    "tuple_type": "应为列表",
    "too_short": "列表元素太少",
    "too_long": "列表元素太多",
    "date_type": "应为日期（YYYY-MM-DD）",
    "date_parsing": "应为日期（YYYY-MM-DD）",
    "date_from_datetime_parsing": "应为日期（YYYY-MM-DD）",
}

# list keys whose entries have an ``id``: how an entry is named in a message
ENTRY_LABELS = {
    "indicators": ("指标", "indicator"),
    "add_indicators": ("指标", "indicator"),
    "add_bonus": ("加分指标", "bonus indicator"),
    "stages": ("阶段", "stage"),
    "groups": ("指标组", "group"),
    "rules": ("榜单", "tier rule"),
}


def zh_en(err: Any) -> tuple[str, str]:
    """A pydantic error as a Chinese sentence and the English detail (pydantic's own words stay
    in the English half)."""
    kind, ctx, msg = err["type"], err.get("ctx") or {}, err["msg"]
    if kind == "value_error":  # our model validators write "English / 中文"
        text = str(ctx.get("error", msg))
        en, sep, zh = text.rpartition(" / ")
        return (zh, f"invalid pack content: {en}") if sep else ("内容不符合要求（详见英文说明）", f"invalid pack content: {text}")
    if kind == "literal_error":
        expected = str(ctx.get("expected", "")).replace(" or ", ", ").replace(", ", "、")
        return f"取值不在允许范围内，可选：{expected}", f"invalid pack content: {msg}"
    zh = ZH_MESSAGES.get(kind, "内容无效（详见英文说明）")
    try:
        zh = zh.format(**ctx)
    except (KeyError, IndexError, ValueError):
        pass
    return zh, f"invalid pack content: {msg}"


def entry_label(data: Any, loc: tuple[Any, ...]) -> tuple[str, str] | None:
    """The innermost list entry with an ``id`` on the path ``loc`` ("indicator ip_class1")."""
    node, label, parents = data, None, []
    for part in loc:
        if isinstance(part, int) and isinstance(node, list) and 0 <= part < len(node):
            item = node[part]
            name = parents[-1] if parents else None
            if isinstance(item, dict) and isinstance(item.get("id"), str) and name in ENTRY_LABELS:
                zh, en = ("加分指标", "bonus indicator") if parents[-2:] == ["bonus", "indicators"] else ENTRY_LABELS[name]
                label = (f"{zh} {item['id']}", f"{en} {item['id']}")
            node = item
        elif isinstance(node, dict) and part in node:
            node = node[part]
        else:
            break
        parents.append(part)
    return label


def unique(problems: list[Problem]) -> list[Problem]:
    seen: set[tuple[Any, ...]] = set()
    out = []
    for p in problems:
        k = (p.code, p.file, p.key, p.zh, p.en, repr(p.value))
        if k not in seen:
            seen.add(k)
            out.append(p)
    return out
