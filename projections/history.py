"""Read model ``history``: for every certificate, the chain of decisions behind and after it.

``rm_history_event`` keeps the audit facts of each learner's and candidate's events (actor,
role, body, legal basis, effective date, recorded time, global zero-based position, what it
corrects); ``rm_certificate`` indexes certificates by the event that issued them. The chain
of a certificate is every decision of its holder up to the issuance (admission,
authorisations, attempts, validations, jury and council decisions) followed by what came
after and concerns it (revocations, corrections, accrochage, missed deadlines).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import orjson
from eventsourcing.persistence import Notification

from ledger.domain.errors import UnknownEntity
from ledger.follower import Db
from ledger.queries import short_type
from projections.base import CANDIDATE_TOPIC, LEARNER_TOPIC, TableProjection, decode_state

DDL = (
    "CREATE TABLE IF NOT EXISTS rm_history_event (aggregate_id TEXT NOT NULL, version BIGINT NOT NULL, "
    "position BIGINT NOT NULL, type TEXT NOT NULL, actor TEXT, role TEXT, body TEXT, legal_basis TEXT, "
    "effective_date TEXT, recorded_at TEXT, corrects BIGINT, reason TEXT, detail TEXT NOT NULL, "
    "PRIMARY KEY (aggregate_id, version))",
    "CREATE TABLE IF NOT EXISTS rm_certificate (certificate_id TEXT PRIMARY KEY, "
    "aggregate_id TEXT NOT NULL, kind TEXT NOT NULL, issued_version BIGINT NOT NULL, "
    "issued_position BIGINT NOT NULL)",
)
COLUMNS = ("aggregate_id", "version", "position", "type", "actor", "role", "body", "legal_basis",
           "effective_date", "recorded_at", "corrects", "reason", "detail")
STEP = {
    "Learner.Admitted": "admission", "Candidate.Registered": "admission",
    "Learner.TestAuthorised": "authorisation",
    "Learner.UnitAttempted": "attempt", "Candidate.PriorEvaluationRecorded": "evaluation",
    "Candidate.FinalEvaluationRecorded": "evaluation",
    "Learner.UnitValidated": "validation",
    "Learner.AttestationIssued": "council decision", "Learner.C2DDecided": "council decision",
    "Candidate.JuryDecided": "jury decision",
    "Learner.CertificateIssued": "issuance", "Candidate.CertificateIssued": "issuance",
    "Learner.CertificateRevoked": "revocation", "Candidate.CertificateRevoked": "revocation",
    "Learner.DecisionRevoked": "revocation", "Candidate.DecisionRevoked": "revocation",
}
_SKIP = {"decision", "timestamp", "originator_topic"}


class HistoryProjection(TableProjection):
    """Records the audit facts of every learner and candidate event."""

    name = "history"
    schema_version = 1
    ddl = DDL
    tables = ("rm_history_event", "rm_certificate")

    def apply(self, db: Db, batch: Sequence[Notification]) -> None:
        """One row per event; one index row per certificate issued."""
        events, certs = [], []
        for n in batch:
            if not n.topic.startswith((LEARNER_TOPIC, CANDIDATE_TOPIC)):
                continue
            state = decode_state(n, batch)
            events.append(_row(n, state))
            if short_type(n.topic).endswith(".CertificateIssued"):
                kind = state.get("kind") or state.get("certificate") or "?"
                certs.append((state["certificate_id"], str(n.originator_id), str(kind),
                               n.originator_version, n.id - 1))
        placeholders = ", ".join("?" for _ in COLUMNS)
        db.executemany(f"INSERT INTO rm_history_event ({', '.join(COLUMNS)}) "
                       f"VALUES ({placeholders})", events)
        db.executemany("INSERT INTO rm_certificate VALUES (?, ?, ?, ?, ?)", certs)


def _row(n: Notification, state: dict[str, Any]) -> tuple[Any, ...]:
    d = state.get("decision") or {}
    detail = {k: v for k, v in state.items() if k not in _SKIP and v not in (None, False, [], ())}
    return (str(n.originator_id), n.originator_version, n.id - 1, short_type(n.topic),
            d.get("actor_id"), d.get("actor_role"), d.get("body"), d.get("legal_basis"),
            d.get("effective_date"), state.get("timestamp"), d.get("corrects"), d.get("reason"),
            orjson.dumps(detail, option=orjson.OPT_SORT_KEYS).decode())


def certificate_history(db: Db, certificate_id: str) -> dict[str, Any]:
    """The ordered chain of decisions that led to a certificate and followed it."""
    cert = db.execute("SELECT aggregate_id, kind, issued_version, issued_position FROM rm_certificate "
                      "WHERE certificate_id = ?", (certificate_id,)).fetchone()
    if cert is None:
        raise UnknownEntity("certificate (in the history read model)", certificate_id)
    holder, kind, issued, position = cert[0], cert[1], int(cert[2]), int(cert[3])
    rows = [dict(zip(COLUMNS, r, strict=True)) for r in db.execute(
        f"SELECT {', '.join(COLUMNS)} FROM rm_history_event WHERE aggregate_id = ? ORDER BY version",
        (holder,)).fetchall()]
    voided_by = _voiders(rows)
    chain = [_entry(r, voided_by) for r in rows
             if int(r["version"]) <= issued or _follows(r, certificate_id)]
    revoked = any(e["type"].endswith("CertificateRevoked")
                  and e["detail"].get("certificate_id") == certificate_id for e in chain)
    status = "revoked" if revoked else "active"
    return {"certificate_id": certificate_id, "kind": kind, "holder_id": holder,
            "issued_version": issued, "issued_position": position, "status": status,
            "chain": chain}


def _voiders(rows: list[dict[str, Any]]) -> dict[int, int]:
    out: dict[int, int] = {}
    for r in rows:
        detail = orjson.loads(r["detail"])
        target = detail.get("revokes") if r["type"].endswith("Revoked") else r["corrects"]
        if target is not None:
            out.setdefault(int(target), int(r["version"]))
    return out


def _follows(r: dict[str, Any], certificate_id: str) -> bool:
    detail = orjson.loads(r["detail"])
    if r["corrects"] is not None or r["type"].endswith("DecisionRevoked"):
        return True
    return bool(detail.get("certificate_id") == certificate_id)


def _entry(r: dict[str, Any], voided_by: dict[int, int]) -> dict[str, Any]:
    version = int(r["version"])
    step = "correction" if r["corrects"] is not None else STEP.get(r["type"], "decision")
    return {"position": int(r["position"]), "version": version, "type": r["type"], "step": step,
            "actor": r["actor"], "role": r["role"], "body": r["body"],
            "legal_basis": r["legal_basis"], "effective_date": r["effective_date"],
            "recorded_at": r["recorded_at"], "corrects": r["corrects"], "reason": r["reason"],
            "voided_by_version": voided_by.get(version), "detail": orjson.loads(r["detail"])}
