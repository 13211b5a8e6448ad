"""Concurrent clients against a real server: 8 threads × 125 decisions on the same learners.

``ledger serve --workers 2`` on loopback (two processes: concurrent changes surface as 409
with ``retryable``; clients retry with the same Idempotency-Key). No update is lost: every
2xx is in the log exactly once, on a SQLite file and on PostgreSQL.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from ledger.api.roles import Principal
from ledger.api.tokens import KeyRing, key_dir
from tests.builders import FASE, admit, on, open_option, run
from tests.conftest import make_ledger

CLIENTS = 8
PER_CLIENT = 125
"""1000 decisions on 4 learners from 8 threads: collisions on each learner every run. 500 per
client (4000) proved nothing more and took 3 minutes per backend (each learner's history grows
to 1000 attempts, and every decision replays the rules over it)."""
LEARNERS = 4
LAUNCH = "from ledger.cli import main; raise SystemExit(main())"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def server(store_location: str, tmp_path: Path) -> Iterator[dict[str, Any]]:
    ledger = make_ledger(store_location)
    open_option(ledger)
    learners = [admit(ledger) for _ in range(LEARNERS)]
    for learner in learners:
        run(
            ledger,
            on(
                learner,
                "AuthoriseTest",
                "jury_qualification",
                "2019-11-10",
                uaa="UAA1",
                representatives_informed=True,
            ),
        )
    ledger.store.close()
    keys = str(tmp_path / "keys")
    ring = KeyRing(key_dir(keys))
    ring.generate()
    token = ring.issue(Principal("jury", str(FASE), "jury-1"), 3600)
    port = free_port()
    # This test measures correctness under load, not the rate limits (they have their own
    # tests in tests/integration/test_api_limits.py): the address and principal limits are off.
    env = {
        **os.environ,
        "LEDGER_KEY_DIR": keys,
        "LEDGER_LOG_LEVEL": "WARNING",
        "LEDGER_LANG": "en",
        "LEDGER_API_PUBLIC_RATE": "0",
        "LEDGER_API_PRINCIPAL_RATE": "0",
    }
    proc = subprocess.Popen(
        [
            sys.executable,
            "-c",
            LAUNCH,
            "serve",
            "--db",
            store_location,
            "--port",
            str(port),
            "--workers",
            "2",
        ],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    base = f"http://127.0.0.1:{port}"
    _wait_ready(base, proc)
    yield {"base": base, "token": token, "learners": learners, "db": store_location}
    proc.terminate()
    assert proc.wait(timeout=30) == 0


def _wait_ready(base: str, proc: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        assert proc.poll() is None, proc.stderr.read().decode() if proc.stderr else "server died"
        try:
            if httpx.get(f"{base}/readyz", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise AssertionError("server not ready within 60 s")


def attempt(learner: Any) -> dict[str, Any]:
    return {
        "command": "RecordAttempt",
        "learner_id": str(learner),
        "actor_id": "jury-1",
        "actor_role": "jury_president",
        "body": "jury_qualification",
        "effective_date": "2019-11-10",
        "fase": FASE,
        "uaa": "UAA1",
        "passed": False,
    }


def client_run(
    n: int, srv: dict[str, Any], results: dict[str, str], stats: Counter[str], lock: threading.Lock
) -> None:
    headers = {"Authorization": f"Bearer {srv['token']}"}
    with httpx.Client(base_url=srv["base"], headers=headers, timeout=30) as http:
        for i in range(PER_CLIENT):
            key = f"c{n}-{i}"
            body = attempt(srv["learners"][(n + i) % LEARNERS])
            event = send_until_done(http, key, body, stats, lock)
            with lock:
                results[key] = event


def send_until_done(
    http: httpx.Client, key: str, body: dict[str, Any], stats: Counter[str], lock: threading.Lock
) -> str:
    for retry in range(50):
        r = http.post("/v1/commands", json=body, headers={"Idempotency-Key": key})
        with lock:
            stats[str(r.status_code)] += 1
        if r.status_code == 201:
            events: list[str] = r.json()["events"]
            assert len(events) == 1
            return events[0]
        assert r.status_code == 409 and r.json()["retryable"] is True, r.text
        time.sleep(0.005 * (retry + 1))
    raise AssertionError(f"{key}: still conflicting after 50 retries")


def test_concurrent_clients_lose_no_update(server: dict[str, Any]) -> None:
    """8 × 125 decisions: each 2xx is in the log exactly once; conflicts were 409 retryable."""
    results: dict[str, str] = {}
    stats: Counter[str] = Counter()
    lock = threading.Lock()
    started = time.perf_counter()
    threads = [
        threading.Thread(target=client_run, args=(n, server, results, stats, lock)) for n in range(CLIENTS)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - started
    print(
        f"\n{CLIENTS}×{PER_CLIENT} decisions in {elapsed:.1f}s "
        f"({CLIENTS * PER_CLIENT / elapsed:.0f}/s); responses {dict(stats)}"
    )
    assert len(results) == CLIENTS * PER_CLIENT
    assert len(set(results.values())) == CLIENTS * PER_CLIENT  # no event answered twice
    logged = logged_attempts(server["db"], server["learners"])
    assert Counter(logged) == Counter(results.values())  # every 2xx exactly once, nothing else


def logged_attempts(db: str, learners: list[Any]) -> list[str]:
    from ledger.adapters.store import StoreTarget, iter_notifications, open_store

    store = open_store(StoreTarget.parse(db))
    try:
        wanted = {str(x) for x in learners}
        return [
            f"{n.originator_id}/{n.originator_version}"
            for n in iter_notifications(store)
            if n.topic.endswith("UnitAttempted") and str(n.originator_id) in wanted
        ]
    finally:
        store.close()
