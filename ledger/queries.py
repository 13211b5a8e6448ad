"""Read queries answered from the event store (before the read models take them over).

``learner_dossier`` replays one learner; ``events`` scans the global sequence page by page,
filtering by stored topic where it can. ``certificates`` and ``certificate`` read the
certificate read model when it is up to date, and scan the log otherwise.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any
from uuid import UUID

import orjson
import structlog

from ledger.adapters.store import EventStoreApp, iter_notifications
from ledger.domain.cpu.aggregates import Learner
from ledger.domain.cpu.values import Attestation
from ledger.domain.errors import UnknownEntity
from ledger.reference import cpu as ref

log = structlog.get_logger("ledger.queries")

CERT_TOPICS = (
    "ledger.domain.cpu.aggregates:Learner.CertificateIssued",
    "ledger.domain.cpu.aggregates:Learner.CertificateRevoked",
    "ledger.domain.clea.aggregates:Candidate.CertificateIssued",
    "ledger.domain.clea.aggregates:Candidate.CertificateRevoked",
)


def short_type(topic: str) -> str:
    """``module:Class.Event`` → ``Class.Event``."""
    return topic.rsplit(":", 1)[-1]


def _decision_view(ev: Any) -> dict[str, Any]:
    d = ev.decision
    return {"effective_date": d.effective_date.isoformat(), "body": d.body.value,
            "actor": d.actor_id, "legal_basis": d.legal_basis, "version": ev.originator_version}


def _unit_rows(learner: Learner) -> list[dict[str, Any]]:
    profile = ref.profile_version(learner.profile_version)
    validated = learner.validated()
    attempts = learner.of_type(Learner.UnitAttempted)
    remediation = learner.of_type(Learner.RemediationAssigned)
    done = {r.uaa for r in learner.of_type(Learner.RemediationCompleted)}
    rows = []
    for spec in profile.uaa:
        mine = [a for a in attempts if a.uaa == spec.code]
        val = validated.get(spec.code)
        rows.append({
            "uaa": spec.code, "title": spec.title, "year": spec.year,
            "status": "validated" if val else ("failed" if mine and not mine[-1].passed else "pending"),
            "validated": {**_decision_view(val), "via": val.via.value} if val else None,
            "attempts": [{"date": a.decision.effective_date.isoformat(), "passed": a.passed,
                          "body": a.decision.body.value} for a in mine],
            "remediation": ("completed" if spec.code in done else "open")
            if any(r.uaa == spec.code for r in remediation) else None,
        })
    return rows


def _deadlines(learner: Learner, today: date) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    sy = learner.school_year
    # Art. 4 §1 2°: the 15 October PSSA deadline is the AOB route's; the C2D route (4°) has none.
    if learner.c2d_after_aob() and not learner.support_programme_written(sy):
        out.append({"kind": "pssa", "due_by": date(sy, 10, 14).isoformat()})
    if learner.c2d and learner.c2d_outcome(sy) is None:
        out.append({"kind": "c2d_decision", "due_by": date(sy + 1, 1, 14).isoformat()})
    pending = learner.pending_report()
    if pending:
        out.append({"kind": "competence_report", "due_by": pending.due_by.isoformat(),
                    "from_fase": pending.from_fase, "overdue": today > pending.due_by})
    for item in out:
        item.setdefault("overdue", today > date.fromisoformat(item["due_by"]))
    return out


def learner_dossier(store: EventStoreApp, learner_id: UUID, today: date) -> dict[str, Any]:
    """The dossier d'apprentissage of a CPU learner, from its events."""
    try:
        learner: Any = store.repository.get(learner_id)
    except Exception:
        raise UnknownEntity("learner", learner_id) from None
    return dossier_of(learner, today)


def dossier_of(learner: Any, today: date) -> dict[str, Any]:
    """The dossier of an already reconstructed aggregate (CPU learner or CléA candidate)."""
    if not isinstance(learner, Learner):
        return describe_other(learner, today)
    school = ref.school(learner.fase)
    return {
        "learner_id": str(learner.id), "regime": "CPU", "fase": learner.fase,
        "school": school.name, "locality": school.locality,
        "option": ref.option(learner.option_code).name_masculine, "form": learner.form,
        "profile_version": learner.profile_version, "year": learner.year,
        "school_year": f"{learner.school_year}-{learner.school_year + 1}",
        "route": learner.route.value, "c2d": learner.c2d,
        "units": _unit_rows(learner),
        "attestations": [{"school_year": a.school_year, "kind": a.kind.value,
                          **_decision_view(a)} for a in learner.of_type(Learner.AttestationIssued)],
        "c2d_decisions": [{"outcome": c.outcome.value, **_decision_view(c)}
                          for c in learner.of_type(Learner.C2DDecided)],
        "pending_deadlines": _deadlines(learner, today),
        "missed_deadlines": [{"kind": m.kind.value, "due_by": m.due_by.isoformat()}
                             for m in learner.of_type(Learner.DeadlineMissed)],
        "late": [{"type": type(e).__name__, "due_by": e.due_by.isoformat()}
                 for e in learner.effective() if getattr(e, "late", False)],
        "certificates": _certificates_of(learner),
        "revoked_decisions": sorted(learner.voided),
        "version": learner.version,
    }


