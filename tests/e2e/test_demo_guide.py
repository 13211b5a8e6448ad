"""``make demo`` teaches (issue 19 item 4): one French screen, tokens in a 0600 file, no warning.

Through the installed console script and the project's own Makefile, as a person runs them.
"""

from __future__ import annotations

import os
import re
import stat
import subprocess
from pathlib import Path

from tests.e2e.test_french_secretary import english_words, ledger

ROOT = Path(__file__).resolve().parents[2]


def _prose(screen: str) -> str:
    """The screen without its command lines (verb names such as ``learner`` are commands)."""
    lines = (line for line in screen.splitlines() if not line.strip().startswith("ledger "))
    return re.sub(r"/\S+", " ", "\n".join(lines))  # nor paths (the test's temporary folder)


def test_demo_ends_with_one_french_screen_and_writes_the_tokens_to_a_private_file(tmp_path: Path) -> None:
    db, tokens = tmp_path / "demo.db", tmp_path / "jetons" / "demo-tokens.json"
    done = ledger("demo", "--db", str(db), "--learners", "12", "--tokens", str(tokens), cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    screen = done.stdout
    assert screen.startswith(f"Démonstration prête : le registre {db}")
    for heading in ("Ce qui a été créé", "Et maintenant", "Où cliquer"):
        assert heading in screen
    assert not english_words(_prose(screen)), english_words(_prose(screen))
    # every next command names the store, and the first ones work as printed
    commands = [line.strip() for line in screen.splitlines() if line.strip().startswith("ledger ")]
    assert len(commands) >= 6 and all(f"--db {db}" in c for c in commands)
    find = next(c for c in commands if c.startswith("ledger learner find "))
    found = ledger(*find.split()[1:], cwd=tmp_path)
    assert found.returncode == 0 and found.stdout.strip(), found.stderr
    show = next(c for c in commands if c.startswith("ledger learner show "))
    shown = ledger(*show.split()[1:], cwd=tmp_path)
    assert shown.returncode == 0 and "Élève" in shown.stdout, shown.stderr
    assert "http://127.0.0.1:8080/verify" in screen and "http://127.0.0.1:8080/docs" in screen
    # the tokens: in the file, owner-only, never on the screen
    assert stat.S_IMODE(tokens.stat().st_mode) == 0o600
    rows = __import__("json").loads(tokens.read_text(encoding="utf-8"))
    assert rows and all(r["token"] and r["token"] not in screen for r in rows)
    assert str(tokens) in screen
    assert not re.search(r"warn", done.stderr, re.I), done.stderr


def test_demo_screen_in_english_on_request(tmp_path: Path) -> None:
    done = ledger("demo", "--db", str(tmp_path / "d.db"), "--learners", "4", "--lang", "en", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "Demo ready" in done.stdout and "Where to click" in done.stdout and "Où" not in done.stdout


def test_make_demo_prints_no_warning(tmp_path: Path) -> None:
    """``make demo`` (venv already built: the Makefile's own target) without serving."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("LEDGER_")}
    done = subprocess.run(
        [
            "make",
            "--no-print-directory",
            "demo",
            "DEMO_SERVE=0",
            "LEARNERS=8",
            f"DEMO_DB={tmp_path / 'demo.db'}",
            f"DEMO_TOKENS={tmp_path / 'tokens.json'}",
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    output = done.stdout + done.stderr
    assert done.returncode == 0, output
    assert not re.search(r"warn|deprecat|!!", re.sub(r"/\S+", " ", output), re.I), output
    assert "Démonstration prête" in done.stdout
    assert stat.S_IMODE((tmp_path / "tokens.json").stat().st_mode) == 0o600
