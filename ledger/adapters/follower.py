"""The follower: one mechanism that feeds every consumer of the global event sequence.

A follower reads the store's global sequence from its recorded position, hands a batch of
notifications to a :class:`BatchHandler`, and records the new position **in the same
transaction** as the handler's own writes (exactly-once with respect to the store). A
handler that writes elsewhere (Kafka) returns only once its writes are acknowledged, so the
position moves after them (at-least-once there; consumers drop duplicates).

Positions are eventsourcing notification ids (1-based); ``ledger events`` shows the
zero-based log index, i.e. ``id - 1``. Works on SQLite and PostgreSQL.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Protocol

import structlog
from eventsourcing.persistence import Notification

from ledger.adapters.store import EventStoreApp, StoreTarget

log = structlog.get_logger("ledger.follower")


POSITIONS_DDL = (
    "CREATE TABLE IF NOT EXISTS follower_position ("
    "name TEXT PRIMARY KEY, position BIGINT NOT NULL, updated_at TEXT NOT NULL)"
)


class BatchHandler(Protocol):
    """What a follower feeds: a read model, the relay, the integrity log."""

    name: str

    def setup(self, db: Db) -> None:
        """Create the handler's tables (idempotent), inside a transaction."""

    def reset(self, db: Db) -> None:
        """Forget everything (for a rebuild from zero), inside a transaction."""

    def apply(self, db: Db, batch: Sequence[Notification]) -> None:
        """Apply a batch in order, inside the transaction that records the position."""


_MAX_PARAMS = 30_000
"""Parameters per multi-row statement (PostgreSQL's wire protocol allows 65,535)."""


def _values_split(sql: str) -> tuple[str, str]:
    """``INSERT ... VALUES (?, ?) ON CONFLICT ...`` as (``INSERT ... VALUES ``, ``ON CONFLICT ...``)."""
    at = sql.upper().index(" VALUES ") + len(" VALUES ")  # one tuple of ?, replaced by $n
    end = sql.index(")", at) + 1
    one = sql[at:end].strip()
    if not (one.startswith("(") and set(one[1:-1].replace(" ", "")) <= {"?", ","}):
        raise ValueError(f"not an INSERT with one VALUES list of placeholders: {sql[:80]}")
    return sql[:at], sql[end:]


