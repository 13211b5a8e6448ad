"""The ``ledger`` command as users run it: real processes, a real SQLite file."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from functools import partial
from pathlib import Path
from typing import Any

import pytest

from tests.builders import cmd
from tests.procs import concurrently


def ledger_cli(
    *args: str, stdin: str | None = None, db: Path | None = None
) -> subprocess.CompletedProcess[str]:
    """Run ``python -m ledger.cli`` with ``--db`` where the verb takes it."""
    env = {**os.environ, "LEDGER_LOG_LEVEL": "WARNING", "LEDGER_LANG": "en"}
    if db is not None:
        env["LEDGER_DB"] = str(db)
    return subprocess.run(
        [sys.executable, "-m", "ledger.cli", *args],
        input=stdin,
        text=True,
        capture_output=True,
        env=env,
        timeout=300,
        check=False,
    )


def count_events(db: Path) -> int:
    """Rows in the SQLite events table."""
    if not db.exists():
        return 0
    with sqlite3.connect(db) as conn:
        tables = [r[0] for r in conn.execute("select name from sqlite_master where type='table'")]
        table = next(t for t in tables if t.endswith("events") and "snapshot" not in t)
        return int(conn.execute(f"select count(*) from {table}").fetchone()[0])


def lines(*objs: dict[str, Any]) -> str:
    """JSON lines."""
    return "\n".join(json.dumps(o) for o in objs) + "\n"


OPEN = cmd(
    "OpenOption",
    "direction",
    "2018-06-01",
    option_code="mecanicien-polyvalent-automobile",
    first_school_year=2018,
)
LEARNER = "6f1c1d0a-3c8e-4b7e-9a55-0d5f8a3b2c10"
ADMIT = cmd(
    "AdmitLearner",
    "direction",
    "2019-09-01",
    option_code="mecanicien-polyvalent-automobile",
    school_year=2019,
    year=4,
    route="A4_standard",
    learner_id=LEARNER,
)


def test_record_then_query(tmp_path: Path) -> None:
    """Recorded commands appear in events, learner show and their --json forms."""
    db = tmp_path / "l.db"
    done = ledger_cli("record", "-", "--create", "--json", stdin=lines(OPEN, ADMIT), db=db)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["events"] == 2
    shown = ledger_cli("learner", "show", LEARNER, "--json", db=db)
    assert json.loads(shown.stdout)["route"] == "A4_standard"
    events = json.loads(ledger_cli("events", "--json", "--learner", LEARNER, db=db).stdout)
    assert [e["position"] for e in events] == [1]
    assert events[0]["legal_basis"] == "AGCF-2018-08-29 art. 5 §2"


@pytest.mark.parametrize(
    ("payload", "message"),
    [
        ('{"command": "OpenOption", ', "malformed JSON"),
        ('{"command": "Nope"}', "unknown command 'Nope'"),
        (
            '{"command": "OpenOption", "actor_id": "x", "actor_role": "head_of_school", '
            '"body": "direction", "effective_date": "yesterday", "fase": 209, '
            '"option_code": "macon", "first_school_year": 2018}',
            "effective_date",
        ),
        (json.dumps({**OPEN, "fase": 4242}), "unknown school (FASE): 4242"),
        (json.dumps({**OPEN, "option_code": "astronaute"}), "unknown option: astronaute"),
    ],
)
def test_bad_input_exit_2_nothing_written(tmp_path: Path, payload: str, message: str) -> None:
    """Malformed, unknown or mistyped commands: exit 2, a clear message, no traceback, no write."""
    db = tmp_path / "l.db"
    done = ledger_cli("record", "-", "--create", stdin=lines(OPEN) + payload + "\n", db=db)
    assert done.returncode == 2
    assert message in done.stderr and "Traceback" not in done.stderr
    assert count_events(db) == 0


def test_refused_decision_names_rule_and_article_and_writes_nothing(tmp_path: Path) -> None:
    """A refusal anywhere in the file: exit 2, rule and article named, nothing of the file written."""
    db = tmp_path / "l.db"
    late = cmd(
        "AdmitLearner",
        "direction",
        "2019-09-01",
        option_code="mecanicien-polyvalent-automobile",
        school_year=2019,
        year=5,
        route="A4_standard",
    )
    done = ledger_cli("record", "-", "--create", stdin=lines(OPEN, ADMIT, late), db=db)
    assert done.returncode == 2
    assert "command 3" in done.stderr and "admission_route_for_year" in done.stderr
    assert "art. 5 §2" in done.stderr
    assert count_events(db) == 0


def test_unknown_learner_and_bad_id(tmp_path: Path) -> None:
    """Queries on unknown or malformed ids exit 2 with a message."""
    db = tmp_path / "l.db"
    ledger_cli("record", "-", "--create", stdin=lines(OPEN), db=db)
    unknown = ledger_cli("learner", "show", "00000000-0000-4000-8000-000000000000", db=db)
    assert unknown.returncode == 2 and "unknown learner" in unknown.stderr
    bad = ledger_cli("learner", "show", "not-a-uuid", db=db)
    assert bad.returncode == 2 and "not a valid learner id" in bad.stderr
    arg = ledger_cli("events", "--since", "June", db=db)
    assert arg.returncode == 2 and "not a date" in arg.stderr and "DD/MM/YYYY" in arg.stderr


def test_every_verb_has_help() -> None:
    """``--help`` works on every verb."""
    verbs = (
        ["demo"],
        ["record"],
        ["schema", "commands"],
        ["learner", "show"],
        ["certificate", "list"],
        ["certificate", "show"],
        ["events"],
    )
    answers = concurrently(partial(ledger_cli, *verb, "--help") for verb in verbs)
    for verb, done in zip(verbs, answers, strict=True):
        assert done.returncode == 0 and "usage: ledger" in done.stdout.lower(), verb


def test_schema_commands_lists_every_command() -> None:
    """``ledger schema commands`` prints a JSON Schema with every command."""
    schema = json.loads(ledger_cli("schema", "commands").stdout)
    assert {"AdmitLearner", "ValidateUnit", "IssueCertificate"} <= set(schema["$defs"])


def test_demo_is_deterministic_and_queryable(tmp_path: Path) -> None:
    """Same seed, same events (apart from recording times); the cohort is queryable."""

    def demo_then_events(db: Path) -> list[Any]:
        done = ledger_cli("demo", "--learners", "60", "--candidates", "30", "--seed", "7", "--json", db=db)
        assert done.returncode == 0, done.stderr
        summary = json.loads(done.stdout)
        events = json.loads(ledger_cli("events", "--json", db=db).stdout)
        return [
            (summary["events_by_type"], summary["certificates"]),
            [(e["type"], e["aggregate_id"], e["effective_date"]) for e in events],
        ]

    # two separate stores: the two runs are independent, so they run side by side
    runs = concurrently(partial(demo_then_events, tmp_path / name) for name in ("a.db", "b.db"))
    outputs = [part for run in runs for part in run]
    assert outputs[0] == outputs[2] and outputs[1] == outputs[3]
    summary = json.loads(ledger_cli("demo", "--learners", "5", "--json", db=tmp_path / "a.db").stdout or "{}")
    assert summary == {}  # the demo refuses a store that already holds events
    certs = json.loads(ledger_cli("certificate", "list", "--json", db=tmp_path / "a.db").stdout)
    assert certs and {"CQ"} <= {c["kind"] for c in certs}
    learner = certs[0]["learner_id"]
    shown = json.loads(ledger_cli("learner", "show", learner, "--json", db=tmp_path / "a.db").stdout)
    assert shown["learner_id"] == learner
    one = json.loads(
        ledger_cli("certificate", "show", certs[0]["certificate_id"], "--json", db=tmp_path / "a.db").stdout
    )
    assert one["certificate_id"] == certs[0]["certificate_id"]
    clea = next(c for c in certs if c["kind"] == "clea")
    french = ledger_cli("learner", "show", clea["learner_id"], db=tmp_path / "a.db")
    assert french.returncode == 0, french.stderr
    assert "La communication en français" in french.stdout and "window:" in french.stdout
    belgian = ledger_cli("learner", "show", learner, db=tmp_path / "a.db")
    assert "UAA1" in belgian.stdout and "FASE" in belgian.stdout


def test_no_personal_data_in_events(tmp_path: Path) -> None:
    """Names, birth dates and national numbers stay out of the event log."""
    db = tmp_path / "l.db"
    admit = {
        **ADMIT,
        "identity": {
            "given_name": "Zéphyrine",
            "family_name": "Vandersmissen",
            "birth_date": "2004-02-29",
            "national_number": "04022912345",
        },
    }
    assert ledger_cli("record", "-", "--create", stdin=lines(OPEN, admit), db=db).returncode == 0
    with sqlite3.connect(db) as conn:
        dump = "\n".join(conn.iterdump())
    events_part = "\n".join(line for line in dump.splitlines() if "learner_identity" not in line)
    for value in ("Zéphyrine", "Vandersmissen", "2004-02-29", "04022912345"):
        assert value not in events_part
    shown = json.loads(ledger_cli("learner", "show", LEARNER, "--json", "--with-identity", db=db).stdout)
    assert shown["identity"]["family_name"] == "Vandersmissen"


def test_deadlines_check_records_missed_deadlines_once(tmp_path: Path) -> None:
    """An AOB pupil back in 4th (C2D) without PSSA or decision: both deadlines, recorded once."""
    db = tmp_path / "l.db"
    c2d = [
        cmd("IssueAttestation", "conseil_classe", "2020-06-25", learner_id=LEARNER, kind="AOB"),
        cmd("RepeatYear", "conseil_classe", "2020-09-01", learner_id=LEARNER),
    ]
    assert ledger_cli("record", "-", "--create", stdin=lines(OPEN, ADMIT, *c2d), db=db).returncode == 0
    listed = json.loads(ledger_cli("deadlines", "check", "--as-of", "2021-02-01", "--json", db=db).stdout)
    assert sorted((r["kind"], r["due_by"]) for r in listed) == [
        ("c2d_decision", "2021-01-14"),
        ("pssa", "2020-10-14"),
    ]
    before = count_events(db)
    done = ledger_cli("deadlines", "check", "--as-of", "2021-02-01", "--record", db=db)
    assert done.returncode == 0 and count_events(db) == before + 2
    again = ledger_cli("deadlines", "check", "--as-of", "2021-03-01", "--record", "--json", db=db)
    assert all(r["recorded"] for r in json.loads(again.stdout)) and count_events(db) == before + 2
    shown = json.loads(ledger_cli("learner", "show", LEARNER, "--json", db=db).stdout)
    assert sorted(m["kind"] for m in shown["missed_deadlines"]) == ["c2d_decision", "pssa"]
