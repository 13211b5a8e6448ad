"""The certificate index kept by the ``history`` read model (``rm_certificate``).

:class:`HistoryCertificateIndex` answers :class:`ledger.application.queries.CertificateIndex`
lookups (``ledger certificate list|show``, ``GET /v1/certificates``) from the read model when
it has applied every stored event, and ``None`` otherwise, so the caller scans the log instead.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

import structlog
from eventsourcing.application import Application

from ledger.adapters.sql import store_rows
from ledger.application.queries import CertificateRow

log = structlog.get_logger("projections.index")

HISTORY_FOLLOWER = "projection:history"
"""Follower name of the read model holding ``rm_certificate`` (:mod:`projections.history`)."""

_RM_CERTIFICATES = (
    "SELECT certificate_id, aggregate_id, kind, issued_position, issued_on, basis, revoked_on, "
    "revocation_reason FROM rm_certificate"
)


def read_model_current(store: Application[UUID]) -> bool:
    """True when the certificate read model has applied every event stored so far."""
    head = int(store.recorder.max_notification_id() or 0)
    try:
        found = store_rows(
            store, "SELECT position FROM follower_position WHERE name = ?", (HISTORY_FOLLOWER,)
        )
    except Exception:  # no read model tables in this database
        return False
    return bool(found) and int(found[0]["position"]) >= head


class HistoryCertificateIndex:
    """Certificates from ``rm_certificate`` while the ``history`` read model is current."""

    def __init__(self, store: Application[UUID]) -> None:
        self.store = store

    def certificate_rows(self, certificate_id: str | None = None) -> list[CertificateRow] | None:
        """Every certificate (or the one named); ``None`` when the read model is behind."""
        if not read_model_current(self.store):
            log.debug("certificates.read_model_behind")
            return None
        one = " WHERE certificate_id = ?" if certificate_id is not None else ""
        args: tuple[str, ...] = (certificate_id,) if certificate_id is not None else ()
        try:
            found = store_rows(self.store, _RM_CERTIFICATES + one + " ORDER BY issued_position", args)
        except Exception as exc:  # a table of another version: answer from the log
            log.warning("certificates.read_model_unavailable", error=type(exc).__name__)
            return None
        return [_registry_row(r) for r in found]


def _registry_row(r: Any) -> CertificateRow:
    revoked = r["revoked_on"] is not None
    return CertificateRow(
        str(r["certificate_id"]),
        str(r["kind"]),
        str(r["aggregate_id"]),
        str(r["issued_on"]),
        str(r["basis"]),
        int(r["issued_position"]),
        "revoked" if revoked else "active",
        r["revoked_on"],
        r["revocation_reason"],
    )
