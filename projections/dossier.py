"""Read model ``dossier``: the dossier d'apprentissage of every learner and CléA candidate.

One JSON document per learner in ``rm_dossier``, produced by the same presentation code as
``ledger learner show`` (:func:`ledger.queries.dossier_of`) from the aggregate as of the
batch's last event. Fields that depend on the day the dossier is read (``overdue``,
``expired``, ``passed``, the accrochage status, ``as_of``) are stored for a canonical day
and recomputed at read time by :func:`refresh`, so a stored document never goes stale.
"""

from __future__ import annotations

from datetime import date
from typing import Any
from uuid import UUID

import orjson

from ledger.follower import Db
from ledger.queries import dossier_of
from projections.base import AggregateProjection, Touched

CANONICAL_DAY = date(1970, 1, 1)

DDL = ("CREATE TABLE IF NOT EXISTS rm_dossier (learner_id TEXT PRIMARY KEY, regime TEXT NOT NULL, "
       "version BIGINT NOT NULL, position BIGINT NOT NULL, doc TEXT NOT NULL)")


class DossierProjection(AggregateProjection):
    """Keeps ``rm_dossier`` equal to replaying each learner's aggregate."""

    name = "dossier"
    ddl = (DDL,)
    tables = ("rm_dossier",)

    def write(self, db: Db, touched: list[Touched]) -> None:
        """Upsert one document per touched learner or candidate."""
        rows = []
        for agg, items in touched:
            doc = dossier_of(agg, CANONICAL_DAY)
            regime = "clea" if doc.get("regime") == "clea" else "CPU"
            rows.append((str(agg.id), regime, agg.version, items[-1][0].id - 1,
                         orjson.dumps(doc, option=orjson.OPT_SORT_KEYS).decode()))
        db.executemany(
            "INSERT INTO rm_dossier (learner_id, regime, version, position, doc) "
            "VALUES (?, ?, ?, ?, ?) ON CONFLICT (learner_id) DO UPDATE SET "
            "regime = excluded.regime, version = excluded.version, "
            "position = excluded.position, doc = excluded.doc", rows)


def stored(db: Db, learner_id: UUID) -> tuple[int, dict[str, Any]] | None:
    """The stored (version, document) of a learner, if the read model has it."""
    row = db.execute("SELECT version, doc FROM rm_dossier WHERE learner_id = ?",
                     (str(learner_id),)).fetchone()
    return (int(row[0]), orjson.loads(row[1])) if row else None


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
