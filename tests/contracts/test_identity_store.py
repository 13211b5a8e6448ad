"""Contract of the identity store port (put/get/erase), run against every adapter.

The in-memory fake (:class:`MemoryIdentityStore`) and the encrypted SQL store on a SQLite file
and on a PostgreSQL schema give the same answers; the SQL adapters also prove that personal
data is never stored in clear and that erasure destroys the record and the learner's key
(crypto-shredding: on SQLite the freed pages and the WAL no longer hold the bytes).
"""

from __future__ import annotations

import secrets
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from cryptography.exceptions import InvalidTag

from ledger.adapters.identity import (
    Identity,
    IdentityStore,
    MemoryIdentityStore,
    Representative,
    SqlIdentityStore,
)
from ledger.adapters.store import StoreTarget
from tests.conftest import pg_url_with_schema

ADA = Identity(
    given_name="Ada",
    family_name="Zyxwvutsrqp",
    birth_date=date(2008, 5, 17),
    national_number="08051712345",
    representatives=(Representative(name="Grace Zyxwvutsrqp", email="grace@example.org"),),
)


@dataclass
class Adapter:
    """One identity store under test and, for the SQL ones, its connection and target."""

    store: IdentityStore
    conn: Any = None
    target: StoreTarget | None = None


@contextmanager
def opened(kind: str, tmp_path: Path) -> Iterator[Adapter]:
    """An empty identity store of adapter ``kind``."""
    if kind == "memory":
        yield Adapter(MemoryIdentityStore())
        return
    location = (
        str(tmp_path / "identity.db")
        if kind == "sqlite"
        else pg_url_with_schema(f"contract_{uuid.uuid4().hex[:12]}")
    )
    target = StoreTarget.parse(location)
    conn = target.connect()
    try:
        yield Adapter(SqlIdentityStore(conn, target.placeholder, secrets.token_bytes(32)), conn, target)
    finally:
        if target.kind == "postgres":
            conn.execute(f'DROP SCHEMA "{target.schema}" CASCADE')
        conn.close()


@pytest.fixture(params=["memory", "sqlite", "postgres"])
def adapter(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Adapter]:
    """An empty identity store per adapter."""
    with opened(request.param, tmp_path) as opened_adapter:
        yield opened_adapter


@pytest.fixture(params=["sqlite", "postgres"])
def sql(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Adapter]:
    """An empty SQL identity store (the storage the fake does not have), per SQL adapter."""
    with opened(request.param, tmp_path) as opened_adapter:
        yield opened_adapter


def test_an_identity_comes_back_as_it_was_put(adapter: Adapter) -> None:
    learner = uuid.uuid4()
    adapter.store.put(learner, ADA)
    assert adapter.store.get(learner) == ADA


def test_an_unknown_learner_has_no_identity(adapter: Adapter) -> None:
    assert adapter.store.get(uuid.uuid4()) is None
    assert adapter.store.erase(uuid.uuid4()) is False


def test_put_replaces_and_learners_are_kept_apart(adapter: Adapter) -> None:
    one, two = uuid.uuid4(), uuid.uuid4()
    adapter.store.put(one, ADA)
    adapter.store.put(two, ADA.model_copy(update={"given_name": "Bob"}))
    adapter.store.put(one, ADA.model_copy(update={"family_name": "Lovelace"}))
    first, second = adapter.store.get(one), adapter.store.get(two)
    assert first is not None and first.family_name == "Lovelace"
    assert second is not None and second.given_name == "Bob"


def test_erase_forgets_one_learner_only_and_reports_it(adapter: Adapter) -> None:
    gone, kept = uuid.uuid4(), uuid.uuid4()
    adapter.store.put(gone, ADA)
    adapter.store.put(kept, ADA)
    assert adapter.store.erase(gone) is True
    assert adapter.store.get(gone) is None
    assert adapter.store.erase(gone) is False
    assert adapter.store.get(kept) == ADA
    adapter.store.put(gone, ADA)  # a learner admitted again starts afresh
    assert adapter.store.get(gone) == ADA


def test_personal_data_is_never_stored_in_clear(sql: Adapter) -> None:
    conn = sql.conn
    sql.store.put(uuid.uuid4(), ADA)
    rows = conn.execute("SELECT sealed FROM learner_identity").fetchall()
    assert rows and all(b"Zyxwvutsrqp" not in bytes(r[0]) and b"0805171234" not in bytes(r[0]) for r in rows)
    if sql.target is not None and sql.target.sqlite_path is not None:
        assert b"Zyxwvutsrqp" not in _file_bytes(sql.target.sqlite_path)


def test_erasure_destroys_the_record_and_the_learner_key(sql: Adapter) -> None:
    conn = sql.conn
    assert sql.target is not None
    learner = uuid.uuid4()
    sql.store.put(learner, ADA)
    p = sql.target.placeholder
    sealed = bytes(
        conn.execute(
            f"SELECT sealed FROM learner_identity WHERE learner_id = {p}", (str(learner),)
        ).fetchone()[0]
    )
    wrapped = bytes(
        conn.execute(f"SELECT wrapped FROM learner_key WHERE learner_id = {p}", (str(learner),)).fetchone()[0]
    )
    assert sql.store.erase(learner)
    for table in ("learner_identity", "learner_key"):
        assert (
            conn.execute(f"SELECT count(*) FROM {table} WHERE learner_id = {p}", (str(learner),)).fetchone()[
                0
            ]
            == 0
        )
    if sql.target.sqlite_path is not None:  # secure_delete + WAL checkpoint: the bytes are gone
        on_disk = _file_bytes(sql.target.sqlite_path)
        assert sealed not in on_disk and wrapped not in on_disk


def test_a_database_copy_without_its_key_encryption_key_reveals_nothing(sql: Adapter) -> None:
    conn = sql.conn
    assert sql.target is not None
    learner = uuid.uuid4()
    sql.store.put(learner, ADA)
    thief = SqlIdentityStore(conn, sql.target.placeholder, secrets.token_bytes(32))
    with pytest.raises(InvalidTag):
        thief.get(learner)


def _file_bytes(path: Path) -> bytes:
    """The SQLite file and its WAL, as they are on disk."""
    wal = path.with_name(path.name + "-wal")
    return path.read_bytes() + (wal.read_bytes() if wal.exists() else b"")
