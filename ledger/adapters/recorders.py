"""Event recorders that commit an idempotency receipt in the same transaction as the events.

A write through the HTTP API carries a client request id (``Idempotency-Key``). Its receipt
(the request hash and the response) is inserted by the recorder inside the transaction that
inserts the command's events, exactly as eventsourcing's process recorders insert their
tracking records: both commit, or neither does. After a crash (``kill -9``) at any moment,
either nothing was written and a retry executes the command once, or both were written and
a retry returns the original response. A second insert of the same key fails on the table's
primary key and rolls the whole transaction back, so a decision is never recorded twice.

The same transaction writes the sealed identities of the learners the command admits
(``identities=`` keyword, :class:`ledger.adapters.identity.SealedIdentity`): a crash can never
leave an admitted learner without identity, nor an identity without its learner.

The recorders are selected with eventsourcing's ``APPLICATION_RECORDER_TOPIC`` setting (see
:meth:`ledger.adapters.store.StoreTarget.env`); the PostgreSQL one lives in
:mod:`ledger.adapters.recorders_pg` so that a SQLite store never imports psycopg.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any
from uuid import UUID

import orjson
from eventsourcing.persistence import Notification, StoredEvent
from eventsourcing.sqlite import SQLiteApplicationRecorder, SQLiteCursor

from ledger.adapters import certindex
from ledger.adapters.identity import SealedIdentity, write_sealed

IDEMPOTENCY_TABLE = "api_idempotency"
_COLUMNS = "namespace, key, request_hash, state, status, response, response_hash, created_at, events"


@dataclass(frozen=True)
class Receipt:
    """The idempotency record of one write, inserted with its events."""

    namespace: str
    key: str
    request_hash: str
    status: int
    response: dict[str, Any]
    events: tuple[str, ...]

    def params(self) -> tuple[Any, ...]:
        """The row's values, in :data:`_COLUMNS` order."""
        encoded = orjson.dumps(self.response).decode()
        return (
            self.namespace,
            self.key,
            self.request_hash,
            "done",
            self.status,
            encoded,
            hashlib.sha256(encoded.encode()).hexdigest(),
            time.time(),
            orjson.dumps(list(self.events)).decode(),
        )


def _receipt(kwargs: dict[str, Any]) -> Receipt | None:
    value = kwargs.get("receipt")
    return value if isinstance(value, Receipt) else None


def _identities(kwargs: dict[str, Any]) -> list[SealedIdentity]:
    return [row for row in kwargs.get("identities") or () if isinstance(row, SealedIdentity)]


PROBE_CHUNK = 500
"""Ids per query when probing which aggregates exist (under SQLite's bound-parameter limit)."""


class SqliteReceiptRecorder(SQLiteApplicationRecorder):
    """SQLite application recorder writing a :class:`Receipt` and identities with the events."""

    writes_identities = True

    def _insert_events(
        self, c: SQLiteCursor, stored_events: Sequence[StoredEvent], **kwargs: Any
    ) -> Sequence[int] | None:
        receipt = _receipt(kwargs)
        if receipt is not None:
            c.execute(
                f"INSERT INTO {IDEMPOTENCY_TABLE} ({_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                receipt.params(),
            )
        write_sealed(c, "?", "", _identities(kwargs))
        return super()._insert_events(c, stored_events, **kwargs)

    def select_stored_ids(self, ids: Sequence[UUID]) -> set[UUID]:
        """Which of ``ids`` have stored events (one query per :data:`PROBE_CHUNK` ids)."""
        found: set[UUID] = set()
        with self.datastore.transaction(commit=False) as c:
            for start in range(0, len(ids), PROBE_CHUNK):
                part = ids[start : start + PROBE_CHUNK]
                c.execute(
                    f"SELECT DISTINCT originator_id FROM {self.events_table_name} "
                    f"WHERE originator_id IN ({', '.join('?' * len(part))})",
                    [i.hex for i in part],
                )
                found.update(UUID(str(row["originator_id"])) for row in c.fetchall())
        return found

    def select_certificate_events(self, certificate_id: str) -> list[Notification] | None:
        """One certificate's issuance and revocation events in log order, via the index.

        ``None`` when the database has no certificate index (the caller then scans the log).
        """
        with self.datastore.transaction(commit=False) as c:
            if not certindex.sqlite_has_index(c):
                return None
            c.execute(certindex.sqlite_lookup_sql(self.events_table_name), (certificate_id,))
            return [
                certindex.notification(row, row["rowid"], self.convert_originator_id(row["originator_id"]))
                for row in c.fetchall()
            ]
