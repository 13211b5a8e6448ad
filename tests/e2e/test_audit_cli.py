"""``ledger keys`` and ``ledger audit`` as users run them: real processes, a real SQLite file."""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
import sys
from functools import partial
from pathlib import Path

import pytest

from tests.procs import concurrently

TAMPERED = 4


def ledger_cli(
    *args: str, cwd: Path, db: Path | str | None = None, stdin: str | None = None
) -> subprocess.CompletedProcess[str]:
    """Run ``python -m ledger.cli`` in ``cwd`` (``LEDGER_DB`` only when ``db`` is given)."""
    env = {k: v for k, v in os.environ.items() if k not in {"LEDGER_DB", "LEDGER_KEY_DIR", "LEDGER_ORIGIN"}}
    env["LEDGER_LOG_LEVEL"] = "WARNING"
    env["LEDGER_LANG"] = "en"
    env["PYTHONPATH"] = str(Path(__file__).resolve().parents[2])
    if db is not None:
        env["LEDGER_DB"] = str(db)
    return subprocess.run(
        [sys.executable, "-m", "ledger.cli", *args],
        input=stdin,
        text=True,
        capture_output=True,
        env=env,
        cwd=cwd,
        timeout=300,
        check=False,
    )


def ok(done: subprocess.CompletedProcess[str]) -> str:
    """The stdout of a successful run."""
    assert done.returncode == 0, done.stderr
    return done.stdout


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A demo store with a signing key and a first checkpoint (built once)."""
    home = tmp_path_factory.mktemp("audit-demo")
    db = home / "demo.db"
    ok(ledger_cli("demo", "--learners", "8", "--candidates", "2", "--json", cwd=home, db=db))
    ok(ledger_cli("keys", "generate", cwd=home, db=db))
    ok(ledger_cli("audit", "checkpoint", cwd=home, db=db))
    return home


@pytest.fixture
def store(demo: Path, tmp_path: Path) -> Path:
    """A private copy of the demo store and its keys."""
    for item in demo.iterdir():
        target = tmp_path / item.name
        if item.is_dir():
            shutil.copytree(item, target)
        else:
            shutil.copy2(item, target)
    return tmp_path / "demo.db"


def test_keys_live_beside_the_store_private_0600(store: Path) -> None:
    """``keys show`` prints a C2SP vkey; the private key is 0600 beside the store."""
    vkey = ok(ledger_cli("keys", "show", cwd=store.parent, db=store)).strip()
    name, key_id, key = vkey.split("+", 2)
    assert name == "ledger.example/cpu-clea-ledger" and len(key_id) == 8 and key.startswith("A")
    (skey,) = (store.parent / ".ledger" / "keys").glob("*.skey")
    assert skey.stat().st_mode & 0o777 == 0o600


def test_checkpoint_then_proof_verified_offline_without_a_database(store: Path, tmp_path: Path) -> None:
    """A proof copied elsewhere verifies with only the vkey: no --db, no store touched."""
    home = store.parent
    note = ok(ledger_cli("audit", "checkpoint", cwd=home, db=store))
    assert note.startswith("ledger.example/cpu-clea-ledger\n") and "\n\n— " in note
    events = json.loads(
        ok(ledger_cli("events", "--json", "--limit", "3", "--start", "40", cwd=home, db=store))
    )
    event_id = events[1]["event_id"]
    ok(ledger_cli("audit", "prove", "--event", event_id, "--out", "proof.txt", cwd=home, db=store))
    vkey = ok(ledger_cli("keys", "show", cwd=home, db=store)).strip()
    away = tmp_path / "offline"
    away.mkdir()
    shutil.copy(home / "proof.txt", away / "copied.tlog-proof")
    (away / "keys.txt").write_text(vkey + "\n")
    done = ledger_cli("audit", "verify-proof", "copied.tlog-proof", "--key", vkey, cwd=away)
    assert event_id in ok(done) and "position" not in done.stderr
    assert "leaf 41 " in done.stdout
    ok(ledger_cli("audit", "verify-proof", "copied.tlog-proof", "--key", "keys.txt", "--json", cwd=away))
    assert sorted(p.name for p in away.iterdir()) == ["copied.tlog-proof", "keys.txt"]


def test_verify_proof_rejects_forgeries_and_bad_input(store: Path, tmp_path: Path) -> None:
    """Altered proof or foreign key → exit 4 with a reason; a malformed key or file → exit 2."""
    home = store.parent
    proof = ok(ledger_cli("audit", "prove", "--position", "7", cwd=home, db=store))
    vkey = ok(ledger_cli("keys", "show", cwd=home, db=store)).strip()
    lines = proof.split("\n")
    lines[3] = lines[4]  # replace one inclusion-proof hash with another
    (tmp_path / "forged").write_text("\n".join(lines))
    done = ledger_cli("audit", "verify-proof", "forged", "--key", vkey, cwd=tmp_path)
    assert done.returncode == TAMPERED and "invalid proof" in done.stderr
    other = ledger_cli("keys", "generate", "--key-dir", str(tmp_path / "k2"), cwd=tmp_path).stdout.strip()
    (tmp_path / "good").write_text(proof)
    done = ledger_cli("audit", "verify-proof", "good", "--key", other, cwd=tmp_path)
    assert done.returncode == TAMPERED and "no valid signature" in done.stderr
    done = ledger_cli("audit", "verify-proof", "good", "--key", "name+zz+AAAA", cwd=tmp_path)
    assert done.returncode == 2 and "invalid verifier key" in done.stderr
    done = ledger_cli("audit", "verify-proof", "missing", "--key", vkey, cwd=tmp_path)
    assert done.returncode == 2 and "no such file" in done.stderr
    done = ledger_cli(
        "audit", "verify-proof", "good", "--key", vkey, "--origin", "other.example/log", cwd=tmp_path
    )
    assert done.returncode == TAMPERED and "origin" in done.stderr


def test_tampered_store_exit_4_names_position_and_aggregate(store: Path) -> None:
    """An event edited with plain SQL: ``audit verify`` exits 4 and names it."""
    home = store.parent
    assert "ok:" in ok(ledger_cli("audit", "verify", cwd=home, db=store))
    with sqlite3.connect(store) as conn:
        row = conn.execute("SELECT originator_id, state FROM stored_events WHERE rowid = 31").fetchone()
        conn.execute("UPDATE stored_events SET state = ? WHERE rowid = 31", (row[1] + b" ",))
    done = ledger_cli("audit", "verify", "--json", cwd=home, db=store)
    assert done.returncode == TAMPERED
    (problem,) = json.loads(done.stdout)["problems"]
    assert problem["kind"] == "altered" and problem["position"] == 30
    assert problem["aggregate_id"].replace("-", "") == row[0]
    human = ledger_cli("audit", "verify", cwd=home, db=store)
    assert human.returncode == TAMPERED and "TAMPERING DETECTED" in human.stdout
    refused = ledger_cli("audit", "prove", "--position", "30", cwd=home, db=store)
    assert refused.returncode == 2 and "does not match the log" in refused.stderr


def test_rotation_and_consistency_between_checkpoints(store: Path) -> None:
    """A rotated key signs new checkpoints; the old ones still verify; consistency holds."""
    home = store.parent
    first = json.loads(ok(ledger_cli("audit", "checkpoint", "--json", cwd=home, db=store)))
    (home / "old.note").write_text(first["note"])
    new_vkey = ok(ledger_cli("keys", "generate", cwd=home, db=store)).strip()
    keys = ok(ledger_cli("keys", "show", "--all", cwd=home, db=store)).split()
    assert len(keys) == 2 and keys[0] == new_vkey
    command = {
        "command": "OpenOption",
        "actor_id": "d-1",
        "actor_role": "head_of_school",
        "body": "direction",
        "effective_date": "2018-06-01",
        "fase": 209,
        "option_code": "macon",
        "first_school_year": 2018,
    }
    ledger_cli("record", "-", "--create", cwd=home, db=store, stdin=json.dumps(command) + "\n")
    second = json.loads(ok(ledger_cli("audit", "checkpoint", "--json", cwd=home, db=store)))
    (home / "new.note").write_text(second["note"])
    assert second["size"] == first["size"] + 1
    out = ok(ledger_cli("audit", "consistency", "old.note", "new.note", cwd=home, db=store))
    assert out.rstrip().endswith("consistent")
    sizes = json.loads(
        ok(
            ledger_cli(
                "audit", "consistency", str(first["size"]), str(second["size"]), "--json", cwd=home, db=store
            )
        )
    )
    assert sizes["consistent"] and sizes["new_size"] == second["size"]
    assert "ok:" in ok(ledger_cli("audit", "verify", cwd=home, db=store))
    missing = ledger_cli("audit", "consistency", "2", "3", cwd=home, db=store)
    assert missing.returncode == 2 and "unknown checkpoint of size: 2" in missing.stderr


def test_verify_elsewhere_needs_the_public_key(store: Path, tmp_path: Path) -> None:
    """Without the log's public key the checkpoints cannot be trusted (exit 4); with --key they can."""
    home = store.parent
    vkey = ok(ledger_cli("keys", "show", cwd=home, db=store)).strip()
    empty = str(tmp_path / "no-keys")
    done = ledger_cli("audit", "verify", "--key-dir", empty, cwd=home, db=store)
    assert done.returncode == TAMPERED and "signature" in done.stdout
    ok(ledger_cli("audit", "verify", "--key-dir", empty, "--key", vkey, cwd=home, db=store))
    bad = ledger_cli("audit", "verify", "--key", "x+y+z", cwd=home, db=store)
    assert bad.returncode == 2 and "invalid verifier key" in bad.stderr


