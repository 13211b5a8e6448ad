"""The one composition root: settings in, services out (the CLI, the API and the tests use it).

:func:`bootstrap` opens ONE event store for the process and builds the identity store and the
:class:`~ledger.application.Ledger` on it; the other services (the integrity log, the key
stores, the credential issuer's configuration, the token key ring) are built from the same
:class:`~ledger.settings.Settings` by the functions below, so every key directory resolves the
same way (:meth:`Settings.key_directory`).

:func:`bootstrap_memory` composes the same ledger in memory (eventsourcing's POPO recorder,
the identity store's fake, the log key store's fake) for domain and application unit tests.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ledger.adapters.errors import StoreUnavailable
from ledger.adapters.identity import MemoryIdentityStore, SqlIdentityStore, index_key, key_encryption_key
from ledger.adapters.keys import LogKeyStore, MemoryLogKeyStore
from ledger.adapters.store import EventStoreApp, StoreTarget, open_store
from ledger.adapters.target import DEFAULT_CACHE_SIZE
from ledger.application import Clock, Ledger
from ledger.application.registry import CommandRegistry
from ledger.audit.log import AuditLog
from ledger.credentials.issuers import DEFAULT_ISSUER_DID, DEFAULT_PUBLIC_URL, IssuerConfig, IssuerKeyStore
from ledger.domain.errors import LedgerError
from ledger.settings import Settings


@dataclass
class Services:
    """What one process works with: its settings, its one event store and the ledger on it."""

    settings: Settings
    target: StoreTarget
    store: EventStoreApp
    identities: SqlIdentityStore
    ledger: Ledger
    key_dir: Path
    _closers: list[Any] = field(default_factory=list)

    def connect(self) -> Any:
        """A new DB-API connection to the store's database (closed with the services)."""
        conn = self.target.connect()
        self._closers.append(conn)
        return conn

    def close(self) -> None:
        """Release the store's connections."""
        for closer in self._closers:
            closer.close()
        self._closers.clear()
        self.store.close()


def redact(location: str) -> str:
    """Hide a password in a database URL."""
    if "://" in location and "@" in location:
        scheme, rest = location.split("://", 1)
        creds, host = rest.rsplit("@", 1)
        return f"{scheme}://{creds.split(':', 1)[0]}:***@{host}"
    return location


def migrate_all(conn: Any, placeholder: str) -> dict[str, list[int]]:
    """Run every migration chain of the ledger's non-rebuildable tables (autocommit ``conn``).

    ``ledger`` (idempotency, identity, token revocations), ``credentials`` (status bits),
    ``integrity`` (checkpoints), and ``events`` (the certificate index) once the event store's
    table exists; the consumers' chain runs when a consumer starts. Returns the
    versions applied now, per chain.
    """
    from ledger.adapters.migrations import MIGRATIONS, migrate, migrate_events
    from ledger.audit.log import MIGRATIONS as INTEGRITY
    from ledger.credentials.statusstore import MIGRATIONS as CREDENTIALS

    chains = {"ledger": MIGRATIONS, "credentials": CREDENTIALS, "integrity": INTEGRITY}
    done = {name: migrate(conn, placeholder, name, steps) for name, steps in chains.items()}
    events = migrate_events(conn, placeholder)
    if events is not None:
        done["events"] = events
    return done


def bootstrap(
    settings: Settings,
    clock: Clock | None = None,
    registry: CommandRegistry | None = None,
    fast_forward: bool = False,
) -> Services:
    """Open the store named by ``settings`` and compose the ledger on it.

    ``fast_forward`` keeps cached aggregates current with writes of other processes (the API
    server, which runs beside other writers). Raises :class:`StoreUnavailable`.
    """
    target = settings.target()
    key_dir = settings.key_directory()
    try:
        store = open_store(target, settings.cache_size)
        if fast_forward:
            store.repository.fastforward = True
        conn = target.connect(threads=True)
        migrate_all(conn, target.placeholder)
        identities = SqlIdentityStore(
            conn, target.placeholder, key_encryption_key(key_dir), index_key(key_dir)
        )
    except LedgerError:
        raise
    except Exception as exc:
        raise StoreUnavailable(f"cannot open the store {redact(settings.db)}: {exc}") from exc
    services = Services(
        settings, target, store, identities, Ledger(store, identities, clock, registry), key_dir
    )
    services._closers.append(conn)
    return services


@dataclass
class MemoryServices:
    """The in-memory composition: a POPO event store, fake identity and log key stores."""

    store: EventStoreApp
    identities: MemoryIdentityStore
    log_keys: MemoryLogKeyStore
    ledger: Ledger

    def close(self) -> None:
        """Release the store (nothing outlives the process)."""
        self.store.close()


def bootstrap_memory(
    clock: Clock | None = None, registry: CommandRegistry | None = None, cache_size: int = DEFAULT_CACHE_SIZE
) -> MemoryServices:
    """Compose the ledger in memory: same application, rules and mapper, no file and no key.

    Events still go through the ledger's mapper (serialised and read back), so a replay from
    the in-memory recorder exercises the stored form as the SQL adapters do.
    """
    env = {
        "PERSISTENCE_MODULE": "eventsourcing.popo",
        "AGGREGATE_CACHE_MAXSIZE": str(cache_size),
        "AGGREGATE_CACHE_FASTFORWARD": "n",
        "DEEPCOPY_FROM_AGGREGATE_CACHE": "n",
    }
    store = EventStoreApp(env=env)
    identities = MemoryIdentityStore()
    return MemoryServices(store, identities, MemoryLogKeyStore(), Ledger(store, identities, clock, registry))


def log_keys(settings: Settings) -> LogKeyStore:
    """The integrity log's signing keys (in the settings' key directory)."""
    return LogKeyStore(settings.key_directory())


def audit_log(services: Services) -> AuditLog:
    """The integrity log over the services' store, with the settings' keys and origin."""
    return AuditLog(
        services.target, services.store, keys=log_keys(services.settings), origin=services.settings.origin
    )


def issuer_config(settings: Settings, recording: Any = None) -> IssuerConfig:
    """The credential issuer's configuration: keys, issuer DID, public URL, the log's proofs."""
    return IssuerConfig(
        IssuerKeyStore(settings.key_directory()),
        settings.issuer_did or DEFAULT_ISSUER_DID,
        settings.public_url or DEFAULT_PUBLIC_URL,
        recording,
    )
