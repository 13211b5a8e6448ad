"""``ledger import`` (bulk import of a historical registry) accepts exactly what ``ledger record`` accepts.

Both run as the installed console script on fresh SQLite stores, side by side on the same
input: a synthetic cohort (same events, in the same order, apart from the recording time),
the law's table cases (lawful ones imported, each unlawful one refused by both with exit 2
naming the same rule and article, nothing written), and bad lines (malformed JSON, an unknown
command, a schema violation) refused by both naming the line.
"""

from __future__ import annotations

import json
import random
import sqlite3
from pathlib import Path
from typing import Any

import pytest

from ledger.cli import main
from ledger.demo.cpu import cpu_commands
from ledger.domain.rules import CATALOGUE
from tests.e2e.test_law_cli import BASE, BUILDERS, REFUSING, jsonl, ledger, one_run


def stored(db: Path) -> list[tuple[Any, ...]]:
    """Every stored event in log order, without its recording times (event timestamp, decision)."""
    if not db.exists():
        return []
    with sqlite3.connect(db) as conn:
        rows = conn.execute(
            "SELECT originator_id, originator_version, topic, state FROM stored_events ORDER BY rowid"
        ).fetchall()
    out = []
    for originator, version, topic, state in rows:
        body = json.loads(state)
        body.pop("timestamp", None)
        body.get("decision", {}).pop("recorded_at", None)
        out.append((originator, version, topic, body))
    return out


def both(tmp_path: Path, tag: str, lines: str) -> tuple[Any, Any, Path, Path]:
    """Run ``ledger record --batch 50`` and ``ledger import`` on the same lines, fresh stores."""
    rec_db, imp_db = tmp_path / f"{tag}-record.db", tmp_path / f"{tag}-import.db"
    rec = ledger("record", "-", "--batch", "50", db=rec_db, stdin=lines)
    imp = ledger("import", "-", "--json", "--batch", "7", db=imp_db, stdin=lines)
    return rec, imp, rec_db, imp_db


def test_import_writes_what_record_writes_for_a_cohort(tmp_path: Path) -> None:
    """A rule-abiding cohort: the same events, same order, same payloads."""
    commands = [
        c for c in cpu_commands(random.Random(3), 12) if "certificate_ref" not in c and "revoke_ref" not in c
    ]
    rec, imp, rec_db, imp_db = both(tmp_path, "cohort", jsonl(commands))
    assert rec.returncode == 0, rec.stderr
    assert imp.returncode == 0, imp.stderr
    summary = json.loads(imp.stdout)
    events = stored(rec_db)
    assert summary["commands"] == len(commands) and summary["events"] == len(events) >= len(commands) > 0
    assert stored(imp_db) == events


def test_import_accepts_and_refuses_the_law_cases_as_record_does(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The law's table cases: lawful ones imported identically, each unlawful one refused by both.

    Oracle: ``ledger record --keep-going`` through the console script, all the cases in one run
    (as tests/e2e/test_law_cli.py). The lawful cases and one refused case go through the
    ``ledger import`` console script too; each other refused case runs the same CLI entry point
    (``ledger.cli.main``) in process, on its own fresh store: one interpreter start-up instead
    of ninety (start-up is ~1.5 s of CPU each, minutes of the suite).
    """
    lawful: list[dict[str, Any]] = list(BASE)
    for c in (c for c in REFUSING if c.allowed):
        setup, target = BUILDERS[c.rule](c)
        lawful += [*setup, target]
    rec, imp, rec_db, imp_db = both(tmp_path, "lawful", jsonl(lawful))
    assert (rec.returncode, imp.returncode) == (0, 0), (rec.stderr, imp.stderr)
    assert stored(imp_db) == stored(rec_db)

    monkeypatch.setenv("LEDGER_LANG", "en")  # the in-process runs below read English messages
    lines, targets = one_run(REFUSING)
    done = ledger("record", "-", "--keep-going", "--json", db=tmp_path / "all.db", stdin=jsonl(lines))
    record_says = {r["command"]: r["error"] for r in json.loads(done.stdout)["refused"]}
    assert set(record_says) == set(targets), done.stdout[-2000:]
    for n, (number, c) in enumerate(sorted(targets.items())):
        setup, target = BUILDERS[c.rule](c)
        lines_of_case = jsonl([*BASE, *setup, target])  # the refused command comes last
        db = tmp_path / f"{c.id.replace(':', '_')}.db"
        if n == 0:
            imp = ledger("import", "-", "--json", "--batch", "7", db=db, stdin=lines_of_case)
            code, stderr = imp.returncode, imp.stderr
        else:
            source = db.with_suffix(".jsonl")
            source.write_text(lines_of_case, encoding="utf-8")
            capsys.readouterr()
            code = main(
                ["import", str(source), "--json", "--batch", "7", "--create", "--lang", "en", "--db", str(db)]
            )
            stderr = capsys.readouterr().err
        rule = CATALOGUE[c.rule]
        # a shared rule cites the regime's article (e.g. the body's power); a regime rule its act
        act = rule.article.split(" ")[0] if rule.regime != "shared" else ""
        assert code == 2, (c.id, stderr)
        assert f"refused by rule {rule.name} ({act}" in stderr, (c.id, stderr)
        assert "Traceback" not in stderr
        assert stored(db) == [], c.id  # nothing at all written, though lawful commands came first
        # Same message after the position ("line N" for import, "command N" for record).
        assert stderr.strip().split(": ", 2)[2] == record_says[number].split(": ", 1)[1], (c.id, stderr)


@pytest.mark.parametrize(
    ("bad", "says"),
    [
        ("{not json", "malformed JSON"),
        ('{"command": "Nonsense"}', "unknown command"),
        ('{"command": "OpenOption"}', "OpenOption"),
    ],
)
def test_import_refuses_bad_lines_as_record_does(tmp_path: Path, bad: str, says: str) -> None:
    """A bad line after good ones: both refuse (exit 2) naming the line, nothing written."""
    lines = jsonl(BASE) + bad + "\n"
    rec, imp, rec_db, imp_db = both(tmp_path, "bad", lines)
    for done, db in ((rec, rec_db), (imp, imp_db)):
        assert done.returncode == 2, done.stderr
        assert f"line {len(BASE) + 1}" in done.stderr and says in done.stderr
        assert stored(db) == []
