"""The follower: batches applied with their position in one transaction, on both backends."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pytest
from eventsourcing.persistence import Notification

from ledger.adapters.follower import Db, Follower
from ledger.adapters.store import StoreTarget
from ledger.application import Ledger
from tests.builders import admit, open_option


class Counter:
    """Counts events per type in its own table."""

    name = "test_counter"

    def __init__(self, fail_at: int | None = None) -> None:
        self.fail_at = fail_at

    def setup(self, db: Db) -> None:
        db.execute("CREATE TABLE IF NOT EXISTS test_counts (id BIGINT PRIMARY KEY, topic TEXT)")

    def reset(self, db: Db) -> None:
        db.execute("DELETE FROM test_counts")

    def apply(self, db: Db, batch: Sequence[Notification]) -> None:
        for n in batch:
            if n.id == self.fail_at:
                raise RuntimeError("boom")
            db.execute("INSERT INTO test_counts VALUES (?, ?)", (n.id, n.topic))


def rows(follower: Follower) -> list[Any]:
    return [tuple(r) for r in follower.db.execute("SELECT id FROM test_counts ORDER BY id").fetchall()]


def test_catch_up_then_new_events_then_restart(ledger: Ledger, store_location: str) -> None:
    """Catches up in batches, picks up new events, and a new follower resumes where it stopped."""
    open_option(ledger)
    for _ in range(5):
        admit(ledger)
    target = StoreTarget.parse(store_location)
    follower = Follower(ledger.store, target, Counter(), batch_size=2)
    assert follower.catch_up() == 6 and follower.status().lag == 0
    admit(ledger)
    assert follower.status().lag == 1
    follower.close()
    again = Follower(ledger.store, target, Counter(), batch_size=2)
    assert again.position() == 6 and again.catch_up() == 1
    assert rows(again) == [(i,) for i in range(1, 8)]
    assert again.rebuild() == 7 and rows(again) == [(i,) for i in range(1, 8)]
    again.close()


def test_failed_batch_writes_nothing_and_keeps_position(ledger: Ledger, store_location: str) -> None:
    """A handler error rolls back the batch and its position together."""
    open_option(ledger)
    for _ in range(3):
        admit(ledger)
    target = StoreTarget.parse(store_location)
    follower = Follower(ledger.store, target, Counter(fail_at=3), batch_size=2)
    assert follower.step() == 2
    with pytest.raises(RuntimeError):
        follower.step()
    assert follower.position() == 2 and rows(follower) == [(1,), (2,)]
    follower.close()
