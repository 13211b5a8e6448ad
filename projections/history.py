"""Read model ``history``: for every certificate, the chain of decisions behind and after it.

``rm_certificate`` is the certificate registry: each certificate with its holder, the version
and global position of its issuance, its date and basis, and its revocation when there is
one. ``rm_history_stream`` keeps, per learner and candidate, the zero-based global position
of each of its events (one upsert per touched aggregate per batch, appended in SQL, nothing
decoded). The chain of a certificate is every decision of its holder up to the issuance
(admission, authorisations, attempts, validations, jury and council decisions) followed by
what came after and concerns it (revocations, corrections, accrochage, missed deadlines),
each with actor, role, body, legal basis, effective date, recorded time and global position:
read from the holder's own events in the event store, as far as the read model has followed
the log, so the audit trail shown is the stored record itself, not a copy of it.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from eventsourcing.persistence import Notification

from ledger.adapters.follower import Db
from ledger.adapters.store import EventStoreApp
from ledger.application.queries import short_type
from ledger.domain.errors import UnknownEntity
from projections.base import (
    CANDIDATE_TOPIC,
    LEARNER_TOPIC,
    TableProjection,
    decode_state,
    group_by_aggregate,
    stored_states,
)

TOPICS = (LEARNER_TOPIC, CANDIDATE_TOPIC)
DDL = (
    "CREATE TABLE IF NOT EXISTS rm_history_stream (first_position BIGINT PRIMARY KEY, "
    "aggregate_id TEXT NOT NULL UNIQUE, positions TEXT NOT NULL)",
    "CREATE TABLE IF NOT EXISTS rm_certificate (issued_position BIGINT PRIMARY KEY, "
    "certificate_id TEXT NOT NULL UNIQUE, aggregate_id TEXT NOT NULL, kind TEXT NOT NULL, "
    "issued_version BIGINT NOT NULL, issued_on TEXT NOT NULL, basis TEXT NOT NULL, "
    "revoked_version BIGINT, revoked_position BIGINT, revoked_on TEXT, revocation_reason TEXT)",
)
APPEND = (
    "INSERT INTO rm_history_stream (first_position, aggregate_id, positions) VALUES (?, ?, ?) "
    "ON CONFLICT (aggregate_id) DO UPDATE SET "
    "positions = rm_history_stream.positions || ',' || excluded.positions"
)
ISSUE = (
    "INSERT INTO rm_certificate (certificate_id, aggregate_id, kind, issued_version, "
    "issued_position, issued_on, basis) VALUES (?, ?, ?, ?, ?, ?, ?)"
)
REVOKE = (
    "UPDATE rm_certificate SET revoked_version = ?, revoked_position = ?, revoked_on = ?, "
    "revocation_reason = ? WHERE certificate_id = ? AND revoked_version IS NULL"
)
COLUMNS = (
    "aggregate_id",
    "version",
    "position",
    "type",
    "actor",
    "role",
    "body",
    "legal_basis",
    "effective_date",
    "recorded_at",
    "corrects",
    "reason",
    "detail",
)
STEP = {
    "Learner.Admitted": "admission",
    "Candidate.Registered": "admission",
    "Learner.TestAuthorised": "authorisation",
    "Learner.UnitAttempted": "attempt",
    "Candidate.PriorEvaluationRecorded": "evaluation",
    "Candidate.FinalEvaluationRecorded": "evaluation",
    "Learner.UnitValidated": "validation",
    "Learner.AttestationIssued": "council decision",
    "Learner.C2DDecided": "council decision",
    "Candidate.JuryDecided": "jury decision",
    "Learner.CertificateIssued": "issuance",
    "Candidate.CertificateIssued": "issuance",
    "Learner.CertificateRevoked": "revocation",
    "Candidate.CertificateRevoked": "revocation",
    "Learner.DecisionRevoked": "revocation",
    "Candidate.DecisionRevoked": "revocation",
}
_SKIP = {"decision", "timestamp", "originator_topic"}
Rows = tuple[list[tuple[Any, ...]], list[tuple[Any, ...]], list[tuple[Any, ...]]]


class HistoryProjection(TableProjection):
    """Keeps the certificate registry and every learner's and candidate's global positions."""

    name = "history"
    schema_version = 3
    ddl = DDL
    tables = ("rm_history_stream", "rm_certificate")

    def prepare(self, batch: Sequence[Notification]) -> Rows:
        """Each touched aggregate's positions, the issuances and the revocations (no database)."""
        streams, issued, revoked = [], [], []
        kinds = _KINDS
        for agg_id, items in group_by_aggregate(batch, TOPICS).items():
            positions = [n.id - 1 for n in items]
            streams.append((positions[0], agg_id, ",".join(map(str, positions))))
            for n in items:
                kind = kinds.get(n.topic, _UNKNOWN)
                if not kind:
                    continue  # _OTHER: the commonest
                if kind == _UNKNOWN:
                    kind = _kind(n.topic)
                if kind == _ISSUED:
                    issued.append(_issued(agg_id, n, decode_state(n, batch)))
                elif kind == _REVOKED:
                    revoked.append(_revoked(n, decode_state(n, batch)))
        return streams, issued, revoked

    def write(self, db: Db, rows: Rows) -> None:
        """Append the positions; register issuances, then revocations (both may be in one batch)."""
        streams, issued, revoked = rows
        db.insert_many(APPEND, streams)  # one row per aggregate of the batch
        db.insert_many(ISSUE, issued)
        db.executemany(REVOKE, revoked)


