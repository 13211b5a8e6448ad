"""Rebuilds that read ahead in a second process write exactly what the ordinary build writes, on
both backends; a prepared batch is never written twice or over a read model that moved; the
reading process ends with its reader."""

from __future__ import annotations

from datetime import date

from ledger.adapters.store import StoreTarget
from ledger.application import Ledger, parse_command
from ledger.demo.cpu import demo_commands, resolve_refs
from projections import readahead
from projections.registry import Group, catch_up, followers, rebuild
from projections.registry import export as export_all
from tests.builders import on, run


def record_demo(ledger: Ledger, learners: int = 30) -> None:
    raw = demo_commands(3, learners, 6, date(2026, 11, 1))
    ledger.execute_all((parse_command(resolve_refs(ledger, r)) for r in raw), batch=50)


def test_rebuild_reading_ahead_equals_the_ordinary_build(ledger: Ledger, store_location: str) -> None:
    """Built one batch at a time, then rebuilt from zero reading ahead in small batches (so
    many batches cross the pipe, revocations included): every rm_ table is identical."""
    record_demo(ledger)
    revoke_a_validation(ledger)
    head = int(ledger.store.recorder.max_notification_id() or 0)
    fols = followers(ledger.store, StoreTarget.parse(store_location), batch_size=97)
    assert Group(fols).catch_up(read_ahead=False) == len(fols) * head
    ordinary = export_all(fols)
    assert rebuild(fols, read_ahead=True) == len(fols) * head
    assert [f.position() for f in fols] == [head] * len(fols)
    assert export_all(fols) == ordinary
    for fol in fols:
        fol.close()


def test_rebuild_reading_ahead_stops_at_until(ledger: Ledger, store_location: str) -> None:
    """``until`` bounds the read-ahead as it bounds the ordinary build."""
    record_demo(ledger, learners=8)
    fols = followers(ledger.store, StoreTarget.parse(store_location), batch_size=10)
    rebuild(fols, until=25, read_ahead=True)
    assert {f.position() for f in fols} == {25}
    for fol in fols:
        fol.close()


def test_a_prepared_batch_is_written_once_and_never_over_a_moved_read_model(
    ledger: Ledger, store_location: str
) -> None:
    """A prepared batch is written only where every read model stands just before it: written
    a second time (a stale read-ahead after another runner moved on) it changes nothing."""
    record_demo(ledger, learners=6)
    fols = followers(ledger.store, StoreTarget.parse(store_location), batch_size=40)
    group = Group(fols)
    batch = ledger.store.recorder.select_notifications(1, 40)
    prepared = readahead.prepared([f.handler.inner.name for f in fols], batch)  # type: ignore[attr-defined]
    assert group._write(prepared) == len(fols) * len(batch)
    after_once = export_all(fols)
    assert group._write(prepared) == 0
    assert export_all(fols) == after_once
    assert [f.position() for f in fols] == [batch[-1].id] * len(fols)
    for fol in fols:
        fol.close()


def test_a_revocation_after_a_read_ahead_rebuild_is_applied_on_top(
    ledger: Ledger, store_location: str
) -> None:
    """After a rebuild that read ahead, the ordinary follower carries on from its positions."""
    record_demo(ledger, learners=6)
    target = StoreTarget.parse(store_location)
    fols = followers(ledger.store, target, "stats", batch_size=25)
    rebuild(fols, read_ahead=True)
    validations = "SELECT COUNT(*) FROM rm_cpu_validation"
    before = int(fols[0].db.execute(validations).fetchone()[0])
    revoke_a_validation(ledger)
    catch_up(fols)
    assert int(fols[0].db.execute(validations).fetchone()[0]) == before - 1
    incremental = export_all(fols)
    rebuild(fols, read_ahead=True)
    assert export_all(fols) == incremental
    fols[0].close()


def test_the_reading_process_ends_when_closed_early(store_location: str, ledger: Ledger) -> None:
    """Closing a read-ahead before its end stops the child process (nothing is left running)."""
    record_demo(ledger, learners=6)
    ahead = readahead.ReadAhead(StoreTarget.parse(store_location), ["dossier"], 1, None, 5)
    assert ahead.next() is not None
    ahead.close()
    assert ahead.process.poll() is not None


def revoke_a_validation(ledger: Ledger) -> None:
    """Revoke the first validation of the log (a voided decision the facts must drop)."""
    head = int(ledger.store.recorder.max_notification_id() or 0)
    for n in ledger.store.recorder.select_notifications(1, head):
        if n.topic.endswith("Learner.UnitValidated"):
            learner = ledger.store.repository.get(n.originator_id)
            body = learner.log[n.originator_version].decision.body.value  # the deciding body revokes
            run(
                ledger,
                on(
                    n.originator_id,
                    "RevokeDecision",
                    body,
                    "2026-10-01",
                    int(learner.fase),
                    target_version=n.originator_version,
                    reason="Encodé sur le mauvais dossier",
                ),
            )
            return
    raise AssertionError("the demo validated nothing")
