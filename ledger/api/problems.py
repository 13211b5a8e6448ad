"""RFC 9457 problem details: every error the API returns is ``application/problem+json``.

Members: ``type`` (a URN naming the kind of problem), ``title``, ``status``, ``detail``,
``instance`` (the request path); refusals add ``rule`` and ``article``; conflicts add
``retryable``. The mapping from the ledger's error tree:

=========================== ====== ==============================================
error                       status type
=========================== ====== ==============================================
RuleViolation               422    ``urn:ledger:problem:rule-violation``
InvalidCommand              422    ``urn:ledger:problem:invalid-command``
UnknownEntity (in command)  422    ``urn:ledger:problem:unknown-entity``
UnknownEntity (in URL)      404    ``urn:ledger:problem:not-found``
ConcurrencyConflict         409    ``urn:ledger:problem:conflict`` (retryable)
Forbidden                   403    ``urn:ledger:problem:forbidden``
OutOfReach (unknown or      404    ``urn:ledger:problem:not-found`` (same body either way)
another tenant's id)
=========================== ====== ==============================================
"""

from __future__ import annotations

from http import HTTPStatus
from typing import Any

import structlog
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from ledger.api.roles import Forbidden, OutOfReach
from ledger.domain.errors import (
    ConcurrencyConflict,
    InvalidCommand,
    LedgerError,
    RuleViolation,
    UnknownEntity,
)

MEDIA_TYPE = "application/problem+json"
log = structlog.get_logger("ledger.api")


class HttpProblem(Exception):
    """An HTTP problem raised by a route: status, a short code and a human detail."""

    def __init__(
        self, status: int, code: str, detail: str, headers: dict[str, str] | None = None, **extra: Any
    ) -> None:
        super().__init__(detail)
        self.status = status
        self.code = code
        self.detail = detail
        self.headers = headers or {}
        self.extra = extra


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
    titles = {
        "rule-violation": "Refused by a rule",
        "invalid-command": "Invalid command",
        "unknown-entity": "Unknown entity",
        "conflict": "Concurrent change",
        "forbidden": "Forbidden",
        "unauthorized": "Authentication required",
    }
    return titles.get(code) or HTTPStatus(status).phrase


def problem_response(
    request: Request, status: int, code: str, detail: str, headers: dict[str, str] | None = None, **extra: Any
) -> JSONResponse:
    """A problem+json response for ``request``."""
    body = problem_body(status, code, detail, request.url.path, **extra)
    return JSONResponse(body, status_code=status, headers=headers, media_type=MEDIA_TYPE)


def ledger_error_response(request: Request, exc: LedgerError, in_url: bool = False) -> JSONResponse:
    """Map the ledger's error tree to a problem (see the module table)."""
    if isinstance(exc, RuleViolation):
        return problem_response(request, 422, "rule-violation", str(exc), rule=exc.rule, article=exc.article)
    if isinstance(exc, ConcurrencyConflict):
        return problem_response(request, 409, "conflict", str(exc), retryable=True)
    if isinstance(exc, OutOfReach):
        return problem_response(request, 404, "not-found", str(exc))
    if isinstance(exc, Forbidden):
        return problem_response(request, 403, "forbidden", str(exc))
    if isinstance(exc, UnknownEntity):
        if in_url:
            return problem_response(request, 404, "not-found", str(exc))
        return problem_response(request, 422, "unknown-entity", str(exc))
    if isinstance(exc, InvalidCommand):
        return problem_response(request, 422, "invalid-command", str(exc))
    return problem_response(request, 422, exc.code, str(exc))


def install(app: FastAPI) -> None:
    """Register the exception handlers that turn every error into a problem."""

    async def on_problem(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, HttpProblem)
        return problem_response(request, exc.status, exc.code, exc.detail, exc.headers or None, **exc.extra)

    async def on_ledger_error(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, LedgerError)
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
    app.add_exception_handler(StarletteHTTPException, on_http)
    app.add_exception_handler(RequestValidationError, on_validation)
    app.add_exception_handler(Exception, on_unexpected)
