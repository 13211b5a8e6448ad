"""What a request handler needs, built once per server process from the composition root.

Writes go through the one :class:`~ledger.application.Ledger` of the process's
:class:`~ledger.bootstrap.Services`, guarded by a lock (its working set is not thread-safe);
with several server processes a concurrent change surfaces as a
:class:`~ledger.domain.errors.ConcurrencyConflict` (HTTP 409, retryable). Reads use the same
event store but rebuild aggregates from their stored events, bypassing the cache, so they
never see a command's in-memory changes before it is saved.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any
from uuid import UUID

from ledger.adapters.identity import SqlIdentityStore
from ledger.adapters.store import EventStoreApp, StoreTarget
from ledger.api.idempotency import IdempotencyStore
from ledger.api.metrics import ApiMetrics
from ledger.api.ratelimit import Budgets, RateLimits, window
from ledger.api.revocations import RevocationList
from ledger.api.tokens import KeyRing, key_dir
from ledger.application import Ledger
from ledger.application.queries import CertificateIndex, CertificateView, CurrentAggregates, replay
from ledger.bootstrap import Services
from ledger.plugins import Readers
from ledger.settings import Settings

TITLE = "Certification ledger API"


@dataclass
class ApiContext:
    """Everything a request handler needs, built once per server process."""

    services: Services
    keys: KeyRing
    idempotency: IdempotencyStore
    limiter: RateLimits
    revocations: RevocationList
    readers: Readers = field(default_factory=Readers)
    metrics: ApiMetrics = field(default_factory=ApiMetrics)
    write_lock: threading.Lock = field(default_factory=threading.Lock)
    extensions: dict[str, Any] = field(default_factory=dict)
    current: CurrentAggregates | None = None
    certificates: CertificateView | None = None

    def __post_init__(self) -> None:
        if self.current is None:
            self.current = CurrentAggregates(self.services.store)
        if self.certificates is None:
            self.certificates = CertificateView(self.services.store)

    @property
    def settings(self) -> Settings:
        """The process's settings."""
        return self.services.settings

    @property
    def target(self) -> StoreTarget:
        """Where the events live."""
        return self.services.target

    @property
    def ledger(self) -> Ledger:
        """The write side."""
        return self.services.ledger

    @property
    def reader(self) -> EventStoreApp:
        """The process's one event store, for reads."""
        return self.services.store

    @property
    def identities(self) -> SqlIdentityStore:
        """The identity store."""
        return self.services.identities

    def index(self) -> CertificateIndex | None:
        """The certificate index a read model plug-in offers, if any."""
        return self.readers.certificates_of(self.reader)

    def lookup(self, aggregate_id: UUID) -> Any:
        """An aggregate as stored (``None`` if unknown): never the write side's working copy."""
        try:
            return replay(self.reader, aggregate_id)
        except Exception:
            return None

    def current_lookup(self, aggregate_id: UUID) -> Any:
        """An aggregate as stored now (``None`` if unknown), from the version-checked cache.

        Only the events after the cached version are read, so a scope check costs the same
        whatever the aggregate's history; call it holding ``current.lock`` (see routes_write).
        """
        assert self.current is not None
        return self.current.get(aggregate_id)

    def head(self) -> int:
        """The last notification id of the store (0 when empty)."""
        return int(self.reader.recorder.max_notification_id() or 0)

    def close(self) -> None:
        """Release connections."""
        self.idempotency.close()
        self.revocations.close()
        self.services.close()


def build_context(services: Services, readers: Readers | None = None) -> ApiContext:
    """The request context over the process's services: key ring, revocations, idempotency, limiter."""
    conf = services.settings
    return ApiContext(
        services=services,
        keys=KeyRing(key_dir(conf.key_directory())),
        idempotency=IdempotencyStore(services.target),
        limiter=RateLimits(
            Budgets(
                address=window(conf.api_public_rate, conf.api_public_burst, conf.api_workers),
                ops=window(conf.api_ops_rate, conf.api_ops_burst, conf.api_workers),
                principal=window(conf.api_principal_rate, conf.api_principal_burst, conf.api_workers),
            )
        ),
        revocations=RevocationList(services.target),
        readers=readers or Readers(),
    )
