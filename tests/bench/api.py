"""Latency and throughput of the API on loopback, open-loop paced (no coordinated omission).

``python -m tests.bench.api [--db FILE] [--rate 200] [--seconds 10] [--workers 2]`` records a
demo store when none is given, starts ``ledger serve --workers N`` in its own processes (so the
client does not share the server's GIL) on a free port and, for each target, sends requests at
a fixed rate from one lean asyncio client (:class:`RawClient`), measuring each latency from
the moment the request was *due*. Targets:

* ``POST /verify`` of distinct signed credentials (every one exported anew before the run:
  new proofs, so nothing can be answered from a cache of verdicts), each verdict checked;
* the public certificate lookup ``GET /v1/public/certificates/{id}`` (no read model running:
  the index lags the log, as on a server without a projections runner);
* a learner's dossier read by an inspector.

When ``deploy/node`` is installed, Digital Bazaar's ``verifyCredential`` verifies the same
credentials (both proofs, status list, from the same server) in one node process in the same
run, for the ratio. Figures only: nothing is asserted.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import socket
import statistics
import tempfile
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


@dataclass
class Figures:
    """One target's result."""

    target: str
    sent: int
    ok: int
    seconds: float
    p50_ms: float
    p99_ms: float
    wrong: int = 0
    """Answers with the wrong content (a valid credential not called valid)."""
    server_cpu_ms: float = 0.0
    """CPU time the server's processes spent per request sent (Linux ``/proc``; 0 elsewhere)."""

    def line(self) -> str:
        """A printable row."""
        return (
            f"{self.target:<28} {self.sent:>6} req  {self.ok / self.seconds:>7.1f} ok/s  "
            f"p50 {self.p50_ms:>6.1f} ms  p99 {self.p99_ms:>7.1f} ms  errors {self.sent - self.ok}  "
            f"server CPU {self.server_cpu_ms:.2f} ms/req"
        )


def process_tree_cpu(pid: int) -> float:
    """CPU seconds (user + system) of ``pid`` and its descendants so far (0 without ``/proc``)."""
    proc = Path("/proc")
    if not proc.is_dir():
        return 0.0
    parents: dict[int, int] = {}
    times: dict[int, float] = {}
    tick = os.sysconf("SC_CLK_TCK")
    for entry in proc.iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        parents[int(entry.name)] = int(fields[1])
        times[int(entry.name)] = (int(fields[11]) + int(fields[12])) / tick
    tree, frontier = {pid}, [pid]
    while frontier:
        parent = frontier.pop()
        children = [p for p, pp in parents.items() if pp == parent and p not in tree]
        tree.update(children)
        frontier.extend(children)
    return sum(times.get(p, 0.0) for p in tree)


@dataclass
class ApiRun:
    """Every target's figures, the reference verifier's, and the machine's load around them."""

    figures: list[Figures]
    workers: int
    credentials: int
    reference: dict[str, float] = field(default_factory=dict)
    load: list[list[float]] = field(default_factory=list)


Call = Callable[["RawClient", int], Awaitable[bool | None]]
"""One request (the i-th): True ok, False ok but wrong content, None failed."""


async def _paced(client: RawClient, name: str, call: Call, rate: float, seconds: float) -> Figures:
    """Send ``rate`` requests a second for ``seconds``; latency counted from the due time."""
    latencies: list[float] = []
    results: list[bool | None] = []

    async def one(i: int, due: float) -> None:
        try:
            outcome = await call(client, i)
        except (OSError, asyncio.IncompleteReadError, ValueError):
            outcome = None
        latencies.append(time.perf_counter() - due)
        results.append(outcome)

    count = int(rate * seconds)
    start = time.perf_counter() + 0.1
    tasks = []
    for i in range(count):  # open loop: sent on schedule whatever the answers
        due = start + i / rate
        delay = due - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.create_task(one(i, due)))
    await asyncio.gather(*tasks)
    elapsed = time.perf_counter() - start
    ordered = sorted(latencies)
    ok = sum(1 for r in results if r is not None)
    return Figures(
        name,
        count,
        ok,
        elapsed,
        statistics.median(ordered) * 1000,
        ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))] * 1000,
        sum(1 for r in results if r is False),
    )


