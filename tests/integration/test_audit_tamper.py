"""Tamper detection: rows changed, removed, swapped, moved or inserted behind the ledger's back
(plain SQL on the eventsourcing table) are found by ``verify``, naming the position."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from ledger.adapters.follower import Db
from ledger.adapters.keys import LogKeyStore
from ledger.adapters.store import StoreTarget
from ledger.application import Ledger
from ledger.audit.errors import LeafMismatch
from ledger.audit.log import AuditLog
from tests.builders import admit, open_option

EVENTS = 9  # one option + eight admissions


class Table:
    """The eventsourcing events table of one backend, for tampering with plain SQL."""

    def __init__(self, location: str) -> None:
        self.db = Db(StoreTarget.parse(location))
        sqlite = self.db.kind == "sqlite"
        self.name = "stored_events" if sqlite else "ledger_events"
        self.pos = "rowid" if sqlite else "notification_id"

    def state(self, position: int) -> bytes:
        return bytes(
            self.db.execute(
                f"SELECT state FROM {self.name} WHERE {self.pos} = ?", (position + 1,)
            ).fetchone()[0]
        )

    def set_state(self, position: int, state: bytes) -> None:
        self.db.execute(f"UPDATE {self.name} SET state = ? WHERE {self.pos} = ?", (state, position + 1))

    def renumber(self, old: int, new: int) -> None:
        self.db.execute(f"UPDATE {self.name} SET {self.pos} = ? WHERE {self.pos} = ?", (new + 1, old + 1))

    def delete(self, position: int) -> None:
        self.db.execute(f"DELETE FROM {self.name} WHERE {self.pos} = ?", (position + 1,))

    def insert_at(self, position: int, topic: str, state: bytes) -> None:
        """Shift every row from ``position`` up by one and insert a forged event there."""
        for p in range(EVENTS - 1, position - 1, -1):
            self.renumber(p, p + 1)
        forged = uuid.uuid4()
        key: Any = forged.hex if self.db.kind == "sqlite" else forged
        self.db.execute(
            f"INSERT INTO {self.name} (originator_id, originator_version, topic, state, "
            f"{self.pos}) VALUES (?, ?, ?, ?, ?)",
            (key, 1, topic, state, position + 1),
        )

    def topic(self, position: int) -> str:
        return str(
            self.db.execute(
                f"SELECT topic FROM {self.name} WHERE {self.pos} = ?", (position + 1,)
            ).fetchone()[0]
        )


@pytest.fixture
def logged(ledger: Ledger, store_location: str, tmp_path: Path) -> Iterator[tuple[AuditLog, Table]]:
    """Nine events, all logged under a signed checkpoint, and raw access to the table."""
    open_option(ledger)
    for _ in range(EVENTS - 1):
        admit(ledger)
    audit = AuditLog(StoreTarget.parse(store_location), ledger.store, keys=LogKeyStore(tmp_path / "keys"))
    audit.keys.generate("test.example/log")
    assert audit.checkpoint()[1].size == EVENTS
    assert audit.verify().ok
    table = Table(store_location)
    yield audit, table
    table.db.close()
    audit.close()


def edit_state(t: Table) -> None:
    t.set_state(4, t.state(4).replace(b"2019", b"2018"))


def swap_states(t: Table) -> None:
    a, b = t.state(0), t.state(6)  # admissions built alike have equal states: swap with the option's
    assert a != b
    t.set_state(0, b)
    t.set_state(6, a)


def swap_positions(t: Table) -> None:
    t.renumber(3, 100)
    t.renumber(6, 3)
    t.renumber(100, 6)


def insert_row(t: Table) -> None:
    t.insert_at(5, t.topic(4), t.state(4).replace(b"2019", b"2017"))


CASES: dict[str, tuple[Callable[[Table], None], set[tuple[str, int]]]] = {
    "edit": (edit_state, {("altered", 4)}),
    "delete": (lambda t: t.delete(2), {("removed", 2)}),
    "delete-last": (lambda t: t.delete(EVENTS - 1), {("removed", EVENTS - 1)}),
    "swap-states": (swap_states, {("altered", 0), ("altered", 6)}),
    "swap-positions": (swap_positions, {("moved", 3), ("moved", 6)}),
    "insert": (insert_row, {("altered", 5), *{("moved", p) for p in range(6, EVENTS + 1)}}),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_verify_detects_and_names_the_position(logged: tuple[AuditLog, Table], case: str) -> None:
    """Each tampering is reported with its kind, position and aggregate."""
    audit, table = logged
    tamper, expected = CASES[case]
    tamper(table)
    report = audit.verify()
    assert not report.ok
    found = {(p.kind, p.position) for p in report.problems}
    assert found == expected, report.problems
    assert all(p.aggregate_id for p in report.problems if p.kind in {"altered", "moved"})


def test_insert_is_named_and_moved_rows_say_where_they_were(logged: tuple[AuditLog, Table]) -> None:
    """The forged row is 'altered' at its position; the shifted rows name their logged one."""
    audit, table = logged
    insert_row(table)
    details = {p.position: p.detail for p in audit.verify().problems}
    assert "logged at position 5 is now at 6" in details[6]
    assert "beyond the log" in details[EVENTS]


def test_rewritten_stored_leaf_breaks_the_tree_and_the_signed_checkpoint(
    logged: tuple[AuditLog, Table],
) -> None:
    """Rewriting the logged leaf too is caught by its parent node and the checkpoint."""
    audit, table = logged
    edit_state(table)
    table.db.execute("UPDATE integrity_nodes SET hash = ? WHERE level = 0 AND idx = 4", (b"\x07" * 32,))
    kinds = {p.kind for p in audit.verify().problems}
    assert {"altered", "node", "checkpoint"} <= kinds


def test_deleted_stored_leaf_is_reported(logged: tuple[AuditLog, Table]) -> None:
    """A leaf deleted from the log itself is named, and the checkpoint no longer matches."""
    audit, table = logged
    table.db.execute("DELETE FROM integrity_nodes WHERE level = 0 AND idx = 2")
    found = {(p.kind, p.position) for p in audit.verify().problems}
    assert ("node", 2) in found and ("altered", 2) in found
    assert any(kind == "checkpoint" for kind, _ in found)


def test_forged_checkpoint_signature_is_reported(logged: tuple[AuditLog, Table]) -> None:
    """A stored checkpoint whose note no longer verifies is a problem."""
    audit, table = logged
    table.db.execute("UPDATE integrity_checkpoints SET note = REPLACE(note, '\n9\n', '\n8\n')")
    assert any(p.kind == "checkpoint" for p in audit.verify().problems)


def test_proof_of_a_tampered_event_is_refused(logged: tuple[AuditLog, Table]) -> None:
    """No proof is produced for an event that no longer matches its leaf."""
    audit, table = logged
    edit_state(table)
    with pytest.raises(LeafMismatch, match="position 4"):
        audit.inclusion_proof(4)
    audit.inclusion_proof(3)


def test_unlogged_events_are_pending_not_tampering(ledger: Ledger, logged: tuple[AuditLog, Table]) -> None:
    """Events recorded after the last sync are counted as pending."""
    audit, _ = logged
    admit(ledger)
    report = audit.verify()
    assert report.ok and report.pending == 1
    audit.sync()
    assert audit.verify().pending == 0
