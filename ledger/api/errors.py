"""The HTTP API's own errors, written out in one place (their HTTP mapping: :mod:`ledger.api.problems`).

::

    Exception
    ├── HttpProblem            raised by a route or dependency: status, code, detail, headers
    └── TokenError             a bearer token that cannot be accepted (HTTP 401, exit 2)
    LedgerError (ledger.domain.errors)
    └── Forbidden              the principal may not do this (HTTP 403)
        └── OutOfReach         unknown or another tenant's id: answered alike (HTTP 404)
"""

from __future__ import annotations

from typing import Any

from ledger.domain.errors import LedgerError

__all__ = ["Forbidden", "HttpProblem", "OutOfReach", "TokenError"]


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


class TokenError(Exception):
    """A token that cannot be accepted (malformed, unknown key, bad signature, expired, revoked)."""


class Forbidden(LedgerError):
    """The principal may not do this (HTTP 403); nothing was written."""

    code = "forbidden"


class OutOfReach(Forbidden):
    """An aggregate that does not exist or is outside the principal's scope (HTTP 404).

    Both cases answer alike (same status, same body), so a probe learns nothing of other
    tenants' ids; the message names only what the caller sent.
    """

    code = "not-found"

    def __init__(self, kind: str, ident: object) -> None:
        super().__init__(f"no {kind} {ident} within your scope")
