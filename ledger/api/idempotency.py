"""Idempotent writes: a client request id (``Idempotency-Key``) per write, kept in the ledger DB.

A key is *reserved* (state ``pending``) before the command is executed, so two concurrent
requests with the same key — even in two server processes — never both execute; it is
*completed* with the response (and its hash) after a successful execute, and *released* when
the command is refused (a refusal writes nothing and may be retried). A reservation older than
:data:`STALE_AFTER` seconds (a crashed server) can be taken over. Keys are namespaced by
principal: two clients cannot read each other's responses.
"""

from __future__ import annotations

import hashlib
import hmac
import threading
import time
from dataclasses import dataclass
from typing import Any

import orjson

from ledger.adapters.store import StoreTarget

STALE_AFTER = 120.0
DDL = (
    "CREATE TABLE IF NOT EXISTS api_idempotency ("
    "namespace TEXT NOT NULL, key TEXT NOT NULL, request_hash TEXT NOT NULL, "
    "state TEXT NOT NULL, status INTEGER, response TEXT, response_hash TEXT, "
    "created_at DOUBLE PRECISION NOT NULL, PRIMARY KEY (namespace, key))"
)


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
    """The ``api_idempotency`` table on the ledger's database (SQLite or PostgreSQL)."""

    def __init__(self, target: StoreTarget) -> None:
        self._p = target.placeholder
        self._lock = threading.Lock()
        self._conn = _connect(target)
        self._conn.execute(DDL)

    def _sql(self, sql: str) -> str:
        return sql.replace("?", self._p)

    def get(self, namespace: str, key: str) -> StoredReply | None:
        """The record of a key, if any."""
        with self._lock:
            row = self._conn.execute(
                self._sql(
                    "SELECT request_hash, state, status, response FROM api_idempotency "
                    "WHERE namespace = ? AND key = ?"
                ),
                (namespace, key),
            ).fetchone()
        if row is None:
            return None
        return StoredReply(row[0], row[1], row[2], orjson.loads(row[3]) if row[3] else None)

    def reserve(self, namespace: str, key: str, digest: str) -> bool:
        """Reserve a key for one execution; False if it is already taken."""
        now = time.time()
        with self._lock:
            self._conn.execute(
                self._sql(
                    "DELETE FROM api_idempotency WHERE namespace = ? AND key = ? AND state = 'pending' "
                    "AND created_at < ?"
                ),
                (namespace, key, now - STALE_AFTER),
            )
            cur = self._conn.execute(
                self._sql(
                    "INSERT INTO api_idempotency (namespace, key, request_hash, state, created_at) "
                    "VALUES (?, ?, ?, 'pending', ?) ON CONFLICT DO NOTHING"
                ),
                (namespace, key, digest, now),
            )
            return bool(cur.rowcount == 1)

    def complete(self, namespace: str, key: str, status: int, response: Any) -> None:
        """Store the response of a successful execution."""
        encoded = orjson.dumps(response).decode()
        with self._lock:
            self._conn.execute(
                self._sql(
                    "UPDATE api_idempotency SET state = 'done', status = ?, response = ?, "
                    "response_hash = ? WHERE namespace = ? AND key = ?"
                ),
                (status, encoded, hashlib.sha256(encoded.encode()).hexdigest(), namespace, key),
            )

    def release(self, namespace: str, key: str) -> None:
        """Forget a reservation whose command was refused (nothing was written)."""
        with self._lock:
            self._conn.execute(
                self._sql(
                    "DELETE FROM api_idempotency WHERE namespace = ? AND key = ? AND state = 'pending'"
                ),
                (namespace, key),
            )

    def close(self) -> None:
        """Close the connection."""
        self._conn.close()


def _connect(target: StoreTarget) -> Any:
    """A connection usable from the server's worker threads (calls are serialised by a lock)."""
    return target.connect(threads=True)
