"""The certificate index (issue 22): one certificate read through a partial expression index on
the events table, equal to the log scan for every certificate of a demo log, on both backends.

Oracle: the log scan (``_scan_certificates``), which reads every issuance and revocation
event; and the databases' own planners (EXPLAIN) for the index being used.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from typing import Any

import pytest

from ledger.adapters import certindex
from ledger.adapters.migrations import applied, events_table
from ledger.adapters.store import StoreTarget
from ledger.application import Ledger, parse_command
from ledger.application.queries import (
    _scan_certificates,
    certificate,
    indexed_certificate_rows,
)
from ledger.bootstrap import migrate_all
from ledger.demo.cpu import demo_commands, resolve_refs
from ledger.domain.errors import UnknownEntity
from tests.conftest import make_ledger


def _record(ledger: Ledger) -> None:
    raw = demo_commands(11, 60, 30, date(2026, 11, 1))
    ledger.execute_all((parse_command(resolve_refs(ledger, r)) for r in raw), batch=500)


@pytest.fixture
def demo(store_location: str) -> Iterator[tuple[Ledger, str]]:
    """A demo log (CPU learners and CléA candidates, with revocations) on each backend."""
    app = make_ledger(store_location)
    _record(app)
    yield app, store_location
    app.store.close()


def _drop_index(location: str) -> None:
    """Make the store look like one written before the index (no index, chain not applied)."""
    target = StoreTarget.parse(location)
    conn = target.connect()
    conn.execute(f"DROP INDEX IF EXISTS {certindex.INDEX}")
    conn.execute("DROP TABLE IF EXISTS ledger_migrations_events")
    conn.close()


def test_indexed_lookup_equals_the_scan_for_every_certificate(demo: tuple[Ledger, str]) -> None:
    ledger, _ = demo
    scanned = _scan_certificates(ledger.store)
    revoked = {row.kind.startswith("clea") for row in scanned if row.status == "revoked"}
    assert revoked == {True, False}, "the demo revokes a CPU and a CléA certificate"
    for row in scanned:
        got = indexed_certificate_rows(ledger.store, row.certificate_id)
        assert got is not None, "the store opened by bootstrap has the index"
        assert [r.to_dict() for r in got] == [row.to_dict()]
        assert certificate(ledger.store, row.certificate_id) == row.to_dict()
    assert indexed_certificate_rows(ledger.store, "no-such-certificate") == []
    with pytest.raises(UnknownEntity):
        certificate(ledger.store, "no-such-certificate")


def test_planner_uses_the_index(demo: tuple[Ledger, str]) -> None:
    ledger, location = demo
    target = StoreTarget.parse(location)
    conn = target.connect()
    cert = _scan_certificates(ledger.store)[0].certificate_id
    if target.placeholder == "?":
        plan = conn.execute("EXPLAIN QUERY PLAN " + certindex.sqlite_lookup_sql(), (cert,)).fetchall()
        text = " ".join(str(r[-1]) for r in plan)
    else:
        conn.execute("SET enable_seqscan = off")  # a demo-sized table: ask whether it *can* use it
        schema = ledger.store.recorder.datastore.schema  # type: ignore[attr-defined]
        plan = conn.execute("EXPLAIN " + certindex.pg_lookup_sql(schema), (cert,)).fetchall()
        text = " ".join(str(r[0]) for r in plan)
    conn.close()
    assert certindex.INDEX in text, text


def test_migration_applies_to_an_existing_store_once(demo: tuple[Ledger, str]) -> None:
    ledger, location = demo
    _drop_index(location)
    scanned = {r.certificate_id: r.to_dict() for r in _scan_certificates(ledger.store)}
    some = next(iter(scanned))
    assert indexed_certificate_rows(ledger.store, some) is None, "without the index: no answer"
    assert certificate(ledger.store, some) == scanned[some], "the scan answers instead"

    target = StoreTarget.parse(location)
    conn = target.connect()
    assert migrate_all(conn, target.placeholder)["events"] == [1]
    assert migrate_all(conn, target.placeholder)["events"] == []
    assert applied(conn, target.placeholder, "events") == [1]
    conn.close()
    for cert, row in scanned.items():
        got = indexed_certificate_rows(ledger.store, cert)
        assert got is not None and [r.to_dict() for r in got] == [row]


def test_new_certificate_events_enter_the_index(store_location: str) -> None:
    """Written after the migration: the database keeps the index, the second half of a demo's
    certificates (issued and revoked after the first half was read) are found through it."""
    ledger = make_ledger(store_location)
    raw = list(demo_commands(11, 60, 30, date(2026, 11, 1)))
    cut = len(raw) * 2 // 3
    ledger.execute_all((parse_command(resolve_refs(ledger, r)) for r in raw[:cut]), batch=500)
    before = {r.certificate_id: r.to_dict() for r in _scan_certificates(ledger.store)}
    ledger.execute_all((parse_command(resolve_refs(ledger, r)) for r in raw[cut:]), batch=500)
    changed = [r for r in _scan_certificates(ledger.store) if before.get(r.certificate_id) != r.to_dict()]
    ledger.store.close()
    assert changed, "the demo's last third issues or revokes certificates"
    reopened = make_ledger(store_location)
    for row in changed:
        got = indexed_certificate_rows(reopened.store, row.certificate_id)
        assert got is not None and [r.to_dict() for r in got] == [row.to_dict()]
    reopened.store.close()


def test_events_chain_waits_for_the_event_table(tmp_path: Any) -> None:
    """A database without the event store's table (identity-only use) gets no ``events`` chain."""
    target = StoreTarget.parse(str(tmp_path / "bare.db"))
    conn = target.connect()
    assert "events" not in migrate_all(conn, "?")
    assert events_table("?") == "stored_events"
    conn.close()
