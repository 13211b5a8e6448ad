"""A dossier is submitted to ONE jury; only that jury decides on it (DOMAIN.md §CléA, [S22], [S52]).

DOMAIN.md: "If all 7 domains are validated, the file goes straight to the jury"; "When all 7
domains are acquired, a jury paritaire/certificateur ... decides"; branch juries (CPNE) issue
CléA [S52]. Each refusal names its rule and source and writes nothing.
"""

from __future__ import annotations

from datetime import date
from uuid import UUID

import pytest

from ledger.api.roles import Principal, may_read
from ledger.domain.clea.aggregates import Candidate
from ledger.domain.clea.values import JuryMember, Side
from ledger.domain.errors import RuleViolation
from ledger.domain.kernel import ActorRole, Body, Decision

from .conftest import BRANCH, EVAL_B, NOW, World

OTHER = "IDCC-0016"
DAY = date(2021, 7, 30)


@pytest.fixture
def juries(world: World) -> World:
    """The world with a second branch jury registered."""
    world.run(world.certifpro("RegisterBranchJury", date(2019, 1, 10), branch_code=OTHER, name="CPNE 16"))
    return world


def _complete(w: World) -> UUID:
    """A candidate whose préalable acquired every domain (the file goes straight to the jury)."""
    return w.partial(missing=())


def _refused(w: World, raw: dict[str, object], rule: str, source: str) -> RuleViolation:
    before = w.stored()
    with pytest.raises(RuleViolation) as refused:
        w.run(raw)
    assert refused.value.rule == rule, refused.value
    assert source in refused.value.article
    assert w.stored() == before
    return refused.value


def _branch_jury(w: World, cand: UUID, code: str, command: str = "DecideJury") -> dict[str, object]:
    if command == "DecideJury":
        return w.jury_cmd(cand, DAY, body="branch_jury", branch_code=code)
    return w.cmd(
        "IssueCleaCertificate",
        "branch_jury",
        "jury_president",
        "jury-emp-1",
        date(2021, 8, 2),
        candidate_id=str(cand),
        branch_code=code,
    )


def test_branch_jury_decides_and_issues_only_what_was_submitted_to_it(juries: World) -> None:
    """Submitted to A: A decides and issues; B and the jury paritaire are refused by the rule."""
    w = juries
    cand = _complete(w)
    w.submit(cand, DAY, branch_code=BRANCH)
    _refused(w, _branch_jury(w, cand, OTHER), "jury_decides_submitted_dossier", "[S52]")
    err = _refused(w, w.jury_cmd(cand, DAY), "jury_decides_submitted_dossier", "[S22]")
    assert BRANCH not in str(err)  # the other jury is not named
    w.run(_branch_jury(w, cand, BRANCH))
    _refused(
        w, _branch_jury(w, cand, OTHER, "IssueCleaCertificate"), "jury_decides_submitted_dossier", "[S52]"
    )
    out = w.run(_branch_jury(w, cand, BRANCH, "IssueCleaCertificate"))
    assert out.certificate_id is not None
    issued = w.candidate(cand).active_certificate()
    assert issued is not None and issued.branch_code == BRANCH


def test_no_decision_without_a_submission(juries: World) -> None:
    """Neither the jury paritaire nor a branch jury decides on a dossier submitted to nobody."""
    cand = _complete(juries)
    err = _refused(juries, juries.jury_cmd(cand, DAY), "jury_decides_submitted_dossier", "[S22]")
    assert "not been submitted" in str(err)
    _refused(juries, _branch_jury(juries, cand, BRANCH), "jury_decides_submitted_dossier", "[S52]")


def test_paritaire_submission_is_decided_by_the_jury_paritaire_only(juries: World) -> None:
    """Without branch_code the dossier goes to the jury paritaire; Certif'Pro issues after it."""
    cand = _complete(juries)
    juries.submit(cand, DAY)
    sub = juries.candidate(cand).submission()
    assert sub is not None and sub.jury is Body.JURY_PARITAIRE and sub.branch_code is None
    _refused(juries, _branch_jury(juries, cand, BRANCH), "jury_decides_submitted_dossier", "[S52]")
    juries.run(juries.jury_cmd(cand, DAY))
    assert juries.issue(cand) is not None


