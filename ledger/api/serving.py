"""How ``ledger serve`` runs uvicorn: httptools with a header timeout, bounded headers, no proxy trust.

uvicorn closes an idle keep-alive connection after ``timeout_keep_alive`` seconds, but it
has no timeout on a request's headers: a client that opens a connection and sends a header
line now and then (slow loris) would hold it forever. :class:`HeaderTimeoutHttpToolsProtocol`
(httptools parses in C: less CPU per request than h11) closes a connection whose request
line and headers are not complete ``HEADER_TIMEOUT`` seconds after it was opened or after
the previous response (the app's lifespan state carries the setting, so it reaches every
worker process). A complete header block over 16 KiB is answered 431 by
:class:`ledger.api.limits.LimitsMiddleware`; one still incomplete past
:data:`MAX_INCOMPLETE_HEADER_BYTES` is cut with a 400. A slow body is cut by
:class:`ledger.api.limits.LimitsMiddleware`.

``proxy_headers`` is off: uvicorn would otherwise trust X-Forwarded-For from 127.0.0.1 by
default; the ledger honours it only from the ``trusted_proxies`` setting
(:func:`ledger.api.limits.client_address`).
"""

from __future__ import annotations

import asyncio
from typing import Any

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from ledger.api.limits import MAX_HEADER_BYTES
from ledger.settings import Settings

DEFAULT_HEADER_TIMEOUT = 10.0
HEADER_TIMEOUT_STATE = "ledger_header_timeout"
MAX_INCOMPLETE_HEADER_BYTES = 4 * MAX_HEADER_BYTES
"""Bytes of request line and headers one request may send before its block is cut (400)."""


class HeaderTimeoutHttpToolsProtocol(HttpToolsProtocol):
    """uvicorn's httptools protocol that closes connections slow to send their request's headers.

    The clock starts when the connection opens and when a next request's first byte arrives,
    and stops once the headers are complete; between requests uvicorn's keep-alive timeout
    applies. The request line and headers are also bounded in bytes while they stream in.
    """

    _header_timer: asyncio.TimerHandle | None = None
    _header_bytes = 0

    @property
    def header_timeout(self) -> float:
        """``api_header_timeout`` of the app's settings (its lifespan state), default 10 s."""
        return float(self.app_state.get(HEADER_TIMEOUT_STATE, DEFAULT_HEADER_TIMEOUT))

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        """Start the header clock as soon as the connection opens."""
        super().connection_made(transport)
        self._arm()

    def on_message_begin(self) -> None:
        """A request begins: its header bytes count from zero; the clock runs if it was not."""
        super().on_message_begin()
        self._header_bytes = 0
        if self._header_timer is None:
            self._arm()

    def on_url(self, url: bytes) -> None:
        """Count the request line's bytes."""
        self._count(len(url))
        super().on_url(url)

    def on_header(self, name: bytes, value: bytes) -> None:
        """Count each header's bytes."""
        self._count(len(name) + len(value))
        super().on_header(name, value)

    def on_headers_complete(self) -> None:
        """The headers are in: stop the clock."""
        self._disarm()
        super().on_headers_complete()

    def on_response_complete(self) -> None:
        """Between requests uvicorn's keep-alive timeout applies, not ours."""
        self._disarm()
        super().on_response_complete()

    def connection_lost(self, exc: Exception | None) -> None:
        """Drop the clock with the connection."""
        self._disarm()
        super().connection_lost(exc)

    def _count(self, size: int) -> None:
        self._header_bytes += size
        if self._header_bytes > MAX_INCOMPLETE_HEADER_BYTES:
            # raised inside httptools' callback: uvicorn answers 400 and closes
            raise ValueError("request header block too large")

    def _arm(self) -> None:
        self._disarm()
        self._header_timer = self.loop.call_later(self.header_timeout, self._headers_too_slow)

    def _disarm(self) -> None:
        if self._header_timer is not None:
            self._header_timer.cancel()
            self._header_timer = None

    def _headers_too_slow(self) -> None:
        self._header_timer = None
        if not self.transport.is_closing():
            self.transport.close()


def uvicorn_options(conf: Settings) -> dict[str, Any]:
    """The keyword arguments ``ledger serve`` gives ``uvicorn.run`` (one worker or several)."""
    return {
        "http": "ledger.api.serving:HeaderTimeoutHttpToolsProtocol",
        "timeout_keep_alive": conf.api_keep_alive,
        "proxy_headers": False,
        "server_header": False,
    }
