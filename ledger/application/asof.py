"""As-of views of a dossier, replayed from the event log (the source of truth).

- :func:`as_of_effective`: the dossier from the decisions whose **effective date** is on or
  before a date (what was validated on 30 June 2020), whenever they were recorded.
- :func:`as_recorded_at`: the dossier as the ledger **recorded** it at a past moment; the
  corrections and revocations recorded later are listed beside it, never merged in.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from typing import Any
from uuid import UUID

from eventsourcing.application import Application

from ledger.application.dossiers import dossier_of
from ledger.application.queries import replay as queries_replay
from ledger.domain.errors import InvalidCommand, UnknownEntity


def _events(store: Application[UUID], learner_id: UUID) -> list[Any]:
    events = list(store.events.get(learner_id))
    if not events or not hasattr(events[0], "decision"):
        raise UnknownEntity("learner or candidate", learner_id)
    return events


def replay(events: list[Any], keep: Callable[[Any], bool]) -> Any:
    """The aggregate from the kept events only, in version order (gaps allowed)."""
    if not keep(events[0]):
        return None
    agg = events[0].mutate(None)
    for event in events[1:]:
        if keep(event):
            event.apply(agg)
            agg.version = event.originator_version
            agg.modified_on = event.timestamp
    return agg


def as_of_effective(store: Application[UUID], learner_id: UUID, day: date) -> dict[str, Any]:
    """The dossier from decisions effective on or before ``day``."""
    events = _events(store, learner_id)
    agg = replay(events, lambda e: e.decision.effective_date <= day)
    if agg is None:
        raise InvalidCommand(f"{learner_id} was not yet admitted or registered on {day}")
    doc = dossier_of(agg, day, lambda ident: queries_replay(store, ident))
    doc["as_of_effective"] = day.isoformat()
    return doc


def as_recorded_at(store: Application[UUID], learner_id: UUID, moment: datetime) -> dict[str, Any]:
    """The dossier as recorded at ``moment``, with the corrections recorded since."""
    events = _events(store, learner_id)
    agg = replay(events, lambda e: e.timestamp <= moment)
    if agg is None:
        raise InvalidCommand(f"nothing was recorded for {learner_id} at {moment.isoformat()}")
    doc = dossier_of(agg, moment.date(), lambda ident: queries_replay(store, ident))
    doc["as_recorded_at"] = moment.isoformat()
    later = [e for e in events if e.timestamp > moment]
    doc["recorded_later"] = len(later)
    doc["later_corrections"] = [_correction(e) for e in later if _corrects(e) is not None]
    return doc


def _corrects(event: Any) -> int | None:
    target = getattr(event, "revokes", None)
    return int(target) if target is not None else event.decision.corrects


def _correction(event: Any) -> dict[str, Any]:
    return {
        "version": event.originator_version,
        "type": type(event).__qualname__,
        "corrects_version": _corrects(event),
        "recorded_at": event.timestamp.isoformat(),
        "effective_date": event.decision.effective_date.isoformat(),
        "body": event.decision.body.value,
        "reason": event.decision.reason,
    }
