"""Revoking a token or removing its key takes effect at once in EVERY server process.

A real ``ledger serve --workers 2`` (the console script as a subprocess). The test holds one
keep-alive connection to each worker process (which process accepted a connection is read
from ``/proc``: the accepted socket's inode among the worker's file descriptors), checks a
token works on both, then runs ``ledger tokens revoke`` / ``ledger tokens keys --remove`` as
subprocesses and sends the very next request on each connection: both workers refuse it.
"""

from __future__ import annotations

import contextlib
import http.client
import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from ledger.api.roles import Principal
from ledger.api.tokens import KeyRing, key_dir
from tests.conftest import make_ledger
from tests.e2e.test_api_concurrency import _wait_ready, free_port
from tests.e2e.test_crash_idempotency import _ledger_script

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")


def _group_pids(pgid: int) -> list[int]:
    out = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                stat = Path(f"/proc/{entry}/stat").read_text()
            except OSError:
                continue
            fields = stat.rsplit(")", 1)[1].split()
            if int(fields[2]) == pgid:  # fields after the name: state, ppid, pgrp
                out.append(int(entry))
    return out


def _server_inode(server_port: int, client_port: int) -> str | None:
    """The inode of the server-side socket of a loopback TCP connection (from /proc/net/tcp)."""
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        cols = line.split()
        local, remote = cols[1], cols[2]
        if int(local.split(":")[1], 16) == server_port and int(remote.split(":")[1], 16) == client_port:
            return cols[9]
    return None


def _owner(pgid: int, inode: str) -> int | None:
    target = f"socket:[{inode}]"
    for pid in _group_pids(pgid):
        try:
            fds = os.listdir(f"/proc/{pid}/fd")
        except OSError:
            continue
        for fd in fds:
            try:
                if os.readlink(f"/proc/{pid}/fd/{fd}") == target:
                    return pid
            except OSError:
                continue
    return None


def _get(conn: http.client.HTTPConnection, token: str) -> tuple[int, dict[str, Any]]:
    conn.request("GET", "/v1/me", headers={"Authorization": f"Bearer {token}"})
    response = conn.getresponse()
    return response.status, json.loads(response.read())


def _one_connection_per_worker(
    port: int, pgid: int, token: str, workers: int
) -> dict[int, http.client.HTTPConnection]:
    """Open keep-alive connections until each worker process holds one (used once each)."""
    held: dict[int, http.client.HTTPConnection] = {}
    spare: list[http.client.HTTPConnection] = []
    deadline = time.monotonic() + 30
    while len(held) < workers and time.monotonic() < deadline:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        status, _ = _get(conn, token)  # the request makes sure the connection is accepted
        assert status == 200
        assert conn.sock is not None
        inode = _server_inode(port, conn.sock.getsockname()[1])
        pid = _owner(pgid, inode) if inode else None
        if pid is not None and pid not in held:
            held[pid] = conn
        else:
            spare.append(conn)
    for conn in spare:
        conn.close()
    assert len(held) == workers, f"connections reached {len(held)} of {workers} worker processes"
    return held


@pytest.fixture
def two_workers(tmp_path: Path) -> Iterator[dict[str, Any]]:
    location = str(tmp_path / "ledger.db")
    make_ledger(location).store.close()
    keys = str(tmp_path / "keys")
    ring = KeyRing(key_dir(keys))
    old_kid = ring.generate()
    old = ring.issue(Principal("inspector", "all", "inspector-old"), 3600)
    ring.generate()  # rotate: the old key only verifies now
    tokens = {
        "old": old,
        "a": ring.issue(Principal("inspector", "all", "inspector-a"), 3600),
        "b": ring.issue(Principal("inspector", "all", "inspector-b"), 3600),
    }
    port = free_port()
    env = {**os.environ, "LEDGER_KEY_DIR": keys, "LEDGER_LOG_LEVEL": "WARNING"}
    proc = subprocess.Popen(
        [_ledger_script(), "serve", "--db", location, "--port", str(port), "--workers", "2"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )
    try:
        _wait_ready(f"http://127.0.0.1:{port}", proc)
        yield {
            "db": location,
            "keys": keys,
            "port": port,
            "pgid": proc.pid,
            "env": env,
            "tokens": tokens,
            "old_kid": old_kid,
        }
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


def _cli(world: dict[str, Any], *args: str) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(
        [_ledger_script(), "tokens", *args, "--db", world["db"]],
        env=world["env"],
        check=False,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    return done


def test_revoked_token_and_removed_key_refused_by_every_worker(two_workers: dict[str, Any]) -> None:
    """`ledger tokens revoke` and `ledger tokens keys --remove`: next request 401 on each worker."""
    world, tokens = two_workers, two_workers["tokens"]
    conns = _one_connection_per_worker(world["port"], world["pgid"], tokens["a"], 2)
    for conn in conns.values():
        assert _get(conn, tokens["old"])[0] == 200
        assert _get(conn, tokens["b"])[0] == 200

    claims = json.loads(_b64(tokens["b"].split(".")[1]))
    with _kept_alive(list(conns.values())):  # the CLI takes longer than uvicorn's 5 s keep-alive
        _cli(world, "revoke", "--token", tokens["a"])
        _cli(world, "revoke", claims["jti"])
        _cli(world, "keys", "--remove", world["old_kid"])

    for pid, conn in conns.items():
        for name, reason in (("a", "revoked"), ("b", "revoked"), ("old", "unknown token key")):
            status, body = _get(conn, tokens[name])
            assert status == 401, (pid, name, body)
            assert body["type"] == "urn:ledger:problem:unauthorized" and reason in body["detail"]
    # a token of the current key, never revoked, still works on both
    fresh = KeyRing(key_dir(world["keys"])).issue(Principal("inspector", "all", "inspector-c"), 600)
    for conn in conns.values():
        assert _get(conn, fresh)[0] == 200
        conn.close()


@contextlib.contextmanager
def _kept_alive(conns: list[http.client.HTTPConnection]) -> Iterator[None]:
    """Ping each connection (``/healthz``) every second while the block runs."""
    stop = threading.Event()

    def ping() -> None:
        while not stop.wait(1.0):
            for conn in conns:
                conn.request("GET", "/healthz")
                conn.getresponse().read()

    thread = threading.Thread(target=ping)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join()


def _b64(text: str) -> bytes:
    import base64

    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
