"""A school secretary, through the installed ``ledger`` console script, in French.

She admits a learner, records a year of decisions naming the learner by the short id that
``ledger learner find`` printed (never a UUID typed by hand), finds her again by name, birth date
and national number, and reads her dossier: no English word in what she reads. The same
through ``--lang en`` speaks English. The oracle is the console script's own output.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import sqlite3
import subprocess
import sys
from functools import partial
from pathlib import Path
from typing import Any

import pytest

from tests.builders import ROLE
from tests.procs import concurrently

OPTION = "mecanicien-polyvalent-automobile"
FASE = 209
SCRIPT = shutil.which("ledger", path=str(Path(sys.executable).parent)) or "ledger"

# English words that must never reach a French reader (whole words, lower case).
ENGLISH = {
    "recorded",
    "learner",
    "learners",
    "found",
    "school",
    "year",
    "validated",
    "status",
    "by",
    "attempts",
    "born",
    "deadline",
    "certificate",
    "error",
    "the",
    "of",
    "and",
    "event",
    "events",
    "admitted",
    "opened",
    "unit",
    "test",
    "pending",
    "failed",
}


def ledger(
    *args: str, cwd: Path, stdin: str | None = None, lang: str | None = None
) -> subprocess.CompletedProcess[str]:
    """The installed console script in ``cwd`` (no LEDGER_* variable leaking in)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("LEDGER_")}
    env["LEDGER_LOG_LEVEL"] = "WARNING"
    if lang:
        env["LEDGER_LANG"] = lang
    return subprocess.run(
        [SCRIPT, *args],
        input=stdin,
        text=True,
        capture_output=True,
        cwd=cwd,
        env=env,
        timeout=120,
        check=False,
    )


def cmd(name: str, body: str, when: str, **fields: Any) -> str:
    return json.dumps(
        {
            "command": name,
            "actor_id": f"{body}-1",
            "actor_role": ROLE[body],
            "body": body,
            "effective_date": when,
            "fase": FASE,
            **fields,
        }
    )


def english_words(text: str) -> set[str]:
    """English words of ``text`` outside ids, option codes, commands to type and their flags."""
    cleaned = re.sub(
        r"[0-9a-f]{8}(-[0-9a-f]{4}){3}-[0-9a-f]{12}|--[a-z-]+|mecanicien-polyvalent-automobile"
        r"|\bledger(?: [a-z-]+){1,2}",
        " ",
        text,
    )
    raw_keys = set(re.findall(r"\b[a-z]+(?:_[a-z0-9]+)+\b", cleaned))  # a stored code shown as is
    return raw_keys | {w for w in re.findall(r"[a-zà-ÿ]+", cleaned.lower()) if w in ENGLISH}


def year_of_decisions(short: str) -> str:
    """A 4th year of a learner named by the short id ``short``: two UAA, then an AOA."""
    lines = []
    for uaa, when in (("UAA1", "2019-11-10"), ("UAA2", "2020-03-10")):
        lines += [
            cmd(
                "AuthoriseTest",
                "jury_qualification",
                when,
                learner_id=short,
                uaa=uaa,
                representatives_informed=True,
            ),
            cmd("RecordAttempt", "jury_delegate", when, learner_id=short, uaa=uaa, passed=True),
            cmd("ValidateUnit", "jury_delegate", when, learner_id=short, uaa=uaa),
        ]
    lines.append(cmd("IssueAttestation", "conseil_classe", "2020-06-25", learner_id=short, kind="AOA"))
    return "\n".join(lines) + "\n"


