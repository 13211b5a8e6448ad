"""Finding the aggregates a rare event created reads each stored event once, not once per command.

``Ledger.created_ids`` answers "which certification profiles were published?" at every admission
(the profile in force, Art. 3). Publications are rare: if each call resumed from the last
*publication* found, every admission would scan the whole log again and recording would grow
with the square of the registry (issue 22: time per event ×2.18 for ×4 events at national size).
"""

from __future__ import annotations

from datetime import date
from typing import Any
from uuid import UUID

from ledger.application import Ledger
from ledger.application.queries import iter_notifications
from ledger.demo.run import record_demo_in_chunks
from ledger.domain.cpu.aggregates import CertificationProfile, SchoolOption


def _starts(ledger: Ledger) -> list[int]:
    """Spy on the store's topic-filtered reads: the position each one starts from."""
    starts: list[int] = []
    recorder: Any = ledger.store.recorder
    select = recorder.select_notifications

    def spied(start: int, limit: int, *args: Any, **kwargs: Any) -> Any:
        if kwargs.get("topics"):
            starts.append(start)
        return select(start, limit, *args, **kwargs)

    recorder.select_notifications = spied
    return starts


def _scanned(ledger: Ledger, created: type[Any]) -> set[UUID]:
    topic = f"{created.__module__}:{created.__qualname__}"
    return {UUID(str(n.originator_id)) for n in iter_notifications(ledger.store) if n.topic == topic}


def test_each_call_reads_only_what_was_stored_since_the_last(ledger: Ledger) -> None:
    """Same ids as a full scan, and no read starts below the log's head at the previous call."""
    record_demo_in_chunks(ledger, 3, 12, 0, date(2026, 6, 30), chunk=6, batch=50)
    opened = set(ledger.created_ids(SchoolOption.Opened))
    assert opened and opened == _scanned(ledger, SchoolOption.Opened)
    assert set(ledger.created_ids(CertificationProfile.Published)) == _scanned(
        ledger, CertificationProfile.Published
    )

    head = int(ledger.store.recorder.max_notification_id() or 0)
    starts = _starts(ledger)
    for _ in range(3):
        ledger.created_ids(CertificationProfile.Published)
    assert all(s > head for s in starts), (head, starts)  # nothing below the head is read again

    record_demo_in_chunks(ledger, 5, 0, 4, date(2026, 6, 30), chunk=6, batch=50)  # more events
    starts.clear()
    assert set(ledger.created_ids(SchoolOption.Opened)) == _scanned(ledger, SchoolOption.Opened)
    assert starts and min(starts) > head, (head, starts)
