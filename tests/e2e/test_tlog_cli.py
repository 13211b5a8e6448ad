"""The public, witnessed log through the installed ``ledger`` console script (real processes).

Keys with non-ASCII names, proof bundles, ``ledger witness serve`` cosigning with a witness
policy (and refusing a fork), ``ledger audit publish`` re-run as the log grows, and
``ledger audit monitor`` catching a forked log with both checkpoints.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.e2e.tlog_support import (
    LEDGER,
    ORIGIN,
    Server,
    copy_store,
    free_port,
    grow,
    ledger,
    ledger_env,
    stored_events,
)

TAMPERED = 4


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A demo store whose log key has a non-ASCII name (its origin), and a first checkpoint."""
    home = tmp_path_factory.mktemp("tlog-demo") / "a"
    home.mkdir()
    db = home / "ledger.db"
    ledger("demo", "--db", str(db), "--learners", "10", "--candidates", "2", cwd=home)
    ledger("keys", "generate", "--db", str(db), "--name", ORIGIN, cwd=home)
    ledger("audit", "checkpoint", "--db", str(db), "--origin", ORIGIN, cwd=home)
    return home


@pytest.fixture
def store(demo: Path, tmp_path: Path) -> Path:
    """A private copy of the demo store with its keys."""
    return copy_store(demo, tmp_path / "a") / "ledger.db"


def audit(*args: str, db: Path, expect: int | None = 0) -> str:
    """``ledger audit …`` on ``db`` with the demo's origin; its stdout."""
    return ledger("audit", *args, "--db", str(db), "--origin", ORIGIN, cwd=db.parent, expect=expect).stdout


def test_non_ascii_key_names_sign_and_bad_names_leave_no_file(demo: Path, tmp_path: Path) -> None:
    """A UTF-8 key name works end to end; a name with a space is refused, no file written."""
    keys = demo / ".ledger" / "keys"
    (vkey_file,) = keys.glob("*.vkey")
    assert vkey_file.read_text(encoding="utf-8").startswith(ORIGIN + "+")
    assert ledger("keys", "show", "--db", str(demo / "ledger.db"), cwd=demo).stdout.startswith(ORIGIN + "+")
    empty = tmp_path / "keys"
    done = ledger(
        "keys",
        "generate",
        "--key-dir",
        str(empty),
        "--db",
        str(demo / "ledger.db"),
        "--name",
        "deux mots",
        cwd=demo,
        expect=2,
    )
    assert "invalid key name" in done.stderr and "Traceback" not in done.stderr
    assert not empty.exists() or not any(empty.iterdir())


def test_certificate_proofs_come_as_one_bundle_that_verify_proof_reads(store: Path) -> None:
    """``prove --certificate`` prints a JSON bundle of tlog-proofs; verify-proof checks each one."""
    home = store.parent
    rows = json.loads(
        ledger("certificate", "list", "--db", str(store), "--kind", "CQ", "--json", cwd=home).stdout
    )
    bundle_text = audit("prove", "--certificate", rows[0]["certificate_id"], db=store)
    bundle = json.loads(bundle_text)
    assert bundle["format"] == "ledger-proof-bundle/v1" and len(bundle["proofs"]) > 3
    assert all(p["proof"].startswith("c2sp.org/tlog-proof@v1\n") for p in bundle["proofs"])
    vkey = ledger("keys", "show", "--db", str(store), cwd=home).stdout.strip()
    (home / "bundle.json").write_text(bundle_text, encoding="utf-8")
    out = ledger("audit", "verify-proof", "bundle.json", "--key", vkey, cwd=home).stdout
    assert out.count("valid: event") == len(bundle["proofs"])
    bundle["proofs"][-1]["proof"] = bundle["proofs"][-1]["proof"].replace("index ", "index 1", 1)
    (home / "bundle.json").write_text(json.dumps(bundle), encoding="utf-8")
    done = ledger("audit", "verify-proof", "bundle.json", "--key", vkey, cwd=home, expect=TAMPERED)
    assert f"#{len(bundle['proofs'])}" in done.stderr