def admit_lea(home: Path) -> str:
    """Open the option and admit Léa Dupont; return what the secretary read."""
    admission = "\n".join(
        [
            cmd("OpenOption", "direction", "2018-06-01", option_code=OPTION, first_school_year=2018),
            cmd(
                "AdmitLearner",
                "direction",
                "2019-09-01",
                option_code=OPTION,
                school_year=2019,
                year=4,
                route="A4_standard",
                identity={
                    "given_name": "Léa",
                    "family_name": "Dupont",
                    "birth_date": "2005-06-28",
                    "national_number": "05062812345",
                },
            ),
        ]
    )
    done = ledger("record", "-", "--db", "ecole.db", "--create", cwd=home, stdin=admission + "\n")
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_secretary_admits_records_a_year_and_finds_her_again_in_french(tmp_path: Path) -> None:
    admitted = admit_lea(tmp_path)
    assert "Élève admis : " in admitted and "Option ouverte : " in admitted
    assert "2 décisions enregistrées" in admitted

    found = ledger("learner", "find", "dupont", "léa", "--db", "ecole.db", cwd=tmp_path)
    assert found.returncode == 0, found.stderr
    assert "28 juin 2005" in found.stdout and "1 élève trouvé" in found.stdout
    short = re.search(r"^([0-9a-f]{8})\s+Dupont Léa", found.stdout, re.M)
    assert short, found.stdout
    # the id printed on admission is the one found
    assert f"Élève admis : {short.group(1)}" in admitted

    year = ledger("record", "-", "--db", "ecole.db", cwd=tmp_path, stdin=year_of_decisions(short.group(1)))
    assert year.returncode == 0, year.stderr
    assert year.stdout.count("UAA validée : ") == 2
    assert "Attestation délivrée : " in year.stdout

    # found again by birth date (French format) and by national number; accents and case ignored
    by_birth = ledger("learner", "find", "--born", "28/06/2005", "--db", "ecole.db", cwd=tmp_path)
    by_number = ledger(
        "learner", "find", "--national-number", "05.06.28-123.45", "--db", "ecole.db", cwd=tmp_path
    )
    by_name = ledger("learner", "find", "DUPONT", "lea", "--db", "ecole.db", cwd=tmp_path)
    for result in (by_birth, by_number, by_name):
        assert result.returncode == 0 and short.group(1) in result.stdout, result.stdout + result.stderr

    dossier = ledger("learner", "show", short.group(1), "--with-identity", "--db", "ecole.db", cwd=tmp_path)
    assert dossier.returncode == 0, dossier.stderr
    assert "attestation d'orientation A" in dossier.stdout
    assert "25 juin 2020" in dossier.stdout
    assert "validée" in dossier.stdout and "né(e) le 28 juin 2005" in dossier.stdout

    for text in (admitted, found.stdout, year.stdout, by_birth.stdout, dossier.stdout):
        assert not english_words(text), (english_words(text), text)


def test_no_clear_text_of_the_identity_in_the_database(tmp_path: Path) -> None:
    admit_lea(tmp_path)
    raw = (tmp_path / "ecole.db").read_bytes()
    wal = tmp_path / "ecole.db-wal"
    raw += wal.read_bytes() if wal.exists() else b""
    for clear in ("Dupont", "dupont", "Léa", "05062812345", "2005-06-28"):
        assert clear.encode() not in raw
    with sqlite3.connect(tmp_path / "ecole.db") as conn:
        digests = [r[0] for r in conn.execute("select digest from learner_lookup")]
    assert digests and all(re.fullmatch(r"[0-9a-f]{64}", d) for d in digests)


def test_erasure_removes_the_index_entries(tmp_path: Path) -> None:
    admit_lea(tmp_path)
    found = ledger("learner", "find", "dupont", "--db", "ecole.db", "--json", cwd=tmp_path)
    learner_id = json.loads(found.stdout)[0]["learner_id"]
    erased = ledger(
        "learner",
        "erase",
        learner_id[:8],
        "--reason",
        "demande RGPD",
        "--actor",
        "dir-1",
        "--body",
        "direction",
        "--role",
        "head_of_school",
        "--db",
        "ecole.db",
        cwd=tmp_path,
    )
    assert erased.returncode == 0, erased.stderr
    assert f"Données personnelles de l'élève {learner_id[:8]} effacées" in erased.stdout
    assert not english_words(erased.stdout), erased.stdout
    again = ledger("learner", "find", "dupont", "--db", "ecole.db", cwd=tmp_path)
    assert again.returncode == 0 and "Aucun élève trouvé." in again.stdout
    with sqlite3.connect(tmp_path / "ecole.db") as conn:
        assert conn.execute("select count(*) from learner_lookup").fetchone()[0] == 0


