"""Migrations of the non-rebuildable tables (issue 16, item 9), on SQLite and PostgreSQL.

Oracles: the previous release's store (``tests/fixtures/release-store.db.gz``, written before
the redesign) and the previous release's exact DDL of ``api_idempotency``: after
:func:`migrate` every row is kept, the new columns exist, a second run applies nothing.
"""

from __future__ import annotations

import gzip
import shutil
from pathlib import Path

from ledger.adapters.migrations import MIGRATIONS, applied, migrate
from ledger.adapters.store import StoreTarget
from tests.procs import at_once

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "release-store.db.gz"
OLD_IDEMPOTENCY_DDL = (  # the release before issue 16
    "CREATE TABLE IF NOT EXISTS api_idempotency ("
    "namespace TEXT NOT NULL, key TEXT NOT NULL, request_hash TEXT NOT NULL, "
    "state TEXT NOT NULL, status INTEGER, response TEXT, response_hash TEXT, "
    "created_at DOUBLE PRECISION NOT NULL, PRIMARY KEY (namespace, key))"
)


def test_release_store_upgrades_keeping_every_identity(tmp_path: Path) -> None:
    db = tmp_path / "release.db"
    with gzip.open(FIXTURE, "rb") as src, db.open("wb") as dst:
        shutil.copyfileobj(src, dst)
    conn = StoreTarget.parse(str(db)).connect()
    before = conn.execute("SELECT learner_id, nonce, sealed FROM learner_identity ORDER BY 1").fetchall()
    keys = conn.execute("SELECT * FROM learner_key ORDER BY 1").fetchall()
    assert before and applied(conn, "?") == []
    assert migrate(conn, "?") == [v for v, _, _ in MIGRATIONS]
    after = conn.execute("SELECT learner_id, nonce, sealed FROM learner_identity ORDER BY 1").fetchall()
    assert after == before and conn.execute("SELECT * FROM learner_key ORDER BY 1").fetchall() == keys
    assert migrate(conn, "?") == []  # idempotent
    conn.close()


def test_previous_idempotency_table_upgrades(store_location: str) -> None:
    target = StoreTarget.parse(store_location)
    conn = target.connect()
    p = target.placeholder
    conn.execute(OLD_IDEMPOTENCY_DDL)
    insert = f"INSERT INTO api_idempotency VALUES ({', '.join([p] * 8)})"
    conn.execute(insert, ("ns", "done-key", "h1", "done", 201, '{"command": "X"}', "rh", 1.0))
    conn.execute(insert, ("ns", "stuck-key", "h2", "pending", None, None, None, 2.0))
    migrate(conn, p)
    rows = conn.execute("SELECT key, state, status, response, events FROM api_idempotency").fetchall()
    # the completed receipt is kept; the stranded reservation (answered 409 forever) is gone
    assert [tuple(r) for r in rows] == [("done-key", "done", 201, '{"command": "X"}', None)]
    assert set(applied(conn, p)) == {v for v, _, _ in MIGRATIONS}
    conn.close()


def test_identity_key_folder_is_0700_whatever_the_umask(tmp_path: Path) -> None:
    import os
    import stat

    from ledger.adapters.identity import key_encryption_key

    old = os.umask(0)
    try:
        key_encryption_key(tmp_path / "keys")
    finally:
        os.umask(old)
    assert stat.S_IMODE((tmp_path / "keys" / "identity").stat().st_mode) == 0o700
    assert stat.S_IMODE((tmp_path / "keys" / "identity" / "kek").stat().st_mode) == 0o600


CHAIN_TABLES = {
    "ledger": {"api_idempotency", "learner_identity", "learner_key", "token_revocations"},
    "credentials": {"credential_entry", "credential_status"},
    "integrity": {"integrity_checkpoints", "integrity_cosigned", "integrity_witness_sizes"},
}


def _tables(conn: object, p: str) -> set[str]:
    from ledger.adapters.migrations import MigrationDb

    db = MigrationDb(conn, p)
    return {t for tables in CHAIN_TABLES.values() for t in tables if db.columns(t)}


