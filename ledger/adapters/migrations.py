"""Versioned migrations of the tables that cannot be rebuilt from the events.

Identities, idempotency receipts, token revocations, credential status bits, integrity
checkpoints and consumer state live only in these tables: a change of their shape is a
numbered migration of its *chain*, applied once per database, in order, each in its own
transaction, recorded in the chain's versions table (``ledger_migrations`` for this module's
own chain, ``ledger_migrations_<chain>`` for the others). Each owner declares its chain beside
its tables — ``credentials`` (:data:`ledger.credentials.statusstore.MIGRATIONS`), ``integrity``
(:data:`ledger.audit.log.MIGRATIONS`), ``consumers`` (``consumers.runner.MIGRATIONS``) — and
migration 1 of each is the shape the previous release created (create-if-missing, no data
change). Every entry point that opens these tables
calls :func:`migrate` (idempotent, cheap when up to date); a database written by an earlier
release is upgraded in place, keeping every row.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

TABLE = "ledger_migrations"


@dataclass(frozen=True)
class MigrationDb:
    """A DB-API connection (autocommit) and its dialect."""

    conn: Any
    placeholder: str

    @property
    def sqlite(self) -> bool:
        """True on SQLite."""
        return self.placeholder == "?"

    @property
    def blob(self) -> str:
        """The binary column type."""
        return "BLOB" if self.sqlite else "BYTEA"

    def columns(self, table: str) -> set[str]:
        """The column names of a table (empty if it does not exist)."""
        if self.sqlite:
            return {row[1] for row in self.conn.execute(f"PRAGMA table_info({table})").fetchall()}
        rows = self.conn.execute(
            "SELECT column_name FROM information_schema.columns "
            "WHERE table_schema = current_schema() AND table_name = %s",
            (table,),
        ).fetchall()
        return {row[0] for row in rows}

    def add_column(self, table: str, column: str, decl: str) -> None:
        """Add a column unless it is there."""
        if column not in self.columns(table):
            self.conn.execute(f"ALTER TABLE {table} ADD COLUMN {column} {decl}")


def _m1_idempotency(db: MigrationDb) -> None:
    """api_idempotency: receipts committed with the events; list of events for positions."""
    db.conn.execute(
        "CREATE TABLE IF NOT EXISTS api_idempotency ("
        "namespace TEXT NOT NULL, key TEXT NOT NULL, request_hash TEXT NOT NULL, "
        "state TEXT NOT NULL, status INTEGER, response TEXT, response_hash TEXT, "
        "created_at DOUBLE PRECISION NOT NULL, PRIMARY KEY (namespace, key))"
    )
    db.add_column("api_idempotency", "events", "TEXT")
    # Reservations of the previous release ('pending', never completed) answered 409 forever.
    db.conn.execute("DELETE FROM api_idempotency WHERE state <> 'done'")


def _m2_identity(db: MigrationDb) -> None:
    """Identity tables, plus the keyed hash of the national register number (transfers)."""
    db.conn.execute(
        f"CREATE TABLE IF NOT EXISTS learner_key (learner_id TEXT PRIMARY KEY, wrapped {db.blob} NOT NULL)"
    )
    db.conn.execute(
        f"CREATE TABLE IF NOT EXISTS learner_identity (learner_id TEXT PRIMARY KEY, "
        f"nonce {db.blob} NOT NULL, sealed {db.blob} NOT NULL)"
    )
    db.add_column("learner_identity", "nrn_mac", "TEXT")


def _m3_token_revocations(db: MigrationDb) -> None:
    """Per-token revocation (jti deny-list) shared by every worker process."""
    db.conn.execute(
        "CREATE TABLE IF NOT EXISTS token_revocations (jti TEXT PRIMARY KEY, "
        "revoked_at DOUBLE PRECISION NOT NULL, expires_at DOUBLE PRECISION NOT NULL)"
    )


def _m4_learner_lookup(db: MigrationDb) -> None:
    """The keyed blind index: HMAC digests of normalised name words, birth date and national number.

    The key lives in the key directory, never in the database; erasure deletes a learner's rows.
    """
    db.conn.execute(
        "CREATE TABLE IF NOT EXISTS learner_lookup (digest TEXT NOT NULL, learner_id TEXT NOT NULL, "
        "PRIMARY KEY (digest, learner_id))"
    )


def _m5_learner_lookup_by_learner(db: MigrationDb) -> None:
    """An index on ``learner_lookup.learner_id``.

    A learner's rows are replaced (admission, re-index) and erased by learner id, which the
    primary key (digest, learner_id) cannot serve: a scan of every learner's rows at each
    admission, quadratic over a registry.
    """
    db.conn.execute("CREATE INDEX IF NOT EXISTS learner_lookup_by_learner ON learner_lookup (learner_id)")


Step = Callable[[MigrationDb], None]
Migration = tuple[int, str, Step]


def create_tables(*ddl: str) -> Step:
    """A migration step running ``CREATE TABLE IF NOT EXISTS`` statements (``{blob}`` filled in)."""

    def step(db: MigrationDb) -> None:
        for statement in ddl:
            db.conn.execute(statement.format(blob=db.blob))

    return step


MIGRATIONS: tuple[Migration, ...] = (
    (1, "idempotency receipts in the events' transaction", _m1_idempotency),
    (2, "identity store and national-number keyed hash", _m2_identity),
    (3, "token revocations", _m3_token_revocations),
    (4, "learner lookup (keyed blind index)", _m4_learner_lookup),
    (5, "learner lookup by learner", _m5_learner_lookup_by_learner),
)


def _e1_certificate_index(db: MigrationDb) -> None:
    """The certificate index (:mod:`ledger.adapters.certindex`) over the events already stored."""
    from ledger.adapters import certindex

    if db.sqlite:
        db.conn.execute(certindex.sqlite_index_ddl())
        return
    for statement in certindex.pg_index_ddl():
        db.conn.execute(statement)


EVENT_MIGRATIONS: tuple[Migration, ...] = (
    (1, "certificate index (certificate id of issuance and revocation events)", _e1_certificate_index),
)
"""The ``events`` chain: indexes on the event store's own table (run once the table exists)."""