_ISSUED, _REVOKED, _OTHER, _UNKNOWN = 1, 2, 0, -1
_KINDS: dict[str, int] = {}
"""Topic → whether its events issue a certificate, revoke one, or neither (see :func:`_kind`)."""


def _kind(topic: str) -> int:
    """Whether events of ``topic`` issue a certificate, revoke one, or neither (remembered)."""
    if topic.endswith(".CertificateIssued"):
        kind = _ISSUED
    elif topic.endswith(".CertificateRevoked"):
        kind = _REVOKED
    else:
        kind = _OTHER
    _KINDS[topic] = kind
    return kind


def _issued(agg_id: str, n: Notification, state: dict[str, Any]) -> tuple[Any, ...]:
    kind = state.get("kind") or state.get("certificate") or "?"
    return (
        state["certificate_id"],
        agg_id,
        str(kind),
        n.originator_version,
        n.id - 1,
        state["decision"]["effective_date"],
        str(state.get("basis", "")),
    )


def _revoked(n: Notification, state: dict[str, Any]) -> tuple[Any, ...]:
    decision = state["decision"]
    return (
        n.originator_version,
        n.id - 1,
        decision["effective_date"],
        decision.get("reason"),
        state["certificate_id"],
    )


def _row(agg_id: str, version: int, position: int, topic: str, state: dict[str, Any]) -> dict[str, Any]:
    d = state.get("decision") or {}
    detail = {k: v for k, v in state.items() if k not in _SKIP and v not in (None, False, [], ())}
    values = (
        agg_id,
        version,
        position,
        short_type(topic),
        d.get("actor_id"),
        d.get("actor_role"),
        d.get("body"),
        d.get("legal_basis"),
        d.get("effective_date"),
        state.get("timestamp"),
        d.get("corrects"),
        d.get("reason"),
        detail,
    )
    return dict(zip(COLUMNS, values, strict=True))


def holder_events(db: Db, store: EventStoreApp, holder: str) -> list[dict[str, Any]]:
    """The audit facts of a holder's events, as far as the read model has followed the log."""
    row = db.execute("SELECT positions FROM rm_history_stream WHERE aggregate_id = ?", (holder,)).fetchone()
    positions = [int(p) for p in str(row[0]).split(",")] if row else []
    return [
        _row(holder, version, positions[version - 1], topic, state)
        for version, topic, state in stored_states(store, holder, len(positions))
    ]


def certificate_history(db: Db, store: EventStoreApp, certificate_id: str) -> dict[str, Any]:
    """The ordered chain of decisions that led to a certificate and followed it."""
    cert = db.execute(
        "SELECT aggregate_id, kind, issued_version, issued_position FROM rm_certificate "
        "WHERE certificate_id = ?",
        (certificate_id,),
    ).fetchone()
    if cert is None:
        raise UnknownEntity("certificate (in the history read model)", certificate_id)
    holder, kind, issued, position = cert[0], cert[1], int(cert[2]), int(cert[3])
    rows = holder_events(db, store, holder)
    voided_by = _voiders(rows)
    chain = [_entry(r, voided_by) for r in rows if int(r["version"]) <= issued or _follows(r, certificate_id)]
    revoked = any(
        e["type"].endswith("CertificateRevoked") and e["detail"].get("certificate_id") == certificate_id
        for e in chain
    )
    status = "revoked" if revoked else "active"
    return {
        "certificate_id": certificate_id,
        "kind": kind,
        "holder_id": holder,
        "issued_version": issued,
        "issued_position": position,
        "status": status,
        "chain": chain,
    }


def _voiders(rows: list[dict[str, Any]]) -> dict[int, int]:
    out: dict[int, int] = {}
    for r in rows:
        target = r["detail"].get("revokes") if r["type"].endswith("Revoked") else r["corrects"]
        if target is not None:
            out.setdefault(int(target), int(r["version"]))
    return out


def _follows(r: dict[str, Any], certificate_id: str) -> bool:
    detail = r["detail"]
    if r["corrects"] is not None or r["type"].endswith("DecisionRevoked"):
        return True
    return bool(detail.get("certificate_id") == certificate_id)


def _entry(r: dict[str, Any], voided_by: dict[int, int]) -> dict[str, Any]:
    version = int(r["version"])
    step = "correction" if r["corrects"] is not None else STEP.get(r["type"], "decision")
    return {
        "position": int(r["position"]),
        "version": version,
        "type": r["type"],
        "step": step,
        "actor": r["actor"],
        "role": r["role"],
        "body": r["body"],
        "legal_basis": r["legal_basis"],
        "effective_date": r["effective_date"],
        "recorded_at": r["recorded_at"],
        "corrects": r["corrects"],
        "reason": r["reason"],
        "voided_by_version": voided_by.get(version),
        "detail": r["detail"],
    }
