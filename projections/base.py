"""Shared machinery of the read models: batches, set-based reads and writes, schema versions.

A read model is a :class:`ledger.adapters.follower.BatchHandler`. None keeps aggregates in memory:
what a read model needs to know about an aggregate between batches lives in its own ``rm_``
tables (a compact per-aggregate state), so memory is O(batch), never O(aggregates), and a
rebuild from zero writes exactly what the incremental build wrote. No read model copies the
events themselves: the event store already keeps each aggregate's events, indexed by
aggregate, and a read model that needs them again (to render a dossier, to recompute facts
after a revocation) reads them there with :func:`stored_states`.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from typing import Any
from uuid import UUID

import orjson
import structlog
from eventsourcing.persistence import Notification
from eventsourcing.sqlite import SQLiteApplicationRecorder
from eventsourcing.utils import resolve_topic

from ledger.adapters.follower import Db
from ledger.adapters.store import upcast

log = structlog.get_logger("projections")

LEARNER_TOPIC = "ledger.domain.cpu.aggregates:Learner."
OPTION_TOPIC = "ledger.domain.cpu.aggregates:SchoolOption."
CANDIDATE_TOPIC = "ledger.domain.clea.aggregates:Candidate."
IN_CHUNK = 500  # ids per ``IN (...)`` query: far under every backend's parameter limit

SCHEMA_DDL = "CREATE TABLE IF NOT EXISTS rm_schema (name TEXT PRIMARY KEY, version BIGINT NOT NULL)"


class TableProjection:
    """A read model owning ``tables``, created by ``ddl`` and emptied for a rebuild."""

    ddl: tuple[str, ...] = ()
    tables: tuple[str, ...] = ()

    def __init__(self, store: Any = None) -> None:
        self.store = store

    def setup(self, db: Db) -> None:
        """Create the tables (idempotent); keyed by text, they are clustered on SQLite."""
        for statement in self.ddl:
            db.execute(clustered(db, statement))

    def reset(self, db: Db) -> None:
        """Empty the tables (rebuild from zero)."""
        for table in self.tables:
            db.execute(f"DELETE FROM {table}")

    def prepare(self, batch: Sequence[Notification]) -> Any:
        """What a batch changes, computed from the batch alone (no database, picklable).

        Runs in the read-ahead process during a rebuild (:mod:`projections.readahead`).
        """
        raise NotImplementedError

    def write(self, db: Db, prepared: Any) -> None:
        """Write what :meth:`prepare` computed, inside the transaction of the position."""
        raise NotImplementedError

    def apply(self, db: Db, batch: Sequence[Notification]) -> None:
        """Apply a batch: :meth:`prepare`, then :meth:`write`."""
        self.write(db, self.prepare(batch))


def clustered(db: Db, statement: str) -> str:
    """``statement`` creating a table stored in primary-key order on SQLite.

    A table keyed by text or by several columns is stored ``WITHOUT ROWID`` (one B-tree
    instead of rows plus key index, half the writes of every insert); a ``BIGINT PRIMARY KEY``
    becomes SQLite's ``INTEGER PRIMARY KEY`` (the rowid itself). Read models key their
    busiest tables by a global position, so the rows a batch writes sit together and a
    commit writes few pages. PostgreSQL gets the statement as is.
    """
    if db.kind != "sqlite":
        return statement
    if "BIGINT PRIMARY KEY" in statement:
        return statement.replace("BIGINT PRIMARY KEY", "INTEGER PRIMARY KEY")
    if "PRIMARY KEY" in statement:
        return statement + " WITHOUT ROWID"
    return statement


class SharedBatch(list[Notification]):
    """A batch whose decoding and grouping are shared by every read model it is applied to."""

    def __init__(
        self,
        items: Iterable[Notification] = (),
        states: dict[int, dict[str, Any]] | None = None,
        ids: dict[int, str] | None = None,
    ) -> None:
        super().__init__(items)
        self.states: dict[int, dict[str, Any]] = {} if states is None else states
        self.ids: dict[int, str] = {} if ids is None else ids
        self.groups: dict[str, list[Notification]] | None = None
        self.corrects: dict[int, bool] = {}
        """Whether an event (by id) corrects an earlier decision, as a read model found it."""
        self.first_id = self[0].id if self else 0
        self.last_id = self[-1].id if self else 0

    def aggregate_id(self, n: Notification) -> str:
        """The notification's aggregate id as text (converted once per aggregate and batch)."""
        key = _key(n)
        found = self.ids.get(key)
        if found is None:
            found = self.ids[key] = str(n.originator_id)
        return found

    def grouped(self) -> dict[str, list[Notification]]:
        """Every notification grouped by aggregate id (first-seen order), computed once."""
        if self.groups is None:
            by_int: dict[int, list[Notification]] = {}
            get = by_int.get
            for n in self:
                key = n.originator_id.int  # type: ignore[union-attr]  # _key(n), inlined
                found = get(key)
                if found is None:
                    by_int[key] = [n]
                else:
                    found.append(n)
            self.groups = {self.aggregate_id(items[0]): items for items in by_int.values()}
        return self.groups


