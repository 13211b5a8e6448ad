"""``ledger … --help`` through the console script: French by default, English with ``--lang en``.

Oracle: the installed ``ledger`` script's output (every verb's help and example are checked in
``tests/unit/test_cli_help.py``).
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

LEDGER = Path(sys.executable).with_name("ledger")


def test_the_console_scripts_help_is_french_then_english() -> None:
    """What a person types: ``ledger learner find --help`` (and with ``--lang en``)."""

    def run(*args: str) -> str:
        env = {"PATH": str(LEDGER.parent), "LEDGER_LANG": "fr"}
        out = subprocess.run(
            [str(LEDGER), *args], capture_output=True, text=True, env=env, timeout=60, check=False
        )
        assert out.returncode == 0, out.stderr
        return out.stdout

    fr = run("learner", "find", "--help")
    assert "Utilisation :" in fr and "Exemple : ledger learner find" in fr and "Options" in fr
    assert "Show this message" not in fr and "find learners" not in fr
    en = run("learner", "find", "--help", "--lang", "en")
    assert "Usage:" in en and "Example: ledger learner find" in en and "find learners" in en
    assert "Commandes" in run("--help") and "Exemple : " in run("stats", "school", "--help")