def test_reindex_makes_identities_recorded_before_the_index_findable(tmp_path: Path) -> None:
    """An identity whose index rows are missing (recorded before the index) is found after reindex."""
    admit_lea(tmp_path)
    with sqlite3.connect(tmp_path / "ecole.db") as conn:
        conn.execute("delete from learner_lookup")
    before = ledger("learner", "find", "dupont", "--db", "ecole.db", cwd=tmp_path)
    assert before.returncode == 0 and "Aucun élève trouvé." in before.stdout
    rebuilt = ledger("learner", "reindex", "--db", "ecole.db", cwd=tmp_path)
    assert rebuilt.returncode == 0, rebuilt.stderr
    assert "1 identité indexée" in rebuilt.stdout and not english_words(rebuilt.stdout), rebuilt.stdout
    progress = [json.loads(line) for line in rebuilt.stderr.splitlines() if line.startswith("{")]
    assert progress and progress[-1]["done"] == progress[-1]["total"] == 1, rebuilt.stderr
    after = ledger("learner", "find", "dupont", "--born", "28/06/2005", "--db", "ecole.db", cwd=tmp_path)
    assert "1 élève trouvé" in after.stdout, after.stdout
    again = ledger("learner", "reindex", "--db", "ecole.db", "--json", cwd=tmp_path)  # idempotent
    assert json.loads(again.stdout) == {"reindexed": 1}
    with sqlite3.connect(tmp_path / "ecole.db") as conn:
        assert (
            conn.execute("select count(distinct digest) from learner_lookup").fetchone()[0] == 4
        )  # léa, dupont, birth, number


def test_the_same_in_english_on_request(tmp_path: Path) -> None:
    admitted = admit_lea(tmp_path)
    assert "Élève admis" in admitted
    found = ledger("learner", "find", "dupont", "--lang", "en", "--db", "ecole.db", cwd=tmp_path)
    assert "28 June 2005" in found.stdout and "1 learner found" in found.stdout
    env_en = ledger("learner", "find", "--born", "2005-06-28", "--db", "ecole.db", cwd=tmp_path, lang="en")
    assert "1 learner found" in env_en.stdout


@pytest.mark.parametrize(
    ("args", "french", "english"),
    [
        (
            ["learner", "find", "--born", "31/02/2005", "--db", "ecole.db"],
            "format attendu JJ/MM/AAAA",
            "expected DD/MM/YYYY",
        ),
        (["learner", "shw"], "vouliez-vous dire show", "did you mean show"),
        (["learner", "show", "d0", "--db", "absent.db"], "ajoutez --create", "add --create"),
    ],
)
def test_errors_name_what_is_expected_in_both_languages(
    tmp_path: Path, args: list[str], french: str, english: str
) -> None:
    fr = ledger(*args, cwd=tmp_path)
    en = ledger(*args, "--lang", "en", cwd=tmp_path)
    assert fr.returncode == 2 and french in fr.stderr and "Traceback" not in fr.stderr
    assert en.returncode == 2 and english in en.stderr
    assert not (tmp_path / "absent.db").exists()


