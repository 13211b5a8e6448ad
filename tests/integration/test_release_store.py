"""A store written by the release before the redesign replays, verifies and prints the same JSON."""

from __future__ import annotations

import gzip
import json
import os
import subprocess
import sys
from pathlib import Path

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
LEDGER = Path(sys.executable).with_name("ledger")


def _release_store(tmp_path: Path) -> Path:
    db = tmp_path / "release.db"
    db.write_bytes(gzip.decompress((FIXTURES / "release-store.db.gz").read_bytes()))
    return db


def _run(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("LEDGER_")}
    return subprocess.run(
        [str(LEDGER), *args], cwd=cwd, text=True, capture_output=True, env=env, timeout=300, check=False
    )


def test_release_store_verifies_and_prints_what_the_release_printed(tmp_path: Path) -> None:
    """Leaves recomputed from the stored events match the release's signed log; outputs equal."""
    db = _release_store(tmp_path)
    expected = json.loads(gzip.decompress((FIXTURES / "release-outputs.json.gz").read_bytes()))
    vkey = (FIXTURES / "release-vkey.txt").read_text(encoding="utf-8").strip()
    verified = _run("audit", "verify", "--db", str(db), "--key", vkey, "--json", cwd=tmp_path)
    assert verified.returncode == 0, verified.stderr
    assert json.loads(verified.stdout)["events_checked"] == len(expected["events"])
    assert json.loads(_run("events", "--json", "--db", str(db), cwd=tmp_path).stdout) == expected["events"]
    assert (
        json.loads(_run("certificate", "list", "--json", "--db", str(db), cwd=tmp_path).stdout)
        == expected["certificate list"]
    )
    _assert_release_schema_kept(json.loads(_run("schema", "commands", cwd=tmp_path).stdout), expected)
    for holder, dossier in list(expected["learner show --as-of-effective"].items())[:6]:
        shown = _run(
            "learner",
            "show",
            holder,
            "--as-of-effective",
            "2100-01-01",
            "--json",
            "--db",
            str(db),
            cwd=tmp_path,
        )
        now = json.loads(shown.stdout)
        added = LAW_DOSSIER_KEYS if dossier.get("regime") == "CPU" else set()
        assert set(now) - set(dossier) == added, holder  # additive, issue 18 phase 2
        assert {k: now[k] for k in dossier} == dossier, holder
    for cert, history in list(expected["certificate history"].items())[:3]:
        shown = _run("certificate", "history", cert, "--json", "--db", str(db), cwd=tmp_path)
        assert json.loads(shown.stdout) == history, cert
    stats = _run("stats", "clea", "--today", "2100-01-01", "--json", "--db", str(db), cwd=tmp_path)
    assert json.loads(stats.stdout) == expected["stats clea --today"]


# Issue 18 phase 2 adds commands, one optional admission field and three dossier keys; issue 16
# adds the optional national register number a transfer presents; every released command and
# dossier key is otherwise printed exactly as the release printed it.
LAW_COMMANDS = {"PublishProfile", "LodgeAppeal", "DecideAppeal", "RecordYearFlags", "CheckCreationNorm"}
# issue 19: a candidate's identity can be erased; a dossier is submitted to one jury (SubmitToJury)
LATER_COMMANDS = {"EraseCandidate", "SubmitToJury"}
LAW_DOSSIER_KEYS = {"flags", "appeals", "uaa_titles_note", "profile_source"}


def _assert_release_schema_kept(now: dict[str, object], expected: dict[str, dict[str, object]]) -> None:
    released = expected["schema commands"]
    defs, old_defs = now["$defs"], released["$defs"]
    assert isinstance(defs, dict) and isinstance(old_defs, dict)
    assert set(defs) - set(old_defs) == LAW_COMMANDS | LATER_COMMANDS and set(old_defs) <= set(defs)
    added = {  # optional fields added since (issues 18, 19): additive only
        "AdmitLearner": ("reoriented_from", "aob_excluded_orientations"),
        "TransferLearner": ("national_register_number",),
        "IssueAttestation": ("excluded_orientations",),
        "RegisterCandidate": ("identity",),
    }
    for name, fields in added.items():
        grown = json.loads(json.dumps(defs[name]))
        for field in fields:
            del grown["properties"][field]
        for nested in set(grown.get("$defs", {})) - set(old_defs[name].get("$defs", {})):
            del grown["$defs"][nested]  # a model only the added field uses (Identity)
        assert grown == old_defs[name], name
    assert {k: defs[k] for k in old_defs if k not in added} == {
        k: v for k, v in old_defs.items() if k not in added
    }
    assert {k: v for k, v in now.items() if k not in {"$defs", "oneOf"}} == {
        k: v for k, v in released.items() if k not in {"$defs", "oneOf"}
    }
