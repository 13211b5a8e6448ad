"""Contract of the follower port: positions recorded atomically with the handler's writes.

Run against a SQLite file and a PostgreSQL schema (the follower's positions and a handler's
tables live in the store's database; there is no in-memory adapter of a SQL transaction).
Exactly-once with respect to the store: a batch's writes and the new position commit together
or not at all, and a follower reopened later resumes where the last commit left it.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from eventsourcing.persistence import Notification, StoredEvent

from ledger.adapters.follower import Db, Follower, record_position
from ledger.adapters.store import EventStoreApp, StoreTarget, open_store
from tests.conftest import pg_url_with_schema
from tests.procs import at_once


@dataclass
class Store:
    """An event store and its target, for one adapter."""

    app: EventStoreApp
    target: StoreTarget

    def append(self, count: int) -> None:
        """Record ``count`` events, one new aggregate each."""
        for _ in range(count):
            event = StoredEvent(originator_id=uuid.uuid4(), originator_version=1, topic="t:A", state=b"{}")
            self.app.recorder.insert_events([event])


@dataclass
class Copier:
    """A handler copying each notification id into its own table; may fail at one id."""

    name: str = "contract:copier"
    fail_at: int | None = None
    resets: list[int] = field(default_factory=list)

    def setup(self, db: Db) -> None:
        db.execute(f"CREATE TABLE IF NOT EXISTS {self.table} (position BIGINT PRIMARY KEY)")

    def reset(self, db: Db) -> None:
        self.resets.append(1)
        db.execute(f"DELETE FROM {self.table}")

    def apply(self, db: Db, batch: Sequence[Notification]) -> None:
        for note in batch:
            if note.id == self.fail_at:
                raise RuntimeError(f"handler failed at {note.id}")
            db.execute(f"INSERT INTO {self.table} (position) VALUES (?)", (note.id,))

    @property
    def table(self) -> str:
        return "copy_" + self.name.split(":")[-1]


@pytest.fixture(params=["sqlite", "postgres"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    """An empty event store per adapter."""
    if request.param == "sqlite":
        target = StoreTarget.parse(str(tmp_path / "follower.db"))
    else:
        target = StoreTarget.parse(pg_url_with_schema(f"contract_{uuid.uuid4().hex[:12]}"))
    app = open_store(target)
    try:
        yield Store(app, target)
    finally:
        app.close()
        if target.kind == "postgres":
            conn = target.connect()
            conn.execute(f'DROP SCHEMA "{target.schema}" CASCADE')
            conn.close()


def copied(follower: Follower, handler: Copier) -> list[int]:
    return [int(r[0]) for r in follower.db.execute(f"SELECT position FROM {handler.table} ORDER BY position")]


def test_catch_up_applies_every_event_once_and_records_the_head(store: Store) -> None:
    store.append(7)
    handler = Copier()
    follower = Follower(store.app, store.target, handler, batch_size=3)  # several batches
    try:
        assert follower.catch_up() == 7
        assert copied(follower, handler) == [1, 2, 3, 4, 5, 6, 7]
        assert follower.status().to_dict() == {"name": handler.name, "position": 7, "head": 7, "lag": 0}
        assert follower.catch_up() == 0
    finally:
        follower.close()


def test_a_failing_batch_keeps_neither_its_writes_nor_a_new_position(store: Store) -> None:
    store.append(6)
    handler = Copier(fail_at=5)
    follower = Follower(store.app, store.target, handler, batch_size=3)
    try:
        with pytest.raises(RuntimeError, match="failed at 5"):
            follower.catch_up()
        assert follower.position() == 3  # the first batch committed, the second rolled back
        assert copied(follower, handler) == [1, 2, 3]
        handler.fail_at = None
        assert follower.catch_up() == 3
        assert copied(follower, handler) == [1, 2, 3, 4, 5, 6]
    finally:
        follower.close()


def test_record_position_rolls_back_with_the_writes_of_its_transaction(store: Store) -> None:
    handler = Copier()
    follower = Follower(store.app, store.target, handler)
    try:
        with pytest.raises(RuntimeError), follower.db.transaction() as db:
            db.execute(f"INSERT INTO {handler.table} (position) VALUES (?)", (1,))
            record_position(db, handler.name, 1)
            raise RuntimeError("crash before commit")
        assert follower.position() == 0 and copied(follower, handler) == []
        with follower.db.transaction() as db:
            record_position(db, handler.name, 4)
        assert follower.position() == 4
    finally:
        follower.close()


def test_a_reopened_follower_resumes_where_it_stopped(store: Store) -> None:
    store.append(3)
    first = Follower(store.app, store.target, Copier())
    first.catch_up()
    first.close()
    store.append(2)
    handler = Copier()
    again = Follower(store.app, store.target, handler)
    try:
        assert again.position() == 3
        assert again.catch_up() == 2
        assert copied(again, handler) == [1, 2, 3, 4, 5]
    finally:
        again.close()


def test_followers_keep_their_own_positions(store: Store) -> None:
    store.append(4)
    one, two = Copier(name="contract:one"), Copier(name="contract:two")
    first = Follower(store.app, store.target, one)
    second = Follower(store.app, store.target, two, batch_size=2)
    try:
        first.catch_up()
        second.step()
        assert (first.position(), second.position()) == (4, 2)
    finally:
        first.close()
        second.close()


def test_rebuild_resets_the_handler_and_applies_everything_again(store: Store) -> None:
    store.append(4)
    handler = Copier()
    follower = Follower(store.app, store.target, handler)
    try:
        follower.catch_up()
        assert follower.rebuild() == 4
        assert handler.resets == [1]
        assert copied(follower, handler) == [1, 2, 3, 4] and follower.position() == 4
    finally:
        follower.close()


def test_two_followers_of_one_name_at_once_apply_each_event_once(store: Store) -> None:
    """Two processes syncing the same follower at the same moment (two ``ledger audit``
    commands, a second runner): neither fails, every event is applied exactly once."""
    import time

    store.append(40)

    class Slow(Copier):
        def apply(self, db: Db, batch: Sequence[Notification]) -> None:
            super().apply(db, batch)
            time.sleep(0.01)  # hold the batch's transaction open: the other one overlaps

    def follow() -> None:
        follower = Follower(store.app, store.target, Slow(), batch_size=3)  # tables too
        try:
            follower.catch_up()
        finally:
            follower.close()

    _, errors = at_once(follow, 2)
    assert errors == []
    follower = Follower(store.app, store.target, Copier(), batch_size=3)
    try:
        assert copied(follower, Copier()) == list(range(1, 41))
        assert follower.position() == 40
    finally:
        follower.close()