def _key(n: Notification) -> int:
    """The aggregate id of a notification as a number (cheaper to hash than its text)."""
    ident: Any = n.originator_id
    return int(ident.int)


def group_by_aggregate(
    batch: Sequence[Notification], topics: tuple[str, ...]
) -> dict[str, list[Notification]]:
    """The notifications of ``topics`` grouped by aggregate id (first-seen order, in order).

    An aggregate's events all have its class's topic prefix, so the grouping of the whole
    batch (shared by the read models of a :class:`SharedBatch`) is filtered by aggregate.
    """
    shared = batch if isinstance(batch, SharedBatch) else SharedBatch(batch)
    return {agg_id: items for agg_id, items in shared.grouped().items() if items[0].topic.startswith(topics)}


def decode_state(n: Notification, batch: Sequence[Notification] = ()) -> dict[str, Any]:
    """The stored state of a notification as a dict (upcast when stored in an old version).

    Decoded once per :class:`SharedBatch`: callers must not mutate it.
    """
    if type(batch) is not SharedBatch:
        return decode(n.topic, n.state)
    shared = batch.states
    state = shared.get(n.id)
    if state is None:
        state = shared[n.id] = orjson.loads(n.state)  # decode(), inlined: once per event
        if "class_version" in state:
            upcast_state(n.topic, state)
    return state


def decode(topic: str, data: bytes) -> dict[str, Any]:
    """A stored state as a dict, upcast when it was stored in an older class version."""
    state: dict[str, Any] = orjson.loads(data)
    if "class_version" in state:
        upcast_state(topic, state)
    return state


def upcast_state(topic: str, state: dict[str, Any]) -> None:
    """Upcast a decoded state holding ``class_version`` to its class's current version."""
    upcast(resolve_topic(topic), state)


def stored_states(store: Any, aggregate_id: str, upto: int) -> list[tuple[int, str, dict[str, Any]]]:
    """(version, topic, state) of an aggregate's stored events up to version ``upto``.

    Read from the event store itself (indexed by aggregate), upcast like :func:`decode_state`.
    """
    out: list[tuple[int, str, dict[str, Any]]] = []
    for stored in store.recorder.select_events(UUID(aggregate_id), lte=upto):
        out.append((int(stored.originator_version), str(stored.topic), decode(stored.topic, stored.state)))
    return out


def chunks(ids: Sequence[str], size: int = IN_CHUNK) -> Iterator[Sequence[str]]:
    """``ids`` in slices of at most ``size``."""
    for start in range(0, len(ids), size):
        yield ids[start : start + size]


