"""The interactive API documentation page (Swagger UI) at ``/docs``, served whole by the service.

FastAPI's own page loads Swagger UI's script and style from a public CDN, which a machine without
internet access (or a browser behind a bureau's firewall) cannot reach: the page stays blank. Here
the same page takes them from the ``fastapi-swagger`` package (Swagger UI 5, which reads the
OpenAPI 3.1 document FastAPI writes), installed with kejin and served under ``/docs-assets``.
"""

from __future__ import annotations

from importlib import resources

from fastapi import FastAPI
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

ASSETS = "/docs-assets"


def install_docs_page(app: FastAPI, path: str = "/docs") -> None:
    """Serve Swagger UI for ``app.openapi_url`` at ``path``, its files from this service only."""
    assets = resources.files("fastapi_swagger") / "resources"
    app.mount(ASSETS, StaticFiles(directory=str(assets)), name="docs-assets")

    @app.get(path, include_in_schema=False)
    def docs_page() -> HTMLResponse:
        return get_swagger_ui_html(
            openapi_url=str(app.openapi_url),
            title=f"{app.title} — API 文档 / API docs",
            swagger_js_url=f"{ASSETS}/swagger-ui-bundle.js",
            swagger_css_url=f"{ASSETS}/swagger-ui.css",
            swagger_favicon_url=f"{ASSETS}/favicon-32x32.png",
        )