def test_entry_points_migrate_every_chain_from_nothing(store_location: str) -> None:
    """A fresh store: the composition root's migrate_all creates every non-rebuildable table,
    records version 1.. of each chain, and a second run applies nothing."""
    from ledger.bootstrap import migrate_all

    target = StoreTarget.parse(store_location)
    conn = target.connect()
    p = target.placeholder
    first = migrate_all(conn, p)
    assert first == {"ledger": [1, 2, 3, 4, 5], "credentials": [1], "integrity": [1]}
    assert _tables(conn, p) == set().union(*CHAIN_TABLES.values())
    assert migrate_all(conn, p) == {"ledger": [], "credentials": [], "integrity": []}
    assert applied(conn, p, "credentials") == [1] and applied(conn, p, "integrity") == [1]
    conn.close()


def test_release_store_checkpoints_are_kept_by_the_integrity_chain(tmp_path: Path) -> None:
    from ledger.bootstrap import migrate_all

    db = tmp_path / "release.db"
    with gzip.open(FIXTURE, "rb") as src, db.open("wb") as dst:
        shutil.copyfileobj(src, dst)
    conn = StoreTarget.parse(str(db)).connect()
    before = conn.execute("SELECT * FROM integrity_checkpoints ORDER BY seq").fetchall()
    assert before
    migrate_all(conn, "?")
    assert conn.execute("SELECT * FROM integrity_checkpoints ORDER BY seq").fetchall() == before
    assert applied(conn, "?", "integrity") == [1]
    conn.close()


def test_consumer_chain_runs_beside_the_others(store_location: str) -> None:
    from consumers.runner import MIGRATIONS as CONSUMERS

    target = StoreTarget.parse(store_location)
    conn = target.connect()
    assert migrate(conn, target.placeholder, "consumers", CONSUMERS) == [1]
    assert migrate(conn, target.placeholder, "consumers", CONSUMERS) == []
    assert applied(conn, target.placeholder) == []  # the ledger's own chain untouched
    conn.close()


def test_processes_opening_a_new_store_at_once_migrate_it_once(store_location: str) -> None:
    """Six connections migrating the same fresh store at the same moment (``ledger`` commands
    started side by side): none fails, each version is applied exactly once."""
    from ledger.bootstrap import migrate_all

    target = StoreTarget.parse(store_location)

    def migrate_own() -> dict[str, list[int]]:
        conn = target.connect()  # its own connection, opened in its own thread (SQLite's rule)
        try:
            return migrate_all(conn, target.placeholder)
        finally:
            conn.close()

    results, errors = at_once(migrate_own, 6)
    assert errors == []
    for chain in ("ledger", "credentials", "integrity"):
        versions = sorted(v for r in results for v in r[chain])
        assert versions == sorted(set(versions)) and versions, (chain, results)


def test_a_learners_lookup_rows_are_found_by_learner_through_an_index(store_location: str) -> None:
    """Admission, re-index and erasure replace a learner's blind-index rows by learner id: the
    planner reaches them through an index, not a scan of every learner's rows (quadratic
    recording at national size)."""
    target = StoreTarget.parse(store_location)
    conn = target.connect()
    p = target.placeholder
    migrate(conn, p)
    if target.kind == "sqlite":
        plan = " ".join(
            str(r[-1])
            for r in conn.execute(
                f"EXPLAIN QUERY PLAN DELETE FROM learner_lookup WHERE learner_id = {p}", ("x",)
            )
        )
        assert "USING INDEX learner_lookup_by_learner" in plan, plan
    else:
        with conn.transaction():
            conn.execute("SET LOCAL enable_seqscan = off")  # a near-empty table: ask whether it can
            plan = " ".join(
                str(r[0])
                for r in conn.execute(f"EXPLAIN DELETE FROM learner_lookup WHERE learner_id = {p}", ("x",))
            )
        assert "learner_lookup_by_learner" in plan, plan
    conn.close()


def test_processes_opening_one_event_store_at_once_all_open_it(store_location: str) -> None:
    """Six ``ledger`` processes starting on one new store at the same moment all open it (on
    PostgreSQL the library replaces its insert function at every open)."""
    from ledger.adapters.store import open_store

    target = StoreTarget.parse(store_location)
    _, errors = at_once(lambda: open_store(target).close(), 6)
    assert errors == []
