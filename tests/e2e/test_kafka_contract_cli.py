"""`ledger contract write-schemas` as a user runs it: the gate reads released schemas, refuses breaks."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from consumers.contract import SCHEMA_DIR

LEDGER = str(Path(sys.executable).parent / "ledger")
TYPE = "fr.clea.candidate.jury_decided.v1"


def cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([LEDGER, *args], capture_output=True, text=True, timeout=120, check=False)


def test_the_committed_schemas_pass_the_gate_against_git() -> None:
    """--check in this checkout: nothing to write, nothing breaking (exit 0)."""
    done = cli("contract", "write-schemas", "--check", "--json")
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert report["changed"] == [] and report["released"] == "git HEAD"


def test_a_breaking_change_against_a_released_copy_exits_2_and_writes_nothing(tmp_path: Path) -> None:
    """A released copy where a Body value is missing: the models now emit it, so consumers of
    that release would reject new messages (forward); exit 2, the message names type and path."""
    released = tmp_path / "released"
    released.mkdir()
    for path in SCHEMA_DIR.glob("*.json"):
        (released / path.name).write_bytes(path.read_bytes())
    schema = json.loads((released / f"{TYPE}.json").read_text(encoding="utf-8"))
    schema["$defs"]["Body"]["enum"].remove("jury_paritaire")
    (released / f"{TYPE}.json").write_text(json.dumps(schema), encoding="utf-8")
    out = tmp_path / "out"
    done = cli("contract", "write-schemas", "--dir", str(out), "--released-dir", str(released))
    assert done.returncode == 2
    assert f"{TYPE}: $.decision.body: enum value added (+jury_paritaire)" in done.stderr
    assert "new type version" in done.stderr and "Traceback" not in done.stderr
    assert not out.exists()


def test_an_unknown_revision_exits_2() -> None:
    """--against a revision git does not know: a one-line error, exit 2."""
    done = cli("contract", "write-schemas", "--check", "--against", "no-such-release")
    assert done.returncode == 2 and "no-such-release" not in done.stdout
    assert "git rev-list failed" in done.stderr and "Traceback" not in done.stderr
