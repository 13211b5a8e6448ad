"""Which named aggregates exist, probed in one query per chunk, on SQLite and PostgreSQL.

``Ledger.execute_all`` asks the recorder once which ids a list of commands names are stored
(instead of one read per admission); the decisions must be the ones the per-id reads gave:
an existing learner's second admission is still refused, new ones are recorded.
"""

from __future__ import annotations

import uuid

import pytest

from ledger.adapters.recorders import PROBE_CHUNK
from ledger.application import Ledger
from ledger.application.registry import parse_command
from ledger.domain.errors import LedgerError
from tests.builders import admission, admit, open_option
from tests.conftest import make_ledger


def test_select_stored_ids_answers_exactly_the_stored(ledger: Ledger) -> None:
    """Stored ids are found, unknown ones are not, past one chunk of ids too."""
    open_option(ledger)
    stored = [admit(ledger) for _ in range(3)]
    unknown = [uuid.uuid4() for _ in range(PROBE_CHUNK + 5)]
    probe = ledger.store.recorder.select_stored_ids  # type: ignore[attr-defined]
    assert probe([*unknown[:7], *stored, *unknown[7:]]) == set(stored)
    assert probe(unknown) == set()


def test_batch_refuses_an_existing_learners_admission(ledger: Ledger) -> None:
    """Probed ids decide as per-id reads did: the taken id is refused, nothing is written."""
    open_option(ledger)
    taken = admit(ledger)
    before = ledger.store.recorder.max_notification_id()
    batch = [parse_command(admission(uuid.uuid4())), parse_command(admission(taken))]
    with pytest.raises(LedgerError, match="command 2:"):
        ledger.execute_all(batch, batch=10)
    assert ledger.store.recorder.max_notification_id() == before


def test_batch_of_new_admissions_is_recorded(store_location: str) -> None:
    """New learners admitted in one batch are all stored, and readable afterwards."""
    ledger = make_ledger(store_location)
    try:
        open_option(ledger)
        new = [uuid.uuid4() for _ in range(4)]
        outcomes = ledger.execute_all([parse_command(admission(i)) for i in new], batch=3)
        assert [o.aggregate_id for o in outcomes] == new
        assert ledger.store.recorder.select_stored_ids(new) == set(new)  # type: ignore[attr-defined]
        assert all(ledger.store.repository.get(i).version == 1 for i in new)
    finally:
        ledger.store.close()
