"""Certificate lookups answer from the certificate read model when it is current, from the log
otherwise, and give the same rows either way (SQLite file and PostgreSQL schema)."""

from __future__ import annotations

from datetime import date
from typing import Any
from uuid import UUID

import pytest

from ledger.adapters.store import StoreTarget
from ledger.application import Ledger, parse_command
from ledger.application.queries import (
    CertificateRow,
    _scan_certificates,
)
from ledger.application.queries import certificate as lookup
from ledger.application.queries import certificates as scan_or_index
from ledger.demo.cpu import demo_commands, resolve_refs
from ledger.domain.errors import UnknownEntity
from projections.index import HistoryCertificateIndex, read_model_current
from projections.registry import follower
from tests.builders import cmd, run


def certificates(store: Any) -> list[CertificateRow]:
    """Every certificate, asking the read model's index first."""
    return scan_or_index(store, HistoryCertificateIndex(store))


def certificate(store: Any, certificate_id: str) -> dict[str, Any]:
    """One certificate, asking the read model's index first."""
    return lookup(store, certificate_id, HistoryCertificateIndex(store))


def _record_cohort(ledger: Ledger) -> None:
    raw = demo_commands(16, 30, 20, date(2026, 11, 1))  # a cohort with revoked certificates
    ledger.execute_all((parse_command(resolve_refs(ledger, r)) for r in raw), batch=500)


def test_lookups_equal_the_log_scan_before_and_after_the_read_model_catches_up(
    ledger: Ledger, store_location: str
) -> None:
    """Rows (status, revocation, position) are identical whichever source answers."""
    _record_cohort(ledger)
    history = follower(ledger.store, StoreTarget.parse(store_location), "history")
    try:
        assert not read_model_current(ledger.store)
        assert certificates(ledger.store) == _scan_certificates(ledger.store)
        history.catch_up()
        assert read_model_current(ledger.store)
        rows = certificates(ledger.store)
        assert rows == _scan_certificates(ledger.store)
        assert {r.status for r in rows} == {"active", "revoked"}
        for row in rows:
            assert certificate(ledger.store, row.certificate_id) == row.to_dict()
        _revoke_one(ledger, rows)
        assert not read_model_current(ledger.store)
        assert certificates(ledger.store) == _scan_certificates(ledger.store)
        history.catch_up()
        assert certificates(ledger.store) == _scan_certificates(ledger.store)
    finally:
        history.close()


def _revoke_one(ledger: Ledger, rows: list[CertificateRow]) -> None:
    active = next(r for r in rows if r.status == "active" and r.kind == "CQ")
    fase = ledger.get(UUID(active.learner_id)).fase
    run(
        ledger,
        cmd(
            "RevokeCertificate",
            "jury_qualification",
            "2026-10-01",
            fase,
            learner_id=active.learner_id,
            certificate_id=active.certificate_id,
            reason="fraud established",
        ),
    )
    revoked = certificate(ledger.store, active.certificate_id)
    assert revoked["status"] == "revoked" and revoked["revocation_reason"] == "fraud established"


def test_unknown_certificate_is_refused_from_either_source(ledger: Ledger, store_location: str) -> None:
    """An unknown id is UnknownEntity (HTTP 404, exit 2) with or without the read model."""
    _record_cohort(ledger)
    missing = "00000000-0000-4000-8000-000000000000"
    with pytest.raises(UnknownEntity):
        certificate(ledger.store, missing)
    history = follower(ledger.store, StoreTarget.parse(store_location), "history")
    try:
        history.catch_up()
        with pytest.raises(UnknownEntity):
            certificate(ledger.store, missing)
    finally:
        history.close()
