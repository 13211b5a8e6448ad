"""Unknown entities read in French through the installed ``ledger`` console script.

A secretary who mistypes an id reads « erreur : certificat inconnu : … » (exit 2), not the
English of the library; ``--lang en`` / ``LEDGER_LANG=en`` gives the English unchanged. A sample
of kinds: certificate, history read model, learner, log position, candidate and school (FASE)
in a bulk ``record`` run (with its ``commande N :`` position).
"""

from __future__ import annotations

import json
from pathlib import Path

from tests.e2e.test_french_secretary import english_words, ledger

NOBODY = "6f1c1d0a-3c8e-4b7e-9a55-0d5f8a3b2c10"
COMMANDS = [
    {
        "command": "RecordCleaDeadlineMissed",
        "actor_id": "certifpro-agent-1",
        "actor_role": "certifier",
        "body": "certifpro",
        "effective_date": "2024-05-01",
        "candidate_id": NOBODY,
        "kind": "accrochage",
    },
    {
        "command": "AdmitLearner",
        "option_code": "7514",
        "school_year": 2024,
        "year": 5,
        "route": "A5_same_option",
        "identity": {
            "given_name": "Anna",
            "family_name": "Peeters",
            "birth_date": "2008-03-01",
            "national_number": "08030112345",
        },
        "learner_id": "1f1c1d0a-3c8e-4b7e-9a55-0d5f8a3b2c11",
        "actor_id": "head_of_school-99999",
        "actor_role": "head_of_school",
        "body": "direction",
        "fase": 99999,
        "effective_date": "2024-09-01",
    },
]
CASES = [  # (arguments, French line, English line)
    (("certificate", "show", NOBODY), f"certificat inconnu : {NOBODY}", f"unknown certificate: {NOBODY}"),
    (
        ("certificate", "history", NOBODY),
        f"certificat inconnu (dans le modèle de lecture de l'historique) : {NOBODY}",
        f"unknown certificate (in the history read model): {NOBODY}",
    ),
    (("learner", "show", NOBODY), f"élève inconnu : {NOBODY}", f"unknown learner: {NOBODY}"),
    (
        ("audit", "prove", "--position", "99999"),
        "position inconnue : 99999 (le journal compte",
        "unknown position: 99999 (the log has",
    ),
]


def test_unknown_entities_read_in_french_and_english(tmp_path: Path) -> None:
    made = ledger("demo", "--learners", "2", "--candidates", "1", "--seed", "3", "--db", "d.db", cwd=tmp_path)
    assert made.returncode == 0, made.stderr
    for args, french, english in CASES:
        fr = ledger(*args, "--db", "d.db", cwd=tmp_path)
        assert fr.returncode == 2, (args, fr)
        assert f"erreur : {french}" in fr.stderr, (args, fr.stderr)
        assert "unknown" not in fr.stderr and not english_words(fr.stderr), (args, fr.stderr)
        en = ledger(*args, "--db", "d.db", cwd=tmp_path, lang="en")
        assert en.returncode == 2 and f"error: {english}" in en.stderr, (args, en.stderr)
    source = tmp_path / "cmds.jsonl"
    source.write_text("".join(json.dumps(c) + "\n" for c in COMMANDS), encoding="utf-8")
    fr = ledger("record", str(source), "--keep-going", "--db", "d.db", cwd=tmp_path)
    assert fr.returncode == 2, fr
    assert f"erreur : commande 1 : candidat inconnu : {NOBODY}" in fr.stderr, fr.stderr
    assert "erreur : commande 2 : établissement inconnu (FASE) : 99999" in fr.stderr, fr.stderr
    en = ledger("record", str(source), "--keep-going", "--lang", "en", "--db", "d.db", cwd=tmp_path)
    assert f"error: command 1: unknown candidate: {NOBODY}" in en.stderr, en.stderr
    assert "error: command 2: unknown school (FASE): 99999" in en.stderr, en.stderr