class RawClient:
    """A lean HTTP/1.1 client for load: pre-built requests over a pool of keep-alive connections.

    httpx spends about 9 ms of CPU per 10 KB ``POST`` on this machine, as much as the server's
    verification: on 2 shared cores the client would take the server's CPU. This one writes
    request bytes prepared in advance and reads ``Content-Length`` framed answers (what
    uvicorn sends for JSON), so the server gets the cores.
    """

    def __init__(self, host: str, port: int, limit: int = 512) -> None:
        """Connect lazily to ``host:port``; at most ``limit`` connections."""
        self.host, self.port = host, port
        self._idle: list[tuple[asyncio.StreamReader, asyncio.StreamWriter]] = []
        self._open = asyncio.Semaphore(limit)
        self._all: list[asyncio.StreamWriter] = []

    @staticmethod
    def request(method: str, path: str, body: bytes = b"", headers: dict[str, str] | None = None) -> bytes:
        """The bytes of one request."""
        lines = [
            f"{method} {path} HTTP/1.1",
            "Host: bench",
            *(f"{k}: {v}" for k, v in (headers or {}).items()),
        ]
        if body or method == "POST":
            lines.append(f"Content-Length: {len(body)}")
        return ("\r\n".join(lines) + "\r\n\r\n").encode() + body

    async def send(self, raw: bytes) -> tuple[int, bytes]:
        """Send one prepared request; its status and body (``OSError`` on a broken connection).

        A kept-alive connection the server closed meanwhile (its keep-alive timeout) is
        replaced by a new one and the request sent again, once.
        """
        async with self._open:
            reused = bool(self._idle)
            try:
                return await self._exchange(raw, self._idle.pop() if reused else await self._connect())
            except (OSError, asyncio.IncompleteReadError):
                if not reused:
                    raise
            return await self._exchange(raw, await self._connect())

    async def _connect(self) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
        reader, writer = await asyncio.open_connection(self.host, self.port)
        self._all.append(writer)
        return reader, writer

    async def _exchange(
        self, raw: bytes, connection: tuple[asyncio.StreamReader, asyncio.StreamWriter]
    ) -> tuple[int, bytes]:
        reader, writer = connection
        writer.write(raw)
        head = await reader.readuntil(b"\r\n\r\n")
        status = int(head[9:12])
        length = 0
        for line in head.split(b"\r\n")[1:]:
            if line[:15].lower() == b"content-length:":
                length = int(line[15:])
        body = await reader.readexactly(length) if length else b""
        self._idle.append(connection)
        return status, body

    async def close(self) -> None:
        """Close every connection."""
        for writer in self._all:
            writer.close()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _prepare(db: str | None, workdir: Path) -> tuple[str, str, list[str]]:
    """A store with a demo cohort and keys; returns db, a learner, the active certificates."""
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
    try:
        active = [c for c in certificates(store) if c.status == "active"]
    finally:
        store.close()
    return db, active[0].learner_id, [c.certificate_id for c in active]


def _credentials(db: str, keys: Path, base: str, certs: list[str], count: int) -> list[dict[str, Any]]:
    """``count`` credentials exported anew (new proofs), round robin over ``certs``."""
    from ledger.adapters.store import StoreTarget
    from ledger.credentials.http import CredentialsContext, CredentialService

    service = CredentialService(CredentialsContext(StoreTarget.parse(db), key_dir=keys, public_url=base))
    try:
        with service.issuer() as issuer:
            return [issuer.credential(certs[i % len(certs)], include_holder=False) for i in range(count)]
    finally:
        service.store.close()


def _reference(credentials: list[dict[str, Any]], base: str) -> dict[str, float]:
    """Digital Bazaar's verifier on the same credentials (empty when deploy/node is not installed)."""
    from tests.interop.conftest import NODE_DIR, reference_verify

    if not (NODE_DIR / "node_modules").is_dir():
        return {}
    done = reference_verify(NODE_DIR, credentials, base, bench=2)
    return {
        "ms_per_credential": float(done["ms_per_credential"]),
        "per_second": float(done["per_second"]),
        "credentials": float(len(credentials)),
    }


