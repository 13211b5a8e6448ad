"""The installed ``ledger record`` and a branch jury: no decision on a dossier not submitted to it.

DOMAIN.md §CléA: when all 7 domains are acquired "the file goes straight to the jury"; [S52]
branch juries issue CléA. A branch jury's DecideJury on a dossier submitted to no jury, or to
another jury, exits 2 naming the rule and its article and writes nothing (in French too); once
the evaluator organisation submitted it to that branch (SubmitToJury), the same decision records.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any
from uuid import UUID

from ledger.domain.clea.aggregates import candidate_id
from ledger.domain.clea.values import CertificateType
from tests.e2e.law_clea_scenarios import BASE, BRANCH, EVAL_A, OTHER_BRANCH, PAIR, cmd, criteria
from tests.e2e.test_law_cli import jsonl, ledger

CAND = "0d6f3b7e-5a1c-4c39-9b1e-2f4a6c8d0e12"


def _candidate() -> tuple[str, list[dict[str, Any]]]:
    ident = str(candidate_id(UUID(CAND), CertificateType.CLEA))
    on = {"candidate_id": ident, "evaluator_siret": EVAL_A}
    return ident, [
        cmd(
            "RegisterCandidate",
            "evaluator_org",
            "2021-03-01",
            person_id=CAND,
            certificate="clea",
            evaluator_siret=EVAL_A,
        ),
        cmd(
            "RecordPriorEvaluation",
            "evaluator_org",
            "2021-03-10",
            **on,
            evaluator_id="ev-1",
            passed=criteria("clea"),
        ),
    ]


def _decide(ident: str) -> dict[str, Any]:
    return cmd(
        "DecideJury",
        "branch_jury",
        "2021-07-30",
        candidate_id=ident,
        members=PAIR,
        branch_code=BRANCH,
    )


def _events(db: Path) -> int:
    out = ledger("events", "--json", db=db)
    assert out.returncode == 0, out.stderr
    return len(json.loads(out.stdout))


def test_branch_jury_decision_needs_the_dossier_submitted_to_it(tmp_path: Path) -> None:
    """Exit 2 naming jury_decides_submitted_dossier until SubmitToJury names this branch."""
    db = tmp_path / "ledger.db"
    ident, start = _candidate()
    assert ledger("record", "-", db=db, stdin=jsonl([*BASE, *start])).returncode == 0
    before = _events(db)

    refused = ledger("record", "-", db=db, stdin=jsonl([_decide(ident)]))
    assert refused.returncode == 2, refused.stderr
    assert "jury_decides_submitted_dossier" in refused.stderr and "[S52]" in refused.stderr
    assert "not been submitted" in refused.stderr and "Traceback" not in refused.stderr
    french = ledger("record", "-", db=db, stdin=jsonl([_decide(ident)]), env={"LEDGER_LANG": "fr"})
    assert french.returncode == 2 and "présenté à aucun jury" in french.stderr, french.stderr

    to_other = cmd("SubmitToJury", "evaluator_org", "2021-07-30", candidate_id=ident, evaluator_siret=EVAL_A)
    to_other["branch_code"] = OTHER_BRANCH
    assert ledger("record", "-", db=db, stdin=jsonl([to_other])).returncode == 0
    elsewhere = ledger("record", "-", db=db, stdin=jsonl([_decide(ident)]))
    assert elsewhere.returncode == 2 and "not submitted to this jury" in elsewhere.stderr
    assert OTHER_BRANCH not in elsewhere.stderr
    assert _events(db) == before + 1  # only the submission was written

    again = ledger("record", "-", db=db, stdin=jsonl([{**to_other, "branch_code": BRANCH}]))
    assert again.returncode == 2 and "dossier_submitted_once" in again.stderr
