"""The public certificate lookup answers from an incremental view of the log, never a full scan.

:class:`CertificateView` (one per server process) folds in only the certificate events stored
after its position: lookups stay correct while the certificate read model lags (issuances and
revocations in the log's tail) and after a learner's erasure, on a SQLite file and PostgreSQL.
"""

from __future__ import annotations

import threading
from datetime import date
from typing import Any
from uuid import UUID

from ledger.application import Ledger, parse_command
from ledger.application.queries import CertificateView, _scan_certificates, certificate
from ledger.demo.cpu import demo_commands, resolve_refs
from projections.index import read_model_current
from tests.builders import cmd, run


class _CountingRecorder:
    """The store's real recorder, counting the notifications each read returns."""

    def __init__(self, recorder: Any) -> None:
        self.recorder = recorder
        self.read = 0

    def select_notifications(self, *args: Any, **kwargs: Any) -> Any:
        found = self.recorder.select_notifications(*args, **kwargs)
        self.read += len(found)
        return found

    def __getattr__(self, name: str) -> Any:
        return getattr(self.recorder, name)


class _Store:
    def __init__(self, store: Any) -> None:
        self.recorder = _CountingRecorder(store.recorder)


def _cohort() -> list[dict[str, Any]]:
    return list(demo_commands(16, 30, 20, date(2026, 11, 1)))  # issues and revokes certificates


def _record(ledger: Ledger, raw: list[dict[str, Any]]) -> None:
    ledger.execute_all((parse_command(resolve_refs(ledger, r)) for r in raw), batch=500)


def _revoke(ledger: Ledger, certificate_id: str, learner_id: str) -> None:
    fase = ledger.get(UUID(learner_id)).fase
    run(
        ledger,
        cmd(
            "RevokeCertificate",
            "jury_qualification",
            "2026-10-01",
            fase,
            learner_id=learner_id,
            certificate_id=certificate_id,
            reason="fraud established",
        ),
    )


def test_lookups_fold_in_the_tail_while_the_index_lags(ledger: Ledger) -> None:
    """Issuances and revocations stored after the view's position show at the next lookup."""
    raw = _cohort()
    half = len(raw) // 3
    _record(ledger, raw[:half])
    view = CertificateView(ledger.store)
    first = {r.certificate_id for r in view.rows()}
    _record(ledger, raw[half:])
    assert not read_model_current(ledger.store)  # no read model ran: the index lags the log
    rows = view.rows()
    assert rows == _scan_certificates(ledger.store)
    assert {r.certificate_id for r in rows} > first  # issuances in the tail
    assert "revoked" in {r.status for r in rows if r.certificate_id not in first}
    active = next(r for r in rows if r.status == "active" and r.kind == "CQ")
    _revoke(ledger, active.certificate_id, active.learner_id)
    found = certificate(ledger.store, active.certificate_id, view=view)
    assert found["status"] == "revoked" and found["revocation_reason"] == "fraud established"
    assert found == certificate(ledger.store, active.certificate_id)  # same as the full scan


def test_a_lookup_reads_only_the_events_after_the_view_position(ledger: Ledger) -> None:
    """After the first lookup, one more lookup reads nothing; after a revocation, one event."""
    _record(ledger, _cohort())
    store = _Store(ledger.store)
    view = CertificateView(store)  # type: ignore[arg-type]
    rows = view.rows()
    assert store.recorder.read > 0
    store.recorder.read = 0
    for row in rows[:20]:
        assert certificate(ledger.store, row.certificate_id, view=view) == row.to_dict()
    assert store.recorder.read == 0
    active = next(r for r in rows if r.status == "active" and r.kind == "CQ")
    _revoke(ledger, active.certificate_id, active.learner_id)
    assert view.get(active.certificate_id).status == "revoked"  # type: ignore[union-attr]
    assert store.recorder.read == 1


def test_erasure_takes_effect_and_the_certificate_keeps_its_status(ledger: Ledger) -> None:
    """After a learner's erasure the identity is gone; the lookup still answers the status."""
    _record(ledger, _cohort())
    view = CertificateView(ledger.store)
    row = next(r for r in view.rows() if r.status == "active")
    learner = UUID(row.learner_id)
    assert ledger.identities.get(learner) is not None
    fase = ledger.get(learner).fase
    raw = cmd("EraseLearner", "administration", "2026-11-01", fase, learner_id=row.learner_id)
    run(ledger, {**raw, "actor_role": "administration", "reason": "lawful request"})
    assert ledger.identities.get(learner) is None
    found = certificate(ledger.store, row.certificate_id, view=view)
    assert found == certificate(ledger.store, row.certificate_id)
    assert found["status"] == "active"
    assert set(found) == set(row.to_dict())  # nothing personal was ever held


def test_concurrent_lookups_see_a_revocation_stored_before_they_began(ledger: Ledger) -> None:
    """Many threads looking up while a revocation lands: every lookup begun after it sees it."""
    _record(ledger, _cohort())
    view = CertificateView(ledger.store)
    rows = view.rows()
    active = next(r for r in rows if r.status == "active" and r.kind == "CQ")
    stored = threading.Event()
    wrong: list[str] = []

    def look() -> None:
        for _ in range(30):
            after = stored.is_set()
            status = view.get(active.certificate_id).status  # type: ignore[union-attr]
            if after and status != "revoked":
                wrong.append(status)

    threads = [threading.Thread(target=look) for _ in range(8)]
    for t in threads:
        t.start()
    _revoke(ledger, active.certificate_id, active.learner_id)
    stored.set()
    for t in threads:
        t.join()
    assert not wrong
    assert view.get(active.certificate_id).status == "revoked"  # type: ignore[union-attr]
