"""A profile version that exists only as the administration's publication, end to end (issue 18).

Through the installed ``ledger`` console script on a fresh SQLite store: the administration
publishes a profile version whose last UAA (``UAA9``) the shipped reference profile lacks; a
learner is admitted under it, validates every UAA (``UAA9`` by a test), and gets the CQ. The
school statistics, the certificate queries, the dossier read model and the exported credential
(verified offline with only the files given) all resolve that published version, as the
admission did.
"""

from __future__ import annotations

import json
import uuid
from pathlib import Path
from typing import Any

from tests.builders import FASE, OPTION, cmd
from tests.e2e.law_scenarios import PROFILE, opening
from tests.e2e.test_law_cli import jsonl, ledger

VERSION = f"{OPTION}@2020-06-26"


def _published() -> dict[str, Any]:
    """The shipped profile of the option with its last UAA replaced by ``UAA9``."""
    doc = json.loads(PROFILE.read_text(encoding="utf-8"))
    last = {**doc["uaa"][-1], "code": "UAA9", "title": "UAA publiée"}
    return {
        **doc,
        "approved_on": "2020-06-26",
        "effective_from": "2020-09-01",
        "uaa": [*doc["uaa"][:-1], last],
    }


def _history(learner: str) -> list[dict[str, Any]]:
    """Publication, admission into the 6th year, every UAA validated, the CQ."""
    on: dict[str, Any] = {"learner_id": learner}
    return [
        opening(2018),
        cmd("PublishProfile", "administration", "2020-06-26", profile=_published()),
        cmd(
            "AdmitLearner",
            "direction",
            "2020-09-01",
            option_code=OPTION,
            school_year=2020,
            year=6,
            route="A6_repeat_transformed",
            **on,
        ),
        *(
            cmd(
                "ValidateUnit",
                "jury_qualification",
                "2020-09-20",
                uaa=f"UAA{i}",
                via="jury_recognition",
                **on,
            )
            for i in range(1, 6)
        ),
        cmd(
            "AuthoriseTest",
            "jury_qualification",
            "2021-03-01",
            uaa="UAA9",
            representatives_informed=True,
            **on,
        ),
        cmd("RecordAttempt", "jury_delegate", "2021-03-10", uaa="UAA9", passed=True, **on),
        cmd("ValidateUnit", "jury_delegate", "2021-03-10", uaa="UAA9", **on),
        cmd("IssueCertificate", "jury_qualification", "2021-06-28", kind="CQ", **on),
    ]


def test_a_published_only_profile_version_through_statistics_certificates_and_credentials(
    tmp_path: Path,
) -> None:
    """Statistics, certificate list/show, dossier read model, credential export and verify."""
    db, learner = tmp_path / "published.db", str(uuid.uuid4())
    done = ledger("record", "-", db=db, stdin=jsonl(_history(learner)))
    assert done.returncode == 0, done.stderr

    stats = ledger("stats", "school", str(FASE), "--json", db=db)
    assert stats.returncode == 0, stats.stderr
    [option] = json.loads(stats.stdout)["options"]
    year = next(y for y in option["years"] if y["school_year"] == 2020)
    assert (year["first_attempts"], year["first_attempt_pass_rate"]) == (1, 1.0)
    assert year["enrolment_1_october"]["6"] == 1

    [row] = json.loads(ledger("certificate", "list", "--json", db=db).stdout)
    assert (row["kind"], row["learner_id"], row["basis"], row["status"]) == (
        "CQ",
        learner,
        "all_validated",
        "active",
    )
    shown = ledger("certificate", "show", row["certificate_id"], "--json", db=db)
    assert shown.returncode == 0 and json.loads(shown.stdout)["certificate_id"] == row["certificate_id"]

    assert ledger("projections", "run", "dossier", "--once", db=db).returncode == 0
    dossier = json.loads(ledger("learner", "show", learner, "--json", db=db).stdout)
    assert (dossier["profile_version"], dossier["profile_source"]) == (
        VERSION,
        "published by the administration",
    )
    assert (dossier["units"][-1]["uaa"], dossier["units"][-1]["title"]) == ("UAA9", "UAA publiée")

    _credential_names_the_published_profile(db, row["certificate_id"], tmp_path)


def _credential_names_the_published_profile(db: Path, certificate: str, tmp: Path) -> None:
    """Exported credential: the published version and its UAA; verified offline, exit 0."""
    env = {"LEDGER_KEY_DIR": str(tmp / "keys"), "LEDGER_STATUS_CACHE": str(tmp / "cache")}
    for args in (("keys", "generate"), ("credential", "keys", "generate")):
        assert ledger(*args, db=db, env=env).returncode == 0
    out, html, trust, status = (tmp / n for n in ("cred.json", "cred.html", "trust.json", "status.json"))
    exported = ledger(
        "credential", "export", certificate, "--out", str(out), "--html", str(html), db=db, env=env
    )
    assert exported.returncode == 0, exported.stderr
    achievement = json.loads(out.read_text(encoding="utf-8"))["credentialSubject"]["achievement"]
    assert achievement["version"] == VERSION
    assert [d["name"] for d in achievement["resultDescription"]][-1] == "UAA9 — UAA publiée"
    assert "UAA publiée" in html.read_text(encoding="utf-8")
    assert ledger("credential", "keys", "show", "--out", str(trust), db=db, env=env).returncode == 0
    listed = ledger(
        "credential", "status-list", "--credential", str(out), "--out", str(status), db=db, env=env
    )
    assert listed.returncode == 0, listed.stderr
    offline = {"LEDGER_KEY_DIR": str(tmp / "nowhere"), "LEDGER_STATUS_CACHE": str(tmp / "cache2")}
    verified = ledger(
        "credential",
        "verify",
        str(out),
        "--keys",
        str(trust),
        "--status-list",
        str(status),
        "--json",
        db=tmp / "absent.db",
        env=offline,
    )
    verdict = json.loads(verified.stdout)
    assert verified.returncode == 0 and verdict["verdict"] == "valid", verdict
    assert verdict["credential"]["results"][-1] == "UAA9 — UAA publiée"
