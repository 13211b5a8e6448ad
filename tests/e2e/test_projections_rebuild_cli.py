"""``ledger projections rebuild`` (the installed console script) split by learner between two
processes writes exactly the read models ``projections run --once`` built live, and so does
``--processes 1``; every position ends at the head."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.test_cli import ledger_cli

LEDGER = Path(sys.executable).parent / "ledger"


def console(*args: str, db: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "LEDGER_DB": str(db), "LEDGER_LANG": "en", "LEDGER_LOG_LEVEL": "INFO"}
    return subprocess.run(
        [str(LEDGER), *args], text=True, capture_output=True, env=env, timeout=300, check=False
    )


def read_models(db: Path) -> tuple[dict[str, list[Any]], dict[str, int], int]:
    """Every rm_ table's rows (sorted), every position, and the head of the log."""
    with sqlite3.connect(db) as conn:
        tables = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
        rows = {
            t: sorted(conn.execute(f"SELECT * FROM {t}").fetchall(), key=repr)
            for t in tables
            if t.startswith("rm_")
        }
        positions = dict(conn.execute("SELECT name, position FROM follower_position").fetchall())
        head = int(conn.execute("SELECT max(rowid) FROM stored_events").fetchone()[0])
    return rows, positions, head


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, list[Any]]]:
    db = tmp_path_factory.mktemp("rebpar") / "demo.db"
    done = ledger_cli("demo", "--learners", "40", "--candidates", "6", "--seed", "5", db=db)
    assert done.returncode == 0, done.stderr
    done = ledger_cli("projections", "run", "--once", db=db)
    assert done.returncode == 0, done.stderr
    live, _positions, _head = read_models(db)
    assert live["rm_cpu_attempt"] and live["rm_clea_candidate"] and live["rm_certificate"]
    return db, live


@pytest.mark.parametrize("processes", ["2", "1"])
def test_the_console_script_rebuilds_every_read_model_as_the_live_follower_built_them(
    built: tuple[Path, dict[str, list[Any]]], processes: str
) -> None:
    db, live = built
    done = console("projections", "rebuild", "--processes", processes, db=db)
    assert done.returncode == 0, done.stderr
    rows, positions, head = read_models(db)
    assert (
        f"rebuilt every read model (dossier, stats, history, law): {4 * head} events applied" in done.stdout
    )
    assert ("projections.merged" in done.stderr) == (processes == "2")
    assert rows == live
    assert {positions[f"projection:{n}"] for n in ("dossier", "stats", "history", "law")} == {head}
    assert not [p for p in os.listdir(db.parent) if p.startswith(".rebuild-")]


def test_a_bad_process_count_is_refused(built: tuple[Path, dict[str, list[Any]]]) -> None:
    db, _live = built
    done = console("projections", "rebuild", "--processes", "0", db=db)
    assert (
        done.returncode == 2
        and "'--processes'" in done.stderr
        and "greater than or equal to 1" in done.stderr
    )
    assert "Traceback" not in done.stderr
