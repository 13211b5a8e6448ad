"""SQL on the store's own database: the dialect helper and the only reads of eventsourcing's tables.

- :func:`store_rows`: a read-only query on the ledger's own tables (read models, credentials),
  over the event store's pooled connections, ``?`` placeholders on both dialects.
- :class:`EventTable`: direct indexed reads of eventsourcing's stored-event table (the integrity
  log's proofs and verification), the one place that knows its name and columns per backend.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, Generic, TypeVar
from uuid import UUID

from eventsourcing.application import Application

from ledger.adapters.follower import Db

R = TypeVar("R")


def placeholders(sql: str, kind: str) -> str:
    """Rewrite ``?`` placeholders for the dialect (``%s`` on PostgreSQL)."""
    return sql if kind == "sqlite" else sql.replace("?", "%s")


def store_rows(store: Application[UUID], sql: str, params: Sequence[Any] = ()) -> list[Any]:
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
            sql = placeholders(sql, "postgres")
        cursor.execute(sql, tuple(params))
        return list(cursor.fetchall())


class EventTable(Generic[R]):
    """Direct indexed reads of the eventsourcing table (``stored_events`` / ``ledger_events``).

    Rows are built by ``row(position, originator_id, version, topic, state)``; ``position`` is
    zero-based.
    """

    def __init__(self, db: Db, row: Callable[[int, str, int, str, bytes], R]) -> None:
        self.db = db
        self.row = row
        sqlite = db.kind == "sqlite"
        self.table = "stored_events" if sqlite else "ledger_events"
        self.pos = "rowid" if sqlite else "notification_id"
        self.sqlite = sqlite

    def _select(self, where: str, params: Sequence[Any]) -> list[R]:
        sql = (
            f"SELECT {self.pos}, originator_id, originator_version, topic, state "
            f"FROM {self.table} WHERE {where} ORDER BY {self.pos}"
        )
        return [
            self.row(int(r[0]) - 1, str(UUID(str(r[1]))), int(r[2]), str(r[3]), bytes(r[4]))
            for r in self.db.execute(sql, params).fetchall()
        ]

    def _key(self, originator_id: UUID) -> Any:
        return originator_id.hex if self.sqlite else originator_id

    def at(self, position: int) -> R | None:
        """The row at ``position``."""
        rows = self._select(f"{self.pos} = ?", (position + 1,))
        return rows[0] if rows else None

    def event(self, originator_id: UUID, version: int) -> R | None:
        """The row of event ``originator_id/version``."""
        rows = self._select(
            "originator_id = ? AND originator_version = ?", (self._key(originator_id), version)
        )
        return rows[0] if rows else None

    def between(self, start: int, end: int) -> list[R]:
        """The rows at positions ``start..end-1`` (one range scan; unused positions are absent)."""
        return self._select(f"{self.pos} > ? AND {self.pos} <= ?", (start, end))

    def of_aggregate(self, originator_id: UUID) -> list[R]:
        """Every row of one aggregate, in global order."""
        return self._select("originator_id = ?", (self._key(originator_id),))
