"""Issue 15's checks through the installed console script (``.venv/bin/ledger``)."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from datetime import date
from functools import partial
from pathlib import Path
from typing import Any

import pytest

from ledger.application.registry import command_names, parse_command
from ledger.demo.cpu import demo_commands
from tests.procs import concurrently

LEDGER = Path(sys.executable).with_name("ledger")
NIL = "00000000-0000-4000-8000-000000000001"
CREATES = {
    "OpenOption",
    "RegisterEvaluatorOrganisation",
    "RegisterTrainingOrganisation",
    "RegisterBranchJury",
}


def ledger(
    *args: str, cwd: Path, stdin: str | None = None, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """Run the console script in ``cwd`` with no key variable set."""
    base = {k: v for k, v in os.environ.items() if not k.startswith("LEDGER_")}
    return subprocess.run(
        [str(LEDGER), *args],
        cwd=cwd,
        input=stdin,
        text=True,
        capture_output=True,
        env={**base, "LEDGER_LANG": "en", **(env or {})},
        timeout=120,
        check=False,
    )


def minimal_commands() -> dict[str, dict[str, Any]]:
    """One schema-valid command per name: the demo's first of each, the rest derived from it."""
    found: dict[str, dict[str, Any]] = {}
    for raw in demo_commands(1, 60, 30, date(2026, 11, 1)):
        body = {k: v for k, v in raw.items() if k not in {"certificate_ref", "revoke_ref"}}
        if "certificate_ref" in raw:
            body["certificate_id"] = NIL
        if "revoke_ref" in raw:
            body["target_version"] = 1
        found.setdefault(raw["command"], body)
    learner = {
        k: found["PromoteLearner"][k]
        for k in ("learner_id", "actor_id", "actor_role", "body", "effective_date", "fase")
    }
    found["StartReorientationSupport"] = {**learner, "command": "StartReorientationSupport"}
    found["GiveFormalNotice"] = {
        **learner,
        "command": "GiveFormalNotice",
        "body": "administration",
        "actor_role": "administration",
    }
    found["EraseLearner"] = {
        **learner,
        "command": "EraseLearner",
        "body": "administration",
        "actor_role": "administration",
        "reason": "lawful request",
    }
    found["RecordMissedDeadline"] = {
        **learner,
        "command": "RecordMissedDeadline",
        "kind": "pssa",
        "body": "administration",
        "actor_role": "system",
    }
    found.setdefault(  # the law branch's demo (seed 1, 60 learners) revokes no decision
        "RevokeDecision", {**learner, "command": "RevokeDecision", "target_version": 1, "reason": "error"}
    )
    admin = {**learner, "body": "administration", "actor_role": "administration"}
    found["PublishProfile"] = {
        **{k: v for k, v in admin.items() if k != "learner_id"},
        "command": "PublishProfile",
        "profile": {"obg": "Maçon"},
    }
    found["LodgeAppeal"] = {**admin, "command": "LodgeAppeal", "target_version": 1}
    found["DecideAppeal"] = {**admin, "command": "DecideAppeal", "target_version": 1, "outcome": "confirmed"}
    found["RecordYearFlags"] = {**admin, "command": "RecordYearFlags", "school_year": 2019, "study_year": 4}
    found["CheckCreationNorm"] = {
        **{k: v for k, v in admin.items() if k != "learner_id"},
        "command": "CheckCreationNorm",
        "option_code": "macon",
        "fourth_year_pupils": 12,
    }
    cand = {
        k: found["RecordAccrochage"][k]
        for k in ("candidate_id", "actor_id", "actor_role", "body", "effective_date")
    }
    found["RevokeCleaCertificate"] = {
        **cand,
        "command": "RevokeCleaCertificate",
        "certificate_id": NIL,
        "reason": "fraud",
    }
    found["RevokeCleaDecision"] = {
        **cand,
        "command": "RevokeCleaDecision",
        "target_version": 1,
        "reason": "error",
    }
    found["EraseCandidate"] = {
        **cand,
        "command": "EraseCandidate",
        "body": "certifpro",
        "actor_role": "certifier",
        "reason": "lawful request",
    }
    return found