def test_own_witness_cosigns_the_log_and_refuses_its_fork(store: Path, tmp_path: Path) -> None:
    """``ledger witness serve`` cosigns; the policy's quorum is met; a fork gets no cosignature."""
    home = store.parent
    vkey = ledger("keys", "show", "--db", str(store), cwd=home).stdout.strip()
    witness_vkey = ledger(
        "witness", "keygen", "--name", "témoin.example/w1", "--out", "w1.key", cwd=tmp_path
    ).stdout.strip()
    assert (tmp_path / "w1.key").stat().st_mode & 0o777 == 0o600
    (tmp_path / "logs.txt").write_text(f"log {vkey}\n", encoding="utf-8")
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    policy = tmp_path / "policy.txt"
    policy.write_text(f"log {vkey}\nwitness w1 {witness_vkey} {url}\nquorum w1\n", encoding="utf-8")
    fork = copy_store(home, tmp_path / "fork") / "ledger.db"
    size = stored_events(store)  # the demo's, checkpointed
    grow(store, 3)
    grow(fork, 5)
    serve = [
        "witness",
        "serve",
        "--key",
        "w1.key",
        "--logs",
        "logs.txt",
        "--state",
        "w.db",
        "--port",
        str(port),
    ]
    with Server([str(LEDGER), *serve], url, tmp_path / "w.log", tmp_path, ledger_env()):
        note = audit("checkpoint", "--witness-policy", str(policy), db=store)
        assert "\n— témoin.example/w1 " in note and f"\n{size + 3}\n" in note
        (home / "proof.txt").write_text(
            audit("prove", "--position", str(size + 1), db=store), encoding="utf-8"
        )
        env = ledger_env(LEDGER_WITNESS_POLICY=str(policy))
        out = ledger("audit", "verify-proof", "proof.txt", cwd=home, env=env).stdout
        assert "cosigned by w1" in out
        audit("publish", str(tmp_path / "site"), db=store)
        monitored = ledger(
            "audit",
            "monitor",
            str(tmp_path / "site"),
            "--key",
            vkey,
            "--witness-policy",
            str(policy),
            "--state",
            str(tmp_path / "m.json"),
            cwd=tmp_path,
        ).stdout
        assert (
            f"size 0 -> {size + 3}, consistent, {size + 3} new entries checked, cosigned by w1" in monitored
        )
        forked = ledger(
            "audit",
            "checkpoint",
            "--db",
            str(fork),
            "--origin",
            ORIGIN,
            "--witness-policy",
            str(policy),
            cwd=fork.parent,
            expect=TAMPERED,
        )
        assert "witness w1: refused" in forked.stderr and "QUORUM NOT MET" in forked.stderr
        assert "témoin" not in forked.stdout
        (fork.parent / "proof.txt").write_text(
            audit("prove", "--position", str(size + 1), db=fork), encoding="utf-8"
        )
        refused = ledger("audit", "verify-proof", "proof.txt", cwd=fork.parent, env=env, expect=TAMPERED)
        assert "quorum not met" in refused.stderr


def test_publish_again_and_monitor_catch_a_forked_log(store: Path, tmp_path: Path) -> None:
    """Publishing re-runs into one directory; the monitor follows it, then flags the fork."""
    home = store.parent
    vkey = ledger("keys", "show", "--db", str(store), cwd=home).stdout.strip()
    fork = copy_store(home, tmp_path / "fork") / "ledger.db"
    site, forked_site, state = tmp_path / "site", tmp_path / "forked-site", tmp_path / "monitor.json"
    size = stored_events(store)  # the demo's, checkpointed
    assert size % 256, "the earlier checkpoint must end in a partial tile"
    audit("publish", str(site), db=store)
    first = ledger("audit", "monitor", str(site), "--key", vkey, "--state", str(state), cwd=tmp_path).stdout
    assert f"size 0 -> {size}, consistent, {size} new entries checked" in first
    grow(store, 260)
    audit("checkpoint", db=store)
    again = json.loads(audit("publish", str(site), "--json", db=store))
    assert (again["previous"], again["size"]) == (size, size + 260)
    assert (site / f"tile/0/{size // 256:03d}.p/{size % 256}").is_file(), (
        "the partial tile of the earlier checkpoint is kept"
    )
    second = ledger("audit", "monitor", str(site), "--key", vkey, "--state", str(state), cwd=tmp_path).stdout
    assert f"size {size} -> {size + 260}, consistent, 260 new entries checked" in second
    grow(fork, 300)
    audit("checkpoint", db=fork)
    audit("publish", str(forked_site), db=fork)
    kept = state.read_text(encoding="utf-8")
    done = ledger(
        "audit",
        "monitor",
        str(forked_site),
        "--key",
        vkey,
        "--state",
        str(state),
        cwd=tmp_path,
        expect=TAMPERED,
    )
    assert "SPLIT VIEW" in done.stderr
    assert "== checkpoint seen before ==\n" + ORIGIN + f"\n{size + 260}\n" in done.stdout
    assert "== checkpoint now ==\n" + ORIGIN + f"\n{size + 300}\n" in done.stdout
    assert state.read_text(encoding="utf-8") == kept, "the state keeps the checkpoint seen before"
    refused = ledger(
        "audit", "publish", str(site), "--db", str(fork), "--origin", ORIGIN, cwd=fork.parent, expect=2
    )
    assert "fork" in refused.stderr
