"""Erasing a CléA candidate's identity (RGPD art. 17) through the installed console script.

The candidate is registered with an identity (encrypted, kept out of the log, keyed blind
index), found by ``ledger candidate find``, erased by ``ledger candidate erase``: afterwards she
is found by no search, her identity, key and index rows are gone, no event of the log ever held
her identity, the erasure decision stays in the log, and a second erasure is refused in French
(exit 2, the rule named, nothing written). On a SQLite file and on PostgreSQL.
"""

from __future__ import annotations

import json
import sqlite3
import subprocess
import uuid
from functools import partial
from pathlib import Path

import pytest

from tests.conftest import pg_url_with_schema, require_service
from tests.e2e.test_french_secretary import ledger
from tests.procs import concurrently

CHLOE = {
    "given_name": "Chloé",
    "family_name": "Martin-Quélennec",
    "birth_date": "1990-03-14",
    "national_number": "2900375123456",
}
CLEAR = ("Martin-Quélennec", "Quélennec", "Chloé", "1990-03-14", "2900375123456")


def register_chloe(home: Path, db: str) -> tuple[str, str]:
    """A demo store plus Chloé registered with her identity: (her candidate id, her evaluator's SIRET)."""
    made = ledger("demo", "--db", db, "--learners", "1", "--candidates", "1", "--tokens", "t", cwd=home)
    assert made.returncode == 0, made.stderr
    first = json.loads(
        ledger("events", "--type", "Candidate.Registered", "--json", "--db", db, cwd=home).stdout
    )[0]
    siret = first["detail"]["evaluator_siret"]
    register = {
        "command": "RegisterCandidate",
        "actor_id": first["actor"],
        "actor_role": "evaluator",
        "body": "evaluator_org",
        "effective_date": first["effective_date"],
        "person_id": "11111111-2222-4333-8444-555555555555",
        "certificate": "clea",
        "evaluator_siret": siret,
        "identity": CHLOE,
    }
    done = ledger("record", "-", "--db", db, cwd=home, stdin=json.dumps(register) + "\n")
    assert done.returncode == 0, done.stderr
    found = ledger("candidate", "find", "quelennec", "chloe", "--json", "--db", db, cwd=home)
    assert found.returncode == 0, found.stderr
    rows = json.loads(found.stdout)
    assert len(rows) == 1 and rows[0]["family_name"] == "Martin-Quélennec", rows
    return rows[0]["candidate_id"], siret


def events(home: Path, db: str) -> list[dict[str, object]]:
    """The whole log, as ``ledger events --json`` prints it."""
    done = ledger("events", "--json", "--db", db, cwd=home)
    assert done.returncode == 0, done.stderr
    rows: list[dict[str, object]] = json.loads(done.stdout)
    return rows


