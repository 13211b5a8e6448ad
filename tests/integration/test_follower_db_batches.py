"""``Db.insert_many`` and ``Db.delete_keys`` write what one statement per row writes, on each backend."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from ledger.adapters.follower import Db
from ledger.adapters.target import StoreTarget

UPSERT = (
    "INSERT INTO t_rows (k, n, label) VALUES (?, ?, ?) "
    "ON CONFLICT (k) DO UPDATE SET n = t_rows.n + excluded.n, label = excluded.label"
)


@pytest.fixture
def dbs(store_location: str) -> Iterator[tuple[Db, Db]]:
    """Two connections to one store, each with its own table: batched and one by one."""
    first, second = Db(StoreTarget.parse(store_location)), Db(StoreTarget.parse(store_location))
    for db, table in ((first, "t_rows"), (second, "t_ref")):
        with db.transaction():
            db.execute(f"CREATE TABLE {table} (k TEXT PRIMARY KEY, n BIGINT NOT NULL, label TEXT)")
    yield first, second
    first.close()
    second.close()


def _rows(db: Db, table: str) -> list[tuple[object, ...]]:
    return [tuple(r) for r in db.execute(f"SELECT k, n, label FROM {table} ORDER BY k").fetchall()]


def test_insert_many_and_delete_keys_equal_one_statement_per_row(dbs: tuple[Db, Db]) -> None:
    """Plain inserts over several pages, an upsert of existing keys, deletes: same table."""
    batched, reference = dbs
    rows = [(f"k{i:05}", i, None if i % 3 else f"l{i}") for i in range(12_000)]  # > 1 page
    again = [(f"k{i:05}", 1, "again") for i in range(0, 12_000, 7)]
    gone = [(f"k{i:05}",) for i in range(0, 12_000, 11)]
    with batched.transaction() as db:
        db.insert_many(UPSERT, rows)
        db.insert_many(UPSERT, again)
        db.delete_keys("t_rows", "k", gone)
        db.insert_many(UPSERT, [])
        db.delete_keys("t_rows", "k", [])
    with reference.transaction() as db:
        ref = UPSERT.replace("t_rows", "t_ref")
        for row in rows + again:
            db.execute(ref, row)
        for key in gone:
            db.execute("DELETE FROM t_ref WHERE k = ?", key)
    assert _rows(batched, "t_rows") == _rows(reference, "t_ref")
    assert len(_rows(batched, "t_rows")) == 12_000 - len(gone)


def test_insert_many_refuses_a_statement_it_cannot_batch(dbs: tuple[Db, Db]) -> None:
    """Not a VALUES list of placeholders: PostgreSQL refuses it unsent; SQLite runs it as is."""
    db, _ = dbs
    odd = "INSERT INTO t_rows (k, n, label) VALUES (?, 1, ?)"
    if db.kind == "sqlite":
        db.insert_many(odd, [("a", "b")])
        assert _rows(db, "t_rows") == [("a", 1, "b")]
        return
    with pytest.raises(ValueError, match="VALUES list of placeholders"):
        db.insert_many(odd, [("a", "b")])
    assert _rows(db, "t_rows") == []