def select_in(db: Db, sql: str, ids: Sequence[str]) -> list[tuple[Any, ...]]:
    """Rows of ``sql`` (ending in ``IN ({})``) for every id, queried in chunks."""
    rows: list[tuple[Any, ...]] = []
    for part in chunks(ids):
        marks = ", ".join("?" for _ in part)
        rows.extend(tuple(r) for r in db.execute(sql.format(marks), tuple(part)).fetchall())
    return rows


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
    log.info(
        "projection.schema_changed",
        projection=name,
        version=version,
        previous=int(row[0]) if row is not None else None,
    )
    return True


def export_tables(db: Db, tables: Sequence[str]) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table, sorted (to compare a rebuild with an incremental build)."""
    out: dict[str, list[tuple[Any, ...]]] = {}
    for table in tables:
        rows = db.execute(f"SELECT * FROM {table}").fetchall()
        out[table] = sorted((tuple(r) for r in rows), key=repr)
    return out


class PageFilter:
    """Which stored events a partitioned rebuild's worker reads (:mod:`projections.partition`).

    ``where`` is an SQL condition on the events table (evaluated by SQLite, in C, so the rows
    of other workers are never turned into Python objects) with its ``params``; ``upto`` is the
    last position read.
    """

    def __init__(self, where: str, params: tuple[Any, ...], upto: int) -> None:
        self.where = where
        self.params = params
        self.upto = upto


UUIDS_KEPT = 20_000
"""Aggregate ids :func:`read_page` keeps converted between pages (all forgotten past this many):
a learner's events are spread over a few consecutive pages of the log, so most ids of a page
were converted for the previous one (a ``UUID`` costs ~1 us; at most ~4 MB kept)."""
_UUIDS: dict[str, UUID] = {}


def read_page(
    recorder: Any, start: int, limit: int, only: PageFilter | None = None
) -> Sequence[Notification]:
    """Notifications ``start`` onwards (at most ``limit``), as ``select_notifications`` gives them.

    ``only``: just the events it selects, up to its ``upto`` (SQLite stores only).

    On SQLite the library converts each row's aggregate id to a ``UUID`` (a third of the
    read); an aggregate's events come close together in the log, so here each distinct id is
    converted once (kept from page to page: :data:`UUIDS_KEPT`). Other stores (PostgreSQL's
    driver returns UUIDs) read with the library's own ``select_notifications``. The
    notifications are built without the frozen dataclass's ``__init__`` (same class, same
    fields, equal: tested).
    """
    if not isinstance(recorder, SQLiteApplicationRecorder) or recorder.datastore.originator_id_type != "uuid":
        if only is not None:
            raise ValueError("a page filter needs a SQLite store keyed by UUID")
        return list(recorder.select_notifications(start, limit))
    where, params = "rowid >= ?", (start,)
    if only is not None:
        where, params = f"rowid >= ? AND rowid <= ? AND {only.where}", (start, only.upto, *only.params)
    statement = (
        "SELECT rowid, originator_id, originator_version, topic, state "
        f"FROM {recorder.events_table_name} WHERE {where} ORDER BY rowid LIMIT ?"
    )
    with recorder.datastore.transaction(commit=False) as c:
        c.execute(statement, (*params, limit))
        rows = c.fetchall()
    ids = _UUIDS
    if len(ids) > UUIDS_KEPT:
        ids.clear()
    out: list[Notification] = []
    append, new = out.append, object.__new__
    for rowid, text, version, topic, state in rows:
        ident = ids.get(text)
        if ident is None:
            ident = ids[text] = UUID(text)
        # the frozen dataclass's own __init__ costs ~1.3 us more per row (object.__setattr__
        # per field); the instance is the same (equal, same class, same fields)
        n = new(Notification)
        d = n.__dict__
        d["id"], d["originator_id"], d["originator_version"], d["topic"], d["state"] = (
            rowid,
            ident,
            version,
            topic,
            state,
        )
        append(n)
    return out
