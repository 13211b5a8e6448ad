"""Read queries answered from the event store: the log, certificates, attestation counts.

``events`` scans the global sequence page by page; ``certificates`` and ``certificate`` ask a
:class:`CertificateIndex` first when one is given (a read model plug-in provides it; it answers
``None`` while it is behind); ``certificate`` then reads the store's certificate index (one
certificate's own events); otherwise both scan the issuance and revocation events — the same
rows every way.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from typing import Any, Protocol
from uuid import UUID

import orjson
import structlog
from eventsourcing.application import AggregateNotFoundError, Application, Repository, project_aggregate
from eventsourcing.persistence import Notification
from eventsourcing.utils import get_topic

from ledger.domain.clea.aggregates import Candidate
from ledger.domain.cpu.aggregates import Learner
from ledger.domain.cpu.values import Attestation
from ledger.domain.errors import UnknownEntity

log = structlog.get_logger("ledger.queries")

CERT_TOPICS = tuple(
    get_topic(cls)
    for cls in (
        Learner.CertificateIssued,
        Learner.CertificateRevoked,
        Candidate.CertificateIssued,
        Candidate.CertificateRevoked,
    )
)
"""Stored topics of the certificate issuance and revocation events."""


def iter_notifications(
    app: Application[UUID], start: int = 1, page: int = 2000, topics: tuple[str, ...] = ()
) -> Iterator[Notification]:
    """Every stored event from global position ``start`` (1-based), page by page."""
    recorder: Any = app.recorder
    while True:
        batch = recorder.select_notifications(start, page, topics=topics)
        if not batch:
            return
        yield from batch
        start = batch[-1].id + 1


def replay(store: Application[UUID], aggregate_id: UUID) -> Any:
    """An aggregate rebuilt from its stored events, bypassing the store's cache.

    ``None`` if unknown. Readers never see a command's in-memory changes before they are saved.
    """
    return project_aggregate(None, store.events.get(aggregate_id))


class CurrentAggregates:
    """Aggregates as stored, kept current by version: a read fetches only the newer events.

    A private cache (never the write side's working copies): the first read of an aggregate
    replays its history, later reads apply only the events stored after the cached version,
    so a check made before every command costs the same at the 10th and the 1000th event.
    Objects returned are shared: use them while holding :attr:`lock`, and only to read.
    """

    def __init__(self, store: Application[UUID], maxsize: int = 10_000) -> None:
        self.lock = threading.Lock()
        self._repository: Repository[UUID] = Repository(
            store.events, cache_maxsize=maxsize, fastforward=True, deepcopy_from_cache=False
        )

    def get(self, aggregate_id: UUID) -> Any:
        """The aggregate as stored now, or ``None`` if the store does not hold it."""
        try:
            return self._repository.get(aggregate_id, deepcopy_from_cache=False)
        except AggregateNotFoundError:
            return None


def short_type(topic: str) -> str:
    """``module:Class.Event`` → ``Class.Event``."""
    return topic.rsplit(":", 1)[-1]


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


class CertificateIndex(Protocol):
    """Port: certificates from an index kept by a read model (``None`` while it is behind)."""

    def certificate_rows(self, certificate_id: str | None = None) -> list[CertificateRow] | None:
        """Every certificate (or the one named), oldest issuance first; ``None`` if not current."""


def certificates(
    store: Application[UUID],
    index: CertificateIndex | None = None,
    extra_topics: tuple[str, ...] = (),
    view: CertificateView | None = None,
) -> list[CertificateRow]:
    """Every certificate issued, with its status, oldest issuance first.

    Answered by ``view`` when given, else by ``index`` when it is current; otherwise by a
    scan of the issuance and revocation events (same rows every way).
    """
    if view is not None and not extra_topics:
        return view.rows()
    if index is not None and not extra_topics:
        rows = index.certificate_rows()
        if rows is not None:
            return rows
    return _scan_certificates(store, extra_topics)


def _scan_certificates(store: Application[UUID], extra_topics: tuple[str, ...] = ()) -> list[CertificateRow]:
    """Every certificate, from a scan of the issuance and revocation events."""
    rows: dict[str, CertificateRow] = {}
    for n in iter_notifications(store, topics=CERT_TOPICS + extra_topics):
        _apply_certificate_event(rows, n)
    return list(rows.values())


def _apply_certificate_event(rows: dict[str, CertificateRow], n: Notification) -> None:
    """Fold one issuance or revocation notification into ``rows`` (keyed by certificate id)."""
    state = orjson.loads(n.state)
    cert = state.get("certificate_id")
    if cert is None:
        return
    if short_type(n.topic).endswith("Revoked"):
        if cert in rows:
            rows[cert].status = "revoked"
            rows[cert].revoked_on = state["decision"]["effective_date"]
            rows[cert].revocation_reason = state["decision"].get("reason")
        return
    kind = state.get("kind") or state.get("certificate") or "?"
    rows[cert] = CertificateRow(
        cert,
        str(kind),
        str(n.originator_id),
        state["decision"]["effective_date"],
        str(state.get("basis", "")),
        n.id - 1,
    )


class CertificateView:
    """Every certificate of a store, kept current incrementally by notification id; thread-safe.

    The first read scans the issuance and revocation events once; every later read folds in
    only the events stored after :attr:`position` (one range query on the log's tail), so a
    lookup costs the same whatever the log's length, with or without a current read model.
    Rows hold no personal data (the learner id is the log's pseudonymous aggregate id), so an
    erasure — which destroys the identity, never the decisions — needs nothing forgotten here.
    """

    def __init__(self, store: Application[UUID], page: int = 2000) -> None:
        self.store = store
        self.page = page
        self.position = 0
        """The last notification id folded in (0: nothing read yet)."""
        self._rows: dict[str, CertificateRow] = {}
        self._lock = threading.Lock()
        self._started = float("-inf")
        """When the last catch-up began (monotonic clock)."""

    def _current(self, asked: float) -> None:
        """Catch up unless a catch-up began after ``asked`` (call holding the lock).

        A catch-up that began after a request arrived has seen every event stored before it:
        requests queued behind one catch-up share it instead of querying the log each.
        """
        if self._started <= asked:
            self._started = time.monotonic()
            self._catch_up()

    def _catch_up(self) -> None:
        """Fold in the certificate events stored after :attr:`position` (call holding the lock)."""
        recorder: Any = self.store.recorder
        head = int(recorder.max_notification_id() or 0)
        while self.position < head:
            batch = recorder.select_notifications(self.position + 1, self.page, stop=head, topics=CERT_TOPICS)
            for n in batch:
                _apply_certificate_event(self._rows, n)
            self.position = batch[-1].id if len(batch) == self.page else head

    def get(self, certificate_id: str) -> CertificateRow | None:
        """A copy of one certificate's row as the log stands now, ``None`` if unknown."""
        asked = time.monotonic()
        with self._lock:
            self._current(asked)
            row = self._rows.get(certificate_id)
            return None if row is None else CertificateRow(**vars(row))

    def rows(self) -> list[CertificateRow]:
        """Copies of every row as the log stands now, oldest issuance first."""
        asked = time.monotonic()
        with self._lock:
            self._current(asked)
            return [CertificateRow(**vars(r)) for r in self._rows.values()]


def indexed_certificate_rows(store: Application[UUID], certificate_id: str) -> list[CertificateRow] | None:
    """One certificate's row, folded from its own events read through the store's index.

    Time independent of the log's length. ``None`` when the store has no certificate index
    (a recorder without ``select_certificate_events``, or a database not migrated yet).
    """
    select = getattr(store.recorder, "select_certificate_events", None)
    if select is None:
        return None
    found = select(certificate_id)
    if found is None:
        return None
    rows: dict[str, CertificateRow] = {}
    for n in found:
        _apply_certificate_event(rows, n)
    return [row for row in rows.values() if row.certificate_id == certificate_id]


def certificate(
    store: Application[UUID],
    certificate_id: str,
    index: CertificateIndex | None = None,
    view: CertificateView | None = None,
) -> dict[str, Any]:
    """One certificate with its status, or :class:`UnknownEntity`.

    From ``view`` when given (the log's tail folded in; a server keeps one per process), else
    an index lookup when ``index`` is current, else the store's certificate index (the rows of
    this one certificate, :func:`indexed_certificate_rows`), else a log scan.
    """
    if view is not None:
        found = view.get(certificate_id)
        rows = [found] if found is not None else []
    else:
        got = index.certificate_rows(certificate_id) if index is not None else None
        if got is None:
            got = indexed_certificate_rows(store, certificate_id)
        rows = (
            got
            if got is not None
            else [r for r in _scan_certificates(store) if r.certificate_id == certificate_id]
        )
    for row in rows:
        return row.to_dict()
    raise UnknownEntity("certificate", certificate_id)


@dataclass(frozen=True)
class EventFilter:
    """Filters for ``ledger events``."""

    learner: UUID | None = None
    fase: int | None = None
    type_contains: str | None = None
    since: date | None = None
    until: date | None = None


def events(
    store: Application[UUID], flt: EventFilter, limit: int | None = None, start: int = 0
) -> Iterator[dict[str, Any]]:
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
    detail = {
        k: v
        for k, v in state.items()
        if k not in {"decision", "timestamp", "originator_topic"} and v not in (None, False)
    }
    return {
        "position": n.id - 1,
        "event_id": f"{n.originator_id}/{n.originator_version}",
        "type": short_type(n.topic),
        "aggregate_id": str(n.originator_id),
        "version": n.originator_version,
        "recorded_at": state.get("timestamp"),
        "effective_date": decision.get("effective_date"),
        "body": decision.get("body"),
        "actor": decision.get("actor_id"),
        "legal_basis": decision.get("legal_basis"),
        "detail": detail,
    }


def attestation_counts(store: Application[UUID]) -> dict[str, int]:
    """How many attestations of each kind (demo summary)."""
    counts = {a.value: 0 for a in Attestation}
    for n in iter_notifications(store, topics=(get_topic(Learner.AttestationIssued),)):
        counts[orjson.loads(n.state)["kind"]] += 1
    return counts