def test_certificate_chain_proofs_all_verify_offline(store: Path) -> None:
    """``prove --certificate`` writes one proof per decision; each verifies offline."""
    home = store.parent
    certs = json.loads(ok(ledger_cli("certificate", "list", "--json", cwd=home, db=store)))
    cert = certs[0]
    rows = json.loads(
        ok(
            ledger_cli(
                "audit",
                "prove",
                "--certificate",
                cert["certificate_id"],
                "--out",
                "chain",
                "--json",
                cwd=home,
                db=store,
            )
        )
    )
    assert cert["position"] in [r["position"] for r in rows]
    assert rows[-1]["type"].startswith("Learner.Certificate") or "Certificate" in rows[-1]["type"]
    vkey = ok(ledger_cli("keys", "show", cwd=home, db=store)).strip()
    for row in rows[:3] + rows[-1:]:
        ok(
            ledger_cli(
                "audit",
                "verify-proof",
                str(home / "chain" / f"{row['position']}.tlog-proof"),
                "--key",
                vkey,
                cwd=home,
            )
        )


def test_bad_input_exit_2(store: Path, tmp_path: Path) -> None:
    """Unknown position, malformed event id, no store, no key: exit 2, a clear message."""
    home = store.parent
    cases = [
        (("audit", "prove", "--position", "999999"), "unknown position"),
        (("audit", "prove", "--event", "nope"), "not an event id"),
        (("audit", "prove", "--certificate", "6f1c1d0a-3c8e-4b7e-9a55-0d5f8a3b2c10"), "unknown certificate"),
        (("audit", "checkpoint", "--key-dir", str(tmp_path / "empty")), "ledger keys generate"),
    ]
    answers = concurrently(partial(ledger_cli, *args, cwd=home, db=store) for args, _ in cases)  # refusals
    for (args, message), done in zip(cases, answers, strict=True):
        assert done.returncode == 2 and message in done.stderr, (args, done.stderr)
        assert "Traceback" not in done.stderr
    done = ledger_cli("audit", "verify", cwd=tmp_path, db=tmp_path / "absent.db")
    assert done.returncode == 2 and "no store" in done.stderr
    assert not (tmp_path / "absent.db").exists()


def test_run_follows_and_checkpoints(store: Path) -> None:
    """``audit run --duration`` syncs, signs checkpoints and stops by itself."""
    out = ok(ledger_cli("audit", "run", "--every", "1", "--duration", "1", cwd=store.parent, db=store))
    assert out.startswith("checkpoint size ")


def test_checkpoints_signed_by_processes_at_once_all_succeed_and_agree(
    store_location: str, tmp_path: Path
) -> None:
    """Four ``ledger audit checkpoint`` started together on one store (cron and an inspector at
    the same minute): every one exits 0 and they all return the one checkpoint of the log."""
    db = store_location  # a file or a postgresql:// URL: LEDGER_DB either way
    ok(ledger_cli("demo", "--learners", "6", "--candidates", "1", "--json", cwd=tmp_path, db=db))
    ok(ledger_cli("keys", "generate", cwd=tmp_path, db=db))
    runs = concurrently([partial(ledger_cli, "audit", "checkpoint", "--json", cwd=tmp_path, db=db)] * 4)
    signed = [json.loads(ok(done)) for done in runs]
    assert all(s == signed[0] for s in signed), signed