def test_submission_rules_name_themselves(juries: World) -> None:
    """Own evaluator only; all domains first; a registered branch jury; once while pending."""
    w = juries
    cand = _complete(w)
    err = _refused(
        w, w.submit_cmd(cand, DAY, evaluator_siret=EVAL_B), "submission_by_candidate_evaluator", "[S22]"
    )
    assert w.candidate(cand).evaluator_siret not in str(err)
    _refused(w, w.submit_cmd(w.partial(), DAY), "all_domains_acquired_before_jury", "D6113-30")
    _refused(w, w.submit_cmd(cand, DAY, branch_code="IDCC-4242"), "branch_jury_may_award", "[S52]")
    w.submit(cand, DAY, branch_code=BRANCH)
    err = _refused(w, w.submit_cmd(cand, DAY, branch_code=OTHER), "dossier_submitted_once", "[S22]")
    assert "awaits its decision" in str(err)
    _refused(w, w.submit_cmd(cand, DAY), "dossier_submitted_once", "[S22]")


def test_resubmission_after_revocation_or_unfavourable_decision(juries: World) -> None:
    """Revoking the pending submission frees the dossier; after a refusal it may go elsewhere."""
    w = juries
    cand = _complete(w)
    w.submit(cand, DAY, branch_code=BRANCH)
    version = w.candidate(cand).version
    w.run(
        w.evaluator(
            "RevokeCleaDecision", DAY, candidate_id=str(cand), target_version=version, reason="erreur de jury"
        )
    )
    assert w.candidate(cand).seized_jury() is None
    w.submit(cand, DAY, branch_code=OTHER)
    w.run({**_branch_jury(w, cand, OTHER), "awarded": False})
    w.submit(cand, date(2021, 9, 1))  # refused by branch OTHER: to the jury paritaire now
    w.run(w.jury_cmd(cand, date(2021, 9, 15)))
    _refused(w, w.submit_cmd(cand, date(2021, 9, 20)), "dossier_submitted_once", "[S22]")
    assert w.candidate(cand).seized_jury() == "jury_paritaire"


def test_decision_before_the_submission_date_is_refused(juries: World) -> None:
    """A jury cannot decide on a date before the dossier reached it."""
    cand = _complete(juries)
    juries.submit(cand, DAY)
    err = _refused(juries, juries.jury_cmd(cand, date(2021, 7, 1)), "jury_decides_submitted_dossier", "[S22]")
    assert "before the dossier was submitted" in str(err)


def _legacy_decided(w: World, branch: str) -> UUID:
    """A candidate decided by a branch jury as stored before submissions existed (no submission)."""
    cand_id = _complete(w)
    cand = w.candidate(cand_id)
    decision = Decision.model_validate(
        {
            "actor_id": "jury-emp-1",
            "actor_role": ActorRole.JURY_PRESIDENT,
            "body": Body.BRANCH_JURY,
            "effective_date": date(2021, 7, 1),
            "recorded_at": NOW,
            "ruleset_version": "test",
            "legal_basis": "legacy",
        }
    )
    members = (
        JuryMember(person_id="jury-emp-1", side=Side.EMPLOYER),
        JuryMember(person_id="jury-sal-1", side=Side.EMPLOYEE),
    )
    cand.record(
        Candidate.JuryDecided,
        decision,
        awarded=True,
        members=members,
        branch_code=branch,
        domains=tuple(cand.acquired()),
    )
    w.ledger.store.save(cand)
    return cand_id


def test_stored_legacy_decision_stays_with_the_branch_that_decided(juries: World) -> None:
    """No submission but a JuryDecided by A (stored earlier): A reads it and issues; B does not."""
    w = juries
    cand = _legacy_decided(w, BRANCH)
    stored = w.candidate(cand)
    assert stored.seized_jury() == f"branch_jury:{BRANCH}"
    assert may_read(Principal("branch_jury", BRANCH, "jury-emp-1"), stored)
    assert not may_read(Principal("branch_jury", OTHER, "jury-emp-1"), stored)
    _refused(
        w, _branch_jury(w, cand, OTHER, "IssueCleaCertificate"), "jury_decides_submitted_dossier", "[S52]"
    )
    assert w.run(_branch_jury(w, cand, BRANCH, "IssueCleaCertificate")).certificate_id is not None
