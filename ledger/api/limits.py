"""Request limits: body size while streaming, body-read timeout, JSON depth and size, rate limits.

:class:`LimitsMiddleware` (pure ASGI, outermost but for the server's own error handling):

1. counts the request against the client address's bucket (:mod:`ledger.api.ratelimit`;
   health and metrics in their own bucket): 429 ``too-many-requests`` with ``Retry-After``;
2. refuses a header block over 16 KiB (431; the server's protocol only bounds an *incomplete* one) and a
   declared ``Content-Length`` over ``api_max_body`` before reading a byte (413);
3. wraps ``receive``: counts the bytes as they stream in (413 :class:`BodyTooLarge` as soon as
   the limit is passed, never after reading the whole body) and gives the whole body
   ``api_body_timeout`` seconds (408 :class:`BodyTimeout`: a slow-loris body is cut).

:func:`loads_limited` parses a JSON body and refuses one nested deeper than
``api_max_json_depth`` or holding more than ``api_max_json_values`` values (400
:class:`JsonTooDeep`, :class:`JsonTooLarge`) before any model, hash or rule sees it.

Headers are bounded by the server (:mod:`ledger.api.serving`: a 64 KiB bound on an
incomplete block, a header timeout, uvicorn's keep-alive timeout).
"""

from __future__ import annotations

import asyncio
import ipaddress
import json
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

import orjson
import structlog

from ledger.api.errors import (
    BodyTimeout,
    BodyTooLarge,
    HeadersTooLarge,
    JsonTooDeep,
    JsonTooLarge,
    LimitExceeded,
    MalformedJson,
    RateLimited,
)
from ledger.api.problems import problem_body, problem_for, request_language
from ledger.api.ratelimit import RateLimits, retry_after

__all__ = [
    "BodyTimeout",
    "BodyTooLarge",
    "HeadersTooLarge",
    "JsonTooDeep",
    "JsonTooLarge",
    "LimitsMiddleware",
    "MalformedJson",
    "check_shape",
    "client_address",
    "loads_limited",
    "trusted_networks",
]

log = structlog.get_logger("ledger.api.limits")

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]
Network = ipaddress.IPv4Network | ipaddress.IPv6Network
MAX_HEADER_BYTES = 16 * 1024


def loads_limited(data: bytes, max_depth: int = 32, max_values: int = 100_000) -> Any:
    """Parse ``data`` as JSON, refusing what is malformed, too deep or too large (all 400).

    orjson parses (in C, itself refusing more than 1,024 levels), then an iterative walk —
    no recursion, so no ``RecursionError`` whatever the input — checks depth and value count.
    """
    try:
        doc = orjson.loads(data)
    except orjson.JSONDecodeError as exc:
        if "depth" in str(exc).lower() or "recursion" in str(exc).lower():
            raise JsonTooDeep(max_depth) from None
        raise MalformedJson(str(exc)) from None
    check_shape(doc, max_depth, max_values)
    return doc


def check_shape(doc: Any, max_depth: int, max_values: int) -> None:
    """Raise :class:`JsonTooDeep` / :class:`JsonTooLarge` for an already parsed document."""
    stack: list[tuple[Any, int]] = [(doc, 1)]
    seen = 0
    while stack:
        value, depth = stack.pop()
        seen += 1
        if seen > max_values:
            raise JsonTooLarge(max_values)
        if isinstance(value, dict):
            children: Any = value.values()
        elif isinstance(value, list):
            children = value
        else:
            continue
        if depth >= max_depth and children:
            raise JsonTooDeep(max_depth)
        stack.extend((child, depth + 1) for child in children)


def trusted_networks(spec: str) -> tuple[Network, ...]:
    """The ``trusted_proxies`` setting parsed (comma-separated addresses or CIDR blocks)."""
    return tuple(ipaddress.ip_network(p.strip(), strict=False) for p in spec.split(",") if p.strip())


def _is_in(address: str, networks: tuple[Network, ...]) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in net for net in networks)


def client_address(scope: Scope, trusted: tuple[Network, ...]) -> str:
    """The client's address: the peer, or an X-Forwarded-For hop when the peer is trusted.

    Behind a trusted proxy: the right-most X-Forwarded-For entry that is not itself a
    trusted proxy.

    The server must not rewrite the peer itself (``ledger serve`` runs uvicorn with
    ``proxy_headers=False``): a forged X-Forwarded-For from an untrusted peer changes nothing.
    """
    client = scope.get("client")
    peer = str(client[0]) if client else "unknown"
    if not trusted or not _is_in(peer, trusted):
        return peer
    forwarded = [
        part.strip()
        for name, value in scope.get("headers", ())
        if name == b"x-forwarded-for"
        for part in value.decode("latin-1").split(",")
    ]
    for hop in reversed(forwarded):
        if not _is_in(hop, trusted):
            return hop if _valid_ip(hop) else peer
    return forwarded[0] if forwarded and _valid_ip(forwarded[0]) else peer


