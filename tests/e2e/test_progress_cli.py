"""Progress of the long verbs, through the installed console script (not a terminal: JSON lines).

``projections rebuild``, ``audit verify`` and a full ``events`` dump write quiet JSON progress
lines on standard error (``{"progress": …, "done": n, "total": t, "eta_seconds": …}``), the last
one at 100 %, while standard output carries only the result; a PostgreSQL store that does not
answer is announced (where, for how long) and ends in a clear error naming the server.
"""

from __future__ import annotations

import json
import os
import subprocess
import uuid
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import pg_url_with_schema
from tests.e2e.test_french_secretary import SCRIPT


def ledger(*args: str, cwd: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """The installed console script in ``cwd``, standard error not a terminal (no LEDGER_* leaking)."""
    base = {k: v for k, v in os.environ.items() if not k.startswith("LEDGER_")}
    return subprocess.run(
        [SCRIPT, *args],
        text=True,
        capture_output=True,
        cwd=cwd,
        env={**base, "LEDGER_LOG_LEVEL": "WARNING", **(env or {})},
        timeout=120,
        check=False,
    )


def progress_lines(stderr: str) -> list[dict[str, Any]]:
    """The JSON progress lines of ``stderr`` (every other line is not progress)."""
    lines = [json.loads(line) for line in stderr.splitlines() if line.startswith("{")]
    return [line for line in lines if "progress" in line]


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small demo store with its log key and a synced integrity log."""
    base = tmp_path_factory.mktemp("progress")
    for args in (
        ("demo", "--learners", "6", "--candidates", "3", "--seed", "5", "--db", "demo.db"),
        ("keys", "generate", "--db", "demo.db"),
        ("audit", "checkpoint", "--db", "demo.db"),
    ):
        done = ledger(*args, cwd=base)
        assert done.returncode == 0, (args, done.stderr)
    return base


@pytest.mark.parametrize(
    ("args", "label"),
    [
        (("projections", "rebuild", "dossier", "--batch", "40"), "reconstruction de dossier"),
        (("audit", "verify"), "vérification du journal"),
        (("events",), "lecture du journal"),
    ],
)
def test_long_verbs_write_json_progress_lines(demo: Path, args: tuple[str, ...], label: str) -> None:
    """Each long verb reports its progress as JSON lines ending at 100 %, on standard error only."""
    head = len(json.loads(ledger("events", "--json", "--db", "demo.db", cwd=demo).stdout))
    done = ledger(*args, "--db", "demo.db", cwd=demo)
    assert done.returncode == 0, done.stderr
    lines = progress_lines(done.stderr)
    assert lines, done.stderr
    assert {line["progress"] for line in lines} == {label}
    assert lines[-1]["done"] == lines[-1]["total"] == head and lines[-1]["percent"] == 100.0
    assert all("eta_seconds" in line for line in lines)
    assert '"progress"' not in done.stdout


def test_a_filtered_or_limited_dump_and_json_output_stay_clean(demo: Path) -> None:
    """``events --limit`` is not a long dump: no progress; ``--json`` stdout stays parseable."""
    limited = ledger("events", "--limit", "3", "--db", "demo.db", cwd=demo)
    assert limited.returncode == 0 and not progress_lines(limited.stderr), limited.stderr
    dumped = ledger("events", "--json", "--db", "demo.db", cwd=demo)
    assert isinstance(json.loads(dumped.stdout), list) and progress_lines(dumped.stderr)


def test_an_unreachable_postgresql_store_is_announced_then_refused(tmp_path: Path) -> None:
    """A PostgreSQL store that does not answer: a JSON line saying it is waited for, and how long;
    then exit 2 naming the server, no traceback."""
    done = ledger(
        "events",
        "--db",
        "postgresql://ledger:secret@127.0.0.1:1/ledger",
        cwd=tmp_path,
        env={"LEDGER_PG_WAIT": "1.5"},
    )
    assert done.returncode == 2, done.stderr
    first = json.loads(done.stderr.splitlines()[0])
    assert first == {"waiting": "postgresql", "where": "127.0.0.1:1", "timeout_seconds": 1.5}
    assert "PostgreSQL injoignable sur 127.0.0.1:1 après 1,5 s" in done.stderr, done.stderr
    assert "secret" not in done.stderr and "Traceback" not in done.stderr


def test_a_reachable_postgresql_store_is_not_announced(tmp_path: Path) -> None:
    """A PostgreSQL store that answers at once: no waiting line at all."""
    url = pg_url_with_schema(f"fr7_{uuid.uuid4().hex[:8]}")
    done = ledger("events", "--limit", "1", "--json", "--db", url, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "waiting" not in done.stderr and "PostgreSQL" not in done.stderr, done.stderr
