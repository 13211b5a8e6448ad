"""Contract of the event store port (its application recorder), run against every adapter.

The same assertions hold for eventsourcing's in-memory recorder (POPO), a SQLite file and a
PostgreSQL schema, each opened through the ledger's own :func:`open_store`.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from eventsourcing.persistence import IntegrityError, StoredEvent

from ledger.adapters.store import EventStoreApp, StoreTarget, iter_notifications, open_store
from tests.conftest import pg_url_with_schema


@pytest.fixture(params=["memory", "sqlite", "postgres"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[EventStoreApp]:
    """One empty event store per adapter."""
    if request.param == "memory":
        app = EventStoreApp(env={"PERSISTENCE_MODULE": "eventsourcing.popo"})
    elif request.param == "sqlite":
        app = open_store(StoreTarget.parse(str(tmp_path / "contract.db")))
    else:
        app = open_store(StoreTarget.parse(pg_url_with_schema(f"contract_{uuid.uuid4().hex[:12]}")))
    try:
        yield app
    finally:
        app.close()


def stored(aggregate: uuid.UUID, version: int, topic: str = "t:A") -> StoredEvent:
    return StoredEvent(originator_id=aggregate, originator_version=version, topic=topic, state=b"{}")


def test_events_come_back_per_aggregate_in_version_order(store: EventStoreApp) -> None:
    one, two = uuid.uuid4(), uuid.uuid4()
    store.recorder.insert_events([stored(one, 1), stored(two, 1), stored(one, 2)])
    assert [e.originator_version for e in store.recorder.select_events(one)] == [1, 2]
    assert [e.originator_version for e in store.recorder.select_events(one, desc=True, limit=1)] == [2]
    assert [e.originator_version for e in store.recorder.select_events(two)] == [1]


def test_global_positions_are_contiguous_and_in_insert_order(store: EventStoreApp) -> None:
    ids = [uuid.uuid4() for _ in range(5)]
    for aggregate in ids:
        store.recorder.insert_events([stored(aggregate, 1)])
    seen = list(iter_notifications(store, page=2))  # several pages
    assert [n.id for n in seen] == [1, 2, 3, 4, 5]
    assert [n.originator_id for n in seen] == ids
    assert store.recorder.max_notification_id() == 5


def test_notifications_filter_on_topics(store: EventStoreApp) -> None:
    aggregate = uuid.uuid4()
    store.recorder.insert_events([stored(aggregate, 1, "t:A"), stored(aggregate, 2, "t:B")])
    assert [n.topic for n in iter_notifications(store, topics=("t:B",))] == ["t:B"]


def test_a_version_written_twice_is_refused_and_nothing_of_the_batch_is_written(store: EventStoreApp) -> None:
    aggregate, other = uuid.uuid4(), uuid.uuid4()
    store.recorder.insert_events([stored(aggregate, 1)])
    with pytest.raises(IntegrityError):
        store.recorder.insert_events([stored(other, 1), stored(aggregate, 1)])
    assert store.recorder.select_events(other) == []
    assert store.recorder.max_notification_id() == 1
