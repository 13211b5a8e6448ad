"""Read model ``dossier``: the dossier d'apprentissage of every learner and CléA candidate.

``rm_dossier`` keeps, per learner or candidate, its regime, the version the read model has
reached and the zero-based global position of that version's event (one upsert per touched
aggregate per batch, nothing decoded). The document is rendered when it is read, by the same
presentation code as ``ledger learner show`` (:func:`ledger.application.dossiers.dossier_of`), from the
aggregate's own events **up to that version**, read from the event store, which keeps them
indexed by aggregate: so the document always equals replaying the aggregate as far as the
read model has followed the log, and no copy of the events can drift from them. (Rendering
needs the domain's own replay; materialising the document at every event would cost that
replay for each of them, which a rebuild of millions of events cannot afford.) Fields that
depend on the day the dossier is read (``overdue``, ``expired``, ``passed``, the accrochage
status, ``as_of``) are rendered for a canonical day and recomputed for the reading day by
:func:`refresh`.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any
from uuid import UUID

from eventsourcing.persistence import Notification

from ledger.adapters.follower import Db
from ledger.adapters.store import EventStoreApp
from ledger.application.dossiers import dossier_of
from ledger.application.queries import replay
from projections.base import CANDIDATE_TOPIC, LEARNER_TOPIC, TableProjection, group_by_aggregate

CANONICAL_DAY = date(1970, 1, 1)
TOPICS = (LEARNER_TOPIC, CANDIDATE_TOPIC)

DDL = (
    "CREATE TABLE IF NOT EXISTS rm_dossier (learner_id TEXT PRIMARY KEY, regime TEXT NOT NULL, "
    "version BIGINT NOT NULL, position BIGINT NOT NULL)",
)
UPSERT = (
    "INSERT INTO rm_dossier (learner_id, regime, version, position) VALUES (?, ?, ?, ?) "
    "ON CONFLICT (learner_id) DO UPDATE SET "
    "version = excluded.version, position = excluded.position"
)


class DossierProjection(TableProjection):
    """Keeps ``rm_dossier`` at the version of every learner and candidate the log has reached."""

    name = "dossier"
    schema_version = 5
    ddl = DDL
    tables = ("rm_dossier",)

    def prepare(self, batch: Sequence[Notification]) -> list[tuple[Any, ...]]:
        """Each touched aggregate's regime, last version and its position (no database)."""
        heads: list[tuple[Any, ...]] = []
        for agg_id, items in group_by_aggregate(batch, TOPICS).items():
            regime = "clea" if items[0].topic.startswith(CANDIDATE_TOPIC) else "CPU"
            last = items[-1]
            heads.append((agg_id, regime, last.originator_version, last.id - 1))
        return heads

    def write(self, db: Db, heads: list[tuple[Any, ...]]) -> None:
        """Move each touched aggregate's version and position."""
        db.insert_many(UPSERT, heads)  # one row per aggregate of the batch


def render(store: EventStoreApp, learner_id: UUID, version: int) -> dict[str, Any]:
    """The document of a learner or candidate at ``version``, for the canonical day, by replay.

    The profile a learner was admitted under resolves as admissions do (published, else shipped).
    """
    agg: Any = None
    event: Any
    for event in store.events.get(learner_id, lte=version):
        agg = event.mutate(agg)
    return dossier_of(agg, CANONICAL_DAY, lambda ident: replay(store, ident))


def stored(db: Db, store: EventStoreApp, learner_id: UUID) -> tuple[int, dict[str, Any]] | None:
    """The (version, document) of a learner as far as the read model has followed the log."""
    row = db.execute("SELECT version FROM rm_dossier WHERE learner_id = ?", (str(learner_id),)).fetchone()
    if row is None:
        return None
    return int(row[0]), render(store, learner_id, int(row[0]))


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
