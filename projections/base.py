"""Shared machinery of the read models: batches, set-based reads and writes, schema versions.

A read model is a :class:`ledger.follower.BatchHandler`. None keeps aggregates in memory:
what a read model needs to know about an aggregate between batches lives in its own ``rm_``
tables (a compact per-aggregate digest), so memory is O(batch), never O(aggregates), and a
rebuild from zero writes exactly what the incremental build wrote.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from typing import Any

import orjson
import structlog
from eventsourcing.persistence import Notification
from eventsourcing.utils import resolve_topic

from ledger.follower import Db
from ledger.store import upcast

log = structlog.get_logger("projections")

LEARNER_TOPIC = "ledger.domain.cpu.aggregates:Learner."
OPTION_TOPIC = "ledger.domain.cpu.aggregates:SchoolOption."
CANDIDATE_TOPIC = "ledger.domain.clea.aggregates:Candidate."
IN_CHUNK = 500  # ids per ``IN (...)`` query: far under every backend's parameter limit

SCHEMA_DDL = ("CREATE TABLE IF NOT EXISTS rm_schema (name TEXT PRIMARY KEY, "
              "version BIGINT NOT NULL)")


class TableProjection:
    """A read model owning ``tables``, created by ``ddl`` and emptied for a rebuild."""

    ddl: tuple[str, ...] = ()
    tables: tuple[str, ...] = ()

    def __init__(self, store: Any = None) -> None:
        self.store = store

    def setup(self, db: Db) -> None:
        """Create the tables (idempotent)."""
        for statement in self.ddl:
            db.execute(statement)

    def reset(self, db: Db) -> None:
        """Empty the tables (rebuild from zero)."""
        for table in self.tables:
            db.execute(f"DELETE FROM {table}")


class SharedBatch(list[Notification]):
    """A batch whose decoded states are shared by every read model it is applied to."""

    def __init__(self, items: Iterable[Notification] = (),
                 states: dict[int, dict[str, Any]] | None = None,
                 ids: dict[int, str] | None = None) -> None:
        super().__init__(items)
        self.states: dict[int, dict[str, Any]] = {} if states is None else states
        self.ids: dict[int, str] = {} if ids is None else ids

    def aggregate_id(self, n: Notification) -> str:
        """The notification's aggregate id as text (converted once per batch)."""
        found = self.ids.get(n.id)
        if found is None:
            found = self.ids[n.id] = str(n.originator_id)
        return found


def group_by_aggregate(batch: Sequence[Notification],
                       topics: tuple[str, ...]) -> dict[str, list[Notification]]:
    """The notifications of ``topics`` grouped by aggregate id (first-seen order, in order)."""
    groups: dict[str, list[Notification]] = {}
    shared = batch if isinstance(batch, SharedBatch) else SharedBatch()
    for n in batch:
        if n.topic.startswith(topics):
            groups.setdefault(shared.aggregate_id(n), []).append(n)
    return groups


def decode_state(n: Notification, batch: Sequence[Notification] = ()) -> dict[str, Any]:
    """The stored state of a notification as a dict (upcast when stored in an old version).

    Decoded once per :class:`SharedBatch`: callers must not mutate it.
    """
    shared = batch.states if isinstance(batch, SharedBatch) else None
    if shared is not None and n.id in shared:
        return shared[n.id]
    state: dict[str, Any] = orjson.loads(n.state)
    if "class_version" in state:
        upcast(resolve_topic(n.topic), state)
    if shared is not None:
        shared[n.id] = state
    return state


def chunks(ids: Sequence[str], size: int = IN_CHUNK) -> Iterator[Sequence[str]]:
    """``ids`` in slices of at most ``size``."""
    for start in range(0, len(ids), size):
        yield ids[start:start + size]


def select_in(db: Db, sql: str, ids: Sequence[str]) -> list[tuple[Any, ...]]:
    """Rows of ``sql`` (ending in ``IN ({})``) for every id, queried in chunks."""
    rows: list[tuple[Any, ...]] = []
    for part in chunks(ids):
        marks = ", ".join("?" for _ in part)
        rows.extend(tuple(r) for r in db.execute(sql.format(marks), tuple(part)).fetchall())
    return rows


def delete_for(db: Db, tables: Sequence[str], column: str, ids: Sequence[str]) -> None:
    """Delete the rows of ``ids`` from each table."""
    if not ids:
        return
    for table in tables:
        for part in chunks(ids):
            marks = ", ".join("?" for _ in part)
            db.execute(f"DELETE FROM {table} WHERE {column} IN ({marks})", tuple(part))


def ensure_schema(db: Db, name: str, version: int, tables: Sequence[str]) -> bool:
    """Record ``version`` for read model ``name``; drop its tables if they have another one.

    Returns True when tables were dropped (the read model must be rebuilt from zero).
    """
    db.execute(SCHEMA_DDL)
    row = db.execute("SELECT version FROM rm_schema WHERE name = ?", (name,)).fetchone()
    if row is not None and int(row[0]) == version:
        return False
    for table in tables:
        db.execute(f"DROP TABLE IF EXISTS {table}")
    db.execute("DELETE FROM rm_schema WHERE name = ?", (name,))
    db.execute("INSERT INTO rm_schema (name, version) VALUES (?, ?)", (name, version))
    log.info("projection.schema_changed", projection=name, version=version,
             previous=int(row[0]) if row is not None else None)
    return True


def export_tables(db: Db, tables: Sequence[str]) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table, sorted (to compare a rebuild with an incremental build)."""
    out: dict[str, list[tuple[Any, ...]]] = {}
    for table in tables:
        rows = db.execute(f"SELECT * FROM {table}").fetchall()
        out[table] = sorted((tuple(r) for r in rows), key=repr)
    return out
