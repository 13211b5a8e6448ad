"""The HTTP API's own errors, written out in one place (their HTTP mapping: :mod:`ledger.api.problems`).

::

    Exception
    ├── HttpProblem            raised by a route or dependency: status, code, detail, headers
    ├── TokenError             a bearer token that cannot be accepted (HTTP 401, exit 2)
    └── LimitExceeded          a request over one of the server's limits (:mod:`ledger.api.limits`)
        ├── RateLimited        too many requests from an address or principal (HTTP 429)
        ├── BodyTooLarge       body over ``api_max_body`` bytes, declared or streamed (HTTP 413)
        ├── HeadersTooLarge    header block over 16 KiB (HTTP 431)
        ├── BodyTimeout        body not in within ``api_body_timeout`` seconds (HTTP 408)
        └── BadJson            the body's JSON cannot be accepted (HTTP 400)
            ├── MalformedJson  not JSON at all
            ├── JsonTooDeep    nested deeper than ``api_max_json_depth``
            └── JsonTooLarge   more than ``api_max_json_values`` values
    LedgerError (ledger.domain.errors)
    └── Forbidden              the principal may not do this (HTTP 403)
        └── OutOfReach         unknown or another tenant's id: answered alike (HTTP 404)
"""

from __future__ import annotations

from typing import Any

from ledger.domain.errors import LedgerError

__all__ = [
    "BadJson",
    "BodyTimeout",
    "BodyTooLarge",
    "Forbidden",
    "HeadersTooLarge",
    "HttpProblem",
    "JsonTooDeep",
    "JsonTooLarge",
    "LimitExceeded",
    "MalformedJson",
    "OutOfReach",
    "RateLimited",
    "TokenError",
]


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
        self.kind, self.ident = kind, ident


class LimitExceeded(Exception):
    """A request over one of the server's limits; status, type and title: its row of ``PROBLEMS``.

    ``headers``: added to the problem response (``Retry-After``, ``Connection: close``).
    """

    def __init__(self, detail: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(detail)
        self.detail = detail
        self.headers = headers or {}


class RateLimited(LimitExceeded):
    """Too many requests from one client address or one principal (429, ``Retry-After``)."""

    def __init__(self, retry_after: str) -> None:
        super().__init__("rate limit exceeded; retry later", {"Retry-After": retry_after})


class BodyTooLarge(LimitExceeded):
    """The body passed ``api_max_body`` bytes (declared or streamed)."""

    def __init__(self, limit: int) -> None:
        super().__init__(f"a request body is at most {limit} bytes")


class HeadersTooLarge(LimitExceeded):
    """The request's header block is over the server's limit."""

    def __init__(self, limit: int) -> None:
        super().__init__(f"the request's headers are at most {limit} bytes")


class BodyTimeout(LimitExceeded):
    """The body did not arrive within ``api_body_timeout`` seconds (the connection is closed)."""

    def __init__(self, seconds: float) -> None:
        super().__init__(f"the request body must arrive within {seconds:g} s", {"Connection": "close"})


class BadJson(LimitExceeded):
    """A body whose JSON cannot be accepted."""


class MalformedJson(BadJson):
    """The body is not JSON."""

    def __init__(self, reason: str) -> None:
        super().__init__(f"the body is not JSON: {reason}")


class JsonTooDeep(BadJson):
    """JSON nested deeper than ``api_max_json_depth``."""

    def __init__(self, limit: int) -> None:
        super().__init__(f"JSON may nest at most {limit} levels")


class JsonTooLarge(BadJson):
    """JSON with more than ``api_max_json_values`` values."""

    def __init__(self, limit: int) -> None:
        super().__init__(f"JSON may hold at most {limit} values")
