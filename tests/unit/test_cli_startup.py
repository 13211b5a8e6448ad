"""The ``ledger`` command starts fast: heavy libraries load only in the verbs that use them.

Checked on ``sys.modules`` in a fresh interpreter (a subprocess), not by timing.
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

HEAVY = ("fastapi", "pyld", "kafka", "uvicorn", "eventsourcing", "cryptography", "psycopg")


def loaded_after(code: str) -> list[str]:
    """The heavy top-level packages present in ``sys.modules`` after running ``code``."""
    probe = (
        "import contextlib, io, json, sys\n"
        f"{code}\n"
        f"print(json.dumps(sorted({{m.split('.')[0] for m in sys.modules}} & set({HEAVY!r}))))"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    found: list[str] = json.loads(done.stdout.strip().splitlines()[-1])
    return found


def test_importing_the_cli_loads_no_heavy_library() -> None:
    assert loaded_after("import ledger.cli") == []


def test_registering_every_verb_and_plugin_loads_no_heavy_library() -> None:
    # build_app registers the core verbs and discovers the projections and consumers plug-ins.
    assert loaded_after("from ledger.cli import build_app; build_app()") == []


@pytest.mark.parametrize("argv", [["--help"], ["credential", "--help"], ["projections", "--help"]])
def test_help_loads_no_heavy_library(argv: list[str]) -> None:
    code = (
        "from ledger.cli import main\n"
        f"with contextlib.redirect_stdout(io.StringIO()): assert main({argv!r}) == 0"
    )
    assert loaded_after(code) == []


def test_a_verb_still_loads_what_it_needs() -> None:
    # The probe can fail: running a verb that opens the store must load the event store library.
    code = (
        "from ledger.cli import main\n"
        "with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):\n"
        "    main(['events', '--db', ':memory:', '--limit', '1'])"
    )
    assert "eventsourcing" in loaded_after(code)
