"""The FastAPI application: /api/v1 routers, problem+json errors, OpenAPI at /docs."""

from __future__ import annotations

import os
from dataclasses import dataclass, field

from fastapi import APIRouter, Depends, FastAPI
from fastapi.routing import APIRoute

from kejin.api import problems
from kejin.api.docs_page import install_docs_page
from kejin.api.inputs import reject_nul
from kejin.api.routes import audit, auth, consents, enterprises, evaluations, fund_portfolio, funds, imports
from kejin.store.db import Database

API_V1 = "/api/v1"
ROUTE_MODULES = (auth, enterprises, imports, evaluations, consents, funds, fund_portfolio, audit)  # under API_V1


@dataclass
class Settings:
    database_url: str | None = None
    max_upload_bytes: int = field(default_factory=lambda: int(float(os.environ.get("KEJIN_MAX_UPLOAD_MB", "20")) * (1 << 20)))
    migrate: bool = True


def _unique_id(route: APIRoute) -> str:
    return f"{route.tags[0] if route.tags else 'default'}-{route.name}"


def api_router() -> APIRouter:
    router = APIRouter(prefix=API_V1, dependencies=[Depends(reject_nul)])
    for module in ROUTE_MODULES:
        router.include_router(module.router)

    @router.get("/health", tags=["meta"])
    def health() -> dict[str, str]:
        """Liveness: the service answers."""
        return {"status": "ok"}

    return router


def create_app(db: Database | None = None, settings: Settings | None = None) -> FastAPI:
    """Build the API app over ``db`` (default: ``KEJIN_DATABASE_URL`` or ``sqlite:///kejin.db``), migrated to head."""
    settings = settings or Settings()
    db = db or Database(settings.database_url)
    if settings.migrate:
        db.migrate()
    app = FastAPI(title="kejin 科金", version="1", description="科技金融平台服务 / the kejin tech-finance service",
                  openapi_url=f"{API_V1}/openapi.json", docs_url=None, redoc_url=None,
                  generate_unique_id_function=_unique_id)
    app.state.db = db
    app.state.settings = settings
    app.state.import_progress = {}
    problems.install(app)
    install_docs_page(app)  # Swagger UI at /docs, its files served here (no CDN)
    app.include_router(api_router())
    return app
