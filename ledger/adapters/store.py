"""Event store adapter: eventsourcing application with a pydantic mapper, on SQLite or PostgreSQL.

The store location is a SQLite file path (the default, ``ledger.db``) or a ``postgresql://``
URL. Stored event topics are module paths: moving an event class needs ``register_topic``.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote, urlparse
from uuid import UUID

import orjson
from eventsourcing.application import Application
from eventsourcing.persistence import Mapper, StoredEvent, Transcoder
from eventsourcing.utils import get_topic, resolve_topic

from ledger.application.queries import iter_notifications
from ledger.domain.errors import InvalidCommand

__all__ = ["EventStoreApp", "PydanticMapper", "StoreTarget", "iter_notifications", "open_store"]


DEFAULT_CACHE_SIZE = 20_000
"""Aggregates kept in the event store's cache by default (``LEDGER_CACHE_SIZE``)."""


class OrjsonTranscoder(Transcoder):
    """Encodes event state as compact JSON with orjson."""

    def encode(self, obj: Any) -> bytes:
        """Encode a JSON-compatible object."""
        return orjson.dumps(obj)

    def decode(self, data: bytes) -> Any:
        """Decode bytes to a JSON-compatible object."""
        return orjson.loads(data)


class PydanticMapper(Mapper[UUID]):
    """Maps pydantic events to stored events and back, with class-version upcasting."""

    def to_stored_event(self, domain_event: Any) -> StoredEvent:
        """Serialise an event (JSON mode) without its id and version."""
        state = domain_event.model_dump(mode="json", exclude={"originator_id", "originator_version"})
        class_version = getattr(type(domain_event), "class_version", 1)
        if class_version > 1:
            state["class_version"] = class_version
        return StoredEvent(
            originator_id=domain_event.originator_id,
            originator_version=domain_event.originator_version,
            topic=get_topic(type(domain_event)),
            state=self.transcoder.encode(state),
        )

    def to_domain_event(self, stored_event: StoredEvent) -> Any:
        """Rebuild (and upcast) an event from its stored form."""
        cls = resolve_topic(stored_event.topic)
        state = self.transcoder.decode(stored_event.state)
        upcast(cls, state)
        return cls(
            originator_id=stored_event.originator_id,
            originator_version=stored_event.originator_version,
            **state,
        )


def upcast(cls: type[Any], state: dict[str, Any]) -> None:
    """Apply ``upcast_vN_vN+1`` static methods up to the class's ``class_version``."""
    target = getattr(cls, "class_version", 1)
    current = state.pop("class_version", 1)
    while current < target:
        getattr(cls, f"upcast_v{current}_v{current + 1}")(state)
        current += 1


class EventStoreApp(Application[UUID]):
    """The eventsourcing application holding every ledger aggregate."""

    name = "ledger"

    def construct_mapper(self) -> Mapper[UUID]:
        """Use the pydantic mapper with orjson."""
        return PydanticMapper(transcoder=OrjsonTranscoder())


@dataclass(frozen=True, slots=True)
class StoreTarget:
    """Where the events live: a SQLite file or a PostgreSQL database."""

    kind: str
    sqlite_path: Path | None = None
    pg: dict[str, str] | None = None
    schema: str = ""

    @classmethod
    def parse(cls, location: str) -> StoreTarget:
        """Parse ``--db``: a file path, or a ``postgresql://user:pw@host:port/db`` URL."""
        if location.startswith(("postgresql://", "postgres://")):
            url = urlparse(location)
            if not url.path.strip("/"):
                raise InvalidCommand(f"PostgreSQL URL has no database name: {location!r}")
            pg = {
                "dbname": url.path.strip("/"),
                "host": url.hostname or "127.0.0.1",
                "port": str(url.port or 5432),
                "user": unquote(url.username or ""),
                "password": unquote(url.password or ""),
            }
            schema = parse_qs(url.query).get("schema", [""])[0]
            if schema and not schema.replace("_", "").isalnum():
                raise InvalidCommand(f"invalid schema name in URL: {schema!r}")
            return cls("postgres", pg=pg, schema=schema)
        if "://" in location:
            raise InvalidCommand(f"unsupported store URL {location!r}: use a file or postgresql://")
        return cls("sqlite", sqlite_path=Path(location))

    def env(self, cache_size: int = DEFAULT_CACHE_SIZE) -> dict[str, str]:
        """The eventsourcing environment for this target (``cache_size`` aggregates cached)."""
        common = {
            "AGGREGATE_CACHE_MAXSIZE": str(cache_size),
            "AGGREGATE_CACHE_FASTFORWARD": "n",
            "DEEPCOPY_FROM_AGGREGATE_CACHE": "n",
        }
        if self.kind == "sqlite":
            assert self.sqlite_path is not None
            self.sqlite_path.parent.mkdir(parents=True, exist_ok=True)
            return {
                **common,
                "PERSISTENCE_MODULE": "eventsourcing.sqlite",
                "SQLITE_DBNAME": str(self.sqlite_path),
                "SQLITE_LOCK_TIMEOUT": "30",
            }
        assert self.pg is not None
        return {
            **common,
            "PERSISTENCE_MODULE": "eventsourcing.postgres",
            "POSTGRES_DBNAME": self.pg["dbname"],
            "POSTGRES_HOST": self.pg["host"],
            "POSTGRES_PORT": self.pg["port"],
            "POSTGRES_USER": self.pg["user"],
            "POSTGRES_PASSWORD": self.pg["password"],
            "POSTGRES_POOL_SIZE": "4",
            "POSTGRES_SCHEMA": self.schema,
        }

    def connect(self, threads: bool = False) -> Any:
        """A new DB-API connection for the ledger's own tables (identities, read models).

        ``threads``: the connection may be used from other threads than the one opening it
        (a server's worker threads; psycopg connections always may).
        """
        if self.kind == "sqlite":
            import sqlite3

            lite = sqlite3.connect(
                str(self.sqlite_path), timeout=30, isolation_level=None, check_same_thread=not threads
            )
            lite.execute("PRAGMA journal_mode=WAL")
            return lite
        import psycopg

        assert self.pg is not None
        conn = psycopg.connect(**self.pg, autocommit=True)  # type: ignore[arg-type]
        if self.schema:
            conn.execute(f'CREATE SCHEMA IF NOT EXISTS "{self.schema}"')
            conn.execute(f'SET search_path TO "{self.schema}"')
        return conn

    @property
    def placeholder(self) -> str:
        """The DB-API parameter marker of the target."""
        return "?" if self.kind == "sqlite" else "%s"


def open_store(target: StoreTarget, cache_size: int = DEFAULT_CACHE_SIZE) -> EventStoreApp:
    """Open (and create if needed) the event store (and its PostgreSQL schema)."""
    if target.kind == "postgres" and target.schema:
        target.connect().close()
    return EventStoreApp(env=target.env(cache_size))
