"""A rebuild split by learner between forked processes (:mod:`projections.partition`) writes
exactly the rows of the one-process rebuild and of the live follower, on a log of CPU and CléA
events from several schools whose learners' events interleave; each event is read by exactly
one worker; a worker killed mid-way leaves every read model empty at position 0 and a second
run gives the same tables; PostgreSQL read models are rebuilt in one process."""

from __future__ import annotations

import os
import signal
from pathlib import Path
from typing import Any

import pytest

from ledger.adapters.store import StoreTarget, open_store
from projections import partition, stats
from projections.base import read_page
from projections.errors import RebuildWorkerFailed
from projections.registry import catch_up, close, followers, rebuild, split_rebuild
from projections.registry import export as export_all
from tests.conftest import make_services
from tests.integration.test_projections import record_demo_in_chunks
from tests.integration.test_projections_readahead import revoke_a_validation


def _built(store_location: str) -> tuple[list[Any], dict[str, Any], int]:
    """The demo recorded in chunks, followed live; then ONLY the log's store and the read
    models' followers open (as ``ledger projections rebuild`` opens them): nothing else may
    hold a connection across the workers' fork, or the rebuild stays in one process."""
    target = StoreTarget.parse(store_location)
    services = make_services(store_location)
    live_fols = record_demo_in_chunks(services.ledger, target, chunks=4)
    revoke_a_validation(services.ledger)
    catch_up(live_fols)
    live = export_all(live_fols)
    head = int(services.store.recorder.max_notification_id() or 0)
    close(live_fols)
    services.close()
    fols = followers(open_store(target), target, batch_size=37)
    return fols, live, head


def _close(fols: list[Any]) -> None:
    store = fols[0].store
    close(fols)
    store.close()


def _positions(fols: list[Any]) -> list[int]:
    return [f.position() for f in fols]


@pytest.mark.parametrize("processes", [2, 3])
def test_partitioned_rebuild_equals_one_process_and_the_follower(store_location: str, processes: int) -> None:
    fols, live, head = _built(store_location)
    assert live["rm_cpu_attempt"] and live["rm_clea_candidate"] and live["rm_cpu_option"]
    assert live["rm_law_fact"] and live["rm_certificate"]
    assert rebuild(fols, processes=1) == len(fols) * head
    assert export_all(fols) == live
    split = split_rebuild(fols, processes=processes)
    if store_location.startswith("postgresql"):
        assert split is None  # PostgreSQL read models: one process
        assert partition.last["processes"] == 1
    else:
        assert split == len(fols) * head
        assert partition.last["processes"] == processes  # what the benchmark reports
    assert export_all(fols) == live
    assert _positions(fols) == [head] * len(fols)
    _close(fols)


def test_partitioned_rebuild_stops_at_until(store_location: str) -> None:
    fols, _live, head = _built(store_location)
    until = head // 2 // 37 * 37  # a batch's end: the one-process rebuild stops at one
    rebuild(fols, until, processes=1)
    first_half = export_all(fols)
    got = split_rebuild(fols, until, processes=2)
    assert (got is None) == store_location.startswith("postgresql")  # PostgreSQL: one process
    if got is not None:
        assert _positions(fols) == [until] * len(fols)
        assert export_all(fols) == first_half
        # past the end: positions at the head, never beyond (later events must not be skipped)
        assert split_rebuild(fols, head + 1000, processes=2) == len(fols) * head
        assert _positions(fols) == [head] * len(fols)
    _close(fols)


def test_each_event_is_read_by_exactly_one_worker(tmp_path: Path) -> None:
    """(SQLite: the page filter is SQL on its events table; PostgreSQL rebuilds in one process.)"""
    fols, _live, head = _built(str(tmp_path / "ledger.db"))
    recorder = fols[0].store.recorder
    every = [n.id for n in read_page(recorder, 1, head + 10)]
    for count in (2, 3, 16):
        parts_of = [partition.part(i, count, head) for i in range(count)]
        seen = [n.id for only in parts_of for n in read_page(recorder, 1, head + 10, only)]
        assert sorted(seen) == every
        parts = [len(read_page(recorder, 1, head, only)) for only in parts_of]
        assert count == 16 or all(parts)  # every worker gets learners (random ids: ~40 learners)
    _close(fols)


def test_a_killed_worker_leaves_positions_at_zero_and_a_rerun_gives_equal_tables(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """(SQLite: PostgreSQL read models rebuild in one process, there is no worker to kill.)"""
    store_location = str(tmp_path / "ledger.db")
    fols, live, _head = _built(store_location)
    parent = os.getpid()
    write = stats.StatsProjection.write

    def dies_in_the_child(self: Any, db: Any, work: Any) -> None:
        if os.getpid() != parent:
            os.kill(os.getpid(), signal.SIGKILL)  # a real SIGKILL of the worker, mid-way
        write(self, db, work)

    monkeypatch.setattr(stats.StatsProjection, "write", dies_in_the_child)
    with pytest.raises(RebuildWorkerFailed, match="killed by signal 9"):
        split_rebuild(fols, processes=2)
    assert _positions(fols) == [0] * len(fols)
    assert not any(export_all(fols).values())
    monkeypatch.setattr(stats.StatsProjection, "write", write)
    assert split_rebuild(fols, processes=2) is not None
    assert export_all(fols) == live
    assert not [p for p in os.listdir(os.path.dirname(store_location)) if p.startswith(".rebuild-")]
    _close(fols)
