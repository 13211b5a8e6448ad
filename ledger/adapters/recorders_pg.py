"""The PostgreSQL event recorder writing an idempotency receipt and identities with the events.

Kept apart from :mod:`ledger.adapters.recorders` (same contract, see there) so that opening a
SQLite store does not import psycopg and eventsourcing's PostgreSQL module (~0.3 s of start-up).

Large batches are written by ``COPY … FROM STDIN (FORMAT BINARY)`` instead of the library's
``unnest`` of an array of composite ``stored_event`` values: psycopg dumps that array in Python
(about 23 µs of CPU per event) where a binary COPY with declared column types costs about
1.5 µs. Small batches (one API command) keep the library's pipelined path, which needs fewer
round trips. Both paths give the same guarantees; see :meth:`PostgresReceiptRecorder.insert_events`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from uuid import UUID

from eventsourcing.persistence import (
    InterfaceError,
    Notification,
    OperationalError,
    ProgrammingError,
    StoredEvent,
)
from eventsourcing.postgres import PostgresApplicationRecorder, PostgresDatastore
from eventsourcing.utils import retry
from psycopg.sql import SQL, Identifier

from ledger.adapters import certindex
from ledger.adapters.identity import write_sealed
from ledger.adapters.recorders import _COLUMNS, IDEMPOTENCY_TABLE, PROBE_CHUNK, _identities, _receipt

__all__ = ["COPY_THRESHOLD", "PostgresReceiptRecorder"]

#: Batches of at least this many events are written by COPY (measured: see BENCHMARKS.md,
#: "Event inserts by COPY"); smaller ones by the library's pipelined ``unnest``.
COPY_THRESHOLD = 64


class PostgresReceiptRecorder(PostgresApplicationRecorder):
    """PostgreSQL application recorder writing a :class:`Receipt` and identities with the events.

    ``copy_threshold`` is the smallest batch written by COPY (``None``: never, the library's
    path only; tests compare both paths on the same batch).
    """

    writes_identities = True

    def __init__(
        self,
        datastore: PostgresDatastore,
        *,
        events_table_name: str = "stored_events",
        copy_threshold: int | None = COPY_THRESHOLD,
    ) -> None:
        super().__init__(datastore, events_table_name=events_table_name)
        self.copy_threshold = copy_threshold
        id_type = self.datastore.originator_id_type
        # A temporary table lives in the session's own schema (pg_temp), so one per connection;
        # ON COMMIT DELETE ROWS empties it at every commit, and a rollback empties it too.
        staging = Identifier(f"ledger_copy_{self.events_table_name.replace('.', '_')}_{id_type}")
        table = SQL("{0}.{1}").format(Identifier(self.datastore.schema), Identifier(self.events_table_name))
        self._copy_prelude: list[Any] = [
            SQL(
                "CREATE TEMP TABLE IF NOT EXISTS {0} (ord int8 NOT NULL, originator_id {1} NOT NULL, "
                "originator_version int8 NOT NULL, topic text, state bytea) ON COMMIT DELETE ROWS"
            ).format(staging, Identifier(id_type)),
            *self.lock_table_statements,
            SQL("NOTIFY {0}").format(Identifier(self.channel_name)),
        ]
        self._copy_statement = SQL(
            "COPY pg_temp.{0} (ord, originator_id, originator_version, topic, state) "
            "FROM STDIN (FORMAT BINARY)"
        ).format(staging)
        self._copy_types = ["int8", id_type, "int8", "text", "bytea"]
        # The ORDER BY makes the serial values follow the batch's order (the default is
        # evaluated row by row as the sorted rows reach the insert) and RETURNING yields them
        # in that same order: the ids come back in the events' order, as the library's
        # ``unnest`` path returns them. The EXCLUSIVE lock taken before still serialises writers,
        # so commit order equals id order exactly as on the library's path.
        self._copy_insert = SQL(
            "INSERT INTO {0} (originator_id, originator_version, topic, state) "
            "SELECT originator_id, originator_version, topic, state FROM pg_temp.{1} ORDER BY ord "
            "RETURNING notification_id"
        ).format(table, staging)

    def _insert_events(self, curs: Any, stored_events: Sequence[StoredEvent], **kwargs: Any) -> None:
        receipt = _receipt(kwargs)
        prefix = f'"{self.datastore.schema}".'
        if receipt is not None:
            curs.execute(
                f"INSERT INTO {prefix}{IDEMPOTENCY_TABLE} ({_COLUMNS}) "
                "VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s)",
                receipt.params(),
            )
        write_sealed(curs, "%s", prefix, _identities(kwargs))
        super()._insert_events(curs, stored_events, **kwargs)

    def insert_events(self, stored_events: Sequence[StoredEvent], **kwargs: Any) -> Sequence[int] | None:
        """Insert the events with the receipt and identities in one transaction; their ids in order.

        A batch of at least :attr:`copy_threshold` events goes by :meth:`_insert_by_copy`,
        any other by the library's pipelined path. Either way: one transaction for the receipt,
        the identities and the events; the events table locked EXCLUSIVE under the datastore's
        ``lock_timeout`` and the channel notified (as the library's ``_lock_table`` and
        ``_notify_channel``); a duplicate (originator_id, originator_version) raises
        eventsourcing's ``IntegrityError`` and writes nothing; connection errors retried.
        """
        threshold = self.copy_threshold
        if threshold is None or len(stored_events) < threshold or self.datastore.enable_db_functions:
            ids: Sequence[int] | None = super().insert_events(stored_events, **kwargs)
            return ids
        copied: list[int] = self._insert_by_copy(stored_events, **kwargs)
        return copied

    @retry((InterfaceError, OperationalError), max_attempts=10, wait=0.2)
    def _insert_by_copy(self, stored_events: Sequence[StoredEvent], **kwargs: Any) -> list[int]:
        """Write the batch by COPY, with its receipt and identities, in one transaction.

        COPY cannot run in pipeline mode: only the statements before it are pipelined
        (receipt, identities, lock, notify), then the pipeline is synced, still inside
        the transaction, and the events are copied to the staging table and inserted from it.
        ``get_connection`` turns psycopg's errors into eventsourcing's (``IntegrityError``...).
        """
        with self.datastore.get_connection() as conn, conn.transaction():
            with conn.pipeline(), conn.cursor() as curs:
                self._insert_events(curs, stored_events, **kwargs)
                for statement in self._copy_prelude:
                    curs.execute(statement)
            with conn.cursor() as curs:
                with curs.copy(self._copy_statement) as copy:
                    copy.set_types(self._copy_types)
                    for ord_, event in enumerate(stored_events):
                        copy.write_row(
                            (ord_, event.originator_id, event.originator_version, event.topic, event.state)
                        )
                curs.execute(self._copy_insert)
                ids = [row["notification_id"] for row in curs.fetchall()]
        if len(ids) != len(stored_events):  # pragma: no cover - the INSERT inserts every row or fails
            msg = f"Couldn't get all notification IDs (got {len(ids)}, expected {len(stored_events)})"
            raise ProgrammingError(msg)
        return ids

    def select_stored_ids(self, ids: Sequence[UUID]) -> set[UUID]:
        """Which of ``ids`` have stored events (one query per :data:`PROBE_CHUNK` ids)."""
        found: set[UUID] = set()
        statement = SQL("SELECT DISTINCT originator_id FROM {}.{} WHERE originator_id = ANY(%s)").format(
            Identifier(self.datastore.schema), Identifier(self.events_table_name)
        )
        as_text = self.datastore.originator_id_type == "text"
        with self.datastore.get_connection() as conn, conn.cursor() as curs:
            for start in range(0, len(ids), PROBE_CHUNK):
                part = ids[start : start + PROBE_CHUNK]
                curs.execute(statement, ([str(i) for i in part] if as_text else list(part),))
                found.update(UUID(str(row["originator_id"])) for row in curs.fetchall())
        return found

    def select_certificate_events(self, certificate_id: str) -> list[Notification] | None:
        """One certificate's issuance and revocation events in log order, via the index.

        ``None`` when the schema has no certificate index (the caller then scans the log).
        """
        schema = self.datastore.schema
        with self.datastore.get_connection() as conn, conn.cursor() as curs:
            curs.execute(certindex.pg_has_index_sql(schema))
            found = curs.fetchone()
            if found is None or next(iter(found.values())) is None:
                return None
            curs.execute(certindex.pg_lookup_sql(schema, self.events_table_name), (certificate_id,))
            return [
                certindex.notification(row, row["notification_id"], row["originator_id"])
                for row in curs.fetchall()
            ]
