"""Read model ``dossier``: the dossier d'apprentissage of every learner and CléA candidate.

``rm_dossier`` keeps, per learner or candidate, its version and the zero-based global position
of its last event (one upsert per touched aggregate per batch); ``rm_dossier_events`` its
**digest**: its events exactly as stored, one row each (insert only, set-based). The
document is rendered when it is read, by the same presentation code as ``ledger learner
show`` (:func:`ledger.queries.dossier_of`) from the digest, so it always equals replaying the
aggregate, and writing it costs no decoding at all. Fields that depend on the day the
dossier is read (``overdue``, ``expired``, ``passed``, the accrochage status, ``as_of``) are
rendered for a canonical day and recomputed for the reading day by :func:`refresh`.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any
from uuid import UUID

import orjson
from eventsourcing.persistence import Notification, StoredEvent

from ledger.follower import Db
from ledger.queries import dossier_of
from ledger.store import OrjsonTranscoder, PydanticMapper
from projections.base import CANDIDATE_TOPIC, LEARNER_TOPIC, TableProjection, group_by_aggregate

CANONICAL_DAY = date(1970, 1, 1)
TOPICS = (LEARNER_TOPIC, CANDIDATE_TOPIC)

DDL = ("CREATE TABLE IF NOT EXISTS rm_dossier (learner_id TEXT PRIMARY KEY, regime TEXT NOT NULL, "
       "version BIGINT NOT NULL, position BIGINT NOT NULL)",
       "CREATE TABLE IF NOT EXISTS rm_dossier_events (learner_id TEXT NOT NULL, "
       "version BIGINT NOT NULL, event TEXT NOT NULL, PRIMARY KEY (learner_id, version))")
UPSERT = ("INSERT INTO rm_dossier (learner_id, regime, version, position) VALUES (?, ?, ?, ?) "
          "ON CONFLICT (learner_id) DO UPDATE SET "
          "version = excluded.version, position = excluded.position")
APPEND = "INSERT INTO rm_dossier_events (learner_id, version, event) VALUES (?, ?, ?)"


class DossierProjection(TableProjection):
    """Keeps ``rm_dossier`` able to render exactly what replaying each learner gives."""

    name = "dossier"
    schema_version = 4
    ddl = DDL
    tables = ("rm_dossier", "rm_dossier_events")

    def apply(self, db: Db, batch: Sequence[Notification]) -> None:
        """Append the batch's events to the digests; move each touched aggregate's version."""
        heads: list[tuple[Any, ...]] = []
        events: list[tuple[str, int, str]] = []
        for agg_id, items in group_by_aggregate(batch, TOPICS).items():
            regime = "clea" if items[0].topic.startswith(CANDIDATE_TOPIC) else "CPU"
            last = items[-1]
            heads.append((agg_id, regime, last.originator_version, last.id - 1))
            events.extend((agg_id, n.originator_version, _line(n)) for n in items)
        if heads:
            db.executemany(UPSERT, heads)
            db.executemany(APPEND, events)


def _line(n: Notification) -> str:
    return orjson.dumps([n.topic, orjson.Fragment(n.state)]).decode()


_MAPPER = PydanticMapper(transcoder=OrjsonTranscoder())


def render(learner_id: UUID, events: Sequence[tuple[int, str]]) -> dict[str, Any]:
    """The document of a digest (versions and lines) for the canonical day, by replay."""
    agg: Any = None
    for version, line in events:
        topic, state = orjson.loads(line)
        stored_event = StoredEvent(originator_id=learner_id, originator_version=int(version),
                                   topic=topic, state=orjson.dumps(state))
        agg = _MAPPER.to_domain_event(stored_event).mutate(agg)
    return dossier_of(agg, CANONICAL_DAY)


def stored(db: Db, learner_id: UUID) -> tuple[int, dict[str, Any]] | None:
    """The stored (version, document) of a learner, if the read model has it."""
    row = db.execute("SELECT version FROM rm_dossier WHERE learner_id = ?",
                     (str(learner_id),)).fetchone()
    if row is None:
        return None
    events = db.execute("SELECT version, event FROM rm_dossier_events WHERE learner_id = ? "
                        "ORDER BY version", (str(learner_id),)).fetchall()
    return int(row[0]), render(learner_id, [(int(v), str(e)) for v, e in events])


def refresh(doc: dict[str, Any], today: date) -> dict[str, Any]:
    """Recompute the day-dependent fields of a stored document for ``today``."""
    if doc.get("regime") == "clea":
        return _refresh_clea(doc, today)
    for item in doc.get("pending_deadlines", []):
        item["overdue"] = today > date.fromisoformat(item["due_by"])
    return doc


def _refresh_clea(doc: dict[str, Any], today: date) -> dict[str, Any]:
    doc["as_of"] = today.isoformat()
    window = doc.get("window")
    if window:
        window["expired"] = today > date.fromisoformat(window["ends_on"])
    acc = doc.get("accrochage")
    if acc and acc["reported_on"] is None and acc["due_by"] is not None:
        acc["status"] = "overdue" if today > date.fromisoformat(acc["due_by"]) else "pending"
    for item in doc.get("deadlines", []):
        if item.get("recorded_missed"):
            continue
        if item["kind"] == "accrochage" and acc:
            item["passed"] = acc["status"] == "overdue"
        else:
            item["passed"] = today > date.fromisoformat(item["due_by"])
    return doc
