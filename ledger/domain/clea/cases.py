"""Table-driven cases of every CléA rule: lawful, unlawful and boundary."""

from __future__ import annotations

from datetime import date
from typing import Any

from ledger.domain.catalogue import Case, case
from ledger.domain.clea.rules import POWERS
from ledger.domain.clea.values import (
    Campaign,
    CertificateType,
    DeadlineKind,
    DomainSpec,
    HabilitationWindow,
    JuryMember,
    ReferentialSpec,
    Side,
    SubDomainSpec,
)
from ledger.domain.kernel import Body

D = date
CLEA, NUM, MGT = CertificateType.CLEA, CertificateType.NUMERIQUE, CertificateType.MANAGEMENT
CAMPAIGN = Campaign(id="certifpro-2019", decided_on=D(2019, 7, 9), certificates=(CLEA, NUM))
WINDOW = HabilitationWindow(
    certificate=CLEA, campaign="certifpro-2019", valid_from=D(2019, 7, 9), valid_to=D(2022, 7, 8)
)
WITHDRAWN = WINDOW.model_copy(update={"withdrawn_on": D(2021, 3, 5)})
FOUR = SubDomainSpec(code="D1.2", criteria=("D1.2.1", "D1.2.2", "D1.2.3", "D1.2.4"), threshold=0.75)
MANDATORY = SubDomainSpec(code="D1.1", criteria=("D1.1.1", "D1.1.2"), threshold=0.5, mandatory=("D1.1.1",))


def _referential(domains: int) -> ReferentialSpec:
    return ReferentialSpec(
        certificate=CLEA,
        version="clea-v2018",
        effective_from=D(2018, 1, 1),
        domains=tuple(
            DomainSpec(
                code=f"D{i}",
                sub_domains=(SubDomainSpec(code=f"D{i}.1", criteria=(f"D{i}.1.1",), threshold=0.75),),
            )
            for i in range(1, domains + 1)
        ),
    )


REF7 = _referential(7)
EMPLOYER, EMPLOYEE = (
    JuryMember(person_id="e-1", side=Side.EMPLOYER),
    JuryMember(person_id="s-1", side=Side.EMPLOYEE),
)


def _c(rule: str, case_id: str, kind: Any, allowed: bool, note: str = "", /, **args: Any) -> Case:
    return case(f"clea.{rule}", case_id, kind, allowed, note, **args)


