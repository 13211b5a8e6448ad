"""Fixtures of the interoperability tests: the pinned node stack, a real ``ledger serve``, the Go oracles.

The node packages (Digital Bazaar's VC stack) are installed by ``deploy/node/ensure.sh`` from
the committed lockfile; a missing npm fails under ``CI=true`` and skips locally.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest

ROOT = Path(__file__).resolve().parents[2]
NODE_DIR = ROOT / "deploy" / "node"
OB3_CONTEXT = ROOT / ".." / "shared" / "vectors" / "jsonld-contexts" / "ob-v3p0-context-3.0.3.json"
OB3_SCHEMA = ROOT / ".." / "shared" / "vectors" / "ob3" / "ob_v3p0_achievementcredential_schema.json"
LAUNCH = "from ledger.cli import main; raise SystemExit(main())"
GO_SETUP = Path(__file__).resolve().parent / "go" / "setup.sh"


def free_port() -> int:
    """A free loopback TCP port."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="session")
def go_bin() -> Path:
    """Directory of tlogcheck, litewitness and witnessctl (built once by ``tests/interop/go/setup.sh``).

    The script caches everything in ``.ledger/go`` and takes a lock: when ``make test`` started
    it in the background, this waits for that build instead of starting a second one.
    """
    done = subprocess.run(["bash", str(GO_SETUP)], capture_output=True, text=True, timeout=1200, check=False)
    if done.returncode != 0:
        message = f"the Go interop tools did not build ({GO_SETUP}): {done.stderr[-2000:]}"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    return Path(done.stdout.strip().splitlines()[-1])


@pytest.fixture(scope="session")
def node_stack() -> Path:
    """``deploy/node`` with its pinned packages installed (and the browser bundle built)."""
    if shutil.which("npm") is None or shutil.which("node") is None:
        if os.environ.get("CI") == "true":
            pytest.fail("node and npm are required in CI (node 20)")
        pytest.skip("node/npm not installed")
    done = subprocess.run(
        ["bash", str(NODE_DIR / "ensure.sh")], capture_output=True, text=True, timeout=600, check=False
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return NODE_DIR


def reference_verify(node_dir: Path, credentials: list[Any], server: str, bench: int = 0) -> Any:
    """Digital Bazaar's verdicts on ``credentials`` (``deploy/node/reference-verify.mjs``)."""
    request = {"credentials": credentials, "server": server, "ob3Context": str(OB3_CONTEXT.resolve())}
    if bench:
        request["bench"] = bench
    done = subprocess.run(
        ["node", str(node_dir / "reference-verify.mjs")],
        input=json.dumps(request),
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout)


@dataclass
class Site:
    """A demo store served by a real ``ledger serve``, with credentials of every kind exported."""

    url: str
    base: Path
    credentials: dict[str, dict[str, Any]] = field(default_factory=dict)
    revoked: dict[str, dict[str, Any]] = field(default_factory=dict)
    every: list[dict[str, Any]] = field(default_factory=list)
    env: dict[str, str] = field(default_factory=dict)


def category(kind: str, basis: str, issuer: str) -> str:
    """The credential kind as the issue lists them."""
    if kind == "CQ":
        return "CQ sovereign" if basis == "sovereign" else "CQ all units"
    if kind == "clea":
        return "CléA branch jury" if ":branch-" in issuer else "CléA Certif'Pro"
    return {"CE6P": "CE6P", "clea_numerique": "CléA Numérique", "clea_management": "CléA Management"}.get(
        kind, kind
    )


def start_server(
    location: str, keys: Path, port: int, extra: dict[str, str] | None = None, args: tuple[str, ...] = ()
) -> subprocess.Popen[bytes]:
    """``ledger serve`` on loopback, ready (its ``/readyz`` answers).

    The API limits are the defaults (any ``LEDGER_API_*`` of the caller's environment is
    dropped): the conformance suites and reference verifiers run against them, the proof that
    a real client does not trip over them. A test measuring something else (load) passes its
    own in ``extra``.
    """
    inherited = {k: v for k, v in os.environ.items() if not k.startswith("LEDGER_API_")}
    env = {
        **inherited,
        "LEDGER_KEY_DIR": str(keys),
        "LEDGER_LOG_LEVEL": "WARNING",
        "LEDGER_PUBLIC_URL": f"http://127.0.0.1:{port}",
        **(extra or {}),
    }
    proc = subprocess.Popen(
        [
            sys.executable,
            "-c",
            LAUNCH,
            "serve",
            "--db",
            location,
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            *args,
        ],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    scheme = "https" if "--tls-cert" in args else "http"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        assert proc.poll() is None, proc.stderr.read().decode() if proc.stderr else "server died"
        try:
            if httpx.get(f"{scheme}://127.0.0.1:{port}/readyz", timeout=1, verify=False).status_code == 200:
                return proc
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    proc.terminate()
    raise AssertionError("ledger serve not ready within 60 s")


def stop_server(proc: subprocess.Popen[bytes]) -> None:
    """Stop a server started by :func:`start_server`."""
    proc.terminate()
    try:
        proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout=10)


@pytest.fixture(scope="session")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    """A demo cohort, one credential per kind (and revoked ones) exported, served by ``ledger serve``."""
    from ledger.adapters.follower import Db
    from ledger.adapters.store import StoreTarget
    from ledger.audit.log import AuditLog
    from ledger.credentials.issuers import IssuerConfig, IssuerKeyStore
    from ledger.credentials.issuing import CredentialIssuer
    from tests.integration.test_credentials import build_world

    base = tmp_path_factory.mktemp("interop")
    location = str(base / "ledger.db")
    world = build_world(location, base / "keys")
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    recording = world.issuer.config.recording
    config = IssuerConfig(IssuerKeyStore(base / "keys"), public_url=url, recording=recording)
    issuer = CredentialIssuer(
        world.ledger.store, Db(StoreTarget.parse(location)), config, world.ledger.identities
    )
    found = Site(url, base)
    for row in world.rows:
        credential = issuer.credential(str(row.certificate_id))
        name = category(row.kind, row.basis, credential["issuer"]["id"])
        found.every.append(credential)
        (found.revoked if row.status == "revoked" else found.credentials).setdefault(name, credential)
    assert isinstance(recording, AuditLog)
    recording.close()
    world.ledger.store.close()
    proc = start_server(location, base / "keys", port)
    yield found
    stop_server(proc)
