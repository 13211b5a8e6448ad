"""Shared machinery of the read models: aggregates advanced batch by batch, table exports.

A read model is a :class:`ledger.follower.BatchHandler`. Those that present a learner or a
candidate (dossier, statistics facts) rebuild their rows for every aggregate touched by a
batch from the aggregate **as of the batch's last event**: the aggregate is advanced with the
batch's own events from a bounded in-memory cache (loaded from the store up to the version
just before the batch on a miss), so a batch costs O(batch) and a rebuild from zero writes
exactly what the incremental build wrote.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Sequence
from typing import Any
from uuid import UUID

import structlog
from eventsourcing.persistence import Notification

from ledger.follower import Db
from ledger.store import EventStoreApp

log = structlog.get_logger("projections")

LEARNER_TOPIC = "ledger.domain.cpu.aggregates:Learner."
OPTION_TOPIC = "ledger.domain.cpu.aggregates:SchoolOption."
CANDIDATE_TOPIC = "ledger.domain.clea.aggregates:Candidate."

Touched = tuple[Any, list[tuple[Notification, Any]]]


class AggregateCache:
    """A bounded LRU of reconstructed aggregates, advanced event by event."""

    def __init__(self, store: EventStoreApp, size: int = 20000) -> None:
        self.store = store
        self.size = size
        self._items: OrderedDict[UUID, Any] = OrderedDict()

    def clear(self) -> None:
        """Forget every cached aggregate."""
        self._items.clear()

    def advance(self, agg_id: UUID, events: Sequence[Any]) -> Any:
        """The aggregate after ``events`` (consecutive versions of one aggregate)."""
        first = events[0].originator_version
        agg = self._items.pop(agg_id, None)
        if agg is None or agg.version != first - 1:
            agg = self._load(agg_id, first - 1)
        for event in events:
            agg = event.mutate(agg)
        self._items[agg_id] = agg
        while len(self._items) > self.size:
            self._items.popitem(last=False)
        return agg

    def _load(self, agg_id: UUID, upto: int) -> Any:
        agg: Any = None
        if upto < 1:
            return agg
        event: Any
        for event in self.store.events.get(agg_id, lte=upto):
            agg = event.mutate(agg)
        return agg


class AggregateProjection:
    """Base of read models whose rows are a function of one aggregate's current state."""

    name = "abstract"
    topics: tuple[str, ...] = (LEARNER_TOPIC, CANDIDATE_TOPIC)
    ddl: tuple[str, ...] = ()
    tables: tuple[str, ...] = ()

    def __init__(self, store: EventStoreApp, cache_size: int = 20000) -> None:
        self.store = store
        self.cache = AggregateCache(store, cache_size)

    def setup(self, db: Db) -> None:
        """Create the tables (idempotent)."""
        for statement in self.ddl:
            db.execute(statement)

    def reset(self, db: Db) -> None:
        """Empty the tables (rebuild from zero)."""
        for table in self.tables:
            db.execute(f"DELETE FROM {table}")
        self.cache.clear()

    def apply(self, db: Db, batch: Sequence[Notification]) -> None:
        """Advance every touched aggregate with its events, then write its rows."""
        groups: dict[UUID, list[tuple[Notification, Any]]] = {}
        for n in batch:
            if n.topic.startswith(self.topics):
                event = self.store.mapper.to_domain_event(n)
                groups.setdefault(UUID(str(n.originator_id)), []).append((n, event))
        try:
            touched = [(self.cache.advance(agg_id, [e for _, e in items]), items)
                       for agg_id, items in groups.items()]
            self.write(db, touched)
        except BaseException:
            self.cache.clear()
            raise

    def write(self, db: Db, touched: list[Touched]) -> None:
        """Write the rows of every touched aggregate (overridden)."""
        raise NotImplementedError


def delete_for(db: Db, tables: Sequence[str], column: str, ids: Sequence[str]) -> None:
    """Delete the rows of ``ids`` from each table."""
    rows = [(i,) for i in ids]
    for table in tables:
        db.executemany(f"DELETE FROM {table} WHERE {column} = ?", rows)


def export_tables(db: Db, tables: Sequence[str]) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table, sorted (to compare a rebuild with an incremental build)."""
    out: dict[str, list[tuple[Any, ...]]] = {}
    for table in tables:
        rows = db.execute(f"SELECT * FROM {table}").fetchall()
        out[table] = sorted((tuple(r) for r in rows), key=repr)
    return out