def test_every_listed_command_is_accepted_by_record(tmp_path: Path) -> None:
    """Every name of `ledger schema commands` parses in `ledger record` (CléA included)."""
    listed = sorted(json.loads(ledger("schema", "commands", cwd=tmp_path).stdout)["$defs"])
    # 37 + the 5 of issue 18 phase 2 + EraseCandidate + SubmitToJury
    assert listed == command_names() and len(listed) == 44
    commands = minimal_commands()
    assert sorted(commands) == listed
    for name in listed:
        parse_command(commands[name])  # schema-valid in-process first
    # one `ledger record --keep-going` call: the creating commands first (on the empty store
    # they must be recorded), then every other one, recorded or refused by a rule; an unknown
    # name or an unparsable line would stop the whole file before anything is recorded
    order = sorted(CREATES) + sorted(set(listed) - CREATES)
    done = ledger(
        "record",
        "-",
        "--create",
        "--keep-going",
        "--json",
        "--db",
        "store.db",
        cwd=tmp_path,
        stdin="".join(json.dumps(commands[name]) + "\n" for name in order),
    )
    assert "unknown command" not in done.stderr and not re.search(r"line \d+:", done.stderr), done.stderr
    assert "Traceback" not in done.stderr and done.returncode in (0, 2), done.stderr
    report = json.loads(done.stdout)
    recorded = [o["command"] for o in report["outcomes"]]
    refused = {r["command"]: r["error"] for r in report["refused"]}
    assert recorded[: len(CREATES)] == sorted(CREATES), report
    assert len(recorded) + len(refused) == len(order), report  # every line accounted for
    assert set(refused) <= set(range(1, len(order) + 1)), refused
    assert all(f"command {i}:" in refused[i] for i in refused), refused


def test_identity_is_read_back_from_another_working_directory(tmp_path: Path) -> None:
    """Same --db, another folder, no LEDGER_KEY_DIR: the identity decrypts (keys beside the store)."""
    store = tmp_path / "data" / "ledger.db"
    first, second = tmp_path / "one", tmp_path / "two"
    first.mkdir()
    second.mkdir()
    learner = "6f1c1d0a-3c8e-4b7e-9a55-0d5f8a3b2c10"
    base = {"actor_id": "direction-1", "actor_role": "head_of_school", "body": "direction", "fase": 209}
    lines = [
        {
            **base,
            "command": "OpenOption",
            "effective_date": "2018-06-01",
            "option_code": "mecanicien-polyvalent-automobile",
            "first_school_year": 2018,
        },
        {
            **base,
            "command": "AdmitLearner",
            "effective_date": "2019-09-01",
            "learner_id": learner,
            "option_code": "mecanicien-polyvalent-automobile",
            "school_year": 2019,
            "year": 4,
            "route": "A4_standard",
            "identity": {"given_name": "Amina", "family_name": "Diallo", "birth_date": "2004-05-01"},
        },
    ]
    done = ledger(
        "record",
        "-",
        "--create",
        "--db",
        str(store),
        cwd=first,
        stdin="".join(json.dumps(x) + "\n" for x in lines),
    )
    assert done.returncode == 0, done.stderr
    shown = ledger("learner", "show", learner, "--with-identity", "--json", "--db", str(store), cwd=second)
    assert shown.returncode == 0, shown.stderr
    assert json.loads(shown.stdout)["identity"]["family_name"] == "Diallo"
    relative = ledger(
        "learner", "show", learner, "--with-identity", "--json", "--db", "../data/ledger.db", cwd=second
    )
    assert json.loads(relative.stdout)["identity"]["given_name"] == "Amina"
    assert not (first / ".ledger").exists() and not (second / ".ledger").exists()
    assert (store.parent / ".ledger" / "keys" / "identity" / "kek").is_file()


def _verbs(tree: Any, path: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    import typer

    from ledger.cli import build_app

    command: Any = typer.main.get_command(build_app()) if tree is None else tree
    subs = getattr(command, "commands", None)
    if not subs:
        return [path]
    out: list[tuple[str, ...]] = []
    for name, sub in sorted(subs.items()):
        out += _verbs(sub, (*path, name))
    return out


@pytest.mark.slow
def test_every_verb_has_help(tmp_path: Path) -> None:
    """`--help` answers (exit 0, a usage line) on every verb, plug-ins' verbs included."""
    verbs = _verbs(None)
    assert {
        ("relay", "run"),
        ("projections", "run"),
        ("certificate", "history"),
        ("stats", "school"),
        ("audit", "verify"),
        ("credential", "keys", "show"),
    } <= set(verbs)
    answers = concurrently(partial(ledger, *verb, "--help", cwd=tmp_path) for verb in verbs)
    for verb, done in zip(verbs, answers, strict=True):
        assert done.returncode == 0 and "usage: ledger" in done.stdout.lower(), (verb, done.stderr)
