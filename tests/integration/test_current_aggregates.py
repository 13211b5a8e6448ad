"""Checks made before every command cost the same whatever an aggregate's history (issue 22).

The API's scope check reads the learner before each command. It used to replay the whole
history each time (decisions fell from 77/s to 22/s as one learner neared 1000 attempts);
:class:`CurrentAggregates` reads only the events stored after its cached version.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

import pytest

from ledger.application import Ledger
from ledger.application.queries import CurrentAggregates, replay
from tests.builders import admit, on, open_option, run


def _sit(ledger: Ledger, learner: UUID) -> None:
    when = "2019-11-10"
    run(
        ledger,
        on(learner, "AuthoriseTest", "jury_qualification", when, uaa="UAA1", representatives_informed=True),
    )
    run(ledger, on(learner, "RecordAttempt", "jury_delegate", when, uaa="UAA1", passed=False))


def test_each_read_fetches_only_the_new_events(ledger: Ledger, monkeypatch: pytest.MonkeyPatch) -> None:
    """Events read per lookup stay at the two new ones while the history grows past 120 events."""
    open_option(ledger)
    learner = admit(ledger)
    current = CurrentAggregates(ledger.store)
    events = ledger.store.events
    read: list[int] = []
    real_get = events.get

    def counted(*args: Any, **kwargs: Any) -> Any:
        found = list(real_get(*args, **kwargs))
        read.append(len(found))
        return found

    monkeypatch.setattr(events, "get", counted)
    first = current.get(learner)
    assert read == [1]  # the admission: the first read replays the history
    for _ in range(60):
        _sit(ledger, learner)
        read.clear()
        seen = current.get(learner)
        assert sum(read) == 2, read  # the authorisation and the attempt, never the history
    assert seen is first  # the same cached object, brought forward
    monkeypatch.undo()
    stored = replay(ledger.store, learner)
    assert seen.version == stored.version == 121
    assert list(seen.log) == list(stored.log)
    assert seen.fase == stored.fase


def test_unknown_aggregate_is_none(ledger: Ledger) -> None:
    """An id the store does not hold reads as None (the scope check then answers 404)."""
    assert CurrentAggregates(ledger.store).get(UUID(int=7)) is None
