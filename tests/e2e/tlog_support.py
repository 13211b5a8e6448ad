"""Helpers of the transparency-log tests: the installed ``ledger`` console script, servers
started on free loopback ports (and always stopped), stores forked by copying their file."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Sequence
from pathlib import Path
from types import TracebackType

import httpx
import pytest

from ledger.application import parse_command
from tests.builders import OPTION, cmd
from tests.conftest import make_ledger

LEDGER = Path(sys.executable).with_name("ledger")
"""The console script installed in the virtualenv (``pip install -e .``)."""

ORIGIN = "registre.example/qualifié"
"""The origin (and log key name) of the test logs: non-ASCII on purpose."""

_SCRUBBED = {"LEDGER_DB", "LEDGER_KEY_DIR", "LEDGER_ORIGIN", "LEDGER_WITNESS_POLICY", "LEDGER_LOG_PREFIX"}


def ledger_env(**extra: str) -> dict[str, str]:
    """The environment of a ``ledger`` process: keys beside the store, quiet logs."""
    env = {k: v for k, v in os.environ.items() if k not in _SCRUBBED}
    env["LEDGER_LOG_LEVEL"] = "WARNING"
    env["LEDGER_LANG"] = "en"  # these tests read the English lines
    env.update(extra)
    return env


def ledger(
    *args: str, cwd: Path, env: dict[str, str] | None = None, input: str | None = None, expect: int | None = 0
) -> subprocess.CompletedProcess[str]:
    """Run the ``ledger`` console script; assert its exit code when ``expect`` is not None."""
    if not LEDGER.exists():
        pytest.fail(f"the console script {LEDGER} is missing: `make venv` installs it")
    done = subprocess.run(
        [str(LEDGER), *args],
        cwd=cwd,
        env=env or ledger_env(),
        input=input,
        text=True,
        capture_output=True,
        timeout=300,
        check=False,
    )
    if expect is not None:
        assert done.returncode == expect, f"ledger {' '.join(args)} -> {done.returncode}\n{done.stderr}"
    return done


def free_port() -> int:
    """A TCP port nobody listens on right now (loopback)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Server:
    """A background process serving HTTP on loopback, stopped (by its pid) on exit."""

    def __init__(
        self,
        args: Sequence[str],
        url: str,
        log: Path,
        cwd: Path,
        env: dict[str, str] | None = None,
        ready_path: str = "/",
    ) -> None:
        self.args, self.url, self.log, self.cwd, self.env = list(args), url, log, cwd, env
        self.ready_path = ready_path
        self.process: subprocess.Popen[bytes] | None = None

    def __enter__(self) -> Server:
        handle = self.log.open("wb")
        self.process = subprocess.Popen(
            self.args, cwd=self.cwd, env=self.env, stdout=handle, stderr=subprocess.STDOUT
        )
        handle.close()
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"{self.args[0]} exited: {self.log.read_text(errors='replace')[-2000:]}")
            try:
                httpx.get(self.url + self.ready_path, timeout=1)
                return self
            except httpx.HTTPError:
                time.sleep(0.1)
        self.__exit__(None, None, None)
        raise RuntimeError(f"{self.args[0]} did not answer on {self.url}")

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(10)


def serve_ledger(db: Path, log: Path) -> Server:
    """``ledger serve`` on a free port for the store ``db`` (the tiled log under /log)."""
    port = free_port()
    return Server(
        [str(LEDGER), "serve", "--db", str(db), "--host", "127.0.0.1", "--port", str(port)],
        f"http://127.0.0.1:{port}",
        log,
        db.parent,
        ledger_env(),
        "/healthz",
    )


def stored_events(db: Path) -> int:
    """How many events the SQLite store ``db`` holds (the log's size once checkpointed).

    The tests derive every size from it: the demo's event count changes whenever the demo does.
    """
    import sqlite3

    with sqlite3.connect(db) as conn:
        return int(conn.execute("SELECT count(*) FROM stored_events").fetchone()[0])


def copy_store(home: Path, target: Path) -> Path:
    """A copy of the directory of a SQLite store and its keys (the start of a fork)."""
    shutil.copytree(home, target)
    return target


def grow(db: Path, events: int) -> None:
    """Append ``events`` admissions to the store (in-process, through the command path)."""
    app = make_ledger(str(db))
    try:
        admissions = (
            cmd(
                "AdmitLearner",
                "direction",
                "2019-09-01",
                learner_id=str(uuid.uuid4()),
                option_code=OPTION,
                school_year=2019,
                year=4,
                route="A4_standard",
                identity={"given_name": "Test", "family_name": "Learner", "birth_date": "2004-05-01"},
            )
            for _ in range(events)
        )
        app.execute_all((parse_command(raw) for raw in admissions), batch=200)
    finally:
        app.store.close()
