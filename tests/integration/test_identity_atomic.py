"""An admission and its identity commit in ONE transaction with its events (issue 16, item 4).

Oracles: the store read back through fresh connections (the event log and the identity
tables), on a SQLite file and on PostgreSQL. Each test makes one half of the transaction
fail on a primary key: the other half must not be there either.
"""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from ledger.adapters.recorders import Receipt
from ledger.adapters.store import StoreTarget, iter_notifications
from ledger.application import parse_command
from ledger.application.ledger import Ledger
from ledger.domain.errors import ConcurrencyConflict
from tests.builders import admission, open_option
from tests.conftest import make_ledger


def _admission(learner: uuid.UUID) -> Any:
    return parse_command(admission(learner))


def _identity_rows(location: str, learner: uuid.UUID) -> int:
    conn = StoreTarget.parse(location).connect()
    try:
        p = StoreTarget.parse(location).placeholder
        return sum(
            conn.execute(f"SELECT COUNT(*) FROM {t} WHERE learner_id = {p}", (str(learner),)).fetchone()[0]
            for t in ("learner_identity", "learner_key")
        )
    finally:
        conn.close()


def _lookup_rows(location: str, learner: uuid.UUID) -> int:
    """The learner's keyed blind-index digests (``ledger learner find``), read back."""
    target = StoreTarget.parse(location)
    conn = target.connect()
    try:
        sql = f"SELECT COUNT(*) FROM learner_lookup WHERE learner_id = {target.placeholder}"
        return int(conn.execute(sql, (str(learner),)).fetchone()[0])
    finally:
        conn.close()


def _logged(ledger: Ledger, learner: uuid.UUID) -> int:
    return sum(1 for n in iter_notifications(ledger.store) if n.originator_id == learner)


def _receipt(key: str) -> Receipt:
    return Receipt("test", key, "h", 201, {"ok": True}, ())


@pytest.fixture
def opened(store_location: str) -> Any:
    ledger = make_ledger(store_location)
    open_option(ledger)
    yield ledger, store_location
    ledger.store.close()


def test_admission_writes_identity_with_its_events(opened: Any) -> None:
    """The identity is readable through another connection as soon as the admission returns."""
    ledger, location = opened
    learner = uuid.uuid4()
    ledger.execute(_admission(learner))
    assert _logged(ledger, learner) == 1
    assert _identity_rows(location, learner) == 2  # its sealed identity and its wrapped data key
    # its blind index too: two name words, the birth date and the national number
    assert _lookup_rows(location, learner) == 4


def test_refused_receipt_leaves_no_identity(opened: Any) -> None:
    """A receipt conflicting on its key rolls back the events AND the identity."""
    ledger, location = opened
    ledger.execute(_admission(uuid.uuid4()), receipt=lambda _: _receipt("same"))
    learner = uuid.uuid4()
    with pytest.raises(ConcurrencyConflict):
        ledger.execute(_admission(learner), receipt=lambda _: _receipt("same"))
    assert _logged(ledger, learner) == 0
    assert _identity_rows(location, learner) == 0
    assert _lookup_rows(location, learner) == 0


def _refuse_identities(location: str) -> None:
    """A trigger in the database refusing every identity row (a fault injected in the store)."""
    target = StoreTarget.parse(location)
    conn = target.connect()
    if target.kind == "sqlite":
        conn.execute(
            "CREATE TRIGGER refuse_identity BEFORE INSERT ON learner_identity "
            "BEGIN SELECT RAISE(ABORT, 'injected fault'); END"
        )
    else:
        conn.execute(
            "CREATE FUNCTION refuse_identity() RETURNS trigger LANGUAGE plpgsql AS "
            "$$ BEGIN RAISE EXCEPTION 'injected fault' USING ERRCODE = '23514'; END $$"
        )
        conn.execute(
            "CREATE TRIGGER refuse_identity BEFORE INSERT ON learner_identity "
            "FOR EACH ROW EXECUTE FUNCTION refuse_identity()"
        )
    conn.close()


def test_failing_identity_leaves_no_admission(opened: Any) -> None:
    """An identity row the database refuses rolls the admission's events back too."""
    ledger, location = opened
    _refuse_identities(location)
    learner = uuid.uuid4()
    with pytest.raises(Exception, match=r"injected fault|another writer"):
        ledger.execute(_admission(learner))
    assert _logged(ledger, learner) == 0
    assert _identity_rows(location, learner) == 0
    assert _lookup_rows(location, learner) == 0