def _valid_ip(text: str) -> bool:
    try:
        ipaddress.ip_address(text)
    except ValueError:
        return False
    return True


class LimitsMiddleware:
    """Rate limit per client address, body size while streaming, body-read timeout (ASGI)."""

    def __init__(
        self,
        app: ASGIApp,
        limits: RateLimits,
        trusted: tuple[Network, ...] = (),
        max_body: int = 1_048_576,
        body_timeout: float = 30.0,
        on_limited: Callable[[], None] | None = None,
    ) -> None:
        self.app = app
        self.limits = limits
        self.trusted = trusted
        self.max_body = max_body
        self.body_timeout = body_timeout
        self.on_limited = on_limited

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Apply the limits to an HTTP request; pass anything else through."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        address = client_address(scope, self.trusted)
        scope.setdefault("state", {})["client_address"] = address
        wait = self.limits.take(RateLimits.bucket_of(scope["path"]), address)
        if wait:
            if self.on_limited:
                self.on_limited()
            log.info("api.rate_limited", route=scope["path"], client=address, bucket="address")
            await _problem(scope, send, RateLimited(retry_after(wait)))
            return
        if sum(len(k) + len(v) + 4 for k, v in scope.get("headers", ())) > MAX_HEADER_BYTES:
            await _problem(scope, send, HeadersTooLarge(MAX_HEADER_BYTES), close=True)
            return
        declared = _content_length(scope)
        if declared is not None and declared > self.max_body:
            await _problem(scope, send, BodyTooLarge(self.max_body), close=True)
            return
        meter = _Meter(self.max_body, self.body_timeout, receive)
        started = False

        async def guarded_send(message: Message) -> None:
            nonlocal started
            if meter.tripped is not None:
                return  # the app's own answer to the cut body is replaced by ours
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, meter.receive, guarded_send)
        except Exception:
            if meter.tripped is None or started:
                raise
        if meter.tripped is not None and not started:
            await _problem(scope, send, meter.tripped, close=True)


class _Meter:
    """``receive`` counting body bytes against a limit and a deadline for the whole body.

    Past either, it raises (so the app stops reading) and remembers the problem: the
    middleware answers it, whatever the app or an inner middleware made of the exception.
    """

    def __init__(self, max_body: int, timeout: float, receive: Receive) -> None:
        self.max_body = max_body
        self.timeout = timeout
        self._receive = receive
        self._deadline = asyncio.get_running_loop().time() + timeout
        self.received = 0
        self.tripped: LimitExceeded | None = None

    async def receive(self) -> Message:
        """The next message, or :class:`BodyTooLarge` / :class:`BodyTimeout`."""
        if self.tripped is not None:
            raise self.tripped
        left = self._deadline - asyncio.get_running_loop().time()
        try:
            message = await asyncio.wait_for(self._receive(), timeout=max(left, 0.001))
        except TimeoutError:
            self.tripped = BodyTimeout(self.timeout)
            raise self.tripped from None
        if message["type"] == "http.request":
            self.received += len(message.get("body", b""))
            if self.received > self.max_body:
                self.tripped = BodyTooLarge(self.max_body)
                raise self.tripped
        return message


def _content_length(scope: Scope) -> int | None:
    for name, value in scope.get("headers", ()):
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None


def _header(scope: Scope, name: bytes) -> str | None:
    """A request header's value (latin-1), or None."""
    for key, value in scope.get("headers", ()):
        if key.lower() == name:
            return bytes(value).decode("latin-1")
    return None


async def _problem(scope: Scope, send: Send, exc: LimitExceeded, close: bool = False) -> None:
    """Answer ``exc`` as problem+json straight from the middleware (its row of ``PROBLEMS``)."""
    status, code, _ = problem_for(exc)
    lang = request_language(_header(scope, b"accept-language"))
    body = json.dumps(problem_body(status, code, exc.detail, scope.get("path", ""), lang)).encode()
    headers = [
        (b"content-type", b"application/problem+json"),
        (b"content-language", lang.encode()),
        (b"vary", b"Accept-Language"),
        (b"content-length", str(len(body)).encode()),
        *((k.lower().encode(), v.encode()) for k, v in exc.headers.items() if k.lower() != "connection"),
    ]
    if close:
        headers.append((b"connection", b"close"))
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})
