"""The PostgreSQL event recorder writing an idempotency receipt and identities with the events.

Kept apart from :mod:`ledger.adapters.recorders` (same contract, see there) so that opening a
SQLite store does not import psycopg and eventsourcing's PostgreSQL module (~0.3 s of start-up).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from eventsourcing.persistence import StoredEvent
from eventsourcing.postgres import PostgresApplicationRecorder

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
