"""Rate limits on every route, per client address and per principal (the ``limits`` library).

Three buckets, each a moving window of ``burst`` requests over ``burst / rate`` seconds
(so ``rate`` per second on average, bursts of ``burst``). ``limits`` counts windows in whole
seconds: the window is ``ceil(burst / rate)`` seconds and holds ``max(burst, rate × window)``
requests, so a rate above the burst is honoured (``rate=1000, burst=40``: 1000 per second),
never silently cut down to the burst:

* ``address``: every request but the operations endpoints, keyed by the client address
  (:func:`ledger.api.limits.client_address`: X-Forwarded-For only from ``trusted_proxies``);
* ``ops``: ``/healthz``, ``/readyz``, ``/metrics``, their own bucket: a burst on ``/verify``
  never makes the health checks answer 429;
* ``principal``: every authenticated request, keyed by the token's role, scope and subject
  (one user behind many addresses is still one budget).

Several workers (``ledger serve --workers N``): ``limits``' in-memory storage lives in each
process, so each worker takes ``ceil(burst / N)`` of every burst. The kernel hands each new
connection to one worker, so a client's requests over all workers never exceed the configured
budget (the limit holds as an upper bound); a client on a single keep-alive connection gets
1/N of it — conservative, and no store round trip on the hot path of public verification. A
shared storage (Redis, Memcached: ``limits`` supports them) would give exact budgets at the
cost of a network hop per request; the ledger deploys none, on purpose.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

from limits import RateLimitItem, RateLimitItemPerSecond
from limits.storage import MemoryStorage
from limits.strategies import MovingWindowRateLimiter

OPS_PATHS = frozenset({"/healthz", "/readyz", "/metrics"})


def window(rate: float, burst: int, workers: int = 1) -> RateLimitItem | None:
    """``burst`` requests (this worker's share) per ``burst / rate`` seconds; ``None``: no limit.

    The window lasts whole seconds (``ceil(burst / rate)``, at least 1) and holds at least
    ``rate`` × its length, so the average rate is the configured one even when ``rate > burst``.
    """
    if rate <= 0:
        return None
    seconds = max(1, math.ceil(burst / rate))
    amount = max(burst, math.ceil(rate * seconds))
    share = max(1, math.ceil(amount / workers))
    return RateLimitItemPerSecond(share, seconds)


@dataclass(frozen=True)
class Budgets:
    """The three windows (``None``: that bucket is off)."""

    address: RateLimitItem | None
    ops: RateLimitItem | None
    principal: RateLimitItem | None


class RateLimits:
    """The process's limiter: :meth:`take` a request from a bucket, 0 or seconds to wait."""

    def __init__(self, budgets: Budgets) -> None:
        self.budgets = budgets
        self._limiter = MovingWindowRateLimiter(MemoryStorage())

    def take(self, bucket: str, key: str) -> float:
        """Count one request of ``key`` in ``bucket``: 0 when allowed, else seconds until retry."""
        item: RateLimitItem | None = getattr(self.budgets, bucket)
        if item is None or self._limiter.hit(item, bucket, key):
            return 0.0
        reset, _ = self._limiter.get_window_stats(item, bucket, key)
        return max(0.0, reset - time.time())

    @staticmethod
    def bucket_of(path: str) -> str:
        """``ops`` for the health and metrics endpoints, ``address`` for every other path."""
        return "ops" if path in OPS_PATHS else "address"


def retry_after(wait: float) -> str:
    """The ``Retry-After`` header value (whole seconds, at least 1)."""
    return str(max(1, math.ceil(wait)))