def events_table(placeholder: str) -> str:
    """The event store's table on this dialect (eventsourcing's name for the ``ledger`` app)."""
    return "stored_events" if placeholder == "?" else "ledger_events"


def migrate_events(conn: Any, placeholder: str) -> list[int] | None:
    """Apply the ``events`` chain when the event store's table exists (``None`` otherwise)."""
    if not MigrationDb(conn, placeholder).columns(events_table(placeholder)):
        return None
    return migrate(conn, placeholder, "events", EVENT_MIGRATIONS)


@contextmanager
def _transaction(db: MigrationDb) -> Iterator[None]:
    if db.sqlite:
        db.conn.execute("BEGIN IMMEDIATE")
        try:
            yield
        except BaseException:
            db.conn.execute("ROLLBACK")
            raise
        db.conn.execute("COMMIT")
    else:
        with db.conn.transaction():
            db.conn.execute("SELECT pg_advisory_xact_lock(7216451)")
            yield


def versions_table(chain: str) -> str:
    """Where a chain's applied versions are recorded."""
    if chain == "ledger":
        return TABLE
    if not chain.isidentifier() or not chain.islower():
        raise ValueError(f"not a chain name: {chain!r}")
    return f"{TABLE}_{chain}"


def applied(conn: Any, placeholder: str, chain: str = "ledger") -> list[int]:
    """The migration versions of ``chain`` recorded in a database."""
    db = MigrationDb(conn, placeholder)
    table = versions_table(chain)
    if not db.columns(table):
        return []
    return [int(r[0]) for r in conn.execute(f"SELECT version FROM {table} ORDER BY version").fetchall()]


def migrate(
    conn: Any, placeholder: str, chain: str = "ledger", steps: tuple[Migration, ...] = MIGRATIONS
) -> list[int]:
    """Apply every pending migration of ``chain`` in order; returns the versions applied now.

    ``conn`` is in autocommit mode (each migration opens its own transaction).
    """
    db = MigrationDb(conn, placeholder)
    table = versions_table(chain)
    # under the migrations' lock: two processes opening a new PostgreSQL store at once would
    # otherwise race on the catalogue (CREATE TABLE IF NOT EXISTS is not atomic there)
    with _transaction(db):
        conn.execute(
            f"CREATE TABLE IF NOT EXISTS {table} (version INTEGER PRIMARY KEY, name TEXT NOT NULL, "
            "applied_at DOUBLE PRECISION NOT NULL)"
        )
    done: list[int] = []
    for version, name, step in steps:
        with _transaction(db):
            row = conn.execute(f"SELECT 1 FROM {table} WHERE version = {placeholder}", (version,)).fetchone()
            if row is not None:
                continue
            step(db)
            conn.execute(
                f"INSERT INTO {table} (version, name, applied_at) VALUES "
                f"({placeholder}, {placeholder}, {placeholder})",
                (version, name, time.time()),
            )
            done.append(version)
    return done
