"""Idempotent writes: a client request id (``Idempotency-Key``) per write, kept in the ledger DB.

The receipt of a write (request hash, status, response) is committed by the event recorder in
the SAME transaction as the command's events (:mod:`ledger.adapters.recorders`): after a crash
at any moment either both exist or neither does. A retry with the same key and body returns
the original response (its log positions read back from the events table); the same key with
another body is refused; two concurrent requests with one key never both commit (the second
transaction fails on the table's primary key and is answered from the first one's receipt).
Keys are namespaced by principal: two clients cannot read each other's responses.
"""

from __future__ import annotations

import hashlib
import hmac
import threading
from dataclasses import dataclass
from typing import Any

import orjson

from ledger.adapters.recorders import IDEMPOTENCY_TABLE, Receipt
from ledger.adapters.store import StoreTarget

__all__ = ["IdempotencyStore", "Receipt", "StoredReply", "request_hash"]


def request_hash(body: Any) -> str:
    """SHA-256 of the canonical JSON of a request body (key order does not matter)."""
    return hashlib.sha256(orjson.dumps(body, option=orjson.OPT_SORT_KEYS)).hexdigest()


@dataclass(frozen=True)
class StoredReply:
    """What the store knows of a key."""

    request_hash: str
    state: str
    status: int | None
    response: Any

    def same_request(self, digest: str) -> bool:
        """True if ``digest`` is this key's request hash (constant-time comparison)."""
        return hmac.compare_digest(self.request_hash, digest)


class IdempotencyStore:
    """Reads the ``api_idempotency`` table (written by the recorder with the events)."""

    def __init__(self, target: StoreTarget) -> None:
        from ledger.adapters.migrations import migrate

        self._p = target.placeholder
        self._sqlite = target.kind == "sqlite"
        self._lock = threading.Lock()
        self._conn = target.connect(threads=True)
        migrate(self._conn, self._p)

    def _sql(self, sql: str) -> str:
        return sql.replace("?", self._p)

    def get(self, namespace: str, key: str) -> StoredReply | None:
        """The record of a key (its response with the events' log positions), if any."""
        with self._lock:
            row = self._conn.execute(
                self._sql(
                    f"SELECT request_hash, state, status, response, events FROM {IDEMPOTENCY_TABLE} "
                    "WHERE namespace = ? AND key = ?"
                ),
                (namespace, key),
            ).fetchone()
            if row is None:
                return None
            response = orjson.loads(row[3]) if row[3] else None
            if isinstance(response, dict) and row[4] is not None:
                response["positions"] = self._positions(orjson.loads(row[4]))
        return StoredReply(row[0], row[1], row[2], response)

    def _positions(self, events: list[str]) -> list[int]:
        """Zero-based log positions of events named ``<aggregate id>/<version>``."""
        if self._sqlite:
            sql = "SELECT rowid FROM stored_events WHERE originator_id = ? AND originator_version = ?"
        else:
            sql = (
                "SELECT notification_id FROM ledger_events "
                "WHERE originator_id = %s AND originator_version = %s"
            )
        out = []
        for name in events:
            aggregate, version = name.rsplit("/", 1)
            ident = aggregate.replace("-", "") if self._sqlite else aggregate
            row = self._conn.execute(sql, (ident, int(version))).fetchone()
            if row is not None:
                out.append(int(row[0]) - 1)
        return out

    def close(self) -> None:
        """Close the connection."""
        self._conn.close()