BAD_LINES = [  # (a line a secretary might write, what French says, what English says)
    (
        {"command": "AdmitLearner", "effective_date": "2019-13-45", "fase": "deux cent neuf"},
        [
            "actor_id : champ obligatoire",
            "effective_date : date invalide (AAAA-MM-JJ attendu)",
            "fase : un nombre entier est attendu",
        ],
        ["actor_id: Field required", "effective_date: Input should be a valid date", "fase: Input should be"],
    ),
    (
        {"command": "AdmitLeaner"},
        ["commande inconnue 'AdmitLeaner' ; vouliez-vous dire AdmitLearner"],
        ["unknown command 'AdmitLeaner'; did you mean AdmitLearner"],
    ),
    ({"learner": "x"}, ["nom de commande absent", "AdmitLearner"], ["no command name", "AdmitLearner"]),
    (["OpenOption"], ["une commande doit être un objet JSON"], ["a command must be a JSON object"]),
    (
        {
            "command": "OpenOption",
            "actor_id": "d-1",
            "actor_role": "directeur",
            "body": "direction",
            "effective_date": "2018-06-01",
            "fase": FASE,
            "option_code": OPTION,
            "first_school_year": 2018,
            "remarque": "x",
        },
        [
            "actor_role : valeur non permise ; attendu : 'head_of_school'",
            "'certifier' ou 'system'",
            "remarque : champ inconnu",
        ],
        ["actor_role: Input should be 'head_of_school'", "remarque: Extra inputs are not permitted"],
    ),
]


@pytest.mark.parametrize(("line", "french", "english"), BAD_LINES)
def test_a_malformed_command_line_is_explained_in_her_language(
    tmp_path: Path, line: Any, french: list[str], english: list[str]
) -> None:
    """Missing or mistyped fields, an unknown command, a line that is no object: exit 2, the
    line named, every problem said in French (pydantic's English only with ``--lang en``),
    nothing written."""
    admit_lea(tmp_path)
    before = (tmp_path / "ecole.db").read_bytes()
    stdin = json.dumps(line) + "\n"
    fr = ledger("record", "-", "--db", "ecole.db", cwd=tmp_path, stdin=stdin)
    en = ledger("record", "-", "--db", "ecole.db", "--lang", "en", cwd=tmp_path, stdin=stdin)
    assert fr.returncode == 2 and en.returncode == 2, (fr.stderr, en.stderr)
    assert fr.stderr.startswith("erreur : ligne 1 : ") and en.stderr.startswith("error: line 1: ")
    for said in french:
        assert said in fr.stderr, fr.stderr
    for said in english:
        assert said in en.stderr, en.stderr
    assert "Traceback" not in fr.stderr + en.stderr
    # what she must type stays as she types it: command names, member names, allowed codes
    typed = re.sub(r"AdmitLearner|OpenOption|\b[a-z]+(?:_[a-z0-9]+)+\b", " ", fr.stderr)
    assert not english_words(typed), fr.stderr
    assert (tmp_path / "ecole.db").read_bytes() == before


@pytest.mark.parametrize(
    ("text", "french"),
    [
        ('{"command": "OpenOption", ', "fin des données inattendue, au caractère 27"),
        ("[1,]", "virgule finale interdite, au caractère 3"),
        ("{'command': 'OpenOption'}", "caractère inattendu, au caractère 2"),
    ],
)
@pytest.mark.parametrize("verb", ["record", "import"])
def test_a_line_that_is_not_json_says_where_in_french(
    tmp_path: Path, verb: str, text: str, french: str
) -> None:
    """``ledger record`` and ``ledger import``: the line and the character where reading stopped;
    the parser's own English only with ``--lang en``. Nothing is written."""
    admit_lea(tmp_path)
    before = (tmp_path / "ecole.db").read_bytes()
    fr = ledger(verb, "-", "--db", "ecole.db", cwd=tmp_path, stdin=text + "\n")
    en = ledger(verb, "-", "--db", "ecole.db", "--lang", "en", cwd=tmp_path, stdin=text + "\n")
    assert fr.returncode == en.returncode == 2, (fr.stderr, en.stderr)
    assert fr.stderr == f"erreur : ligne 1 : JSON mal formé ({french})\n", fr.stderr
    assert en.stderr.startswith("error: line 1: malformed JSON ("), en.stderr
    assert (tmp_path / "ecole.db").read_bytes() == before


