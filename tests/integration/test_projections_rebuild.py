"""A rebuild from zero keeps the statistics' learner walks in memory between batches (bounded):
on both backends it writes exactly the rows of the incremental follower, on the demo log
(CPU and CléA, a revoked decision included), whether every walk fits in memory or most are
pushed out and resumed from the table."""

from __future__ import annotations

import pytest

from ledger.adapters.store import StoreTarget
from ledger.application import Ledger
from projections import stats
from projections.base import read_page
from projections.registry import catch_up, close, rebuild
from projections.registry import export as export_all
from tests.integration.test_projections import record_demo_in_chunks
from tests.integration.test_projections_readahead import revoke_a_validation


@pytest.mark.parametrize("bound", [100_000, 3])
def test_rebuild_from_zero_equals_the_incremental_follower(
    ledger: Ledger, store_location: str, bound: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(stats, "WALKS_IN_MEMORY", bound)
    fols = record_demo_in_chunks(ledger, StoreTarget.parse(store_location), chunks=4)
    revoke_a_validation(ledger)
    catch_up(fols)
    incremental = export_all(fols)
    assert incremental["rm_cpu_attempt"] and incremental["rm_clea_candidate"]
    head = int(ledger.store.recorder.max_notification_id() or 0)
    assert rebuild(fols, read_ahead=False) == len(fols) * head
    assert export_all(fols) == incremental
    assert all(getattr(f.handler.inner, "walks", None) is None for f in fols)  # type: ignore[attr-defined]
    close(fols)


def test_the_rebuild_reads_the_pages_the_library_reads(ledger: Ledger, store_location: str) -> None:
    """``read_page`` (ids converted once per page on SQLite) gives exactly the library's pages."""
    fols = record_demo_in_chunks(ledger, StoreTarget.parse(store_location), chunks=1)
    recorder = ledger.store.recorder
    head = int(recorder.max_notification_id() or 0)
    for start, limit in ((1, 1), (1, 97), (head - 5, 97), (head + 1, 10)):
        assert list(read_page(recorder, start, limit)) == list(recorder.select_notifications(start, limit))
    close(fols)
