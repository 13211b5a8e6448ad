"""Large batches are written to PostgreSQL by COPY with every guarantee of the library's path (issue 22).

Oracles: eventsourcing's own ``PostgresApplicationRecorder`` path (the same recorder with
``copy_threshold=None``) writing the same batch into another schema, and the database read
back through fresh connections (notification log, idempotency receipts, identity tables,
``LISTEN``). Real PostgreSQL; fails in CI without it.
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterator
from typing import Any

import psycopg
import pytest
from eventsourcing.persistence import IntegrityError, StoredEvent

from ledger.adapters.identity import SealedIdentity
from ledger.adapters.recorders import IDEMPOTENCY_TABLE, Receipt
from ledger.adapters.recorders_pg import COPY_THRESHOLD, PostgresReceiptRecorder
from ledger.adapters.store import StoreTarget, iter_notifications
from ledger.application import parse_command
from ledger.application.ledger import Ledger
from ledger.domain.errors import ConcurrencyConflict
from tests.builders import admission, admit, on, open_option, run
from tests.conftest import make_ledger, pg_url_with_schema, require_service

pytestmark = pytest.mark.postgres

BATCH = COPY_THRESHOLD * 3 + 7


@pytest.fixture
def schemas() -> Iterator[list[str]]:
    """Fresh PostgreSQL schema URLs, dropped afterwards."""
    made: list[str] = []
    yield made
    base = require_service("LEDGER_TEST_PG_URL", "PostgreSQL")
    with psycopg.connect(base.split("?")[0], autocommit=True) as conn:
        for url in made:
            schema = url.rsplit("schema=", 1)[1]
            conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')


def _ledger(schemas: list[str]) -> Ledger:
    url = pg_url_with_schema(f"t_{uuid.uuid4().hex[:12]}")
    schemas.append(url)
    return make_ledger(url)


def _recorder(ledger: Ledger) -> PostgresReceiptRecorder:
    recorder = ledger.store.recorder
    assert isinstance(recorder, PostgresReceiptRecorder)
    return recorder


def _batch(originators: int, versions: int, first_version: int = 1) -> list[StoredEvent]:
    """Events of several aggregates interleaved (as a batch of commands writes them)."""
    ids = [uuid.uuid4() for _ in range(originators)]
    return [
        StoredEvent(oid, v, f"tests.topic:E{v}", f'{{"v": {v}, "o": "{oid}"}}'.encode() + bytes([0, 255]))
        for v in range(first_version, first_version + versions)
        for oid in ids
    ]


def _log(ledger: Ledger) -> list[tuple[int, uuid.UUID, int, str, bytes]]:
    rows = _recorder(ledger).select_notifications(start=None, limit=1_000_000)
    return [(n.id, n.originator_id, n.originator_version, n.topic, n.state) for n in rows]


def _count(location: str, table: str) -> int:
    target = StoreTarget.parse(location)
    conn = target.connect()
    try:
        return int(conn.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0])
    finally:
        conn.close()


def test_copy_gives_the_library_paths_ids_in_the_events_order(schemas: list[str]) -> None:
    """The same batches through COPY and through the library: same ids, same log, same order."""
    copying, library = _ledger(schemas), _ledger(schemas)
    _recorder(library).copy_threshold = None
    small, large = _batch(2, 1), _batch(13, BATCH // 13 + 1)
    assert len(large) >= COPY_THRESHOLD
    results = []
    for ledger in (copying, library):
        first = _recorder(ledger).insert_events(small)
        second = _recorder(ledger).insert_events(large)
        results.append((first, second, _log(ledger)))
    assert results[0] == results[1]
    first, second, log = results[0]
    assert second == list(range(len(small) + 1, len(small) + len(large) + 1))
    assert [(oid, v) for _, oid, v, _, _ in log] == [
        (e.originator_id, e.originator_version) for e in small + large
    ]
    assert log[-1][4] == large[-1].state  # bytes survive the binary COPY unchanged


def test_ledger_positions_are_the_same_on_both_paths(schemas: list[str]) -> None:
    """``ledger record --batch``'s positions (from the returned ids) agree with the library's path."""
    outcomes = []
    for copy in (True, False):
        ledger = _ledger(schemas)
        if not copy:
            _recorder(ledger).copy_threshold = None
        open_option(ledger)
        commands = [_admission(uuid.UUID(int=i + 1)) for i in range(COPY_THRESHOLD + 5)]
        done = ledger.execute_all(commands, batch=len(commands))
        outcomes.append([(o.events, o.positions) for o in done])
        assert [p for o in done for p in o.positions] == [
            n.id - 1 for n in iter_notifications(ledger.store) if n.id > 1
        ]
        ledger.store.close()
    assert outcomes[0] == outcomes[1]


def test_a_duplicate_raises_integrity_error_and_writes_nothing(schemas: list[str]) -> None:
    """A batch repeating a stored (originator, version) fails whole; the connection stays usable."""
    ledger = _ledger(schemas)
    recorder = _recorder(ledger)
    stored = _batch(1, 3)
    recorder.insert_events(stored)
    before = _log(ledger)
    clashing = [*_batch(5, COPY_THRESHOLD // 5 + 1), stored[1]]
    with pytest.raises(IntegrityError):
        recorder.insert_events(clashing)
    assert _log(ledger) == before
    again = _batch(5, COPY_THRESHOLD // 5 + 1)
    ids = recorder.insert_events(again)
    assert ids is not None and len(ids) == len(again)
    assert len(_log(ledger)) == len(before) + len(again)


def test_two_writers_of_the_same_versions_one_wins(schemas: list[str]) -> None:
    """Two processes' recorders COPY the same (originator, version) concurrently: exactly one commits."""
    first = _ledger(schemas)
    second = make_ledger(schemas[0])
    batch = _batch(7, COPY_THRESHOLD // 7 + 2)
    errors: list[BaseException] = []

    def write(ledger: Ledger) -> None:
        try:
            _recorder(ledger).insert_events(batch)
        except IntegrityError as exc:
            errors.append(exc)

    threads = [threading.Thread(target=write, args=(ledger,)) for ledger in (first, second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    second.store.close()
    assert len(errors) == 1
    assert len(_log(first)) == len(batch)


def _admission(learner: uuid.UUID) -> Any:
    return parse_command(admission(learner))


def test_a_stale_writer_conflicts_and_its_large_batch_leaves_no_identity(schemas: list[str]) -> None:
    """A batch of admissions ending on a stale aggregate: ConcurrencyConflict, nothing written."""
    ledger = _ledger(schemas)
    location = schemas[0]
    open_option(ledger)
    learner = admit(ledger)
    ledger.get(learner)  # cached by this writer
    other = make_ledger(location)
    try:
        run(
            other,
            on(
                learner,
                "AuthoriseTest",
                "jury_qualification",
                "2019-11-10",
                uaa="UAA1",
                representatives_informed=True,
            ),
        )
    finally:
        other.store.close()
    events, identities = len(list(iter_notifications(ledger.store))), _count(location, "learner_identity")
    commands = [_admission(uuid.uuid4()) for _ in range(COPY_THRESHOLD + 5)]
    commands.append(
        parse_command(
            on(
                learner,
                "AuthoriseTest",
                "jury_qualification",
                "2019-11-10",
                uaa="UAA2",
                representatives_informed=True,
            )
        )
    )
    with pytest.raises(ConcurrencyConflict):
        ledger.execute_all(commands, batch=len(commands))
    assert len(list(iter_notifications(ledger.store))) == events
    assert _count(location, "learner_identity") == identities
    assert _count(location, "learner_lookup") == identities * 4


def test_receipt_and_identities_roll_back_with_a_failing_copy(schemas: list[str]) -> None:
    """The receipt and the sealed identities are in the COPY's transaction: a duplicate undoes them."""
    ledger = _ledger(schemas)
    location = schemas[0]
    recorder = _recorder(ledger)
    stored = _batch(1, 1)
    recorder.insert_events(stored)
    sealed = SealedIdentity(
        learner_id=str(uuid.uuid4()),
        wrapped_key=b"w",
        nonce=b"n" * 12,
        sealed=b"s",
        nrn_mac=None,
        lookup=("d1",),
    )
    receipt = Receipt("test", "k1", "h", 201, {"ok": True}, ())
    batch = _batch(3, COPY_THRESHOLD)
    with pytest.raises(IntegrityError):
        recorder.insert_events([*batch, stored[0]], receipt=receipt, identities=[sealed])
    assert (_count(location, IDEMPOTENCY_TABLE), _count(location, "learner_identity")) == (0, 0)
    assert (_count(location, "learner_key"), _count(location, "learner_lookup")) == (0, 0)
    recorder.insert_events(batch, receipt=receipt, identities=[sealed])
    assert (_count(location, IDEMPOTENCY_TABLE), _count(location, "learner_identity")) == (1, 1)
    assert (_count(location, "learner_key"), _count(location, "learner_lookup")) == (1, 1)
    with pytest.raises(IntegrityError):  # the same receipt again: the events are refused with it
        recorder.insert_events(_batch(3, COPY_THRESHOLD), receipt=receipt)
    assert len(_log(ledger)) == 1 + len(batch)


def test_copy_notifies_the_channel_listeners(schemas: list[str]) -> None:
    """Subscribers (``LISTEN``) hear of a COPY batch, as of the library's inserts."""
    ledger = _ledger(schemas)
    recorder = _recorder(ledger)
    base = require_service("LEDGER_TEST_PG_URL", "PostgreSQL").split("?")[0]
    with psycopg.connect(base, autocommit=True) as listener:
        listener.execute(f'LISTEN "{recorder.channel_name}"')
        recorder.insert_events(_batch(4, COPY_THRESHOLD))
        heard = [n.channel for n in listener.notifies(timeout=5, stop_after=1)]
    assert heard == [recorder.channel_name]
