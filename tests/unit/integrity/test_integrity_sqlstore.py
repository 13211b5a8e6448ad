"""SQL node stores: SQLite always, PostgreSQL when INTEGRITY_TEST_POSTGRES_DSN is set."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ledger.integrity import (
    LogError,
    MemoryNodeStore,
    MerkleLog,
    PostgresNodeStore,
    SqliteNodeStore,
    verify_consistency,
    verify_inclusion,
)

from ._support import leaves_for


@pytest.fixture
def conn() -> Iterator[sqlite3.Connection]:
    connection = sqlite3.connect(":memory:")
    SqliteNodeStore.create_table(connection)
    SqliteNodeStore.create_table(connection)  # idempotent
    yield connection
    connection.close()


def _append_both(batches: list[int], seed: int, sql: MerkleLog) -> MerkleLog:
    memory = MerkleLog(MemoryNodeStore())
    hashes = leaves_for(seed, sum(batches))
    position = 0
    for count in batches:
        chunk = hashes[position : position + count]
        assert sql.append(chunk) == memory.append(chunk)
        position += count
    return memory


def _assert_same(sql: MerkleLog, memory: MerkleLog) -> None:
    n = memory.size
    assert sql.size == n
    for size in sorted({1, n // 3 or 1, n // 2 or 1, n - 1 or 1, n}):
        assert sql.root(size) == memory.root(size)
        for index in sorted({0, size // 2, size - 1}):
            proof = sql.inclusion_proof(index, size)
            assert proof == memory.inclusion_proof(index, size)
            verify_inclusion(memory.leaf(index), index, size, proof, memory.root(size))
        for size1 in sorted({1, size // 2 or 1, size}):
            proof = sql.consistency_proof(size1, size)
            assert proof == memory.consistency_proof(size1, size)
            verify_consistency(size1, size, proof, memory.root(size1), memory.root(size))


@settings(max_examples=15, deadline=None)
@given(batches=st.lists(st.integers(1, 700), min_size=1, max_size=6), seed=st.integers(0, 99))
def test_sqlite_log_equals_memory_log(batches: list[int], seed: int) -> None:
    connection = sqlite3.connect(":memory:")
    try:
        SqliteNodeStore.create_table(connection)
        sql = MerkleLog(SqliteNodeStore(connection))
        memory = _append_both(batches, seed, sql)
        _assert_same(sql, memory)
    finally:
        connection.close()


def test_sqlite_store_does_not_commit(conn: sqlite3.Connection) -> None:
    log = MerkleLog(SqliteNodeStore(conn))
    log.append(leaves_for(1, 5))
    assert conn.in_transaction
    conn.rollback()
    assert log.size == 0
    log.append(leaves_for(1, 5))
    conn.commit()
    assert log.size == 5


def test_sqlite_store_refuses_overwrite(conn: sqlite3.Connection) -> None:
    store = SqliteNodeStore(conn)
    MerkleLog(store).append(leaves_for(2, 4))
    with pytest.raises(sqlite3.IntegrityError):
        store.put_many([(0, 3, b"z" * 32)])
    with pytest.raises(sqlite3.IntegrityError):  # CHECK (length(hash) = 32)
        store.put_many([(0, 9, b"z")])


def test_sqlite_get_many_batches_large_requests(conn: sqlite3.Connection) -> None:
    store = SqliteNodeStore(conn, table="integrity_nodes")
    MerkleLog(store).append(leaves_for(3, 1000))
    keys = [(0, i) for i in range(1000)] + [(0, 5000)]
    found = store.get_many(keys)
    assert len(found) == 1000 and (0, 5000) not in found
    assert store.get_many([]) == {}


def test_table_name_is_validated() -> None:
    with pytest.raises(LogError):
        SqliteNodeStore(sqlite3.connect(":memory:"), table="nodes; DROP TABLE x")


# ----------------------------------------------------------------------- PostgreSQL


def _pg_connect() -> Any:
    from tests.conftest import require_service

    dsn = require_service("LEDGER_TEST_PG_URL", "PostgreSQL")
    import psycopg

    return psycopg.connect(dsn)


@pytest.mark.postgres
def test_postgres_log_equals_memory_log() -> None:
    connection = _pg_connect()
    table = "integrity_nodes_test"
    try:
        connection.execute(f"DROP TABLE IF EXISTS {table}")
        PostgresNodeStore.create_table(connection, table)
        PostgresNodeStore.create_table(connection, table)
        connection.commit()
        sql = MerkleLog(PostgresNodeStore(connection, table))
        memory = _append_both([1, 2, 300, 1000, 77], 7, sql)
        _assert_same(sql, memory)
        connection.rollback()  # the store never commits: everything is undone
        assert sql.size == 0
    finally:
        connection.rollback()
        connection.execute(f"DROP TABLE IF EXISTS {table}")
        connection.commit()
        connection.close()
