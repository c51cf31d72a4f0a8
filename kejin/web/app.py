"""Pages of the web UI, served beside the API from one FastAPI app."""

from __future__ import annotations

import importlib.util
import json
import logging
from datetime import date, datetime, time, timedelta, timezone
from functools import lru_cache
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from fastapi import BackgroundTasks, Depends, FastAPI, Form, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from pydantic import ValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException

from kejin.api import create_app as create_api
from kejin.api.access import enterprise_access
from kejin.api.deps import Page, Principal, check_csrf, principal_from_request
from kejin.api.inputs import DbIdPath, has_nul, reject_nul
from kejin.api.problems import Problem, validation_problems
from kejin.api.routes import auth as auth_routes
from kejin.api.routes import consents as consent_routes
from kejin.api.routes import enterprises as ent_routes
from kejin.api.routes import evaluations as eval_routes
from kejin.api.routes import funds as fund_routes
from kejin.api.routes import imports as import_routes
from kejin.api.security import SESSION_COOKIE
from kejin.store import chain, repo
from kejin.store.db import Database
from kejin.store.models import AuditLog, Enterprise, PointsBatch, PointsRow, User, WebSession
from kejin.web.i18n import ERRORS, code_label, label, money_unit

HERE = Path(__file__).parent
log = logging.getLogger("kejin.web")
LANG_COOKIE = "kejin_lang"
CST = timezone(timedelta(hours=8), "CST")  # dates the web forms take are days in Beijing time
templates = Jinja2Templates(directory=str(HERE / "templates"))


def _group_labels() -> dict[str, dict[str, str]]:
    """Bilingual names of the points groups of every method (``group_<id>`` as scored)."""
    from kejin.points.methods import all_methods

    return {f"group_{g.id}": {"zh": g.name.zh, "en": g.name.en} for m in all_methods() for g in m.groups}


@lru_cache(maxsize=1)
def _stage_labels() -> dict[str, dict[str, str]]:
    """Bilingual names of the points stages (start-up, growth, stable) of every method."""
    from kejin.points.methods import all_methods

    return {st.id: {"zh": st.name.zh, "en": st.name.en} for m in all_methods() for st in m.stages}


def stage_label(code: str | None, lang: str) -> str:
    names = _stage_labels().get(code or "")
    return names[lang] if names else (code or "—")


def sector_label(code: str, lang: str) -> str:
    """A frontier sector's name from the data norms (the code itself if the norms do not name it)."""
    from kejin.facts import schema

    text = schema.norms().frontier_sector_labels.get(code)
    return (text.zh if lang == "zh" else text.en) if text else code


def echarts_path() -> Path | None:
    """Apache ECharts as shipped by the ``vizly`` package (a declared dependency), or None."""
    spec = importlib.util.find_spec("vizly")
    if spec is None or not spec.submodule_search_locations:
        return None
    p = Path(list(spec.submodule_search_locations)[0]) / "assets" / "echarts.min.js"
    return p if p.exists() else None


def lang_of(request: Request) -> str:
    q = request.query_params.get("lang")
    if q in ("zh", "en"):
        return q
    return "en" if request.cookies.get(LANG_COOKIE) == "en" else "zh"


class Login(Exception):
    pass


def render(request: Request, name: str, p: Principal | None, status: int = 200, **ctx: Any) -> HTMLResponse:
    lang = lang_of(request)
    ctx.update(request=request, p=p, lang=lang, t=lambda k: label(k, lang), unit=money_unit,
               code=lambda kind, c: code_label(kind, c, lang), stage_name=lambda c: stage_label(c, lang),
               sector=lambda c: sector_label(c, lang),
               has_echarts=echarts_path() is not None, path=request.url.path)
    resp = templates.TemplateResponse(request, name, ctx, status_code=status)
    if request.query_params.get("lang") in ("zh", "en"):
        resp.set_cookie(LANG_COOKIE, lang, samesite="lax", max_age=365 * 86400)
    resp.headers["Cache-Control"] = "no-store"
    return resp


ONLY_BUREAU_IMPORTS = ("只有科技局可以导入数据", "only the tech bureau imports")
NO_FUND_ACCESS = ("无权查看基金", "no access to funds")


