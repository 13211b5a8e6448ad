"""The operational verbs read in French through the installed ``ledger`` console script.

A secretary (or the inspector beside her) exports a certificate as a credential, verifies it,
shows the trust bundle, checkpoints and proves the integrity log, reads the CléA legal bases
and starts the server: every line she reads is French (``verdict : VALABLE``, ``contrôle
signatures : conforme``, ``Parcours du candidat Certif'Pro [S22]``), with no English word from
the scan list. ``--lang en`` gives today's English back; ``--json`` stays language-neutral.
The oracle is the console script's own output.
"""

from __future__ import annotations

import json
import re
import signal
import socket
import subprocess
import time
from pathlib import Path

import pytest

from tests.e2e.test_french_secretary import SCRIPT, english_words, ledger

# English words of the operational verbs (on top of the secretary's list).
OPERATIONS = {
    "check",
    "reason",
    "warning",
    "wrote",
    "valid",
    "issuer",
    "proof",
    "proofs",
    "signed",
    "serving",
    "checkpoint",
    "key",
    "new",
    "verifier",
    "leaf",
    "tree",
    "published",
    "lag",
}


def english(text: str) -> set[str]:
    """English words of ``text`` (both lists), outside ids, commands and flags."""
    words = english_words(text)
    cleaned = re.sub(
        r"did:web:\S+|[0-9a-f]{8}(-[0-9a-f]{4}){3}-[0-9a-f]{12}|\bledger(?: [a-z-]+){1,2}", " ", text
    )
    return words | {w for w in re.findall(r"[a-zà-ÿ]+", cleaned.lower()) if w in OPERATIONS}


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """A small demo store with log and credential keys, and one active certificate's id."""
    base = tmp_path_factory.mktemp("fr-ops")
    for args in (
        ("demo", "--learners", "8", "--candidates", "4", "--seed", "3", "--db", "demo.db"),
        ("keys", "generate", "--db", "demo.db"),
    ):
        done = ledger(*args, cwd=base)
        assert done.returncode == 0, (args, done.stderr)
    rows = json.loads(ledger("certificate", "list", "--json", "--db", "demo.db", cwd=base).stdout)
    return base, next(r["certificate_id"] for r in rows if r["status"] == "active")


def test_credential_verbs_read_in_french(home: tuple[Path, str]) -> None:
    """keys generate/show, export, status-list and verify: French lines, exit codes unchanged."""
    base, cert = home
    generated = ledger("credential", "keys", "generate", "--db", "demo.db", cwd=base)
    assert generated.returncode == 0 and "nouvelle clé did:web:" in generated.stdout, generated
    exported = ledger(
        "credential", "export", cert, "--out", "c.json", "--html", "c.html", "--db", "demo.db", cwd=base
    )
    listed = ledger(
        "credential", "status-list", "--credential", "c.json", "--out", "s.json", "--db", "demo.db", cwd=base
    )
    assert exported.returncode == listed.returncode == 0, (exported.stderr, listed.stderr)
    assert "c.json écrit" in exported.stderr and "c.html écrit" in exported.stderr
    assert "s.json écrit" in listed.stderr
    bundle = ledger("credential", "keys", "show", "--db", "demo.db", cwd=base)
    assert "émetteur did:web:" in bundle.stdout and "clé de vérification du journal" in bundle.stdout
    (base / "trust.json").write_text(
        ledger("credential", "keys", "show", "--json", "--db", "demo.db", cwd=base).stdout, encoding="utf-8"
    )
    valid = ledger(
        "credential", "verify", "c.json", "--status-list", "s.json", "--keys", "trust.json", cwd=base
    )
    unknown = ledger("credential", "verify", "c.json", "--keys", "trust.json", cwd=base)
    assert (valid.returncode, unknown.returncode) == (0, 6), (valid.stdout, unknown.stdout)
    assert valid.stdout.startswith("verdict : VALABLE\n"), valid.stdout
    assert "contrôle signatures : conforme" in valid.stdout
    assert "contrôle statut de révocation : conforme" in valid.stdout
    assert "NON VÉRIFIÉE" in unknown.stdout and "aucune liste de statuts" in unknown.stdout
    for done in (generated, exported, listed, bundle, valid, unknown):
        text = done.stdout + done.stderr
        assert not english(text), (english(text), text)
    en = ledger(
        "credential",
        "verify",
        "c.json",
        "--status-list",
        "s.json",
        "--keys",
        "trust.json",
        cwd=base,
        lang="en",
    )
    assert en.stdout.startswith("verdict: VALID\n") and "  check proofs: ok" in en.stdout, en.stdout
    as_json = ledger(
        "credential",
        "verify",
        "c.json",
        "--status-list",
        "s.json",
        "--keys",
        "trust.json",
        "--json",
        cwd=base,
    )
    assert json.loads(as_json.stdout)["checks"]["proofs"] == "ok"