def test_an_out_of_range_option_is_named_and_explained_in_french(tmp_path: Path) -> None:
    """typer checks ``--batch`` with pydantic: the option is named, its reason in French."""
    admit_lea(tmp_path)
    for value, french, english in (
        ("-1", "doit valoir au moins 0", "Input should be greater than or equal to 0"),
        ("cent", "un nombre entier est attendu", "Input should be a valid integer"),
    ):
        fr = ledger("record", "-", "--db", "ecole.db", "--batch", value, cwd=tmp_path, stdin="")
        en = ledger(
            "record", "-", "--db", "ecole.db", "--batch", value, "--lang", "en", cwd=tmp_path, stdin=""
        )
        assert fr.returncode == en.returncode == 2
        assert f"erreur : valeur invalide pour '--batch' : {french}" in fr.stderr, fr.stderr
        assert f"error: invalid value for '--batch': {english}" in en.stderr, en.stderr


def test_certificates_events_and_deadlines_read_in_french(tmp_path: Path) -> None:
    """After a year of decisions: certificate list/show/history, events and deadlines in French.

    Column headings and field names in French, codes by the law's words, dates written out, event
    types by their French label (``élève admis``; JSON keeps ``Learner.Admitted``). English on request.
    """
    admit_lea(tmp_path)
    found = ledger("learner", "find", "dupont", "--db", "ecole.db", "--json", cwd=tmp_path)
    short = json.loads(found.stdout)[0]["learner_id"][:8]
    assert (
        ledger("record", "-", "--db", "ecole.db", cwd=tmp_path, stdin=year_of_decisions(short)).returncode
        == 0
    )
    outputs = {
        "events": ledger("events", "--db", "ecole.db", cwd=tmp_path),
        "deadlines": ledger("deadlines", "check", "--as-of", "2030-01-01", "--db", "ecole.db", cwd=tmp_path),
        "certificates": ledger("certificate", "list", "--db", "ecole.db", cwd=tmp_path),
    }
    for verb, done in outputs.items():
        assert done.returncode == 0, (verb, done.stderr)
        assert not english_words(done.stdout), (verb, english_words(done.stdout), done.stdout)
        assert not re.search(r"\b[A-Z][A-Za-z]+\.[A-Z][A-Za-z0-9]+\b", done.stdout), done.stdout
    assert "date d'effet" in outputs["events"].stdout and "25 juin 2020" in outputs["events"].stdout
    for shown in (
        "élève admis",
        "option ouverte",
        "épreuve autorisée",
        "UAA validée",
        "attestation délivrée",
    ):
        assert shown in outputs["events"].stdout, (shown, outputs["events"].stdout)
    as_json = ledger("events", "--db", "ecole.db", "--json", cwd=tmp_path)
    assert {"Learner.Admitted", "Learner.UnitValidated"} <= {e["type"] for e in json.loads(as_json.stdout)}
    english = ledger("events", "--db", "ecole.db", "--lang", "en", cwd=tmp_path)
    assert "effective_date" in english.stdout and "2020-06-25" in english.stdout
    assert "Learner.Admitted" in english.stdout


