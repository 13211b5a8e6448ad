"""RFC 9457 problem details: every error the API returns is ``application/problem+json``.

Members: ``type`` (a URN naming the kind of problem), ``title``, ``status``, ``detail``,
``instance`` (the request path); refusals add ``rule`` and ``article``; conflicts add
``retryable``. The ONE mapping from the error trees (:mod:`ledger.domain.errors`,
:mod:`ledger.adapters.errors`, :mod:`ledger.api.errors`) to HTTP is :data:`PROBLEMS`, first
match wins (most specific first):

=========================== ====== ==============================================
error                       status type
=========================== ====== ==============================================
RuleViolation               422    ``urn:ledger:problem:rule-violation``
ConcurrencyConflict         409    ``urn:ledger:problem:conflict`` (retryable)
OutOfReach (unknown or      404    ``urn:ledger:problem:not-found`` (same body either way)
another tenant's id)
Forbidden                   403    ``urn:ledger:problem:forbidden``
UnknownEntity (in command)  422    ``urn:ledger:problem:unknown-entity``
UnknownEntity (in URL)      404    ``urn:ledger:problem:not-found``
InvalidCommand              422    ``urn:ledger:problem:invalid-command``
ServiceFailure              503    ``urn:ledger:problem:service-unavailable`` (retryable)
TokenError                  401    ``urn:ledger:problem:unauthorized``
any other LedgerError       422    ``urn:ledger:problem:<its code>``
RateLimited                 429    ``urn:ledger:problem:too-many-requests`` (``Retry-After``)
BodyTooLarge                413    ``urn:ledger:problem:payload-too-large``
HeadersTooLarge             431    ``urn:ledger:problem:request-header-fields-too-large``
BodyTimeout                 408    ``urn:ledger:problem:request-timeout`` (connection closed)
MalformedJson               400    ``urn:ledger:problem:malformed-json``
JsonTooDeep                 400    ``urn:ledger:problem:json-too-deep``
JsonTooLarge                400    ``urn:ledger:problem:json-too-large``
=========================== ====== ==============================================

The limits' rows (:mod:`ledger.api.limits`, raised before any rule sees the request) carry French
titles: their readers are the schools' secretaries as much as the integrators.

The framework's own errors are problems too: 404 (no route), 405, 400 (request validation),
415 (a JSON route called with another Content-Type), 500 (logged, no detail).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from http import HTTPStatus
from typing import Any

import structlog
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from ledger.adapters.errors import ServiceFailure
from ledger.api.errors import (
    BodyTimeout,
    BodyTooLarge,
    Forbidden,
    HeadersTooLarge,
    HttpProblem,
    JsonTooDeep,
    JsonTooLarge,
    LimitExceeded,
    MalformedJson,
    OutOfReach,
    RateLimited,
    TokenError,
)
from ledger.domain.errors import (
    ConcurrencyConflict,
    InvalidCommand,
    LedgerError,
    RuleViolation,
    UnknownEntity,
)

__all__ = ["MEDIA_TYPE", "PROBLEMS", "HttpProblem", "Problem", "install", "problem_for", "problem_response"]

MEDIA_TYPE = "application/problem+json"
log = structlog.get_logger("ledger.api")


@dataclass(frozen=True)
class Problem:
    """One row of the mapping: an error class, its status and problem code.

    ``in_url``: the status and code when the error is about an id in the URL of a read.
    ``extra``: members added to the body from the exception.
    """

    error: type[Exception]
    status: int
    code: str | None  # None: the exception's own ``code``
    title: str
    in_url: tuple[int, str] | None = None
    extra: Callable[[Any], dict[str, Any]] | None = None


PROBLEMS: tuple[Problem, ...] = (
    Problem(
        RuleViolation,
        422,
        "rule-violation",
        "Refused by a rule",
        extra=lambda e: {"rule": e.rule, "article": e.article},
    ),
    Problem(ConcurrencyConflict, 409, "conflict", "Concurrent change", extra=lambda e: {"retryable": True}),
    Problem(OutOfReach, 404, "not-found", "Not Found"),
    Problem(Forbidden, 403, "forbidden", "Forbidden"),
    Problem(UnknownEntity, 422, "unknown-entity", "Unknown entity", in_url=(404, "not-found")),
    Problem(InvalidCommand, 422, "invalid-command", "Invalid command"),
    Problem(
        ServiceFailure,
        503,
        "service-unavailable",
        "Service unavailable",
        extra=lambda e: {"retryable": True},
    ),
    Problem(TokenError, 401, "unauthorized", "Authentication required"),
    Problem(LedgerError, 422, None, "Refused"),
    Problem(RateLimited, 429, "too-many-requests", "Trop de requêtes : réessayez plus tard"),
    Problem(BodyTooLarge, 413, "payload-too-large", "Corps de la requête trop volumineux"),
    Problem(
        HeadersTooLarge, 431, "request-header-fields-too-large", "En-têtes de la requête trop volumineux"
    ),
    Problem(BodyTimeout, 408, "request-timeout", "Corps de la requête reçu trop lentement"),
    Problem(MalformedJson, 400, "malformed-json", "Le corps de la requête n'est pas du JSON"),
    Problem(JsonTooDeep, 400, "json-too-deep", "JSON trop profondément imbriqué"),
    Problem(JsonTooLarge, 400, "json-too-large", "JSON comptant trop de valeurs"),
)
_TITLES = {p.code: p.title for p in PROBLEMS if p.code}


def problem_for(exc: Exception, in_url: bool = False) -> tuple[int, str, dict[str, Any]]:
    """The status, problem code and extra members of an exception (first row that matches)."""
    for row in PROBLEMS:
        if isinstance(exc, row.error):
            status, code = row.status, row.code or str(getattr(exc, "code", "error"))
            if in_url and row.in_url:
                status, code = row.in_url
            return status, code, row.extra(exc) if row.extra else {}
    return 500, "internal-error", {}


def problem_body(status: int, code: str, detail: str, instance: str, **extra: Any) -> dict[str, Any]:
    """The JSON members of a problem."""
    return {
        "type": f"urn:ledger:problem:{code}",
        "title": _title(status, code),
        "status": status,
        "detail": detail,
        "instance": instance,
        **extra,
    }


def _title(status: int, code: str) -> str:
    return _TITLES.get(code) or HTTPStatus(status).phrase


def problem_response(
    request: Request, status: int, code: str, detail: str, headers: dict[str, str] | None = None, **extra: Any
) -> JSONResponse:
    """A problem+json response for ``request``."""
    body = problem_body(status, code, detail, request.url.path, **extra)
    return JSONResponse(body, status_code=status, headers=headers, media_type=MEDIA_TYPE)


def ledger_error_response(request: Request, exc: Exception, in_url: bool = False) -> JSONResponse:
    """The problem of an exception of the error trees (see :data:`PROBLEMS`)."""
    status, code, extra = problem_for(exc, in_url)
    headers = {"Retry-After": "5"} if status == 503 else None
    if isinstance(exc, LimitExceeded):
        headers = exc.headers or None
    if status == 503:
        log.warning("api.service_failure", error=type(exc).__name__, path=request.url.path)
    return problem_response(request, status, code, str(exc), headers, **extra)


def install(app: FastAPI) -> None:
    """Register the exception handlers that turn every error into a problem."""

    async def on_problem(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, HttpProblem)
        return problem_response(request, exc.status, exc.code, exc.detail, exc.headers or None, **exc.extra)

    async def on_ledger_error(request: Request, exc: Exception) -> JSONResponse:
        return ledger_error_response(request, exc, in_url=request.method == "GET")

    async def on_http(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, StarletteHTTPException)
        code = HTTPStatus(exc.status_code).phrase.lower().replace(" ", "-")
        return problem_response(
            request, exc.status_code, code, str(exc.detail), dict(exc.headers or {}) or None
        )

    async def on_validation(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, RequestValidationError)
        parts = [f"{'.'.join(str(x) for x in e['loc'])}: {e['msg']}" for e in exc.errors()[:5]]
        return problem_response(request, 400, "bad-request", "; ".join(parts) or "bad request")

    async def on_unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.error("api.internal_error", error=type(exc).__name__, path=request.url.path)
        return problem_response(request, 500, "internal-error", "an unexpected error occurred; it was logged")

    app.add_exception_handler(HttpProblem, on_problem)
    app.add_exception_handler(LedgerError, on_ledger_error)
    app.add_exception_handler(TokenError, on_ledger_error)
    app.add_exception_handler(LimitExceeded, on_ledger_error)
    app.add_exception_handler(StarletteHTTPException, on_http)
    app.add_exception_handler(RequestValidationError, on_validation)
    app.add_exception_handler(Exception, on_unexpected)
