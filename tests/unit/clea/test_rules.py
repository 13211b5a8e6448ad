"""One refusal per CléA rule, naming the rule and its source; a refusal writes nothing."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any
from uuid import uuid4

import pytest

from ledger.domain.clea import rules
from ledger.domain.clea.aggregates import Candidate
from ledger.domain.clea.values import (
    CertificateType,
    HabilitationWindow,
    ReferentialSpec,
    Region,
)
from ledger.domain.errors import RuleViolation
from ledger.domain.kernel import ActorRole, Body, Decision
from ledger.reference import clea as ref

from .conftest import BRANCH, EVAL_A, EVAL_B, NOW, TRAIN, World, passed_for

CLEA = CertificateType.CLEA
Arrange = Callable[[World], dict[str, Any]]


def _after_withdrawal(w: World) -> dict[str, Any]:
    cand = w.register()
    w.run(w.certifpro("WithdrawHabilitation", date(2021, 3, 5), siret=EVAL_A, certificate="clea"))
    return w.evaluator(
        "RecordPriorEvaluation",
        date(2021, 3, 10),
        candidate_id=str(cand),
        evaluator_siret=EVAL_A,
        evaluator_id="eval-1",
        passed=[],
    )


def _submitted_twice(w: World) -> dict[str, Any]:
    cand = w.partial(missing=())
    w.submit(cand)
    return w.submit_cmd(cand)


def _prealable(w: World, cand: Any, day: date, passed: list[str]) -> dict[str, Any]:
    return w.evaluator(
        "RecordPriorEvaluation",
        day,
        candidate_id=str(cand),
        evaluator_siret=EVAL_A,
        evaluator_id="eval-1",
        passed=passed,
    )


def _legacy_training(w: World) -> dict[str, Any]:
    cand = w.register(day=date(2019, 3, 1), siret=EVAL_B)
    w.prealable(
        cand,
        passed_for(CLEA, ["D1", "D2", "D3", "D4", "D5", "D6"], date(2019, 3, 2)),
        day=date(2019, 3, 2),
        siret=EVAL_B,
    )
    w.plan(cand, ["D7"], day=date(2019, 3, 3))
    return w.cmd(
        "CompleteTraining",
        "training_org",
        "trainer",
        "trainer-1",
        date(2019, 6, 1),
        candidate_id=str(cand),
        training_org_siret=TRAIN,
        trainer_id="trainer-1",
    )


def _final_cmd(
    w: World,
    cand: Any,
    domains: list[str],
    passed: list[str],
    *,
    day: date = date(2021, 7, 15),
    evaluator: str = "eval-2",
) -> dict[str, Any]:
    return w.cmd(
        "RecordFinalEvaluation",
        "evaluator_org",
        "evaluator",
        evaluator,
        day,
        candidate_id=str(cand),
        evaluator_siret=EVAL_A,
        evaluator_id=evaluator,
        domains=domains,
        passed=passed,
    )


def _trained(w: World) -> Any:
    cand = w.partial()
    w.plan(cand, ["D6", "D7"])
    w.train(cand)
    return cand


def _planned(w: World) -> Any:
    cand = w.partial()
    w.plan(cand, ["D6", "D7"])
    return cand


def _accrochage_not_yet_due(w: World) -> dict[str, Any]:
    cand, cert = w.certified()
    return w.certifpro(
        "RecordCleaDeadlineMissed",
        date(2021, 10, 1),
        candidate_id=str(cand),
        kind="accrochage",
        certificate_id=str(cert),
    )


def _expired_final(w: World) -> dict[str, Any]:
    cand = _trained(w)
    return _final_cmd(w, cand, ["D6", "D7"], passed_for(CLEA, ["D6", "D7"]), day=date(2026, 3, 11))


def _revoke_cert(w: World, reason: str | None) -> dict[str, Any]:
    cand, cert = w.certified()
    return w.certifpro(
        "RevokeCleaCertificate",
        date(2022, 1, 5),
        candidate_id=str(cand),
        certificate_id=str(cert),
        reason=reason,
    )


def _accrochage(w: World, twice: bool = False, before_issue: bool = False) -> dict[str, Any]:
    cand, cert = w.certified()
    cmd = w.certifpro("RecordAccrochage", date(2021, 9, 1), candidate_id=str(cand), certificate_id=str(cert))
    if twice:
        w.run(cmd)
    if before_issue:
        cmd["effective_date"] = "2021-08-01"
    return cmd


CASES: list[tuple[str, str, Arrange]] = [
    (
        "body_has_power",
        "[S22]",
        lambda w: {**_prealable(w, w.register(), date(2021, 3, 10), []), "body": "training_org"},
    ),
    ("decision_not_in_future", "ledger rule", lambda w: _prealable(w, w.register(), date(2026, 11, 2), [])),
    (
        "habilitation_by_certifpro_campaign",
        "[S58]",
        lambda w: w.certifpro(
            "HabilitateOrganisation",
            date(2020, 1, 1),
            siret=EVAL_A,
            certificate="clea_management",
            campaign="certifpro-2019",
            valid_to="2023-01-01",
        ),
    ),
    (
        "evaluator_habilitated_on_date",
        "[S54]",
        lambda w: _prealable(w, w.register(), date(2021, 3, 10), []) | {"evaluator_siret": EVAL_B},
    ),
    ("evaluator_habilitated_on_date", "D6113-31", _after_withdrawal),
    (
        "withdraw_habilitation_in_force",
        "[S58]",
        lambda w: w.certifpro("WithdrawHabilitation", date(2018, 1, 1), siret=EVAL_A, certificate="clea"),
    ),
    ("training_habilitation_before_2019_07_01", "[S60]", _legacy_training),
    (
        "branch_jury_may_award",
        "[S52]",
        lambda w: w.certifpro(
            "RegisterBranchJury",
            date(2020, 1, 1),
            branch_code="IDCC-9999",
            name="CPNE 9999",
            awards=["clea_numerique"],
        ),
    ),
    (
        "certified_independently",
        "D6113-31",
        lambda w: _prealable(w, w.register("clea_numerique"), date(2021, 3, 10), ["D3.1.1"]),
    ),
    ("new_prealable_only_after_window", "[S22]", lambda w: _prealable(w, w.partial(), date(2025, 1, 1), [])),
    ("within_five_years_of_prealable", "[S22]", _expired_final),
    (
        "evaluator_is_not_trainer",
        "[S22]",
        lambda w: _final_cmd(w, _trained(w), ["D6", "D7"], [], evaluator="trainer-1"),
    ),
    (
        "plan_targets_missing_domains",
        "[S22]",
        lambda w: w.evaluator(
            "AssignTrainingPlan",
            date(2021, 3, 20),
            candidate_id=str(w.partial()),
            domains=["D1", "D6"],
            training_org_siret=TRAIN,
        ),
    ),
    ("final_evaluation_of_missing_domains", "[S22]", lambda w: _final_cmd(w, _trained(w), ["D1"], [])),
    ("final_evaluation_after_training", "[S22]", lambda w: _final_cmd(w, _planned(w), ["D6", "D7"], [])),
    (
        "training_follows_plan",
        "[S22]",
        lambda w: w.cmd(
            "CompleteTraining",
            "training_org",
            "trainer",
            "trainer-1",
            date(2021, 6, 30),
            candidate_id=str(w.partial()),
            training_org_siret=TRAIN,
            trainer_id="trainer-1",
        ),
    ),
    ("all_domains_acquired_before_jury", "D6113-30", lambda w: w.jury_cmd(w.partial())),
    (
        "jury_is_paritaire",
        "[S22]",
        lambda w: w.jury_cmd(
            w.partial(missing=()),
            members=[{"person_id": "a", "side": "employer"}, {"person_id": "b", "side": "employer"}],
        ),
    ),
    (
        "branch_jury_may_award",
        "[S52]",
        lambda w: w.jury_cmd(
            w.partial(cert="clea_numerique", missing=()), body="branch_jury", branch_code=BRANCH
        ),
    ),
    (
        "submission_by_candidate_evaluator",
        "[S22]",
        lambda w: w.submit_cmd(w.partial(missing=()), evaluator_siret=EVAL_B),
    ),
    ("dossier_submitted_once", "[S22]", _submitted_twice),
    (
        "jury_decides_submitted_dossier",
        "[S22]",
        lambda w: w.jury_cmd(w.partial(missing=())),
    ),
    (
        "certificate_after_favourable_jury",
        "D6113-31",
        lambda w: w.certifpro(
            "IssueCleaCertificate", date(2021, 8, 2), candidate_id=str(w.partial(missing=()))
        ),
    ),
    (
        "one_active_certificate",
        "Arrêté du 19 février 2019",
        lambda w: w.certifpro("IssueCleaCertificate", date(2021, 8, 3), candidate_id=str(w.certified()[0])),
    ),
    (
        "certificate_is_active",
        "Arrêté du 19 février 2019",
        lambda w: w.certifpro(
            "RecordAccrochage",
            date(2021, 9, 1),
            candidate_id=str(w.certified()[0]),
            certificate_id=str(w.register()),
        ),
    ),
    ("accrochage_once", "L6113-8", lambda w: _accrochage(w, twice=True)),
    ("accrochage_after_issue", "L6113-8", lambda w: _accrochage(w, before_issue=True)),
    ("deadline_missed_after_due_date", "L6113-8", _accrochage_not_yet_due),
    (
        "deadline_missed_after_due_date",
        "[S22]",
        lambda w: w.certifpro(
            "RecordCleaDeadlineMissed",
            date(2025, 1, 1),
            candidate_id=str(w.partial()),
            kind="validity_window",
        ),
    ),
    (
        "revoke_existing_decision",
        "ledger rule",
        lambda w: w.evaluator(
            "RevokeCleaDecision",
            date(2021, 4, 1),
            candidate_id=str(w.partial()),
            target_version=1,
            reason="erreur de saisie",
        ),
    ),
    (
        "revoked_by_same_body",
        "ledger rule",
        lambda w: w.certifpro(
            "RevokeCleaDecision",
            date(2021, 4, 1),
            candidate_id=str(w.partial()),
            target_version=2,
            reason="erreur de saisie",
        ),
    ),
    ("revocation_has_reason", "ledger rule", lambda w: _revoke_cert(w, None)),
]


@pytest.mark.parametrize(
    ("rule", "source", "arrange"), CASES, ids=[f"{r}-{i}" for i, (r, _, _) in enumerate(CASES)]
)
def test_each_rule_refuses_and_names_itself(world: World, rule: str, source: str, arrange: Arrange) -> None:
    """A command breaking one rule is refused by that rule, citing its source, writing nothing."""
    bad = arrange(world)
    before = world.stored()
    with pytest.raises(RuleViolation) as refused:
        world.run(bad)
    assert refused.value.rule == rule, refused.value
    assert source in refused.value.article
    assert world.stored() == before


def test_threshold_rule_decides_acquisition_and_blocks_the_jury(world: World) -> None:
    """Below the threshold in force a domain stays missing, so the jury is refused."""
    cand = world.register()
    almost = passed_for(
        CLEA, ["D1", "D2", "D3", "D4", "D5", "D6", "D7"], except_=["D7.2.1", "D7.2.2", "D7.2.3"]
    )  # 3/6 < 65% in clea-v2018
    world.prealable(cand, almost)
    pre = world.candidate(cand).prealable()
    assert pre is not None and pre.missing == ("D7",)
    d72 = next(s for r in pre.results if r.code == "D7" for s in r.sub_domains if s.code == "D7.2")
    assert (d72.acquired, d72.threshold, len(d72.passed)) == (False, 0.65, 3)
    with pytest.raises(RuleViolation) as refused:
        world.jury(cand)
    assert refused.value.rule == "all_domains_acquired_before_jury"


@pytest.mark.parametrize(
    ("on", "passed", "acquired"),
    [
        (date(2017, 6, 1), ["D1.1.1"], False),  # clea-v2015: 75% of 2 → 2 needed
        (date(2017, 6, 1), ["D1.1.1", "D1.1.2"], True),
        (date(2018, 6, 1), ["D1.1.1"], True),  # clea-v2018: 50%, D1.1.1 mandatory
        (date(2018, 6, 1), ["D1.1.2"], False),  # mandatory criterion missing
    ],
)
def test_sub_domain_threshold_of_the_version_in_force(on: date, passed: list[str], acquired: bool) -> None:
    """The named threshold rule uses the version in force on the evaluation date."""
    spec = ref.version_in_force(CLEA, on).domains[0].sub_domains[0]
    verdict = rules.sub_domain_meets_threshold(spec, passed)
    assert (verdict.rule, verdict.allowed) == ("sub_domain_meets_threshold", acquired)
    assert "[S54]" in verdict.article


def test_incomplete_referential_is_refused() -> None:
    """A referential version missing a domain cannot be applied (D6113-30 I: seven domains)."""
    full = ref.version_in_force(CLEA, date(2021, 1, 1))
    cut = ReferentialSpec(
        certificate=CLEA, version=full.version, effective_from=full.effective_from, domains=full.domains[:6]
    )
    decision = Decision(
        actor_id="eval-1",
        actor_role=ActorRole.EVALUATOR,
        body=Body.EVALUATOR_ORG,
        effective_date=date(2021, 3, 10),
        recorded_at=NOW,
        legal_basis="x",
        ruleset_version="y",
    )
    win = HabilitationWindow(
        certificate=CLEA, campaign="certifpro-2019", valid_from=date(2019, 7, 10), valid_to=date(2027, 1, 1)
    )
    cand = Candidate.register(
        person_id=uuid4(),
        certificate=CLEA,
        evaluator_siret=EVAL_A,
        evaluator_region=Region.ILE_DE_FRANCE,
        evaluator_windows=[win],
        decision=decision,
    )
    with pytest.raises(RuleViolation) as refused:
        cand.record_prior_evaluation(
            evaluator_siret=EVAL_A,
            evaluator_id="eval-1",
            evaluator_windows=[win],
            referential=cut,
            passed=[],
            decision=decision,
        )
    assert refused.value.rule == "referential_has_all_domains"
    assert "D6113-30" in refused.value.article
