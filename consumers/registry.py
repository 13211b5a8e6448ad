"""The certificate registry: every CPU (CQ, CE6P) and CléA certificate, from Kafka alone.

A downstream consumer with its own database (SQLite file or PostgreSQL URL). It keeps one
row per certificate ever issued, with its status; a revocation marks the row revoked (the
issuance is kept). It knows learners and candidates only by their random ids.
"""

from __future__ import annotations

from typing import Any

from consumers.runner import Envelope
from ledger.adapters.follower import Db

CERTIFICATES_DDL = (
    "CREATE TABLE IF NOT EXISTS registry_certificates (certificate_id TEXT PRIMARY KEY,"
    " regime TEXT NOT NULL, kind TEXT NOT NULL, holder_id TEXT NOT NULL, issued_on TEXT NOT NULL,"
    " basis TEXT NOT NULL, issued_position BIGINT NOT NULL, status TEXT NOT NULL,"
    " revoked_on TEXT, event_id TEXT NOT NULL)"
)

ISSUED = {"be.cpu.learner.certificate_issued.v1": "cpu", "fr.clea.candidate.certificate_issued.v1": "clea"}
REVOKED = {"be.cpu.learner.certificate_revoked.v1", "fr.clea.candidate.certificate_revoked.v1"}


class CertificateRegistry:
    """An :class:`consumers.runner.EventHandler` keeping issued and revoked certificates."""

    name = "registry"

    def setup(self, db: Db) -> None:
        """Create the registry table."""
        db.execute(CERTIFICATES_DDL)

    def tick(self, db: Db) -> None:
        """Nothing time-driven in the registry."""

    def handle(self, db: Db, event: Envelope) -> None:
        """Record an issuance or a revocation; ignore every other type."""
        msg: Any = event.message
        if event.type in ISSUED:
            regime = ISSUED[event.type]
            kind = msg.kind.value if regime == "cpu" else msg.certificate.value
            basis = msg.basis.value if regime == "cpu" else ""
            db.execute(
                "DELETE FROM registry_certificates WHERE certificate_id = ?", (str(msg.certificate_id),)
            )
            db.execute(
                "INSERT INTO registry_certificates (certificate_id, regime, kind, holder_id,"
                " issued_on, basis, issued_position, status, revoked_on, event_id)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, 'active', NULL, ?)",
                (
                    str(msg.certificate_id),
                    regime,
                    kind,
                    event.subject,
                    msg.decision.effective_date.isoformat(),
                    basis,
                    event.position,
                    event.id,
                ),
            )
        elif event.type in REVOKED:
            db.execute(
                "UPDATE registry_certificates SET status = 'revoked', revoked_on = ?"
                " WHERE certificate_id = ?",
                (msg.decision.effective_date.isoformat(), str(msg.certificate_id)),
            )


def registry_rows(db: Db) -> list[dict[str, Any]]:
    """Every certificate in the registry, ordered by issuance position."""
    cur = db.execute(
        "SELECT certificate_id, kind, holder_id, issued_on, basis, issued_position,"
        " status, revoked_on FROM registry_certificates ORDER BY issued_position"
    )
    names = ("certificate_id", "kind", "learner_id", "issued_on", "basis", "position", "status", "revoked_on")
    return [dict(zip(names, row, strict=True)) for row in cur.fetchall()]
