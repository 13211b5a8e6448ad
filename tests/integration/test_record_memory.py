"""Recording in chunks keeps nothing per learner between chunks (flat memory at national scale).

``ledger demo --chunk`` (and any caller of ``Ledger.forget_cache`` between chunks) must leave no
aggregate and no event alive once a chunk is saved: whatever survives a chunk would be kept for
every chunk after it, and the process would grow with the size of the registry (issue 22: peak
RSS ×3.24 for ×4 events). Counted on the real heap (every live object), on each backend.
"""

from __future__ import annotations

import gc
from datetime import date
from typing import Any

from ledger.application import Ledger
from ledger.demo.run import record_demo_in_chunks
from ledger.domain.kernel import DomainEvent, LedgerAggregate


def _alive() -> tuple[int, int]:
    """Live aggregates and live domain events in this process."""
    gc.collect()
    objects = gc.get_objects()
    return (
        sum(1 for o in objects if isinstance(o, LedgerAggregate)),
        sum(1 for o in objects if isinstance(o, DomainEvent)),
    )


def test_no_aggregate_or_event_outlives_its_chunk(ledger: Ledger) -> None:
    """Each chunk's aggregates and events are alive while it is saved, and none after it."""
    before = _alive()  # what earlier tests in this process keep alive (not ours to judge)
    in_flight: list[tuple[int, int]] = []
    after_chunk: list[tuple[int, int]] = []
    forget, save = ledger.forget_cache, ledger._save

    def counted_forget() -> None:
        forget()
        after_chunk.append(_alive())

    def counted_save(pendings: Any, *args: Any) -> None:
        if len(in_flight) == len(after_chunk):  # the chunk's first save
            in_flight.append(_alive())
        save(pendings, *args)

    ledger.forget_cache = counted_forget  # type: ignore[method-assign]
    ledger._save = counted_save  # type: ignore[method-assign,assignment]
    recorded = record_demo_in_chunks(ledger, 7, 60, 6, date(2026, 6, 30), chunk=15, batch=100)

    assert recorded > 60 * 10
    assert len(after_chunk) >= 5  # 4 CPU chunks of 15 learners, then the CléA candidates
    # the probe sees a chunk's state: hundreds of events alive while it is being saved
    assert all(events > before[1] + 100 for _, events in in_flight[:4]), (before, in_flight)
    # and nothing of it once saved: no aggregate, no event survives into the next chunk
    assert all(a <= before[0] and e <= before[1] for a, e in after_chunk), (before, after_chunk)
    cache = ledger.store.repository.cache
    assert not (ledger._working or ledger._absent or ledger._staged or (cache is not None and cache.cache))
