"""SQL implementations of :class:`ledger.integrity.merkle.NodeStore`.

Both stores use a DB-API connection supplied by the caller and never commit or roll
back: the caller owns the transaction, so Merkle nodes can be written atomically with
the events they commit to. Nodes live in one table (default ``integrity_nodes``)::

    level INTEGER, idx INTEGER/BIGINT, hash BLOB/BYTEA, PRIMARY KEY (level, idx)

The primary key makes the log append-only: two writers racing to append the same
index fail with the driver's integrity error instead of forking the tree.
``get_many`` fetches all nodes needed for a root or proof in one query.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any, ClassVar

from ledger.integrity.errors import LogError
from ledger.integrity.merkle import NodeKey

__all__ = ["DEFAULT_TABLE", "PostgresNodeStore", "SqliteNodeStore"]

DEFAULT_TABLE = "integrity_nodes"
"""Default table name for the SQL node stores."""

_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,62}")
_SQLITE_BATCH = 400  # pairs per query; 800 bound variables stay far below SQLite limits


def _check_table(table: str) -> str:
    if not _IDENTIFIER.fullmatch(table):
        raise LogError(f"invalid table name {table!r}")
    return table


class _SqlNodeStore:
    """Shared logic; subclasses provide the dialect-specific SQL."""

    _DDL: ClassVar[str]
    _PH: ClassVar[str]

    def __init__(self, conn: Any, table: str = DEFAULT_TABLE) -> None:
        self._conn = conn
        self._table = _check_table(table)

    @classmethod
    def create_table(cls, conn: Any, table: str = DEFAULT_TABLE) -> None:
        """Create the node table if it does not exist (idempotent; does not commit)."""
        cur = conn.cursor()
        try:
            cur.execute(cls._DDL.format(table=_check_table(table)))
        finally:
            cur.close()

    def leaf_count(self) -> int:
        """Return the number of stored leaves (one index seek on the primary key)."""
        sql = f"SELECT MAX(idx) FROM {self._table} WHERE level = 0"
        row = self._query(sql, ())[0]
        return 0 if row[0] is None else int(row[0]) + 1

    def get_range(self, level: int, start: int, end: int) -> list[bytes]:
        """Hashes of nodes ``start..end-1`` of ``level`` in one primary-key range scan.

        Raises :class:`LogError` when one of them is not stored (a tile served from the
        stored tree is never shorter than asked).
        """
        if end <= start:
            return []
        ph = self._PH
        sql = (
            f"SELECT idx, hash FROM {self._table} WHERE level = {ph} AND idx >= {ph} "
            f"AND idx < {ph} ORDER BY idx"
        )
        rows = self._query(sql, (level, start, end))
        if len(rows) != end - start:
            raise LogError(f"node store has {len(rows)} of nodes {start}..{end - 1} of level {level}")
        return [bytes(row[1]) for row in rows]

    def put_many(self, nodes: Sequence[tuple[int, int, bytes]]) -> None:
        """Insert nodes; an existing ``(level, idx)`` raises the driver's error."""
        if not nodes:
            return
        ph = self._PH
        sql = f"INSERT INTO {self._table} (level, idx, hash) VALUES ({ph}, {ph}, {ph})"
        cur = self._conn.cursor()
        try:
            cur.executemany(sql, [(lvl, idx, bytes(h)) for lvl, idx, h in nodes])
        finally:
            cur.close()

    def _query(self, sql: str, params: Sequence[Any]) -> list[Any]:
        cur = self._conn.cursor()
        try:
            cur.execute(sql, params)
            return list(cur.fetchall())
        finally:
            cur.close()

    @staticmethod
    def _rows_to_dict(rows: Sequence[Any]) -> dict[NodeKey, bytes]:
        return {(int(r[0]), int(r[1])): bytes(r[2]) for r in rows}


class SqliteNodeStore(_SqlNodeStore):
    """A :class:`NodeStore` in SQLite through a :mod:`sqlite3` connection."""

    _DDL = (
        "CREATE TABLE IF NOT EXISTS {table} ("
        " level INTEGER NOT NULL,"
        " idx INTEGER NOT NULL,"
        " hash BLOB NOT NULL CHECK (length(hash) = 32),"
        " PRIMARY KEY (level, idx)"
        ") WITHOUT ROWID"
    )
    _PH = "?"

    def get_many(self, keys: Sequence[NodeKey]) -> dict[NodeKey, bytes]:
        """Return the stored hashes of ``keys`` (one query per 400 keys)."""
        unique = list(dict.fromkeys(keys))
        found: dict[NodeKey, bytes] = {}
        for start in range(0, len(unique), _SQLITE_BATCH):
            batch = unique[start : start + _SQLITE_BATCH]
            where = " OR ".join(["(level = ? AND idx = ?)"] * len(batch))
            sql = f"SELECT level, idx, hash FROM {self._table} WHERE {where}"
            params = [value for key in batch for value in key]
            found.update(self._rows_to_dict(self._query(sql, params)))
        return found


class PostgresNodeStore(_SqlNodeStore):
    """A :class:`NodeStore` in PostgreSQL through a psycopg 3 connection."""

    _DDL = (
        "CREATE TABLE IF NOT EXISTS {table} ("
        " level INTEGER NOT NULL,"
        " idx BIGINT NOT NULL,"
        " hash BYTEA NOT NULL CHECK (octet_length(hash) = 32),"
        " PRIMARY KEY (level, idx)"
        ")"
    )
    _PH = "%s"

    def get_many(self, keys: Sequence[NodeKey]) -> dict[NodeKey, bytes]:
        """Return the stored hashes of ``keys`` in a single query."""
        if not keys:
            return {}
        # one primary-key lookup per key (LATERAL): a plain join on ``unnest`` may be planned
        # as a hash join over the whole table, which grows with the log
        sql = (
            "SELECT k.level, k.idx, n.hash"
            " FROM unnest(%s::integer[], %s::bigint[]) AS k(level, idx)"
            f" CROSS JOIN LATERAL (SELECT hash FROM {self._table}"
            " WHERE level = k.level AND idx = k.idx) AS n"
        )
        levels = [key[0] for key in keys]
        indexes = [key[1] for key in keys]
        return self._rows_to_dict(self._query(sql, (levels, indexes)))