def run(db: str | None, rate: float, seconds: float, workers: int = 2) -> ApiRun:
    """Measure every target against ``ledger serve --workers N``; returns the figures (also printed)."""
    from ledger.api.roles import Principal
    from ledger.api.tokens import KeyRing, key_dir
    from ledger.settings import Settings
    from tests.interop.conftest import start_server, stop_server

    workdir = Path(tempfile.mkdtemp(prefix="ledger-bench-"))
    keys = Path(os.environ.setdefault("LEDGER_KEY_DIR", str(workdir / "keys")))
    db, learner, certs = _prepare(db, workdir)
    ring = KeyRing(key_dir(Settings.load(db=db).key_directory()))  # as the server resolves it
    if ring.active_kid() is None:
        ring.generate()
    token = ring.issue(Principal("inspector", "all", "bench"), 3600)
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    credentials = _credentials(db, keys, base, certs, int(rate * seconds))
    loads = [list(os.getloadavg())]
    no_limits = {f"LEDGER_API_{b}_RATE": "0" for b in ("PUBLIC", "PRINCIPAL", "OPS")}
    server = start_server(db, keys, port, extra=no_limits, args=("--workers", str(workers)))
    try:
        figures = asyncio.run(_targets(base, credentials, certs, learner, token, rate, seconds, server.pid))
        loads.append(list(os.getloadavg()))
        reference = _reference(credentials[:120], base)
        loads.append(list(os.getloadavg()))
    finally:
        stop_server(server)
    for f in figures:
        print(f.line())
    if reference:
        print(f"Digital Bazaar verifyCredential, one node process: {reference['per_second']:.1f}/s")
    return ApiRun(figures, workers, len(credentials), reference, loads)


async def _targets(
    base: str,
    credentials: list[dict[str, Any]],
    certs: list[str],
    learner: str,
    token: str,
    rate: float,
    seconds: float,
    server: int,
) -> list[Figures]:
    import orjson

    json_type = {"Content-Type": "application/json"}
    posts = [RawClient.request("POST", "/verify", orjson.dumps(c), json_type) for c in credentials]
    lookups = [RawClient.request("GET", f"/v1/public/certificates/{c}") for c in certs]
    dossier_read = RawClient.request(
        "GET", f"/v1/learners/{learner}", headers={"Authorization": f"Bearer {token}"}
    )

    async def verify(client: RawClient, i: int) -> bool | None:
        status, body = await client.send(posts[i % len(posts)])
        return None if status != 200 else orjson.loads(body).get("verdict") == "valid"

    async def lookup(client: RawClient, i: int) -> bool | None:
        status, body = await client.send(lookups[i % len(lookups)])
        return None if status != 200 else orjson.loads(body).get("status") == "active"

    async def dossier(client: RawClient, i: int) -> bool | None:
        status, _ = await client.send(dossier_read)
        return None if status != 200 else True

    host, port = base.removeprefix("http://").rsplit(":", 1)
    client = RawClient(host, int(port))
    targets: list[tuple[str, Call]] = [
        (f"verify credential (POST, {len(posts)} distinct)", verify),
        ("certificate status (public)", lookup),
        ("dossier read (inspector)", dossier),
    ]
    figures = []
    try:
        for name, call in targets:
            before = process_tree_cpu(server)
            found = await _paced(client, name, call, rate, seconds)
            found.server_cpu_ms = (process_tree_cpu(server) - before) * 1000 / found.sent
            figures.append(found)
        return figures
    finally:
        await client.close()


def main() -> None:
    """Command line entry point."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--db", help="an existing store (default: a new 200-learner demo)")
    parser.add_argument("--rate", type=float, default=200.0, help="requests per second (200)")
    parser.add_argument("--seconds", type=float, default=10.0, help="per target (10)")
    parser.add_argument("--workers", type=int, default=2, help="ledger serve --workers (2)")
    args = parser.parse_args()
    from ledger import logs

    logs.configure("WARNING")
    done = run(args.db, args.rate, args.seconds, args.workers)
    print(f"load average: {done.load}")


if __name__ == "__main__":
    main()
