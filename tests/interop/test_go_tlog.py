"""The ledger's public log read and witnessed by Go reference code we did not write.

* golang.org/x/mod/sumdb/tlog's tile reader (``tlogcheck tiles``) rebuilds the checkpoint's
  root from the tiles ``ledger serve`` serves under /log and from ``ledger audit publish``'s
  directory, authenticates every tile and entry, and proves consistency across appends.
* filippo.io/torchwood v0.9.0's litewitness, on loopback, cosigns the ledger's checkpoints;
  torchwood's ``ParsePolicy``/``VerifyProof`` and ``ledger audit verify-proof`` agree: a
  1-of-1 and a 2-of-2 policy pass, and fail when a cosignature is removed or when the
  ledger presents a forked checkpoint (which the witnesses refuse to cosign).
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.e2e.tlog_support import (
    ORIGIN,
    Server,
    copy_store,
    free_port,
    grow,
    ledger,
    serve_ledger,
    stored_events,
)

TAMPERED = 4


def check(go_bin: Path, *args: str, ok: bool = True) -> dict[str, object]:
    """Run ``tlogcheck``; its JSON result (``ok=False``: assert it fails and return {})."""
    done = subprocess.run(
        [str(go_bin / "tlogcheck"), *args], capture_output=True, text=True, timeout=120, check=False
    )
    assert (done.returncode == 0) == ok, f"tlogcheck {args[0]}: {done.stderr}"
    return json.loads(done.stdout) if ok else {}


def audit(*args: str, db: Path, expect: int | None = 0) -> str:
    """``ledger audit …`` on ``db``; its stdout."""
    return ledger("audit", *args, "--db", str(db), "--origin", ORIGIN, cwd=db.parent, expect=expect).stdout


@pytest.fixture(scope="module")
def origin_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A demo store whose log key is named after its origin, checkpointed."""
    home = tmp_path_factory.mktemp("interop") / "log"
    home.mkdir()
    db = home / "ledger.db"
    ledger("demo", "--db", str(db), "--learners", "10", "--candidates", "2", cwd=home)
    ledger("keys", "generate", "--db", str(db), "--name", ORIGIN, cwd=home)
    audit("checkpoint", db=db)
    return db


@pytest.fixture
def store(origin_store: Path, tmp_path: Path) -> Path:
    """A private copy of the store."""
    return copy_store(origin_store.parent, tmp_path / "log") / "ledger.db"


