"""Where the event store lives (a SQLite file or a PostgreSQL database) and the store's defaults.

A light module (standard library only): the settings and the command line parse ``--db`` and
show these defaults without loading eventsourcing or a database driver.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote, urlparse

from ledger.adapters.errors import StoreUnreachable
from ledger.domain.errors import InvalidCommand

__all__ = ["DEFAULT_BATCH", "DEFAULT_CACHE_SIZE", "PG_CONNECT_TIMEOUT", "StoreTarget", "StoreUnreachable"]

PG_CONNECT_TIMEOUT = 30.0
"""Seconds a PostgreSQL store is waited for (eventsourcing's own connection timeout)."""


DEFAULT_CACHE_SIZE = 20_000
"""Aggregates kept in the event store's cache by default (``LEDGER_CACHE_SIZE``)."""

DEFAULT_BATCH = 50_000
"""Events per batch (and transaction) of the read models by default: a rebuild from zero
then touches each aggregate about once per batch instead of once per few events, and a
commit writes the pages it dirties once; memory stays bounded by the batch."""


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
                "APPLICATION_RECORDER_TOPIC": "ledger.adapters.recorders:SqliteReceiptRecorder",
                "SQLITE_DBNAME": str(self.sqlite_path),
                "SQLITE_LOCK_TIMEOUT": "30",
            }
        assert self.pg is not None
        return {
            **common,
            "PERSISTENCE_MODULE": "eventsourcing.postgres",
            "APPLICATION_RECORDER_TOPIC": "ledger.adapters.recorders_pg:PostgresReceiptRecorder",
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
            with conn.transaction():  # IF NOT EXISTS races on the catalogue: one creator at a time
                conn.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", (f"ledger-schema:{self.schema}",))
                conn.execute(f'CREATE SCHEMA IF NOT EXISTS "{self.schema}"')
            conn.execute(f'SET search_path TO "{self.schema}"')
        return conn

    def wait_until_reachable(
        self,
        timeout: float = PG_CONNECT_TIMEOUT,
        on_wait: Callable[[str, float], None] | None = None,
        poll: float = 0.5,
    ) -> float:
        """Wait until a PostgreSQL target accepts connections; the seconds waited (0 for SQLite).

        The first attempt is quick; when it fails, ``on_wait(where, timeout)`` is called once
        and attempts go on every ``poll`` seconds until ``timeout``; then
        :class:`StoreUnreachable` names the server and the last reason.
        """
        if self.kind != "postgres":
            return 0.0
        import psycopg

        assert self.pg is not None
        where = f"{self.pg['host']}:{self.pg['port']}"
        started = time.monotonic()
        announced = False
        while True:
            left = timeout - (time.monotonic() - started)
            try:
                psycopg.connect(**self.pg, connect_timeout=max(1, min(int(left), 5))).close()  # type: ignore[arg-type]
                return time.monotonic() - started
            except psycopg.OperationalError as exc:
                reason = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
                if time.monotonic() - started + poll >= timeout:
                    raise StoreUnreachable(where, timeout, reason) from None
            if not announced and on_wait is not None:
                on_wait(where, timeout)
                announced = True
            time.sleep(poll)

    @property
    def placeholder(self) -> str:
        """The DB-API parameter marker of the target."""
        return "?" if self.kind == "sqlite" else "%s"
