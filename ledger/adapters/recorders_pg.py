"""The PostgreSQL event recorder writing an idempotency receipt and identities with the events.

Kept apart from :mod:`ledger.adapters.recorders` (same contract, see there) so that opening a
SQLite store does not import psycopg and eventsourcing's PostgreSQL module (~0.3 s of start-up).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from eventsourcing.persistence import Notification, StoredEvent
from eventsourcing.postgres import PostgresApplicationRecorder

from ledger.adapters import certindex
from ledger.adapters.identity import write_sealed
from ledger.adapters.recorders import _COLUMNS, IDEMPOTENCY_TABLE, _identities, _receipt

__all__ = ["PostgresReceiptRecorder"]


class PostgresReceiptRecorder(PostgresApplicationRecorder):
    """PostgreSQL application recorder writing a :class:`Receipt` and identities with the events."""

    writes_identities = True

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
