"""The write side's aggregate cache: a refused or conflicting command leaves nothing stale behind."""

from __future__ import annotations

from typing import Any

import pytest

from ledger.application import Ledger
from ledger.domain.errors import ConcurrencyConflict, LedgerError
from tests.builders import admit, on, open_option, run
from tests.conftest import make_ledger


def _authorise(learner: Any, uaa: str) -> dict[str, Any]:
    return on(
        learner, "AuthoriseTest", "jury_qualification", "2019-11-10", uaa=uaa, representatives_informed=True
    )


def test_retry_after_a_conflict_decides_on_the_stored_state(ledger: Ledger, store_location: str) -> None:
    """Another writer moved the learner on: the conflict is reported, and the retry succeeds.

    The retry must not reuse the cached aggregate (which holds the refused write's event).
    """
    open_option(ledger)
    learner = admit(ledger)
    ledger.get(learner)  # cached by this writer
    other = make_ledger(store_location)
    try:
        run(other, _authorise(learner, "UAA1"))
    finally:
        other.store.close()
    with pytest.raises(ConcurrencyConflict):
        run(ledger, _authorise(learner, "UAA2"))
    outcome = run(ledger, _authorise(learner, "UAA2"))
    assert outcome.events == [f"{learner}/3"]
    stored = [e.originator_version for e in ledger.store.events.get(learner)]
    assert stored == [1, 2, 3]


def test_a_refused_command_then_an_accepted_one_sees_the_stored_state(ledger: Ledger) -> None:
    """A refusal writes nothing and empties the cache; the next command follows the stored events."""
    open_option(ledger)
    learner = admit(ledger)
    ledger.get(learner)
    with pytest.raises(LedgerError):
        run(ledger, on(learner, "ValidateUnit", "jury_delegate", "2019-11-10", uaa="UAA1"))
    with pytest.raises(KeyError):  # eventsourcing's LRUCache.clear() alone kept every entry
        ledger.store.repository.cache.get(learner)
    outcome = run(ledger, _authorise(learner, "UAA1"))
    assert outcome.events == [f"{learner}/2"]