def stored(home: Path, db: str) -> str:
    """Every stored row, as text: the SQLite file's dump, or a pg_dump of the test's schema."""
    if not db.startswith("postgresql"):
        with sqlite3.connect(home / db) as conn:
            return "\n".join(conn.iterdump())
    base, schema = db.split("?schema=")
    dump = subprocess.run(
        ["pg_dump", "--schema", schema, "--data-only", "--inserts", base],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    return dump.stdout


def identity_rows(home: Path, db: str, candidate: str) -> int:
    """Rows left for the candidate in the identity, key and blind-index tables."""
    tables = ("learner_identity", "learner_key", "learner_lookup")
    return sum(
        1
        for line in stored(home, db).splitlines()
        if line.startswith("INSERT INTO")
        and any(t in line.split("VALUES")[0] for t in tables)
        and candidate in line
    )


@pytest.fixture(params=["sqlite", "postgresql"])
def db(request: pytest.FixtureRequest) -> str:
    """The store: a SQLite file in the test's directory, or a fresh PostgreSQL schema."""
    if request.param == "sqlite":
        return "clea.db"
    require_service("LEDGER_TEST_PG_URL", "PostgreSQL")
    return pg_url_with_schema(f"candidate_erase_{uuid.uuid4().hex[:10]}")


def test_an_erased_candidate_is_found_no_more_and_a_second_erasure_is_refused(
    tmp_path: Path, db: str
) -> None:
    candidate, siret = register_chloe(tmp_path, db)
    assert identity_rows(tmp_path, db, candidate) >= 3
    before = len(events(tmp_path, db))

    # another evaluator organisation may not erase her: refused, named rule, nothing written
    other = ledger(
        "candidate", "erase", candidate[:8], "--reason", "demande RGPD", "--actor", "eval-9",
        "--body", "evaluator_org", "--evaluator-siret", "99999999900099", "--db", db, cwd=tmp_path,
    )  # fmt: skip
    assert other.returncode == 2, (other.stdout, other.stderr)
    assert (
        "règle erasure_by_candidate_evaluator « un organisme évaluateur n'efface que ses propres candidats »,"
        " RGPD art. 17 (candidat effacé)"
    ) in other.stderr
    assert "n'est pas inscrit auprès de l'organisme évaluateur 99999999900099" in other.stderr, other.stderr
    assert siret not in other.stderr and "Traceback" not in other.stderr
    assert len(events(tmp_path, db)) == before

    # her own evaluator organisation erases her, by the short id `candidate find` printed
    erased = ledger(
        "candidate", "erase", candidate[:8], "--reason", "demande RGPD art. 17", "--actor", "eval-1",
        "--body", "evaluator_org", "--evaluator-siret", siret, "--db", db, cwd=tmp_path,
    )  # fmt: skip
    assert erased.returncode == 0, erased.stderr
    assert f"Données personnelles du candidat {candidate[:8]} effacées" in erased.stdout, erased.stdout
    searches = (["quelennec"], ["--born", "14/03/1990"], ["--national-number", "2900375123456"])
    *found, log = concurrently(  # read-only and independent of each other
        [*(partial(ledger, "candidate", "find", *q, "--db", db, cwd=tmp_path) for q in searches),
         partial(events, tmp_path, db)]
    )  # fmt: skip
    for again in found:
        assert again.returncode == 0 and "Aucun candidat trouvé." in again.stdout, again.stdout
    assert identity_rows(tmp_path, db, candidate) == 0

    # the decision stays in the log; no event ever held her identity
    assert len(log) == before + 1
    last = log[-1]
    assert (last["type"], last["aggregate_id"], last["body"]) == (
        "Candidate.Erased",
        candidate,
        "evaluator_org",
    )
    dump = json.dumps(log, ensure_ascii=False)
    assert not [v for v in CLEAR if v in dump], "an event holds her identity"
    raw = stored(tmp_path, db)
    if not db.startswith("postgresql"):  # the file and its WAL, byte for byte
        raw += b"".join(p.read_bytes() for p in tmp_path.glob("clea.db*")).decode("utf-8", "replace")
    assert not [v for v in CLEAR if v in raw], "a clear value is still stored"

    # a second erasure is refused in French, exit 2, nothing written
    full, twice = concurrently(  # both refused, nothing written: independent of each other
        partial(
            ledger, "candidate", "erase", who, "--reason", "demande RGPD", "--actor", "cp-1", "--db", db,
            cwd=tmp_path,
        )
        for who in (candidate, candidate[:8])
    )  # fmt: skip
    for refused in (full, twice):
        assert refused.returncode == 2, (refused.stdout, refused.stderr)
        assert "Traceback" not in refused.stderr
    assert "plus aucune décision" in twice.stderr or "identifiant complet" in twice.stderr, twice.stderr
    assert (
        full.returncode == 2
        and "règle candidate_not_erased « aucune décision sur un candidat effacé », RGPD art. 17"
        in full.stderr
    ), full.stderr
    assert "les données personnelles du candidat ont été effacées ; plus aucune décision" in full.stderr
    assert len(events(tmp_path, db)) == before + 1