def test_certificate_show_and_history_read_in_french(tmp_path: Path) -> None:
    """A demo cohort's first certificate, shown and traced back, in French (English on request)."""
    made = ledger(
        "demo", "--db", "demo.db", "--learners", "6", "--candidates", "1", "--tokens", "t", cwd=tmp_path
    )
    assert made.returncode == 0, made.stderr
    listed = json.loads(ledger("certificate", "list", "--db", "demo.db", "--json", cwd=tmp_path).stdout)
    first = listed[0]["certificate_id"]
    shown = ledger("certificate", "show", first, "--db", "demo.db", cwd=tmp_path)
    history = ledger("certificate", "history", first, "--db", "demo.db", cwd=tmp_path)
    for done in (shown, history):
        assert done.returncode == 0, done.stderr
        assert not re.search(r"\b[A-Z][A-Za-z]+\.[A-Z][A-Za-z0-9]+\b", done.stdout), done.stdout
        text = re.sub(r"\b[a-z_]+-\d+\b|\b[a-z]+_[a-z_]+\b", " ", done.stdout)  # actor ids and roles
        assert not english_words(text), (english_words(text), done.stdout)
    assert "délivré le : " in shown.stdout and "statut : valide" in shown.stdout
    assert "étape" in history.stdout and "délivré à la position" in history.stdout
    registered = ledger("events", "--type", "Candidate.Registered", "--json", "--db", "demo.db", cwd=tmp_path)
    candidate = json.loads(registered.stdout)[0]["aggregate_id"]
    dossier = ledger("learner", "show", candidate, "--db", "demo.db", cwd=tmp_path)  # the CléA dossier
    assert dossier.returncode == 0 and "candidat " in dossier.stdout, dossier.stderr
    region = json.loads(registered.stdout)[0]["detail"]["evaluator_region"]
    assert region not in dossier.stdout, dossier.stdout  # the region by its French name, not its slug
    assert re.search(r"\(([A-ZÎ][\w' -]+)\) ; référentiel", dossier.stdout), dossier.stdout
    text = re.sub(r"\b[a-z0-9]+(?:[-_.][a-z0-9]+)+\b", " ", dossier.stdout)
    assert not english_words(text), (english_words(text), dossier.stdout)
    english = ledger("certificate", "show", first, "--db", "demo.db", "--lang", "en", cwd=tmp_path)
    assert "issued_on: " in english.stdout and "status: active" in english.stdout


def test_a_clea_candidate_registered_with_an_identity_is_found_by_name_birth_date_and_number(
    tmp_path: Path,
) -> None:
    """``ledger candidate find``: the CléA side of the same keyed blind index, in French."""
    made = ledger(
        "demo", "--db", "clea.db", "--learners", "1", "--candidates", "2", "--tokens", "t", cwd=tmp_path
    )
    assert made.returncode == 0, made.stderr
    registered = ledger("events", "--type", "Candidate.Registered", "--json", "--db", "clea.db", cwd=tmp_path)
    first = json.loads(registered.stdout)[0]
    register = {
        "command": "RegisterCandidate",
        "actor_id": first["actor"],
        "actor_role": "evaluator",
        "body": "evaluator_org",
        "effective_date": first["effective_date"],
        "person_id": "11111111-2222-4333-8444-555555555555",
        "certificate": "clea",
        "evaluator_siret": first["detail"]["evaluator_siret"],
        "identity": {
            "given_name": "Chloé",
            "family_name": "Martin",
            "birth_date": "1990-03-14",
            "national_number": "2900375123456",
        },
    }
    done = ledger("record", "-", "--db", "clea.db", cwd=tmp_path, stdin=json.dumps(register) + "\n")
    assert done.returncode == 0, done.stderr
    short = re.search(r"Candidat inscrit : ([0-9a-f]{8})", done.stdout)
    assert short, done.stdout
    searches = [
        ["martin", "CHLOE"],
        ["--born", "14/03/1990"],
        ["--national-number", "2 90 03 75 123 456"],
    ]
    answers = concurrently(
        partial(ledger, "candidate", "find", *s, "--db", "clea.db", cwd=tmp_path) for s in searches
    )
    for found in answers:  # read-only queries: side by side
        assert found.returncode == 0, found.stderr
        assert re.search(
            rf"^{short.group(1)}\s+Martin Chloé\s+14 mars 1990\s+certificat CléA", found.stdout, re.M
        )
        assert "1 candidat trouvé" in found.stdout and not english_words(found.stdout), found.stdout
    # a candidate is not a learner, and the identity stays out of the log
    assert (
        "Aucun élève trouvé." in ledger("learner", "find", "martin", "--db", "clea.db", cwd=tmp_path).stdout
    )
    log = ledger("events", "--type", "Candidate.Registered", "--json", "--db", "clea.db", cwd=tmp_path)
    assert "Martin" not in log.stdout and "1990-03-14" not in log.stdout
    assert (
        "Aucun candidat trouvé."
        in ledger("candidate", "find", "dupont", "--db", "clea.db", cwd=tmp_path).stdout
    )