def test_audit_lines_and_clea_legal_bases_read_in_french(home: tuple[Path, str]) -> None:
    """audit checkpoint/prove/verify-proof lines and the CléA legal bases of ``events``, in French."""
    base, cert = home
    checkpoint = ledger("audit", "checkpoint", "--db", "demo.db", cwd=base)
    assert checkpoint.returncode == 0, checkpoint.stderr
    assert "point de contrôle signé du journal" in checkpoint.stderr
    assert checkpoint.stdout.startswith("ledger.example/"), checkpoint.stdout  # the signed note, as is
    proved = ledger(
        "audit", "prove", "--certificate", cert, "--out", "preuves.txt", "--db", "demo.db", cwd=base
    )
    assert re.fullmatch(r"\d+ preuve\(s\) écrite\(s\) dans preuves\.txt\n", proved.stdout), proved.stdout
    single = ledger("audit", "prove", "--position", "0", "--db", "demo.db", cwd=base)
    (base / "preuve.txt").write_text(single.stdout, encoding="utf-8")
    vkey = ledger("keys", "show", "--db", "demo.db", cwd=base).stdout.strip()
    checked = ledger("audit", "verify-proof", "preuve.txt", "--key", vkey, cwd=base)
    assert checked.returncode == 0, checked.stderr
    assert checked.stdout.startswith("valable : l'événement "), checked.stdout
    events = ledger("events", "--db", "demo.db", cwd=base)
    assert "Parcours du candidat Certif'Pro [S22]" in events.stdout
    assert "Certif'Pro candidate journey" not in events.stdout
    for done in (checkpoint, proved, checked):
        text = done.stdout + done.stderr
        assert not english(text), (english(text), text)
    en = ledger(
        "audit", "prove", "--certificate", cert, "--out", "p.txt", "--db", "demo.db", cwd=base, lang="en"
    )
    assert re.fullmatch(r"wrote \d+ proof\(s\) to p\.txt\n", en.stdout), en.stdout


def _answers(url: str) -> bool:
    """True once ``url`` answers at all."""
    import urllib.request

    try:
        with urllib.request.urlopen(url, timeout=2):
            return True
    except OSError:
        return False


def test_serve_start_up_lines_read_in_french(home: tuple[Path, str]) -> None:
    """``ledger serve`` says in French where it serves, and warns in French of missing token keys."""
    base, _cert = home
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen(
        [SCRIPT, "serve", "--db", "demo.db", "--host", "127.0.0.1", "--port", str(port)],
        cwd=base,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={"PATH": str(Path(SCRIPT).parent), "LEDGER_LOG_LEVEL": "WARNING", "HOME": str(base)},
    )
    try:
        assert proc.stdout is not None
        first = proc.stdout.readline()
        deadline = time.monotonic() + 30
        lines = [first]
        while len(lines) < 3 and time.monotonic() < deadline:
            lines.append(proc.stdout.readline())
        while time.monotonic() < deadline and not _answers(f"http://127.0.0.1:{port}/healthz"):
            time.sleep(0.1)  # Ctrl-C once it serves, as a user does after reading these lines
    finally:
        proc.send_signal(signal.SIGINT)  # Ctrl-C, as the start-up line says
        _out, err = proc.communicate(timeout=30)
    text = "".join(lines)
    assert first.startswith(f"API du registre en service sur http://127.0.0.1:{port}"), text
    assert "documentation de l'API" in text, text
    assert "avertissement : aucune clé de jeton" in err, err
    assert not english(text), (english(text), text)


def test_certified_learners_dossier_reads_in_french(home: tuple[Path, str]) -> None:
    """A certified learner's dossier: certificate lines with their legal basis as words, not codes."""
    base, _cert = home
    rows = json.loads(ledger("certificate", "list", "--json", "--db", "demo.db", cwd=base).stdout)
    learner = next(r["learner_id"] for r in rows if r["status"] == "active" and r.get("learner_id"))
    shown = ledger("learner", "show", learner, "--db", "demo.db", cwd=base)
    assert shown.returncode == 0, shown.stderr
    assert "base légale : toutes les UAA validées" in shown.stdout, shown.stdout
    assert not english(shown.stdout), (english(shown.stdout), shown.stdout)


def test_a_library_error_the_catalogue_knows_reads_in_french(tmp_path: Path) -> None:
    """Exporting before any issuer key exists: the error says what to run, in French (exit 2)."""
    made = ledger("demo", "--learners", "8", "--candidates", "0", "--seed", "3", "--db", "d.db", cwd=tmp_path)
    assert made.returncode == 0, made.stderr
    rows = json.loads(ledger("certificate", "list", "--json", "--db", "d.db", cwd=tmp_path).stdout)
    done = ledger("credential", "export", rows[0]["certificate_id"], "--db", "d.db", cwd=tmp_path)
    assert done.returncode == 2, done
    assert "aucune clé d'émetteur de certificats : lancez `ledger credential keys generate`" in done.stderr
    assert not english(done.stderr), done.stderr
    en = ledger("credential", "export", rows[0]["certificate_id"], "--db", "d.db", cwd=tmp_path, lang="en")
    assert "no credential issuer key" in en.stderr, en.stderr
