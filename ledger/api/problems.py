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

Titles, and the ``detail`` of the ledger's own errors (a refusal with its rule's label and its
article written out), follow the request's ``Accept-Language`` (French by default: the schools'
secretaries read them as much as the integrators), through the gettext catalogue
(:mod:`ledger.i18n`); English keeps the errors' own text; the ``type`` URIs, ``rule`` and
``article`` never change with the language, and the response says its language in
``Content-Language``.

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
from ledger.i18n import N_, negotiate, translate
from ledger.i18n import detail as localized_detail

__all__ = [
    "MEDIA_TYPE",
    "PROBLEMS",
    "HttpProblem",
    "Problem",
    "install",
    "problem_body",
    "problem_for",
    "problem_response",
    "request_language",
    "title",
]

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
        N_("Refused by a rule"),
        extra=lambda e: {"rule": e.rule, "article": e.article},
    ),
    Problem(
        ConcurrencyConflict, 409, "conflict", N_("Concurrent change"), extra=lambda e: {"retryable": True}
    ),
    Problem(OutOfReach, 404, "not-found", N_("Not found")),
    Problem(Forbidden, 403, "forbidden", N_("Forbidden")),
    Problem(UnknownEntity, 422, "unknown-entity", N_("Unknown entity"), in_url=(404, "not-found")),
    Problem(InvalidCommand, 422, "invalid-command", N_("Invalid command")),
    Problem(
        ServiceFailure,
        503,
        "service-unavailable",
        N_("Service unavailable"),
        extra=lambda e: {"retryable": True},
    ),
    Problem(TokenError, 401, "unauthorized", N_("Authentication required")),
    Problem(LedgerError, 422, None, N_("Refused")),
    Problem(RateLimited, 429, "too-many-requests", N_("Too many requests: try again later")),
    Problem(BodyTooLarge, 413, "payload-too-large", N_("Request body too large")),
    Problem(HeadersTooLarge, 431, "request-header-fields-too-large", N_("Request headers too large")),
    Problem(BodyTimeout, 408, "request-timeout", N_("Request body received too slowly")),
    Problem(MalformedJson, 400, "malformed-json", N_("The request body is not JSON")),
    Problem(JsonTooDeep, 400, "json-too-deep", N_("JSON nested too deeply")),
    Problem(JsonTooLarge, 400, "json-too-large", N_("JSON with too many values")),
)
_TITLES = {p.code: p.title for p in PROBLEMS if p.code}
# the framework's own errors (no route, wrong method, request validation, media type, crash)
_STATUS_TITLES = {
    400: N_("Bad request"),
    401: N_("Authentication required"),
    403: N_("Forbidden"),
    404: N_("Not found"),
    405: N_("Method not allowed"),
    406: N_("Not acceptable"),
    409: N_("Concurrent change"),
    413: N_("Request body too large"),
    415: N_("Unsupported media type"),
    422: N_("Unprocessable request"),
    500: N_("Internal server error"),
    503: N_("Service unavailable"),
}


def problem_for(exc: Exception, in_url: bool = False) -> tuple[int, str, dict[str, Any]]:
    """The status, problem code and extra members of an exception (first row that matches)."""
    for row in PROBLEMS:
        if isinstance(exc, row.error):
            status, code = row.status, row.code or str(getattr(exc, "code", "error"))
            if in_url and row.in_url:
                status, code = row.in_url
            return status, code, row.extra(exc) if row.extra else {}
    return 500, "internal-error", {}


def problem_body(
    status: int, code: str, detail: str, instance: str, lang: str = "fr", **extra: Any
) -> dict[str, Any]:
    """The JSON members of a problem, its title in ``lang`` (its ``type`` the same in every language)."""
    return {
        "type": f"urn:ledger:problem:{code}",
        "title": title(status, code, lang),
        "status": status,
        "detail": detail,
        "instance": instance,
        **extra,
    }


def title(status: int, code: str, lang: str = "fr") -> str:
    """The title of a problem in ``lang`` (French or English; the status phrase if none is known)."""
    english = _TITLES.get(code) or _STATUS_TITLES.get(status)
    return translate(english, lang) if english else HTTPStatus(status).phrase


def request_language(accept_language: str | None) -> str:
    """The language of a problem for a request's ``Accept-Language`` header (French by default)."""
    return negotiate(accept_language)


def problem_response(
    request: Request, status: int, code: str, detail: str, headers: dict[str, str] | None = None, **extra: Any
) -> JSONResponse:
    """A problem+json response for ``request``, titled in the language it accepts."""
    lang = request_language(request.headers.get("accept-language"))
    body = problem_body(status, code, detail, request.url.path, lang, **extra)
    headers = {**(headers or {}), "Content-Language": lang, "Vary": "Accept-Language"}
    return JSONResponse(body, status_code=status, headers=headers, media_type=MEDIA_TYPE)


def ledger_error_response(request: Request, exc: Exception, in_url: bool = False) -> JSONResponse:
    """The problem of an exception of the error trees (see :data:`PROBLEMS`)."""
    status, code, extra = problem_for(exc, in_url)
    headers = {"Retry-After": "5"} if status == 503 else None
    if isinstance(exc, LimitExceeded):
        headers = exc.headers or None
    if status == 503:
        log.warning("api.service_failure", error=type(exc).__name__, path=request.url.path)
    lang = request_language(request.headers.get("accept-language"))
    return problem_response(request, status, code, localized_detail(exc, lang), headers, **extra)


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
        from ledger.application.registry import field_error
        from ledger.i18n.validation import fields_detail

        fields = [field_error(e) for e in exc.errors()[:5]]
        lang = request_language(request.headers.get("accept-language"))
        return problem_response(request, 400, "bad-request", fields_detail(fields, lang) or "bad request")

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
