"""The API documentation pages (Swagger UI at ``/docs``, ReDoc at ``/redoc``), served offline.

The pages load their scripts and styles from ``/docs/assets/`` — files of the pinned npm
packages ``swagger-ui-dist`` and ``redoc`` copied into :data:`ASSETS` by
``deploy/node/ensure.sh`` (not committed) — never from a CDN. Each page carries a
Content-Security-Policy naming its inline scripts by hash (:func:`ledger.api.headers.docs_csp`):
no ``'unsafe-inline'`` script; ReDoc's page alone allows inline *styles* (its styled-components
write ``<style>`` elements and take no nonce from outside the bundle). Without the assets the
pages answer a 503 problem naming the install step.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, FastAPI
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html, get_swagger_ui_oauth2_redirect_html
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

from ledger.api.auth import Public
from ledger.api.errors import HttpProblem
from ledger.api.headers import docs_csp

__all__ = ["ASSETS", "ASSET_FILES", "install_docs"]

ASSETS = Path(__file__).with_name("docs_assets")
ASSET_FILES = ("swagger-ui-bundle.js", "swagger-ui.css", "redoc.standalone.js", "favicon-32x32.png")
PREFIX = "/docs/assets"


def install_docs(app: FastAPI, title: str, assets: Path = ASSETS) -> None:
    """Serve ``/docs``, ``/docs/oauth2-redirect``, ``/redoc`` and their assets on ``app``.

    The app must be built with ``docs_url=None, redoc_url=None`` (FastAPI's own pages load
    from a CDN).
    """
    app.mount(PREFIX, StaticFiles(directory=assets, check_dir=False), name="docs-assets")
    app.include_router(docs_router(title, assets, app.openapi_url or "/openapi.json"))


def docs_router(title: str, assets: Path, openapi_url: str) -> APIRouter:
    """The three HTML pages, each with its own CSP."""
    router = APIRouter(include_in_schema=False, dependencies=[Public])
    favicon = f"{PREFIX}/favicon-32x32.png"

    @router.get("/docs")
    def swagger_ui() -> HTMLResponse:
        _require(assets)
        return _with_csp(
            get_swagger_ui_html(
                openapi_url=openapi_url,
                title=f"{title} — Swagger UI",
                swagger_js_url=f"{PREFIX}/swagger-ui-bundle.js",
                swagger_css_url=f"{PREFIX}/swagger-ui.css",
                swagger_favicon_url=favicon,
                oauth2_redirect_url="/docs/oauth2-redirect",
            )
        )

    @router.get("/docs/oauth2-redirect")
    def oauth2_redirect() -> HTMLResponse:
        return _with_csp(get_swagger_ui_oauth2_redirect_html())

    @router.get("/redoc")
    def redoc() -> HTMLResponse:
        _require(assets)
        return _with_csp(
            get_redoc_html(
                openapi_url=openapi_url,
                title=f"{title} — ReDoc",
                redoc_js_url=f"{PREFIX}/redoc.standalone.js",
                redoc_favicon_url=favicon,
                with_google_fonts=False,
            ),
            inline_styles=True,
        )

    return router


def _require(assets: Path) -> None:
    missing = [name for name in ASSET_FILES if not (assets / name).is_file()]
    if missing:
        raise HttpProblem(
            503,
            "docs-assets-missing",
            f"documentation assets not installed ({', '.join(missing)}): run deploy/node/ensure.sh",
        )


def _with_csp(page: HTMLResponse, inline_styles: bool = False) -> HTMLResponse:
    page.headers["Content-Security-Policy"] = docs_csp(bytes(page.body), inline_styles)
    return page
