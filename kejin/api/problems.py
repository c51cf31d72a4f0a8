"""RFC 9457 problem details (``application/problem+json``), bilingual; never a stack trace to the client."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from kejin.errors import KejinError

log = logging.getLogger("kejin.api")
MEDIA = "application/problem+json"

TITLES = {
    400: ("请求有误", "Bad request"),
    401: ("需要登录", "Authentication required"),
    403: ("无权访问", "Forbidden"),
    404: ("未找到", "Not found"),
    405: ("方法不允许", "Method not allowed"),
    409: ("冲突", "Conflict"),
    413: ("上传文件过大", "Upload too large"),
    415: ("不支持的媒体类型", "Unsupported media type"),
    422: ("输入无效", "Invalid input"),
    500: ("服务器内部错误", "Internal server error"),
}


# Chinese for pydantic's error types (the English is pydantic's own message); ``{…}`` from the error's context
_VALIDATION_ZH = {
    "missing": "缺少必填项",
    "extra_forbidden": "不接受此字段",
    "int_parsing": "应为整数", "int_type": "应为整数", "int_from_float": "应为整数",
    "float_parsing": "应为数字", "float_type": "应为数字", "finite_number": "应为有限的数字",
    "decimal_parsing": "应为数字", "decimal_type": "应为数字",
    "bool_parsing": "应为 true 或 false", "bool_type": "应为 true 或 false",
    "string_type": "应为文本", "string_too_long": "最多 {max_length} 个字符", "string_too_short": "至少 {min_length} 个字符",
    "string_pattern_mismatch": "格式不符（应匹配 {pattern}）",
    "greater_than_equal": "应不小于 {ge}", "greater_than": "应大于 {gt}",
    "less_than_equal": "应不大于 {le}", "less_than": "应小于 {lt}",
    "date_parsing": "应为日期（YYYY-MM-DD）", "date_type": "应为日期（YYYY-MM-DD）",
    "date_from_datetime_parsing": "应为日期（YYYY-MM-DD）", "date_from_datetime_inexact": "应为日期（不带时间）",
    "datetime_parsing": "应为日期时间", "datetime_type": "应为日期时间",
    "literal_error": "取值应为 {expected} 之一", "enum": "取值应为 {expected} 之一",
    "list_type": "应为列表", "dict_type": "应为对象", "model_type": "应为对象", "model_attributes_type": "应为对象",
    "too_long": "最多 {max_length} 项", "too_short": "至少 {min_length} 项",
    "json_invalid": "JSON 格式有误", "json_type": "应为 JSON",
}


def validation_problems(errors: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """FastAPI's request validation errors as located bilingual problems: where (``body``, ``query``, ``path``…),
    the ``field`` (dotted, list positions as numbers), the value, and the reason in Chinese and English."""
    out = []
    for e in errors:
        loc = [str(x) for x in e.get("loc", ())]
        where = loc[0] if loc and loc[0] in ("body", "query", "path", "header", "cookie") else None
        field = ".".join(loc[1:] if where else loc) or None
        msg, kind = str(e.get("msg")), str(e.get("type"))
        ctx = {k: str(v) for k, v in (e.get("ctx") or {}).items()}
        zh = _VALIDATION_ZH.get(kind)
        if kind == "json_invalid":  # the location is the character position, not a field
            field, zh, msg = None, f"JSON 格式有误（第 {loc[-1]} 个字符处）", f"{msg} at character {loc[-1]}"
        elif zh is None:  # our own validators write both languages already ("中文 / English")
            text = msg.removeprefix("Value error, ")
            zh, msg = text.split(" / ", 1) if kind == "value_error" and " / " in text else (f"取值无效（{msg}）", msg)
        else:
            try:
                zh = zh.format(**ctx)
            except (KeyError, IndexError):
                pass
        value = e.get("input") if kind != "missing" else None
        out.append({"loc": loc, "msg": msg, "type": kind, "where": where, "field": field,
                    "value": None if value is None or isinstance(value, (dict, list)) else str(value)[:100],
                    "message_zh": f"{'字段 ' + field + '：' if field else ''}{zh}",
                    "message_en": f"{'field ' + field + ': ' if field else ''}{msg}"})
    return out


class Problem(Exception):
    """Raise to answer with a problem document."""

    def __init__(self, status: int, code: str, zh: str, en: str, **extra: Any):
        self.status, self.code, self.zh, self.en, self.extra = status, code, zh, en, extra
        super().__init__(en)


def problem_body(status: int, code: str, zh: str, en: str, instance: str | None = None, **extra: Any) -> dict[str, Any]:
    title_zh, title_en = TITLES.get(status, ("错误", "Error"))
    body = {"type": f"https://kejin.dev/problems/{code}", "title": title_en, "title_zh": title_zh,
            "status": status, "detail": en, "detail_zh": zh, "code": code}
    if instance:
        body["instance"] = instance
    body.update(extra)
    return body


def respond(status: int, code: str, zh: str, en: str, request: Request | None = None, headers=None, **extra: Any) -> JSONResponse:
    body = problem_body(status, code, zh, en, instance=None if request is None else request.url.path, **extra)
    return JSONResponse(body, status_code=status, media_type=MEDIA, headers=headers)


def install(app: FastAPI) -> None:
    @app.exception_handler(Problem)
    async def _problem(request: Request, exc: Problem):
        return respond(exc.status, exc.code, exc.zh, exc.en, request, **exc.extra)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException):
        zh, en = TITLES.get(exc.status_code, ("错误", "Error"))
        detail = exc.detail if isinstance(exc.detail, str) else en
        return respond(exc.status_code, f"http.{exc.status_code}", zh, detail, request, headers=getattr(exc, "headers", None))

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError):
        errors = validation_problems(list(exc.errors()))
        first = errors[0] if errors else None
        zh = "请求参数无效" + (f"：{first['message_zh']}" if first else "")
        en = "request parameters are invalid" + (f": {first['message_en']}" if first else "")
        if len(errors) > 1:
            zh, en = zh + f"（另有 {len(errors) - 1} 处）", en + f" (and {len(errors) - 1} more)"
        return respond(422, "request.invalid", zh, en, request, errors=errors)

    @app.exception_handler(KejinError)
    async def _kejin(request: Request, exc: KejinError):
        return respond(422, "input.invalid", "输入数据无效", "the input is invalid", request,
                       problems=[p.as_dict() for p in exc.problems])

    @app.exception_handler(Exception)
    async def _any(request: Request, exc: Exception):
        log.exception("unhandled error on %s %s", request.method, request.url.path)
        return respond(500, "server.error", "服务器内部错误，已记录", "internal server error; it has been logged", request)
