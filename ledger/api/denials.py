"""The audit log of refused requests: ONE structlog line per denial or refused write.

:class:`DenialLog` (pure ASGI, the outermost of the ledger's middlewares, so it also sees the
limits' own answers) watches each response and, when it is one of these, writes one line at
``WARNING`` (on by default):

- ``api.denied``: 401 and 403 on any method, and 404 on a write (an id unknown or outside the
  caller's reach: answered alike, logged alike);
- ``api.refused``: any other 4xx on a write (``POST``, ``PUT``, ``PATCH``, ``DELETE``) but 429
  (rate limits have their own line, ``api.rate_limited``): 422 refused by a rule, 409, 415,
  413, 408, 431, 400.

Members: ``route`` (the route template, ``/v1/learners/{learner_id}``, never the path with its
ids; ``null`` for no route), ``method``, ``status``, ``problem`` (the problem's ``type`` URI, read
from the response), ``sub`` (the verified token's subject when the caller presented a valid
token; never the token), ``client`` (the socket peer, or the forwarded address when the peer is
one of ``trusted_proxies``: :func:`ledger.api.limits.client_address`) and, for a refused token,
``reason``. Nothing else: no body, no query string, no detail (a rule's message may name a
learner), so no personal data.
"""

from __future__ import annotations

import json
import re
from collections.abc import Awaitable, Callable, Iterable, MutableMapping
from typing import Any

import structlog
from starlette.routing import compile_path

__all__ = ["WRITES", "DenialLog", "audit_event"]

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

WRITES = frozenset({"POST", "PUT", "PATCH", "DELETE"})
PROBLEM_MEDIA = b"application/problem+json"
MAX_PROBLEM_BYTES = 16 * 1024
DENIED_REASON = "ledger_denied_reason"
"""Key of the request state where the token check leaves why it refused a token."""

log = structlog.get_logger("ledger.api.audit")


def audit_event(method: str, status: int) -> str | None:
    """The event a response is logged as (``api.denied``, ``api.refused``), or ``None``."""
    if status in (401, 403) or (status == 404 and method in WRITES):
        return "api.denied"
    if method in WRITES and 400 <= status < 500 and status != 429:
        return "api.refused"
    return None


class DenialLog:
    """ASGI middleware writing :func:`audit_event` lines (see the module)."""

    def __init__(self, app: ASGIApp, templates: Callable[[], Iterable[str]] = tuple) -> None:
        """``templates``: the app's route templates (its OpenAPI paths), read when first needed."""
        self.app = app
        self._templates = templates
        self._compiled: list[tuple[re.Pattern[str], str]] | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Pass the request on; log its answer when it is a denial or a refused write."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        seen: dict[str, Any] = {"status": 0, "problem": False, "body": b""}

        async def watch(message: Message) -> None:
            if message["type"] == "http.response.start":
                seen["status"] = message["status"]
                media = dict(message.get("headers", ())).get(b"content-type", b"")
                seen["problem"] = media.startswith(PROBLEM_MEDIA)
            elif (
                message["type"] == "http.response.body"
                and seen["problem"]
                and len(seen["body"]) < MAX_PROBLEM_BYTES
            ):
                seen["body"] += message.get("body", b"")
            await send(message)

        await self.app(scope, receive, watch)
        event = audit_event(scope["method"], seen["status"])
        if event:
            log.warning(event, **self._members(scope, seen["status"], seen["body"]))

    def _members(self, scope: Scope, status: int, body: bytes) -> dict[str, Any]:
        state = scope.get("state") or {}
        principal = state.get("principal")
        client = scope.get("client")
        members = {
            "route": self._template(scope),
            "method": scope["method"],
            "status": status,
            "problem": _problem_type(body),
            "sub": getattr(principal, "subject", None),
            "client": state.get("client_address") or (str(client[0]) if client else None),
        }
        if state.get(DENIED_REASON):
            members["reason"] = state[DENIED_REASON]
        return members

    def _template(self, scope: Scope) -> str | None:
        """The matched route's template; answered before routing: the first template matching."""
        route = scope.get("route")
        if route is not None:
            return str(getattr(route, "path", "")) or None
        if self._compiled is None:  # fixed paths before templated ones (``/a/new`` before ``/a/{id}``)
            ordered = sorted(self._templates(), key=lambda t: (t.count("{"), t))
            self._compiled = [(compile_path(t)[0], t) for t in ordered]
        path = str(scope.get("path", ""))
        return next((t for regex, t in self._compiled if regex.match(path)), None)


def _problem_type(body: bytes) -> str | None:
    try:
        doc = json.loads(body)
    except ValueError:
        return None
    kind = doc.get("type") if isinstance(doc, dict) else None
    return kind if isinstance(kind, str) else None
