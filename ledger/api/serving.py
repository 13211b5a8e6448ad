"""How ``ledger serve`` runs uvicorn: h11 with a header timeout, bounded headers, no proxy trust.

uvicorn closes an idle keep-alive connection after ``timeout_keep_alive`` seconds, but it
has no timeout on a request's headers: a client that opens a connection and sends a header
line now and then (slow loris) would hold it forever. :class:`HeaderTimeoutH11Protocol` closes
a connection whose request line and headers are not complete ``HEADER_TIMEOUT`` seconds after
it was opened or after the previous response (the app's lifespan state carries the setting,
so it reaches every worker process) (h11 also caps them at 16 KiB:
``h11_max_incomplete_event_size``, answered 431/400 by the server). A slow body is cut by
:class:`ledger.api.limits.LimitsMiddleware`.

``proxy_headers`` is off: uvicorn would otherwise trust X-Forwarded-For from 127.0.0.1 by
default; the ledger honours it only from the ``trusted_proxies`` setting
(:func:`ledger.api.limits.client_address`).
"""

from __future__ import annotations

import asyncio
from typing import Any

import h11
from uvicorn.protocols.http.h11_impl import H11Protocol

from ledger.api.limits import MAX_HEADER_BYTES
from ledger.settings import Settings

DEFAULT_HEADER_TIMEOUT = 10.0
HEADER_TIMEOUT_STATE = "ledger_header_timeout"


class HeaderTimeoutH11Protocol(H11Protocol):
    """uvicorn's h11 protocol that closes connections slow to send their request's headers."""

    _header_timer: asyncio.TimerHandle | None = None

    @property
    def header_timeout(self) -> float:
        """``api_header_timeout`` of the app's settings (its lifespan state), default 10 s."""
        return float(self.app_state.get(HEADER_TIMEOUT_STATE, DEFAULT_HEADER_TIMEOUT))

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        """Start the header clock as soon as the connection opens."""
        super().connection_made(transport)
        self._arm()

    def data_received(self, data: bytes) -> None:
        """Stop the clock once the headers are in; restart it when a next request begins."""
        super().data_received(data)
        if self.conn.their_state is h11.IDLE and self.conn.our_state is h11.IDLE:
            if self._header_timer is None:
                self._arm()
        else:
            self._disarm()

    def on_response_complete(self) -> None:
        """Between requests uvicorn's keep-alive timeout applies, not ours."""
        self._disarm()
        super().on_response_complete()

    def connection_lost(self, exc: Exception | None) -> None:
        """Drop the clock with the connection."""
        self._disarm()
        super().connection_lost(exc)

    def _arm(self) -> None:
        self._disarm()
        self._header_timer = self.loop.call_later(self.header_timeout, self._headers_too_slow)

    def _disarm(self) -> None:
        if self._header_timer is not None:
            self._header_timer.cancel()
            self._header_timer = None

    def _headers_too_slow(self) -> None:
        self._header_timer = None
        if self.conn.their_state is h11.IDLE and not self.transport.is_closing():
            self.transport.close()


def uvicorn_options(conf: Settings) -> dict[str, Any]:
    """The keyword arguments ``ledger serve`` gives ``uvicorn.run`` (one worker or several)."""
    return {
        "http": "ledger.api.serving:HeaderTimeoutH11Protocol",
        "timeout_keep_alive": conf.api_keep_alive,
        "h11_max_incomplete_event_size": MAX_HEADER_BYTES,
        "proxy_headers": False,
        "server_header": False,
    }