# fmt: off
CASES: tuple[Case, ...] = (
    _c("habilitation_by_certifpro_campaign", "from-board-decision", "boundary", True, campaign=CAMPAIGN,
       certificate=CLEA, valid_from=D(2019, 7, 9), valid_to=D(2022, 7, 8)),
    _c("habilitation_by_certifpro_campaign", "before-board-decision", "boundary", False,
       campaign=CAMPAIGN, certificate=CLEA, valid_from=D(2019, 7, 8), valid_to=D(2022, 7, 8)),
    _c("habilitation_by_certifpro_campaign", "certificate-not-covered", "unlawful", False,
       campaign=CAMPAIGN, certificate=MGT, valid_from=D(2019, 7, 9), valid_to=D(2022, 7, 8)),
    _c("habilitation_by_certifpro_campaign", "unknown-campaign", "unlawful", False, campaign=None,
       certificate=CLEA, valid_from=D(2019, 7, 9), valid_to=D(2022, 7, 8)),
    _c("evaluator_habilitated_on_date", "last-day", "boundary", True, windows=(WINDOW,),
       certificate=CLEA, day=D(2022, 7, 8)),
    _c("evaluator_habilitated_on_date", "day-after", "boundary", False, windows=(WINDOW,),
       certificate=CLEA, day=D(2022, 7, 9)),
    _c("evaluator_habilitated_on_date", "withdrawn-that-day", "boundary", False, windows=(WITHDRAWN,),
       certificate=CLEA, day=D(2021, 3, 5)),
    _c("evaluator_habilitated_on_date", "other-certificate", "unlawful", False, windows=(WINDOW,),
       certificate=NUM, day=D(2020, 1, 6)),
    _c("withdraw_habilitation_in_force", "in-force", "lawful", True, windows=(WINDOW,), certificate=CLEA,
       day=D(2021, 3, 5)),
    _c("withdraw_habilitation_in_force", "already-withdrawn", "unlawful", False, windows=(WITHDRAWN,),
       certificate=CLEA, day=D(2021, 6, 1)),
    _c("training_habilitation_before_2019_07_01", "from-1-july-2019", "boundary", True,
       legacy_until=None, day=D(2019, 7, 1)),
    _c("training_habilitation_before_2019_07_01", "30-june-without", "boundary", False,
       legacy_until=None, day=D(2019, 6, 30)),
    _c("training_habilitation_before_2019_07_01", "30-june-habilitated", "lawful", True,
       legacy_until=D(2019, 12, 31), day=D(2019, 6, 30)),
    _c("branch_jury_may_award", "clea", "lawful", True, awards=(CLEA,), certificate=CLEA),
    _c("branch_jury_may_award", "numerique", "unlawful", False, awards=(CLEA,), certificate=NUM),
    _c("branch_jury_may_award", "unknown-jury", "unlawful", False, awards=None, certificate=CLEA),
    _c("certified_independently", "own-criteria", "lawful", True, referential=REF7,
       criteria=("D1.1.1",), domains=("D1",)),
    _c("certified_independently", "foreign-criterion", "unlawful", False, referential=REF7,
       criteria=("N1.1.1",), domains=()),
    _c("sub_domain_meets_threshold", "three-of-four", "boundary", True, spec=FOUR,
       passed={"D1.2.1", "D1.2.2", "D1.2.3"}),
    _c("sub_domain_meets_threshold", "two-of-four", "boundary", False, spec=FOUR,
       passed={"D1.2.1", "D1.2.2"}),
    _c("sub_domain_meets_threshold", "mandatory-passed", "lawful", True, spec=MANDATORY, passed={"D1.1.1"}),
    _c("sub_domain_meets_threshold", "mandatory-missing", "unlawful", False, spec=MANDATORY,
       passed={"D1.1.2"}),
    _c("referential_has_all_domains", "seven", "lawful", True, referential=REF7),
    _c("referential_has_all_domains", "six", "unlawful", False, referential=_referential(6)),
    _c("new_prealable_only_after_window", "first", "lawful", True, current_end=None, day=D(2019, 3, 2)),
    _c("new_prealable_only_after_window", "on-last-day", "boundary", False, current_end=D(2024, 3, 2),
       day=D(2024, 3, 2)),
    _c("new_prealable_only_after_window", "day-after", "boundary", True, current_end=D(2024, 3, 2),
       day=D(2024, 3, 3)),
    _c("within_five_years_of_prealable", "last-day", "boundary", True, prealable_on=D(2019, 3, 2),
       day=D(2024, 3, 2)),
    _c("within_five_years_of_prealable", "day-after", "boundary", False, prealable_on=D(2019, 3, 2),
       day=D(2024, 3, 3)),
    _c("within_five_years_of_prealable", "leap-day", "boundary", True,
       "29 February 2020 + 5 years ends on 28 February 2025", prealable_on=D(2020, 2, 29),
       day=D(2025, 2, 28)),
    _c("within_five_years_of_prealable", "leap-day-after", "boundary", False,
       prealable_on=D(2020, 2, 29), day=D(2025, 3, 1)),
    _c("within_five_years_of_prealable", "no-prealable", "unlawful", False, prealable_on=None,
       day=D(2020, 1, 1)),
    _c("evaluator_is_not_trainer", "different-people", "lawful", True, evaluators={"eval-1"},
       trainers={"trainer-1"}),
    _c("evaluator_is_not_trainer", "same-person", "unlawful", False, evaluators={"p-1"}, trainers={"p-1"}),
    _c("plan_targets_missing_domains", "missing-only", "lawful", True, plan=("D7",), missing=("D6", "D7")),
    _c("plan_targets_missing_domains", "acquired-domain", "unlawful", False, plan=("D1",), missing=("D7",)),
    _c("plan_targets_missing_domains", "empty-plan", "unlawful", False, plan=(), missing=("D7",)),
    _c("final_evaluation_of_missing_domains", "missing-domain", "lawful", True, domains=("D7",),
       criteria=("D7.1.1",), missing=("D7",)),
    _c("final_evaluation_of_missing_domains", "acquired-domain", "unlawful", False, domains=("D1",),
       criteria=("D1.1.1",), missing=("D7",)),
    _c("final_evaluation_of_missing_domains", "criteria-of-other-domain", "unlawful", False,
       domains=("D7",), criteria=("D6.1.1",), missing=("D6", "D7")),
    _c("final_evaluation_after_training", "trained", "lawful", True, open_plan=True, trained_since_plan=True),
    _c("final_evaluation_after_training", "plan-open", "unlawful", False, open_plan=True,
       trained_since_plan=False),
    _c("training_follows_plan", "open-plan", "lawful", True, has_plan=True),
    _c("training_follows_plan", "no-plan", "unlawful", False, has_plan=False),
    _c("all_domains_acquired_before_jury", "all-seven", "lawful", True, missing=(), certificate=CLEA),
    _c("all_domains_acquired_before_jury", "one-missing", "unlawful", False, missing=("D7",),
       certificate=CLEA),
    _c("submission_by_candidate_evaluator", "own-evaluator", "lawful", True,
       deciding_siret="11111111100011", candidate_siret="11111111100011"),
    _c("submission_by_candidate_evaluator", "other-evaluator", "unlawful", False,
       deciding_siret="22222222200022", candidate_siret="11111111100011"),
    _c("dossier_submitted_once", "first", "lawful", True, pending=False, awarded=False),
    _c("dossier_submitted_once", "after-unfavourable-decision", "lawful", True, pending=False,
       awarded=False),
    _c("dossier_submitted_once", "pending", "unlawful", False, pending=True, awarded=False),
    _c("dossier_submitted_once", "already-awarded", "unlawful", False, pending=False, awarded=True),
    _c("jury_decides_submitted_dossier", "branch-submitted-to-it", "lawful", True,
       seized="branch_jury:IDCC-1517", deciding="branch_jury:IDCC-1517", submitted_on=D(2021, 7, 1),
       day=D(2021, 7, 1)),
    _c("jury_decides_submitted_dossier", "paritaire-legacy-decided", "lawful", True,
       seized="jury_paritaire", deciding="jury_paritaire", submitted_on=None, day=D(2021, 7, 1)),
    _c("jury_decides_submitted_dossier", "not-submitted", "unlawful", False, seized=None,
       deciding="jury_paritaire", submitted_on=None, day=D(2021, 7, 1)),
    _c("jury_decides_submitted_dossier", "branch-not-submitted", "unlawful", False, seized=None,
       deciding="branch_jury:IDCC-1517", submitted_on=None, day=D(2021, 7, 1)),
    _c("jury_decides_submitted_dossier", "submitted-to-another-branch", "unlawful", False,
       seized="branch_jury:IDCC-1517", deciding="branch_jury:IDCC-0016", submitted_on=D(2021, 7, 1),
       day=D(2021, 7, 2)),
    _c("jury_decides_submitted_dossier", "day-before-submission", "boundary", False,
       seized="jury_paritaire", deciding="jury_paritaire", submitted_on=D(2021, 7, 2), day=D(2021, 7, 1)),
    _c("jury_is_paritaire", "one-and-one", "lawful", True, members=(EMPLOYER, EMPLOYEE)),
    _c("jury_is_paritaire", "two-employers", "unlawful", False,
       members=(EMPLOYER, JuryMember(person_id="e-2", side=Side.EMPLOYER), EMPLOYEE)),
    _c("jury_is_paritaire", "same-member-twice", "unlawful", False,
       members=(EMPLOYER, JuryMember(person_id="e-1", side=Side.EMPLOYEE))),
    _c("jury_is_paritaire", "empty", "unlawful", False, members=()),
    _c("certificate_after_favourable_jury", "awarded", "lawful", True, awarded=True),
    _c("certificate_after_favourable_jury", "refused", "unlawful", False, awarded=False),
    _c("certificate_after_favourable_jury", "no-jury", "unlawful", False, awarded=None),
    _c("one_active_certificate", "first", "lawful", True, active=False),
    _c("one_active_certificate", "second", "unlawful", False, active=True),
    _c("certificate_is_active", "active", "lawful", True, found=True),
    _c("certificate_is_active", "unknown", "unlawful", False, found=False),
    _c("accrochage_once", "first", "lawful", True, already=False),
    _c("accrochage_once", "second", "unlawful", False, already=True),
    _c("accrochage_after_issue", "issue-day", "boundary", True, reported_on=D(2021, 7, 1),
       issued_on=D(2021, 7, 1)),
    _c("accrochage_after_issue", "day-before", "boundary", False, reported_on=D(2021, 6, 30),
       issued_on=D(2021, 7, 1)),
    _c("deadline_missed_after_due_date", "accrochage-day-after", "boundary", True,
       kind=DeadlineKind.ACCROCHAGE, due_by=D(2021, 10, 1), done=False, day=D(2021, 10, 2), seen=False),
    _c("deadline_missed_after_due_date", "accrochage-due-day", "boundary", False,
       kind=DeadlineKind.ACCROCHAGE, due_by=D(2021, 10, 1), done=False, day=D(2021, 10, 1), seen=False),
    _c("deadline_missed_after_due_date", "window-done", "unlawful", False,
       kind=DeadlineKind.VALIDITY_WINDOW, due_by=D(2024, 3, 2), done=True, day=D(2024, 6, 1), seen=False),
    _c("candidate_not_erased", "not-erased", "lawful", True, erased=False),
    _c("candidate_not_erased", "erased", "unlawful", False, erased=True),
    _c("erasure_by_candidate_evaluator", "certifpro", "lawful", True, body=Body.CERTIFPRO,
       deciding_siret=None, candidate_siret="11111111100011"),
    _c("erasure_by_candidate_evaluator", "own-evaluator", "lawful", True, body=Body.EVALUATOR_ORG,
       deciding_siret="11111111100011", candidate_siret="11111111100011"),
    _c("erasure_by_candidate_evaluator", "other-evaluator", "unlawful", False, body=Body.EVALUATOR_ORG,
       deciding_siret="22222222200022", candidate_siret="11111111100011"),
    _c("erasure_has_reason", "with-reason", "lawful", True, reason="Demande RGPD art. 17"),
    _c("erasure_has_reason", "blank-reason", "unlawful", False, reason="  "),
    case("shared.body_has_power", "clea-evaluator-erases", "lawful", True, action="erase",
         body=Body.EVALUATOR_ORG, powers=POWERS),
    case("shared.body_has_power", "clea-jury-erases", "unlawful", False, action="erase",
         body=Body.JURY_PARITAIRE, powers=POWERS),
    case("shared.body_has_power", "clea-certifpro-issues", "lawful", True, action="issue",
         body=Body.CERTIFPRO, powers=POWERS),
    case("shared.body_has_power", "clea-evaluator-issues", "unlawful", False, action="issue",
         body=Body.EVALUATOR_ORG, powers=POWERS),
)

# fmt: on