def describe_other(aggregate: Any, today: date) -> dict[str, Any]:
    """The presentation of a CléA candidate (or the bare facts of another aggregate)."""
    from ledger.clea_service import clea_dossier
    from ledger.domain.clea.aggregates import Candidate

    if isinstance(aggregate, Candidate):
        return clea_dossier(aggregate, today)
    raise UnknownEntity("learner or candidate", aggregate.id)


def _certificates_of(learner: Learner) -> list[dict[str, Any]]:
    revoked = {r.certificate_id: r for r in learner.of_type(Learner.CertificateRevoked)}
    out = []
    for ev in learner.log.values():
        if isinstance(ev, Learner.CertificateIssued):
            rev = revoked.get(ev.certificate_id)
            out.append({"certificate_id": str(ev.certificate_id), "kind": ev.kind.value,
                        "basis": ev.basis.value, "status": "revoked" if rev else "active",
                        **_decision_view(ev)})
    return out


@dataclass
class CertificateRow:
    """One certificate as the ledger knows it."""

    certificate_id: str
    kind: str
    learner_id: str
    issued_on: str
    basis: str
    position: int
    status: str = "active"
    revoked_on: str | None = None
    revocation_reason: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """JSON-friendly form."""
        return dict(vars(self))


def certificates(store: EventStoreApp, extra_topics: tuple[str, ...] = ()) -> list[CertificateRow]:
    """Every certificate issued, with its status, oldest issuance first.

    Answered from the certificate registry (``rm_certificate`` of the ``history`` read model)
    when it has applied every stored event; otherwise by a scan of the issuance and revocation
    events (same rows either way).
    """
    if not extra_topics:
        rows = _read_model(store, None)
        if rows is not None:
            return rows
    return _scan_certificates(store, extra_topics)


def _scan_certificates(store: EventStoreApp, extra_topics: tuple[str, ...] = ()) -> list[CertificateRow]:
    """Every certificate, from a scan of the issuance and revocation events."""
    rows: dict[str, CertificateRow] = {}
    for n in iter_notifications(store, topics=CERT_TOPICS + extra_topics):
        state = orjson.loads(n.state)
        cert = state.get("certificate_id")
        if cert is None:
            continue
        if short_type(n.topic).endswith("Revoked"):
            if cert in rows:
                rows[cert].status = "revoked"
                rows[cert].revoked_on = state["decision"]["effective_date"]
                rows[cert].revocation_reason = state["decision"].get("reason")
            continue
        kind = state.get("kind") or state.get("certificate") or "?"
        rows[cert] = CertificateRow(cert, str(kind), str(n.originator_id),
                                    state["decision"]["effective_date"],
                                    str(state.get("basis", "")), n.id - 1)
    return list(rows.values())


def certificate(store: EventStoreApp, certificate_id: str) -> dict[str, Any]:
    """One certificate with its status, or :class:`UnknownEntity`.

    An index lookup in the certificate read model when it is up to date, else a log scan.
    """
    rows = _read_model(store, certificate_id)
    if rows is None:
        rows = [r for r in _scan_certificates(store) if r.certificate_id == certificate_id]
    for row in rows:
        return row.to_dict()
    raise UnknownEntity("certificate", certificate_id)


# ---------------------------------------------------------------------------- certificate read model
HISTORY_FOLLOWER = "projection:history"
"""Follower name of the read model holding ``rm_certificate`` (:mod:`projections.history`)."""

_RM_CERTIFICATES = (
    "SELECT certificate_id, aggregate_id, kind, issued_position, issued_on, basis, revoked_on, "
    "revocation_reason FROM rm_certificate")


def store_rows(store: EventStoreApp, sql: str, params: Sequence[Any] = ()) -> list[Any]:
    """Rows of a read-only query on the ledger's own tables, over the store's pooled connections.

    ``?`` placeholders; rows are addressed by column name. On PostgreSQL the query runs in the
    store's schema. Nothing is written (the transaction is rolled back).
    """
    recorder: Any = store.recorder
    datastore: Any = recorder.datastore
    with datastore.transaction(commit=False) as cursor:
        if type(datastore).__module__.startswith("eventsourcing.postgres"):
            schema = store.env.get("POSTGRES_SCHEMA")  # as StoreTarget.connect() sets it
            if schema:
                cursor.execute(f'SET LOCAL search_path TO "{schema}"')
            sql = sql.replace("?", "%s")
        cursor.execute(sql, tuple(params))
        return list(cursor.fetchall())