def denied(request: Request, p: Principal | None, message: tuple[str, str], status: int = 403) -> HTMLResponse:
    """The page that says, in both languages, why this user may not see or do this."""
    heading = {404: "not_found", 422: "invalid_input"}.get(status, "no_access")
    return render(request, "denied.html", p, status=status, message=message, heading=heading)


# paths that answer API clients (problem+json) or serve files; every other path is a page of the web UI
NOT_PAGES = ("/api/", "/docs", "/static/", "/vendor/")


def is_page(path: str) -> bool:
    return not (path == "/api" or path.startswith(NOT_PAGES))


def problem_message(body: dict[str, Any]) -> tuple[str, str]:
    """What a problem document (``kejin.api.problems``) says, in Chinese and English, for a page: each
    request error named, a CSRF failure as a page to reload."""
    if body.get("code") == "auth.csrf":
        return ERRORS["csrf"]
    if body.get("code") == "http.404":
        return ERRORS["no_page"]
    errors = body.get("errors") or []
    if errors:
        return "；".join(e["message_zh"] for e in errors), "; ".join(e["message_en"] for e in errors)
    return str(body.get("detail_zh") or ""), str(body.get("detail") or "")


def create_app(db: Database | None = None) -> FastAPI:
    app = create_api(db)
    app.mount("/static", StaticFiles(directory=str(HERE / "static")), name="static")

    def page_principal(request: Request) -> Principal | None:
        """The user of an error page (for its header), None when that cannot be told."""
        try:
            with app.state.db.sessions() as s:
                return principal_from_request(request, s)
        except Exception:  # noqa: BLE001 — an error page must not fail on the session lookup
            return None

    def on_pages(kind: type[Exception]) -> None:
        """A page of the web UI answers an error the API answers as problem+json (a form field missing or
        mistyped, a stale CSRF token, an unknown page, a server error) with the error page, in both
        languages and with the same status; the API's own paths keep their JSON answer unchanged."""
        as_json = app.exception_handlers[kind]

        async def handle(request: Request, exc: Exception):
            resp = await as_json(request, exc)
            if not is_page(request.url.path):
                return resp
            try:
                body = json.loads(resp.body)
                page = render(request, "denied.html", page_principal(request), status=resp.status_code,
                              message=problem_message(body), title=(body.get("title_zh"), body.get("title")))
            except Exception:  # noqa: BLE001 — the JSON answer is better than none
                log.exception("error page for %s failed", request.url.path)
                return resp
            for name, value in resp.headers.items():  # e.g. Allow on a 405
                if name.lower() not in ("content-type", "content-length"):
                    page.headers.setdefault(name, value)
            return page

        app.add_exception_handler(kind, handle)

    for kind in (Problem, RequestValidationError, StarletteHTTPException, Exception):
        on_pages(kind)

    # pages take the API's input rules: no NUL character in a path or query (PostgreSQL text cannot hold one)
    PAGE: dict[str, Any] = {"include_in_schema": False, "dependencies": [Depends(reject_nul)]}

    def who(request: Request) -> tuple[Any, Principal]:
        s = app.state.db.sessions()
        p = principal_from_request(request, s)
        if p is None:
            s.close()
            raise Login()
        return s, p

    @app.exception_handler(Login)
    async def _login(request: Request, exc: Login):
        return RedirectResponse("/login", status_code=303)

    @app.get("/vendor/echarts.min.js", include_in_schema=False)
    def echarts() -> Response:
        path = echarts_path()
        if path is None:
            return Response("/* echarts not installed */", media_type="application/javascript", status_code=404)
        return FileResponse(path, media_type="application/javascript", headers={"Cache-Control": "max-age=86400"})

    @app.get("/login", **PAGE)
    def login_page(request: Request):
        return render(request, "login.html", None, error=None, username="")

    @app.post("/login", **PAGE)
    def login_submit(request: Request, username: str = Form(""), password: str = Form("")):
        if not username.strip() or not password:  # a browser checks this too (required), a script may not
            return render(request, "login.html", None, status=422, error=ERRORS["login_missing"], username=username)
        with app.state.db.sessions() as s:
            user = None if has_nul(username) or has_nul(password) else auth_routes.authenticate(s, username, password)
            if user is None:
                return render(request, "login.html", None, status=401, error=ERRORS["login_failed"],
                              username="" if has_nul(username) else username)
            resp = RedirectResponse("/", status_code=303)
            auth_routes.open_session(s, user, resp, secure=request.url.scheme == "https")
            s.commit()
            return resp

    @app.post("/logout", **PAGE)
    def logout(request: Request, csrf_token: str = Form("")):
        s, p = who(request)
        with s:
            check_csrf(p, request, csrf_token)
            s.execute(sa.delete(WebSession).where(WebSession.id == p.session_id))
            s.commit()
        resp = RedirectResponse("/login", status_code=303)
        resp.delete_cookie(SESSION_COOKIE, path="/")
        return resp

    @app.get("/", **PAGE)
    def overview(request: Request):
        s, p = who(request)
        with s:
            if p.role == "enterprise":
                return RedirectResponse(f"/enterprises/{p.org.uscc}", status_code=303)
            if p.role == "fund_manager" and request.query_params.get("view") != "region":
                pass
            b = s.scalars(sa.select(PointsBatch).order_by(PointsBatch.seq.desc()).limit(1)).first()
            charts: dict[str, Any] = {}
            if b is not None:
                rows = s.scalars(sa.select(PointsRow).where(PointsRow.batch_id == b.id)).all()
                stages: dict[str, list[float]] = {}
                tiers: dict[str, int] = {}
                districts: dict[str, list[float]] = {}
                for r in rows:
                    if r.points is not None:
                        stages.setdefault(r.stage or "—", []).append(r.points)
                        districts.setdefault(r.region_code or "—", []).append(r.points)
                    tiers[r.tier or "—"] = tiers.get(r.tier or "—", 0) + 1
                charts["stages"] = {stage_label(k, lang_of(request)): _box(v) for k, v in sorted(stages.items())}
                charts["tiers"] = dict(sorted(tiers.items()))
                top = sorted(districts.items(), key=lambda kv: -len(kv[1]))[:15]
                charts["districts"] = {k: round(sum(v) / len(v), 1) for k, v in sorted(top)}
            sectors: dict[str, int] = {}
            for (fs,) in s.execute(sa.select(Enterprise.frontier_sectors)):
                for x in (fs or "").split(";"):
                    if x:
                        sectors[x] = sectors.get(x, 0) + 1
            charts["sectors"] = {sector_label(k, lang_of(request)): v for k, v in sorted(sectors.items(), key=lambda kv: -kv[1])}
            n_ent = s.scalar(sa.select(sa.func.count()).select_from(Enterprise))
            n_batches, problems = chain.verify(s) if p.role == "bureau" else (None, [])
            return render(request, "overview.html", p, batch=b, charts=charts, charts_json=json.dumps(charts, ensure_ascii=False),
                          n_ent=n_ent, chain_ok=not problems, n_batches=n_batches)

    @app.get("/enterprises", **PAGE)
    def enterprises(request: Request, q: str | None = None, region_code: str | None = None, page: int = 1):
        s, p = who(request)
        with s:
            data = ent_routes.list_enterprises(s, Page(max(page, 1), 50), p, region_code=region_code or None, q=q or None, sector=None)
            return render(request, "enterprises.html", p, data=data, q=q or "", region_code=region_code or "")

    @app.get("/enterprises/{uscc}", **PAGE)
    def profile(request: Request, uscc: str):
        s, p = who(request)
        with s:
            try:
                consent = enterprise_access(s, p, uscc)
            except Problem as exc:
                return denied(request, p, (exc.zh, exc.en), exc.status)
            e = s.get(Enterprise, uscc)
            if e is None:
                return denied(request, p, ("未找到企业", "enterprise not found"), 404)
            record = ent_routes.build_record(s, e)
            if p.role != "enterprise":
                repo.audit(s, user=p.user, action="record.read", target=uscc,
                           consent_id=None if consent is None else consent.id, detail={"via": "web", "role": p.role})
                s.commit()
            reads = []
            if p.role == "enterprise":
                reads = s.execute(sa.select(AuditLog, User.username).outerjoin(User, User.id == AuditLog.actor_user_id)
                                  .where(AuditLog.target == uscc, AuditLog.action == "record.read")
                                  .order_by(AuditLog.id.desc()).limit(20)).all()
            tl = record["points_timeline"]
            latest_year = max((f["year"] for f in record["facts"]), default=None)
            standards = [r for r in record["standards"] if r["year"] == latest_year]
            radar = tl[-1]["groups"] if tl and tl[-1].get("groups") else {}
            chart = {"timeline": [{"label": f"#{x['seq']} {x['year']}", "points": x["points"]} for x in tl],
                     "radar": radar, "radar_labels": _group_labels()}
            return render(request, "profile.html", p, e=e, record=record, standards=standards, latest_year=latest_year,
                          chart_json=json.dumps(chart, ensure_ascii=False, default=str), reads=reads)

    def import_form(request: Request, s, p: Principal, status: int = 200, error: tuple[str, str] | None = None,
                    sheet: str = "") -> HTMLResponse:
        """The upload form and the latest jobs; ``error`` (zh, en) next to the form, the worksheet kept."""
        jobs = import_routes.list_imports(request, s, Page(1, 20), p)
        return render(request, "import.html", p, status=status, jobs=jobs, job=None, error=error, sheet=sheet)

    @app.get("/import", **PAGE)
    def import_page(request: Request):
        s, p = who(request)
        with s:
            if not p.can("imports:write"):
                return denied(request, p, ONLY_BUREAU_IMPORTS)
            return import_form(request, s, p)

    @app.post("/import", **PAGE)
    async def import_submit(request: Request):
        s, p = who(request)
        with s:
            form = await request.form()
            sheet = form.get("sheet")
            sheet = sheet if isinstance(sheet, str) else ""
            try:
                check_csrf(p, request, str(form.get("csrf_token", "")))
            except Problem:
                return import_form(request, s, p, 403, ERRORS["csrf"], sheet) if p.can("imports:write") else \
                    denied(request, p, ERRORS["csrf"])
            if not p.can("imports:write"):
                return denied(request, p, ONLY_BUREAU_IMPORTS)
            file = form.get("file")
            if not hasattr(file, "read") or not getattr(file, "filename", None):  # no file chosen
                return import_form(request, s, p, 422, ERRORS["no_file"], sheet)
        tasks = BackgroundTasks()
        try:
            job = await import_routes.upload(request, tasks, file, p, sheet=sheet)
        except Problem as exc:  # the file's type or size, the worksheet's name: said next to the form
            with app.state.db.sessions() as s:
                return import_form(request, s, p, exc.status, (exc.zh, exc.en), sheet)
        resp = RedirectResponse(f"/import/{job.id}", status_code=303)
        resp.background = tasks
        return resp

    @app.get("/import/{job_id}", **PAGE)
    def import_job(request: Request, job_id: DbIdPath):
        s, p = who(request)
        with s:
            if not p.can("imports:write"):
                return denied(request, p, ONLY_BUREAU_IMPORTS)
            job = import_routes.get_import(job_id, request, s, p)
            return render(request, "import.html", p, jobs=None, job=job)

    @app.get("/recommendations", **PAGE)
    def recommendations(request: Request, tier: str | None = None, stage: str | None = None,
                        region_code: str | None = None, page: int = 1):
        s, p = who(request)
        with s:
            if not p.can("recommendations:read"):
                return denied(request, p, ("无权查看推荐名单", "no access to the lists"))
            data = eval_routes.recommendations(s, Page(max(page, 1), 50), p, batch=None, tier=tier or None, stage=stage or None,
                                               region_code=region_code or None, format="json")
            qs = "&".join(f"{k}={v}" for k, v in (("tier", tier), ("stage", stage), ("region_code", region_code)) if v)
            return render(request, "recommendations.html", p, data=data, tier=tier or "", stage=stage or "",
                          region_code=region_code or "", qs=qs)

    def consents_page(request: Request, s, p: Principal, status: int = 200, error: tuple[str, str] | None = None,
                      entered: dict[str, str] | None = None) -> HTMLResponse:
        """The consents and the grant form; ``error`` (zh, en) next to the form, which keeps what was entered."""
        data = consent_routes.list_consents(s, Page(1, 200), p, in_force=None)
        inst = consent_routes.institutions(s, p) if p.can("consents:write") else []
        return render(request, "consents.html", p, status=status, data=data, institutions=inst,
                      cst_offset=CST.utcoffset(None), error=error, entered=entered or {})

    @app.get("/consents", **PAGE)
    def consents(request: Request):
        s, p = who(request)
        with s:
            return consents_page(request, s, p)

    @app.post("/consents", **PAGE)
    def consent_grant(request: Request, institution_org_id: str = Form(""), purpose: str = Form(""),
                      expires_on: str = Form(""), csrf_token: str = Form("")):
        s, p = who(request)
        with s:
            entered = {"institution_org_id": institution_org_id, "purpose": purpose, "expires_on": expires_on}

            def again(status: int, error: tuple[str, str]) -> HTMLResponse:
                s.rollback()
                return consents_page(request, s, p, status, error, entered)

            try:
                check_csrf(p, request, csrf_token)
            except Problem:
                return again(403, ERRORS["csrf"])
            if not p.can("consents:write"):
                return denied(request, p, ("只有企业可以授权", "only a firm grants consent"))
            if not institution_org_id.strip():
                return again(422, ERRORS["no_institution"])
            try:  # valid through the chosen day, Beijing time
                day = date.fromisoformat(expires_on) if expires_on else None
                if day is not None and day < datetime.now(CST).date():
                    return again(422, ERRORS["bad_end_date"])
                ends = None if day is None else datetime.combine(day + timedelta(days=1), time(), CST)
            except (ValueError, OverflowError):
                return again(422, ERRORS["bad_end_date"])
            try:
                body = consent_routes.ConsentIn(institution_org_id=institution_org_id.strip(), purpose=purpose or None,
                                                expires_at=ends)
            except ValidationError as exc:
                errors = validation_problems(exc.errors())
                return again(422, ("；".join(e["message_zh"] for e in errors), "; ".join(e["message_en"] for e in errors)))
            try:
                consent_routes.grant(body, s, p)
            except Problem as exc:  # an institution that cannot be granted consent (gone since the page was drawn)
                return again(exc.status, (exc.zh, exc.en))
        return RedirectResponse("/consents", status_code=303)

    @app.post("/consents/{consent_id}/revoke", **PAGE)
    def consent_revoke(request: Request, consent_id: DbIdPath, csrf_token: str = Form("")):
        s, p = who(request)
        with s:
            try:
                check_csrf(p, request, csrf_token)
            except Problem:
                return consents_page(request, s, p, 403, ERRORS["csrf"])
            if not p.can("consents:write"):
                return denied(request, p, ("只有企业可以撤销授权", "only a firm revokes consent"))
            try:
                consent_routes.revoke(consent_id, s, p)
            except Problem as exc:  # not this firm's consent, or no longer there
                s.rollback()
                return consents_page(request, s, p, exc.status, (exc.zh, exc.en))
        return RedirectResponse("/consents", status_code=303)

    @app.get("/funds", **PAGE)
    def funds(request: Request):
        s, p = who(request)
        with s:
            if not p.can("funds:read"):
                return denied(request, p, NO_FUND_ACCESS)
            data = fund_routes.list_funds(s, Page(1, 200), p, strategy=None)
            return render(request, "funds.html", p, data=data)

    @app.get("/funds/{fund_id}", **PAGE)
    def fund(request: Request, fund_id: str):
        s, p = who(request)
        with s:
            if not p.can("funds:read"):
                return denied(request, p, NO_FUND_ACCESS)
            try:
                ev = fund_routes.fund_evaluation(fund_id, s, p)
            except Problem as exc:
                return denied(request, p, (exc.zh, exc.en), exc.status)
            return render(request, "fund.html", p, ev=ev, ev_json=json.dumps(ev, ensure_ascii=False, default=str))

    return app


def _box(values: list[float]) -> list[float]:
    v = sorted(values)

    def q(x: float) -> float:
        i = x * (len(v) - 1)
        lo = int(i)
        hi = min(lo + 1, len(v) - 1)
        return round(v[lo] + (v[hi] - v[lo]) * (i - lo), 2)

    return [q(0), q(0.25), q(0.5), q(0.75), q(1.0)]

