"""The API's composition root: settings read from the environment, and the services built once.

Writes go through one :class:`~ledger.application.Ledger` guarded by a lock (its working set
is not thread-safe); with several server processes a concurrent change surfaces as a
:class:`~ledger.domain.errors.ConcurrencyConflict` (HTTP 409, retryable). Reads use a second
event-store instance without an aggregate cache, so they never see a command's in-memory
changes before it is saved.
"""

from __future__ import annotations

import os
import threading
from dataclasses import dataclass, field
from typing import Any
from uuid import UUID

from ledger.adapters.identity import SqlIdentityStore
from ledger.adapters.store import EventStoreApp, StoreTarget, open_store
from ledger.api.idempotency import IdempotencyStore, _connect
from ledger.api.metrics import ApiMetrics
from ledger.api.ratelimit import RateLimiter
from ledger.api.tokens import KeyRing, key_dir
from ledger.application import Clock, Ledger


@dataclass(frozen=True)
class Settings:
    """Server settings (``LEDGER_*`` environment variables, overridden by CLI flags)."""

    db: str = "ledger.db"
    key_dir: str | None = None
    public_rate: float = 20.0
    public_burst: int = 40
    title: str = "Certification ledger API"

    @classmethod
    def from_env(cls, **overrides: Any) -> Settings:
        """Settings from the environment; ``overrides`` that are not ``None`` win.

        Variables: ``LEDGER_DB``, ``LEDGER_KEY_DIR``, ``LEDGER_API_PUBLIC_RATE``,
        ``LEDGER_API_PUBLIC_BURST``.
        """
        env = os.environ
        base = cls(db=env.get("LEDGER_DB", "ledger.db"), key_dir=env.get("LEDGER_KEY_DIR"),
                   public_rate=float(env.get("LEDGER_API_PUBLIC_RATE", "20")),
                   public_burst=int(env.get("LEDGER_API_PUBLIC_BURST", "40")))
        values = {**base.__dict__, **{k: v for k, v in overrides.items() if v is not None}}
        return cls(**values)


@dataclass
class ApiContext:
    """Everything a request handler needs, built once per server process."""

    settings: Settings
    target: StoreTarget
    ledger: Ledger
    reader: EventStoreApp
    identities: SqlIdentityStore
    keys: KeyRing
    idempotency: IdempotencyStore
    limiter: RateLimiter
    metrics: ApiMetrics = field(default_factory=ApiMetrics)
    write_lock: threading.Lock = field(default_factory=threading.Lock)
    extensions: dict[str, Any] = field(default_factory=dict)

    def lookup(self, aggregate_id: UUID) -> Any:
        """An aggregate as stored (``None`` if unknown): never the write side's working copy."""
        try:
            return self.reader.repository.get(aggregate_id)
        except Exception:
            return None

    def head(self) -> int:
        """The last notification id of the store (0 when empty)."""
        return int(self.reader.recorder.max_notification_id() or 0)

    def close(self) -> None:
        """Release connections."""
        self.idempotency.close()
        self.ledger.store.close()
        self.reader.close()


def build_context(settings: Settings, clock: Clock | None = None) -> ApiContext:
    """Open the stores, the key ring and the idempotency table for ``settings``."""
    target = StoreTarget.parse(settings.db)
    writer = EventStoreApp(env={**_store_env(target), "AGGREGATE_CACHE_FASTFORWARD": "y"})
    reader = EventStoreApp(env={k: v for k, v in _store_env(target).items()
                                if not k.startswith(("AGGREGATE_CACHE", "DEEPCOPY"))})
    identities = SqlIdentityStore(_connect(target), target.placeholder)
    ledger = Ledger(writer, SqlIdentityStore(_connect(target), target.placeholder), clock)
    return ApiContext(settings=settings, target=target, ledger=ledger, reader=reader,
                      identities=identities, keys=KeyRing(key_dir(settings.key_dir)),
                      idempotency=IdempotencyStore(target),
                      limiter=RateLimiter(settings.public_rate, settings.public_burst))


def _store_env(target: StoreTarget) -> dict[str, str]:
    open_store(target).close()  # creates the PostgreSQL schema and the tables when needed
    return target.env()