def read_model_current(store: EventStoreApp) -> bool:
    """True when the certificate read model has applied every event stored so far."""
    head = int(store.recorder.max_notification_id() or 0)
    try:
        found = store_rows(store, "SELECT position FROM follower_position WHERE name = ?",
                           (HISTORY_FOLLOWER,))
    except Exception:  # no read model tables in this database
        return False
    return bool(found) and int(found[0]["position"]) >= head


def _read_model(store: EventStoreApp, certificate_id: str | None) -> list[CertificateRow] | None:
    """Certificates from the read model (one when ``certificate_id``), ``None`` if it is behind."""
    if not read_model_current(store):
        log.debug("certificates.read_model_behind")
        return None
    one = " WHERE certificate_id = ?" if certificate_id is not None else ""
    args: tuple[str, ...] = (certificate_id,) if certificate_id is not None else ()
    try:
        found = store_rows(store, _RM_CERTIFICATES + one + " ORDER BY issued_position", args)
    except Exception as exc:  # a table of another version: answer from the log
        log.warning("certificates.read_model_unavailable", error=type(exc).__name__)
        return None
    return [_registry_row(r) for r in found]


def _registry_row(r: Any) -> CertificateRow:
    revoked = r["revoked_on"] is not None
    return CertificateRow(str(r["certificate_id"]), str(r["kind"]), str(r["aggregate_id"]),
                          str(r["issued_on"]), str(r["basis"]), int(r["issued_position"]),
                          "revoked" if revoked else "active", r["revoked_on"], r["revocation_reason"])


@dataclass(frozen=True)
class EventFilter:
    """Filters for ``ledger events``."""

    learner: UUID | None = None
    fase: int | None = None
    type_contains: str | None = None
    since: date | None = None
    until: date | None = None


def events(store: EventStoreApp, flt: EventFilter, limit: int | None = None,
           start: int = 0) -> Iterator[dict[str, Any]]:
    """The log with zero-based global positions, filtered."""
    school_of: dict[UUID, int] = {}
    shown = 0
    for n in iter_notifications(store, start=start + 1):
        state = orjson.loads(n.state)
        _track_school(school_of, UUID(str(n.originator_id)), state)
        if not _matches(flt, n, state, school_of):
            continue
        yield _event_row(n, state)
        shown += 1
        if limit is not None and shown >= limit:
            return


def _track_school(school_of: dict[UUID, int], agg: UUID, state: dict[str, Any]) -> None:
    if "to_fase" in state:
        school_of[agg] = int(state["to_fase"])
    elif "fase" in state and agg not in school_of:
        school_of[agg] = int(state["fase"])


def _matches(flt: EventFilter, n: Any, state: dict[str, Any], school_of: dict[UUID, int]) -> bool:
    if flt.learner and n.originator_id != flt.learner:
        return False
    if flt.fase is not None and school_of.get(n.originator_id) != flt.fase:
        return False
    if flt.type_contains and flt.type_contains.lower() not in short_type(n.topic).lower():
        return False
    eff = state.get("decision", {}).get("effective_date")
    if flt.since and (eff is None or date.fromisoformat(eff) < flt.since):
        return False
    return not (flt.until and (eff is None or date.fromisoformat(eff) > flt.until))


def _event_row(n: Any, state: dict[str, Any]) -> dict[str, Any]:
    decision = state.get("decision", {})
    detail = {k: v for k, v in state.items()
              if k not in {"decision", "timestamp", "originator_topic"} and v not in (None, False)}
    return {"position": n.id - 1, "event_id": f"{n.originator_id}/{n.originator_version}",
            "type": short_type(n.topic), "aggregate_id": str(n.originator_id),
            "version": n.originator_version, "recorded_at": state.get("timestamp"),
            "effective_date": decision.get("effective_date"), "body": decision.get("body"),
            "actor": decision.get("actor_id"), "legal_basis": decision.get("legal_basis"),
            "detail": detail}


def attestation_counts(store: EventStoreApp) -> dict[str, int]:
    """How many attestations of each kind (demo summary)."""
    counts = {a.value: 0 for a in Attestation}
    topic = "ledger.domain.cpu.aggregates:Learner.AttestationIssued"
    for n in iter_notifications(store, topics=(topic,)):
        counts[orjson.loads(n.state)["kind"]] += 1
    return counts