def tile_count(size: int) -> int:
    """Hash tiles of a tree of ``size`` leaves (height 8, c2sp.org/tlog-tiles): level k has
    ``size // 256**k`` hashes, in ``ceil(hashes / 256)`` tiles (full ones and one partial)."""
    count, level = 0, 0
    while size >> (8 * level):
        count += -(-(size >> (8 * level)) // 256)
        level += 1
    return count


def test_x_mod_tile_reader_rebuilds_served_and_published_trees_across_appends(
    go_bin: Path, store: Path, tmp_path: Path
) -> None:
    """Served tiles and published files give Go the signed root, every entry, and consistency."""
    vkey = ledger("keys", "show", "--db", str(store), cwd=store.parent).stdout.strip()
    size = stored_events(store)  # the demo's, checkpointed
    site, first = tmp_path / "site", tmp_path / "checkpoint-first"
    with serve_ledger(store, tmp_path / "serve.log") as server:
        response = httpx.get(f"{server.url}/log/checkpoint")
        assert response.headers["content-type"] == "text/plain; charset=utf-8"
        first.write_bytes(response.content)
        served = check(go_bin, "tiles", "-src", f"{server.url}/log", "-vkey", vkey, "-all")
        assert served == {
            "origin": ORIGIN,
            "size": size,
            "root": served["root"],
            "entries": size,
            "tiles": tile_count(size),
        }
        audit("publish", str(site), db=store)
        assert check(go_bin, "tiles", "-src", str(site), "-vkey", vkey, "-all") == served
        grow(store, 300)
        audit("checkpoint", db=store)
        grown = check(go_bin, "tiles", "-src", f"{server.url}/log", "-vkey", vkey, "-old", str(first), "-all")
        assert (grown["size"], grown["entries"], grown["consistent_with"]) == (size + 300, size + 300, size)
        monitored = ledger(
            "audit", "monitor", f"{server.url}/log", "--key", vkey, "--state", "m.json", cwd=tmp_path
        ).stdout
        assert f"size 0 -> {size + 300}, consistent, {size + 300} new entries checked" in monitored
    audit("publish", str(site), db=store)
    assert check(go_bin, "tiles", "-src", str(site), "-vkey", vkey, "-old", str(first), "-all") == grown
    old_tree = check(go_bin, "tiles", "-src", str(site), "-vkey", vkey, "-checkpoint", str(first), "-all")
    assert old_tree == served, f"the partial tiles of size {size} are still published"


class Litewitnesses:
    """litewitness processes (torchwood v0.9.0) with their keys in one ssh-agent."""

    def __init__(self, go_bin: Path, home: Path) -> None:
        self.bin, self.home = go_bin, home
        self.socket = home / "agent.sock"
        self.agent = subprocess.Popen(
            ["ssh-agent", "-D", "-a", str(self.socket)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        self.servers: list[Server] = []
        deadline = time.monotonic() + 10
        while not self.socket.exists() and time.monotonic() < deadline:
            time.sleep(0.05)

    def start(self, name: str, log_vkey: str) -> tuple[str, str]:
        """Start witness ``name`` for the ledger's log; return ``(its vkey, its URL)``."""
        key, db = self.home / name, self.home / f"{name}.db"
        subprocess.run(
            ["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", name, "-f", str(key)], check=True
        )
        subprocess.run(
            ["ssh-add", "-q", str(key)],
            check=True,
            env={**os.environ, "SSH_AUTH_SOCK": str(self.socket)},
            capture_output=True,
        )
        fingerprint = subprocess.run(
            ["ssh-keygen", "-l", "-E", "sha256", "-f", f"{key}.pub"],
            check=True,
            capture_output=True,
            text=True,
        ).stdout.split()[1]
        for command in (["add-log", "-origin", ORIGIN], ["add-key", "-origin", ORIGIN, "-key", log_vkey]):
            subprocess.run(
                [str(self.bin / "witnessctl"), command[0], "-db", str(db), *command[1:]],
                check=True,
                capture_output=True,
            )
        port = free_port()
        server = Server(
            [
                str(self.bin / "litewitness"),
                "-db",
                str(db),
                "-name",
                f"witness.example/{name}",
                "-key",
                fingerprint,
                "-ssh-agent",
                str(self.socket),
                "-listen",
                f"127.0.0.1:{port}",
            ],
            f"http://127.0.0.1:{port}",
            self.home / f"{name}.log",
            self.home,
        ).__enter__()
        self.servers.append(server)
        vkey = re.search(r"vkey=(\S+)", (self.home / f"{name}.log").read_text())
        assert vkey, "litewitness prints its verifier key"
        return vkey.group(1), server.url

    def stop(self) -> None:
        """Stop every witness, then the agent."""
        for server in self.servers:
            server.__exit__(None, None, None)
        self.agent.terminate()
        self.agent.wait(10)


@pytest.fixture
def witnesses(go_bin: Path) -> Iterator[Litewitnesses]:
    """A place for litewitness instances (a short path: ssh-agent sockets have a length limit)."""
    with tempfile.TemporaryDirectory(prefix="lw") as home:
        group = Litewitnesses(go_bin, Path(home))
        try:
            yield group
        finally:
            group.stop()


def test_litewitness_cosigns_and_policies_pass_or_fail_like_torchwood(
    go_bin: Path, store: Path, witnesses: Litewitnesses, tmp_path: Path
) -> None:
    """1-of-1 and 2-of-2 pass; a removed cosignature or a forked checkpoint fails, in Go and here."""
    vkey = ledger("keys", "show", "--db", str(store), cwd=store.parent).stdout.strip()
    (w1, url1), (w2, url2) = witnesses.start("w1", vkey), witnesses.start("w2", vkey)
    one, both = tmp_path / "one.txt", tmp_path / "both.txt"
    one.write_text(f"log {vkey}\nwitness w1 {w1} {url1}\nquorum w1\n", encoding="utf-8")
    both.write_text(
        f"log {vkey}\nwitness w1 {w1} {url1}\nwitness w2 {w2} {url2}\ngroup all-of-them all w1 w2\n"
        "quorum all-of-them\n",
        encoding="utf-8",
    )
    fork = copy_store(store.parent, tmp_path / "fork") / "ledger.db"
    note = audit("checkpoint", "--witness-policy", str(both), db=store)
    assert "\n— witness.example/w1 " in note and "\n— witness.example/w2 " in note
    grow(store, 3)
    audit("checkpoint", "--witness-policy", str(both), db=store)  # litewitness checks our consistency proof
    proof = tmp_path / "proof.txt"
    proof.write_text(audit("prove", "--position", "314", db=store), encoding="utf-8")
    for policy in (one, both):
        check(go_bin, "policy", "-policy", str(policy), "-proof", str(proof))
        ledger("audit", "verify-proof", str(proof), "--witness-policy", str(policy), cwd=tmp_path)
    audit("publish", str(tmp_path / "site"), db=store)
    check(go_bin, "policy", "-policy", str(both), "-checkpoint", str(tmp_path / "site" / "checkpoint"))

    stripped = tmp_path / "stripped.txt"
    stripped.write_text(
        "".join(
            line
            for line in proof.read_text(encoding="utf-8").splitlines(keepends=True)
            if not line.startswith("— witness.example/w2 ")
        ),
        encoding="utf-8",
    )
    check(go_bin, "policy", "-policy", str(both), "-proof", str(stripped), ok=False)
    ledger(
        "audit", "verify-proof", str(stripped), "--witness-policy", str(both), cwd=tmp_path, expect=TAMPERED
    )
    check(go_bin, "policy", "-policy", str(one), "-proof", str(stripped))

    grow(fork, 5)
    refused = ledger(
        "audit",
        "checkpoint",
        "--db",
        str(fork),
        "--origin",
        ORIGIN,
        "--witness-policy",
        str(both),
        cwd=fork.parent,
        expect=TAMPERED,
    )
    assert "witness.example" not in refused.stdout
    assert refused.stderr.count("refused: HTTP 422") == 2, refused.stderr
    forked = tmp_path / "forked.txt"
    forked.write_text(audit("prove", "--position", "314", db=fork), encoding="utf-8")
    check(go_bin, "policy", "-policy", str(one), "-proof", str(forked), ok=False)
    ledger("audit", "verify-proof", str(forked), "--witness-policy", str(one), cwd=tmp_path, expect=TAMPERED)
    cosignatures = [
        line
        for line in proof.read_text(encoding="utf-8").splitlines(keepends=True)
        if line.startswith("— witness.example/")
    ]
    spliced = tmp_path / "spliced.txt"
    spliced.write_text(forked.read_text(encoding="utf-8") + "".join(cosignatures), encoding="utf-8")
    check(go_bin, "policy", "-policy", str(one), "-proof", str(spliced), ok=False)
    ledger("audit", "verify-proof", str(spliced), "--witness-policy", str(one), cwd=tmp_path, expect=TAMPERED)
