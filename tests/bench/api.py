"""Latency and throughput of the API on loopback, open-loop paced (no coordinated omission).

``python -m tests.bench.api [--db FILE] [--rate 200] [--seconds 10]`` records a demo store
when none is given, starts the server in-process on a free port and, for each target,
sends requests at a fixed rate from a thread pool, measuring each latency from the moment
the request was *due*. Targets: credential verification (``POST /verify`` of a signed
credential, when the credentials router is mounted; else the public certificate status)
and a learner's dossier read by an inspector.
"""

from __future__ import annotations

import argparse
import os
import socket
import statistics
import tempfile
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx


@dataclass
class Figures:
    """One target's result."""

    target: str
    sent: int
    ok: int
    seconds: float
    p50_ms: float
    p99_ms: float

    def line(self) -> str:
        """A printable row."""
        return (
            f"{self.target:<28} {self.sent:>6} req  {self.ok / self.seconds:>7.1f} ok/s  "
            f"p50 {self.p50_ms:>6.1f} ms  p99 {self.p99_ms:>7.1f} ms  errors {self.sent - self.ok}"
        )


def paced(name: str, call: Callable[[], bool], rate: float, seconds: float, workers: int = 32) -> Figures:
    """Call ``call`` ``rate`` times a second for ``seconds``; latency counted from the due time."""
    latencies: list[float] = []
    oks: list[bool] = []
    lock = threading.Lock()

    def one(due: float) -> None:
        delay = due - time.perf_counter()
        if delay > 0:
            time.sleep(delay)
        ok = call()
        with lock:
            latencies.append(time.perf_counter() - due)
            oks.append(ok)

    count = int(rate * seconds)
    start = time.perf_counter() + 0.1
    with ThreadPoolExecutor(workers) as pool:
        for i in range(count):
            due = start + i / rate
            pause = due - time.perf_counter() - 0.05
            if pause > 0:
                time.sleep(pause)
            pool.submit(one, due)
    elapsed = time.perf_counter() - start
    ordered = sorted(latencies)
    return Figures(
        name,
        count,
        sum(oks),
        elapsed,
        statistics.median(ordered) * 1000,
        ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))] * 1000,
    )


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _serve(db: str, port: int) -> Any:
    import uvicorn

    from ledger.api.app import create_app
    from ledger.settings import Settings

    app = create_app(Settings.load(db=db, api_public_rate=0.0))
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    threading.Thread(target=server.run, daemon=True).start()
    while not server.started:
        time.sleep(0.05)
    return server


def _prepare(db: str | None, workdir: Path) -> tuple[str, str, str]:
    """A store with a demo cohort, keys, an inspector token; returns db, learner, certificate."""
    import contextlib
    import io

    from ledger.cli import main as cli

    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        if db is None:
            db = str(workdir / "bench.db")
            cli(["demo", "--db", db, "--learners", "200", "--seed", "1"])
        cli(["keys", "generate", "--db", db])  # integrity log (credential evidence)
        cli(["credential", "keys", "generate", "--db", db])  # credential issuer
    from ledger.adapters.store import StoreTarget, open_store
    from ledger.application.queries import certificates

    store = open_store(StoreTarget.parse(db))
    cert = next(c for c in certificates(store) if c.status == "active")
    store.close()
    return db, cert.learner_id, cert.certificate_id


def run(db: str | None, rate: float, seconds: float) -> list[Figures]:
    """Measure every target; returns the figures (also printed)."""
    from ledger.api.roles import Principal
    from ledger.api.tokens import KeyRing, key_dir
    from ledger.settings import Settings

    workdir = Path(tempfile.mkdtemp(prefix="ledger-bench-"))
    os.environ.setdefault("LEDGER_KEY_DIR", str(workdir / "keys"))
    db, learner, cert = _prepare(db, workdir)
    ring = KeyRing(key_dir(Settings.load(db=db).key_directory()))  # as the server resolves it
    if ring.active_kid() is None:
        ring.generate()
    token = ring.issue(Principal("inspector", "all", "bench"), 3600)
    port = _free_port()
    server = _serve(db, port)
    base = f"http://127.0.0.1:{port}"
    http = httpx.Client(base_url=base, timeout=10, limits=httpx.Limits(max_connections=64))
    figures = [
        _verification(http, cert, rate, seconds),
        paced(
            "dossier read (inspector)",
            lambda: (
                http.get(f"/v1/learners/{learner}", headers={"Authorization": f"Bearer {token}"}).status_code
                == 200
            ),
            rate,
            seconds,
        ),
    ]
    server.should_exit = True
    for f in figures:
        print(f.line())
    return figures


def _verification(http: httpx.Client, cert: str, rate: float, seconds: float) -> Figures:
    credential = http.get(f"/credentials/{cert}")
    if credential.status_code == 200:
        doc = credential.json()
        return paced(
            "verify credential (POST)",
            lambda: http.post("/verify", json=doc).status_code == 200,
            rate,
            seconds,
        )
    return paced(
        "certificate status (public)",
        lambda: http.get(f"/v1/public/certificates/{cert}").status_code == 200,
        rate,
        seconds,
    )


def main() -> None:
    """Command line entry point."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--db", help="an existing store (default: a new 200-learner demo)")
    parser.add_argument("--rate", type=float, default=200.0, help="requests per second (200)")
    parser.add_argument("--seconds", type=float, default=10.0, help="per target (10)")
    args = parser.parse_args()
    from ledger import logs

    logs.configure("WARNING")
    run(args.db, args.rate, args.seconds)


if __name__ == "__main__":
    main()
