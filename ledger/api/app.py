"""The FastAPI application factory: every command and query, health, readiness, metrics, docs."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import structlog
from fastapi import APIRouter, FastAPI, Response
from fastapi.concurrency import run_in_threadpool
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ledger.api import problems
from ledger.api.auth import Caller, Ctx, Public
from ledger.api.context import TITLE, ApiContext, build_context
from ledger.api.denials import DenialLog
from ledger.api.docs import install_docs
from ledger.api.extensions import mount_all
from ledger.api.headers import SecurityHeaders
from ledger.api.limits import LimitsMiddleware, trusted_networks
from ledger.api.metrics import ApiMetrics
from ledger.api.problems import HttpProblem
from ledger.api.routes_read import build_router as read_router
from ledger.api.routes_write import build_router as write_router
from ledger.api.routes_write import commands_openapi
from ledger.application import Clock
from ledger.audit.http import router as tlog_router
from ledger.bootstrap import Services, bootstrap
from ledger.settings import Settings

log = structlog.get_logger("ledger.api")


def create_app(
    settings: Settings | None = None, clock: Clock | None = None, services: Services | None = None
) -> FastAPI:
    """Build the app on ``services``: one event store for the process.

    ``services`` defaults to the composition root on ``settings`` (themselves defaulting to
    the environment).
    """
    ctx = build_context(services or bootstrap(settings or Settings.load(), clock, fast_forward=True))

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[dict[str, Any]]:
        log.info("api.started", store=ctx.target.kind)
        # Read by the server's protocol (ledger.api.serving), per worker process.
        yield {"ledger_header_timeout": ctx.settings.api_header_timeout}
        ctx.close()

    app = FastAPI(
        title=TITLE,
        version="1",
        lifespan=lifespan,
        docs_url=None,
        redoc_url=None,
        description="Record certification decisions (CPU, CléA) and read what the "
        "ledger holds. Errors are RFC 9457 problem details.",
    )
    app.state.ctx = ctx
    problems.install(app)
    app.add_middleware(SecurityHeaders)
    app.add_middleware(Observe, metrics=ctx.metrics)
    app.include_router(system_router())
    app.include_router(write_router())
    app.include_router(read_router())
    mount_all(app, ctx)
    install_docs(app, TITLE)
    # Public c2sp.org/tlog-tiles (CDN-cacheable), under the per-address limit like every route.
    app.include_router(tlog_router(ctx.target, ctx.settings.log_prefix))
    _add_command_components(app)
    _add_limits(app, ctx)
    app.add_middleware(
        DenialLog, templates=lambda: app.openapi()["paths"]
    )  # outermost: sees the limits' answers
    return app


def _add_limits(app: FastAPI, ctx: ApiContext) -> None:
    """The outermost middleware: rate limit per address, streamed body size, body timeout."""
    conf = ctx.settings
    app.add_middleware(
        LimitsMiddleware,
        limits=ctx.limiter,
        trusted=trusted_networks(conf.trusted_proxies),
        max_body=conf.api_max_body,
        body_timeout=conf.api_body_timeout,
        on_limited=ctx.metrics.rate_limited.inc,
    )


def _add_command_components(app: FastAPI) -> None:
    """Publish the command models the ``POST /v1/commands`` body refers to."""
    _, components = commands_openapi()
    generate = app.openapi

    def openapi() -> dict[str, Any]:
        schema = generate()
        schema.setdefault("components", {}).setdefault("schemas", {}).update(components)
        _require_idempotency_key(schema)
        return schema

    app.openapi = openapi  # type: ignore[method-assign]


def _require_idempotency_key(schema: dict[str, Any]) -> None:
    """Mark every ``Idempotency-Key`` header parameter required (the route answers 400 without)."""
    for operations in schema.get("paths", {}).values():
        for operation in operations.values():
            for param in operation.get("parameters", []) if isinstance(operation, dict) else []:
                if param.get("in") == "header" and param.get("name") == "Idempotency-Key":
                    param["required"] = True
                    param.setdefault("description", "a client-chosen id of this write (retry with the same)")


def app_from_env() -> FastAPI:
    """Factory for ``uvicorn --factory ledger.api.app:app_from_env`` (several workers)."""
    from ledger import logs

    settings = Settings.load()
    logs.configure(settings.log_level)
    return create_app(settings)


class Observe:
    """ASGI middleware counting and timing every request by route template.

    Never by raw path: no ids in labels. Plain ASGI, like :class:`SecurityHeaders`.
    """

    def __init__(self, app: ASGIApp, metrics: ApiMetrics) -> None:
        """Wrap ``app``, recording into ``metrics``."""
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Pass the request on; record its status and duration once it has answered."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = [500]

        async def watch(message: Message) -> None:
            if message["type"] == "http.response.start":
                status[0] = int(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, watch)
        finally:
            template = getattr(scope.get("route"), "path", "unmatched")
            method = str(scope["method"])
            self.metrics.requests.labels(method, template, str(status[0])).inc()
            self.metrics.latency.labels(method, template).observe(time.perf_counter() - started)


def system_router() -> APIRouter:
    """Health, readiness, metrics and the caller's own principal."""
    router = APIRouter(tags=["system"])

    @router.get("/healthz", dependencies=[Public], summary="The process is up")
    def healthz() -> dict[str, str]:
        """Liveness: answers as long as the process serves requests."""
        return {"status": "ok"}

    @router.get("/readyz", dependencies=[Public], summary="The store is reachable")
    async def readyz(ctx: Ctx) -> dict[str, Any]:
        """Readiness: the event store answers (503 otherwise)."""
        try:
            head = await run_in_threadpool(ctx.head)
        except Exception as exc:
            log.warning("api.not_ready", error=type(exc).__name__)
            raise HttpProblem(503, "store-unavailable", "the event store is not reachable") from None
        ctx.metrics.head.set(head)
        return {"status": "ready", "head": head, "extensions": ctx.extensions}

    @router.get("/metrics", dependencies=[Public], summary="Prometheus metrics", response_class=Response)
    def metrics(ctx: Ctx) -> Response:
        """Prometheus text exposition (no ids, no personal data)."""
        return Response(generate_latest(ctx.metrics.registry), media_type=CONTENT_TYPE_LATEST)

    @router.get("/v1/me", summary="The caller's role, scope and subject")
    def me(who: Caller) -> dict[str, str]:
        """Who the token says the caller is."""
        return {"role": who.role, "scope": who.scope, "subject": who.subject}

    return router


def endpoints(app: FastAPI) -> list[tuple[str, str]]:
    """Every (method, path template) the app serves, included routers flattened."""
    from fastapi.routing import iter_route_contexts

    out = []
    for route in iter_route_contexts(app.routes):
        for method in sorted(route.methods or ()):
            if method != "HEAD" and route.path:
                out.append((method, route.path))
    return out
