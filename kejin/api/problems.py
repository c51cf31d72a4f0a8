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
        errors = [{"loc": [str(x) for x in e.get("loc", ())], "msg": str(e.get("msg")), "type": str(e.get("type"))}
                  for e in exc.errors()]
        return respond(422, "request.invalid", "请求参数无效", "request parameters are invalid", request, errors=errors)

    @app.exception_handler(KejinError)
    async def _kejin(request: Request, exc: KejinError):
        return respond(422, "input.invalid", "输入数据无效", "the input is invalid", request,
                       problems=[p.as_dict() for p in exc.problems])

    @app.exception_handler(Exception)
    async def _any(request: Request, exc: Exception):
        log.exception("unhandled error on %s %s", request.method, request.url.path)
        return respond(500, "server.error", "服务器内部错误，已记录", "internal server error; it has been logged", request)