class Db:
    """A DB-API connection of the store with its dialect (placeholder, transactions)."""

    def __init__(self, target: StoreTarget) -> None:
        self.target = target
        self.kind = target.kind
        self.p = target.placeholder
        self.conn: Any = target.connect()

    def execute(self, sql: str, params: Sequence[Any] = ()) -> Any:
        """Execute one statement (``?`` placeholders are rewritten for PostgreSQL)."""
        return self.conn.execute(self.sql(sql), params)

    def executemany(self, sql: str, rows: Sequence[Sequence[Any]]) -> None:
        """Execute one statement for many rows."""
        if self.kind == "sqlite":
            self.conn.executemany(sql, rows)
        else:
            with self.conn.cursor() as cur:
                cur.executemany(self.sql(sql), rows)

    def insert_many(self, sql: str, rows: Sequence[Sequence[Any]]) -> None:
        """Execute an ``INSERT ... VALUES (?, ...) [ON CONFLICT ...]`` for many rows.

        On PostgreSQL the rows go as multi-row ``VALUES`` lists (one statement per page of
        rows) instead of one statement per row: what a rebuild writes costs a few statements
        per batch, not one per event. The rows of an ``ON CONFLICT ... DO UPDATE`` must have
        distinct keys (PostgreSQL refuses to update a row twice in one statement, loudly);
        on SQLite this is :meth:`executemany`.
        """
        if not rows:
            return
        if self.kind == "sqlite":
            self.conn.executemany(sql, rows)
            return
        import psycopg

        head, tail = _values_split(sql)
        width = len(rows[0])
        if sql.count("?") != width:
            raise ValueError(f"{width} values per row for {sql.count('?')} placeholders: {sql[:80]}")
        page = max(1, _MAX_PARAMS // width)
        # a raw cursor takes PostgreSQL's own $n placeholders: psycopg need not parse the query
        with psycopg.RawCursor(self.conn) as cur:
            for start in range(0, len(rows), page):
                part = rows[start : start + page]
                values = ", ".join(
                    "(" + ", ".join(f"${r * width + c + 1}" for c in range(width)) + ")"
                    for r in range(len(part))
                )
                cur.execute(f"{head}{values}{tail}", [v for row in part for v in row])

    def delete_keys(self, table: str, column: str, keys: Sequence[Sequence[Any]]) -> None:
        """``DELETE FROM table WHERE column = ?`` for each one-element key row.

        One statement on PostgreSQL (``= ANY(list)``); :meth:`executemany` on SQLite.
        """
        if not keys:
            return
        if self.kind == "sqlite":
            self.conn.executemany(f"DELETE FROM {table} WHERE {column} = ?", keys)
            return
        with self.conn.cursor() as cur:
            cur.execute(f"DELETE FROM {table} WHERE {column} = ANY(%s)", ([k[0] for k in keys],))

    def sql(self, sql: str) -> str:
        """Rewrite ``?`` placeholders for the dialect."""
        return sql if self.kind == "sqlite" else sql.replace("?", "%s")

    @contextmanager
    def transaction(self) -> Iterator[Db]:
        """One transaction: committed on success, rolled back on error."""
        if self.kind == "sqlite":
            self.conn.execute("BEGIN IMMEDIATE")
            try:
                yield self
            except BaseException:
                self.conn.execute("ROLLBACK")
                raise
            self.conn.execute("COMMIT")
        else:
            with self.conn.transaction():
                yield self

    def lock(self, name: str) -> None:
        """Serialise this transaction with every other one locking ``name``, until it ends.

        PostgreSQL: a transaction-scoped advisory lock. SQLite: nothing to do, its
        ``BEGIN IMMEDIATE`` transactions are already one writer at a time.
        """
        if self.kind == "postgres":
            self.execute("SELECT pg_advisory_xact_lock(hashtext(?))", (name,))

    def close(self) -> None:
        """Close the connection."""
        self.conn.close()


@dataclass
class Status:
    """Where a follower stands."""

    name: str
    position: int
    head: int

    @property
    def lag(self) -> int:
        """Events not yet applied."""
        return max(self.head - self.position, 0)

    def to_dict(self) -> dict[str, Any]:
        """JSON-friendly form."""
        return {"name": self.name, "position": self.position, "head": self.head, "lag": self.lag}


def record_position(db: Db, name: str, position: int) -> None:
    """Record follower ``name`` at ``position``, inside the transaction of its writes."""
    stamp = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    db.execute("DELETE FROM follower_position WHERE name = ?", (name,))
    db.execute(
        "INSERT INTO follower_position (name, position, updated_at) VALUES (?, ?, ?)", (name, position, stamp)
    )


class Follower:
    """Feeds one handler from the global sequence, batch by batch."""

    def __init__(
        self, store: EventStoreApp, target: StoreTarget, handler: BatchHandler, batch_size: int = 500
    ) -> None:
        self.store = store
        self.handler = handler
        self.batch_size = batch_size
        self.db = Db(target)
        with self.db.transaction() as db:
            db.lock("follower:setup")  # CREATE … IF NOT EXISTS races on PostgreSQL's catalogue
            db.execute(POSITIONS_DDL)
            handler.setup(db)

    def position(self) -> int:
        """The last applied notification id (0 when nothing was applied)."""
        row = self.db.execute(
            "SELECT position FROM follower_position WHERE name = ?", (self.handler.name,)
        ).fetchone()
        return int(row[0]) if row else 0

    def status(self) -> Status:
        """Position, head of the store and lag."""
        return Status(self.handler.name, self.position(), self.store.recorder.max_notification_id() or 0)

    def _record(self, db: Db, position: int) -> None:
        record_position(db, self.handler.name, position)

    def step(self) -> int:
        """Apply at most one batch; returns how many notifications were applied.

        Another process following under the same name (a second ``ledger`` command syncing the
        audit log, a second runner) may apply the same batch meanwhile: the batch is then
        dropped and the next one read from where that process left the position.
        """
        while True:
            start = self.position() + 1
            batch = self.store.recorder.select_notifications(start, self.batch_size)
            if not batch:
                return 0
            with self.db.transaction() as db:
                if self._moved(db, start):
                    continue
                self.handler.apply(db, batch)
                self._record(db, batch[-1].id)
            log.debug("follower.applied", follower=self.handler.name, upto=batch[-1].id, count=len(batch))
            return len(batch)

    def _moved(self, db: Db, start: int) -> bool:
        """True if another process advanced the position meanwhile (inside the transaction).

        On PostgreSQL the transaction first takes a lock on the follower's name, held until it
        commits: a second follower of the same name waits, then sees the position moved (SQLite's
        ``BEGIN IMMEDIATE`` already serialises writers).
        """
        db.lock(f"follower:{self.handler.name}")
        row = db.execute(
            "SELECT position FROM follower_position WHERE name = ?", (self.handler.name,)
        ).fetchone()
        return (int(row[0]) if row else 0) != start - 1

    def catch_up(self, until: int | None = None) -> int:
        """Apply batches until the head (or ``until``); returns how many were applied."""
        applied = 0
        while until is None or self.position() < until:
            count = self.step()
            if not count:
                break
            applied += count
        return applied

    def rebuild(self) -> int:
        """Forget everything and apply the whole sequence again from zero."""
        with self.db.transaction() as db:
            self.handler.reset(db)
            self._record(db, 0)
        return self.catch_up()

    def run(self, stop: threading.Event, poll: float = 0.2) -> None:
        """Catch up, then follow live (new events applied within ``poll`` seconds) until stopped."""
        while not stop.is_set():
            if not self.step():
                stop.wait(poll)

    def close(self) -> None:
        """Close the follower's connection."""
        self.db.close()
