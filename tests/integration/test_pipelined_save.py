"""Saving a decided file in several transactions (the writer thread), on SQLite and PostgreSQL.

``Ledger.execute_all`` maps the next chunk's events while a writer thread commits the previous
one: transactions must still commit in order, positions must name the stored events, progress
is reported per chunk, and a chunk failing on a concurrent write stops the chunks after it.
"""

from __future__ import annotations

import uuid

import pytest

from ledger.application.ledger import PIPELINE_MIN_BATCH
from ledger.application.queries import iter_notifications
from ledger.application.registry import parse_command
from ledger.domain.errors import ConcurrencyConflict
from tests.builders import admission, on, open_option
from tests.conftest import make_ledger


def test_positions_and_progress_across_chunks(store_location: str) -> None:
    """Every outcome's positions are its events' places in the log; progress comes per chunk."""
    ledger = make_ledger(store_location)
    try:
        open_option(ledger)
        size = PIPELINE_MIN_BATCH
        learners = [uuid.uuid4() for _ in range(2 * size + 1)]
        seen: list[int] = []
        outcomes = ledger.execute_all(
            [parse_command(admission(i)) for i in learners], batch=size, progress=seen.append
        )
        assert seen == [size, size, 1]
        log = {
            (uuid.UUID(str(n.originator_id)), n.originator_version): n.id - 1
            for n in iter_notifications(ledger.store)
        }
        for learner, outcome in zip(learners, outcomes, strict=True):
            assert outcome.positions == [log[(learner, 1)]]
        assert sorted(o.positions[0] for o in outcomes) == [o.positions[0] for o in outcomes]
    finally:
        ledger.store.close()


def test_conflict_in_a_later_chunk_stops_the_rest(store_location: str) -> None:
    """Chunk 1 committed, chunk 2 refused by the store (another writer got there), chunk 3 never written."""
    ledger = make_ledger(store_location)
    other = make_ledger(store_location)
    try:
        open_option(ledger)
        size = PIPELINE_MIN_BATCH
        learners = [uuid.uuid4() for _ in range(3 * size)]
        taken = learners[size + 1]  # in chunk 2
        seen: list[int] = []

        def progress(done: int) -> None:
            seen.append(done)
            if len(seen) == 1:  # between chunk 1's commit and chunk 2's write
                other.execute(parse_command(admission(taken)))

        with pytest.raises(ConcurrencyConflict):
            ledger.execute_all([parse_command(admission(i)) for i in learners], batch=size, progress=progress)
        assert seen == [size]
        probe = other.store.recorder.select_stored_ids  # type: ignore[attr-defined]
        assert probe(learners) == {*learners[:size], taken}
    finally:
        ledger.store.close()
        other.store.close()


@pytest.mark.parametrize("batch", [1, PIPELINE_MIN_BATCH - 1, PIPELINE_MIN_BATCH])
def test_outcome_event_ids_name_the_stored_events(store_location: str, batch: int) -> None:
    """Each outcome lists ``<aggregate>/<version>`` of exactly the events its command stored.

    The ids are named off the deciding path (while a chunk commits, or before a receipt):
    every way of saving must still give each outcome its own events, in version order.
    """
    ledger = make_ledger(store_location)
    try:
        open_option(ledger)
        learners = [uuid.uuid4() for _ in range(2 * PIPELINE_MIN_BATCH + 1)]
        commands = [parse_command(admission(i)) for i in learners]
        for learner in learners:
            commands.append(
                parse_command(on(learner, "AuthoriseTest", "jury_qualification", "2019-11-10", uaa="UAA1"))
            )
        single = ledger.execute(
            parse_command(admission(uuid.uuid4()))
        )  # one command, one transaction (the API's path)
        outcomes = [single, *ledger.execute_all(commands, batch=batch)]
        stored = {
            n.id - 1: f"{uuid.UUID(str(n.originator_id))}/{n.originator_version}"
            for n in iter_notifications(ledger.store)
        }
        for outcome in outcomes:
            assert outcome.events, outcome
            assert outcome.events == [stored[p] for p in outcome.positions]
            assert all(e.startswith(f"{outcome.aggregate_id}/") for e in outcome.events)
        named = [e for o in outcomes[1:] for e in o.events]
        assert len(named) == len(set(named)) == len(commands)
        assert {f"{i}/2" for i in learners} <= set(named)
    finally:
        ledger.store.close()
