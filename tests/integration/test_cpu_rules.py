"""Every CPU rule refuses what it must, names itself and its article, and writes nothing.

Each case builds a legal history, then sends the one command the rule forbids. Removing
the rule makes the command succeed, so the case fails. Runs on SQLite and PostgreSQL.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest

from ledger.application import Ledger
from ledger.domain.errors import RuleViolation
from tests.builders import (
    FASE,
    FASE_TQ2,
    NRN,
    OPTION,
    admit,
    cmd,
    events_count,
    finish_fourth,
    on,
    open_option,
    pass_unit,
    run,
)

Setup = Callable[[Ledger], dict[str, Any]]


@dataclass(frozen=True)
class Case:
    """A refused command: the rule and article it must cite."""

    rule: str
    article: str
    setup: Setup


def fifth_by_fourth_route(lg: Ledger) -> dict[str, Any]:
    open_option(lg)
    return cmd(
        "AdmitLearner",
        "direction",
        "2019-09-01",
        option_code=OPTION,
        school_year=2019,
        year=5,
        route="A4_standard",
    )


def fifth_same_option_without_attestation(lg: Ledger) -> dict[str, Any]:
    open_option(lg)
    return cmd(
        "AdmitLearner",
        "direction",
        "2019-09-01",
        option_code=OPTION,
        school_year=2019,
        year=5,
        route="A5_same_option",
    )


def alternance_route_in_tq(lg: Ledger) -> dict[str, Any]:
    open_option(lg)
    return cmd(
        "AdmitLearner",
        "conseil_admission",
        "2019-09-01",
        option_code=OPTION,
        school_year=2019,
        year=5,
        route="A5_alternance",
        alternance_attestations=True,
    )


def conseil_route_by_direction(lg: Ledger) -> dict[str, Any]:
    open_option(lg)
    return cmd(
        "AdmitLearner",
        "direction",
        "2019-09-01",
        option_code=OPTION,
        school_year=2019,
        year=5,
        route="A5_admission_other",
        prior_passed_year=5,
    )


def fifth_before_option_has_fifth(lg: Ledger) -> dict[str, Any]:
    open_option(lg, first=2019)
    return cmd(
        "AdmitLearner",
        "conseil_admission",
        "2019-09-01",
        option_code=OPTION,
        school_year=2019,
        year=5,
        route="A5_admission_other",
        prior_passed_year=5,
    )


def option_not_open(lg: Ledger) -> dict[str, Any]:
    return cmd(
        "AdmitLearner",
        "direction",
        "2019-09-01",
        option_code=OPTION,
        school_year=2019,
        year=4,
        route="A4_standard",
    )


def repeat_fifth(lg: Ledger) -> dict[str, Any]:
    open_option(lg)
    learner = admit(lg, year=5, route="A5_repeat_transformed")
    return on(learner, "RepeatYear", "conseil_classe", "2020-09-01")


def repeat_sixth(lg: Ledger) -> dict[str, Any]:
    open_option(lg)
    learner = admit(lg, year=6, route="A6_repeat_transformed", sy=2020)
    return on(learner, "RepeatYear", "conseil_classe", "2021-09-01")


def sixth_in_opening_year(lg: Ledger) -> dict[str, Any]:
    open_option(lg, first=2019)
    return cmd(
        "AdmitLearner",
        "direction",
        "2019-09-01",
        option_code=OPTION,
        school_year=2019,
        year=6,
        route="A6_repeat_transformed",
    )


def fifth_repeater_in_opening_year(lg: Ledger) -> dict[str, Any]:
    open_option(lg, first=2019)
    return cmd(
        "AdmitLearner",
        "direction",
        "2019-09-01",
        option_code=OPTION,
        school_year=2019,
        year=5,
        route="A5_repeat_transformed",
    )


def transfer_into_fifth_not_organised(lg: Ledger) -> dict[str, Any]:
    open_option(lg)
    open_option(lg, fase=FASE_TQ2, first=2019)
    learner = admit(lg, year=5, route="A5_repeat_transformed")
    return on(learner, "TransferLearner", "direction", "2019-10-01", FASE_TQ2, national_register_number=NRN)


def transfer_after_reorientation(lg: Ledger) -> dict[str, Any]:
    open_option(lg)
    open_option(lg, fase=FASE_TQ2)
    learner = admit(lg)
    run(lg, on(learner, "StartReorientationSupport", "conseil_classe", "2020-02-20"))
    run(
        lg,
        on(
            learner,
            "IssueAttestation",
            "conseil_classe",
            "2020-06-25",
            kind="REORIENTATION",
            advice="Conseil: option Electricité",
        ),
    )
    return on(learner, "TransferLearner", "direction", "2020-07-01", FASE_TQ2, national_register_number=NRN)


def option_before_the_arrete(lg: Ledger) -> dict[str, Any]:
    return cmd("OpenOption", "direction", "2017-06-01", option_code=OPTION, first_school_year=2017)


def decision_before_admission(lg: Ledger) -> dict[str, Any]:
    open_option(lg)
    learner = admit(lg)
    return on(
        learner,
        "AuthoriseTest",
        "jury_qualification",
        "2019-08-20",
        uaa="UAA1",
        representatives_informed=True,
    )


def reorientation_without_advice(lg: Ledger) -> dict[str, Any]:
    open_option(lg)
    learner = admit(lg)
    run(lg, on(learner, "StartReorientationSupport", "conseil_classe", "2020-02-20"))
    return on(learner, "IssueAttestation", "conseil_classe", "2020-06-25", kind="REORIENTATION")


def repeat_fourth_after_aoa(lg: Ledger) -> dict[str, Any]:
    open_option(lg)
    learner = admit(lg)
    finish_fourth(lg, learner, "AOA")
    return on(learner, "RepeatYear", "conseil_classe", "2020-09-01")


def promote_after_reorientation(lg: Ledger) -> dict[str, Any]:
    open_option(lg)
    learner = admit(lg)
    run(lg, on(learner, "StartReorientationSupport", "conseil_classe", "2020-01-10"))
    run(
        lg,
        on(
            learner,
            "IssueAttestation",
            "conseil_classe",
            "2020-06-25",
            kind="REORIENTATION",
            advice="Conseil: option Electricité",
        ),
    )
    return on(learner, "PromoteLearner", "conseil_classe", "2020-09-01")


def reorientation_short_support(lg: Ledger) -> dict[str, Any]:
    open_option(lg)
    learner = admit(lg)
    run(lg, on(learner, "StartReorientationSupport", "conseil_classe", "2020-03-02"))
    return on(
        learner,
        "IssueAttestation",
        "conseil_classe",
        "2020-06-25",
        kind="REORIENTATION",
        advice="Conseil: option Electricité",
    )


def reorientation_no_support(lg: Ledger) -> dict[str, Any]:
    open_option(lg)
    learner = admit(lg)
    return on(
        learner,
        "IssueAttestation",
        "conseil_classe",
        "2020-06-25",
        kind="REORIENTATION",
        advice="Conseil: option Electricité",
    )


def c2d_learner(lg: Ledger) -> Any:
    open_option(lg)
    learner = admit(lg)
    run(lg, on(learner, "IssueAttestation", "conseil_classe", "2020-06-25", kind="C2D"))
    run(lg, on(learner, "RepeatYear", "conseil_classe", "2020-09-01"))
    return learner


def c2d_decision_late(lg: Ledger) -> dict[str, Any]:
    return on(c2d_learner(lg), "DecideC2D", "conseil_classe", "2021-01-15", outcome="continue")


def c2d_decision_not_c2d(lg: Ledger) -> dict[str, Any]:
    open_option(lg)
    learner = admit(lg)
    return on(learner, "DecideC2D", "conseil_classe", "2019-12-01", outcome="continue")


def c2d_continue_then_aob(lg: Ledger) -> dict[str, Any]:
    learner = c2d_learner(lg)
    run(lg, on(learner, "DecideC2D", "conseil_classe", "2021-01-10", outcome="continue"))
    return on(learner, "IssueAttestation", "conseil_classe", "2021-06-25", kind="AOB")


def second_attestation(lg: Ledger) -> dict[str, Any]:
    open_option(lg)
    learner = admit(lg)
    run(lg, on(learner, "IssueAttestation", "conseil_classe", "2020-06-25", kind="AOB"))
    return on(learner, "IssueAttestation", "conseil_classe", "2020-06-26", kind="AOA")


def attestation_in_fifth(lg: Ledger) -> dict[str, Any]:
    open_option(lg)
    learner = admit(lg, year=5, route="A5_repeat_transformed")
    return on(learner, "IssueAttestation", "conseil_classe", "2020-06-25", kind="AOA")


def uaa_outside_profile(lg: Ledger) -> dict[str, Any]:
    open_option(lg)
    learner = admit(lg)
    return on(
        learner,
        "AuthoriseTest",
        "jury_qualification",
        "2019-10-01",
        uaa="UAA9",
        representatives_informed=True,
    )


def uaa_validated_twice(lg: Ledger) -> dict[str, Any]:
    open_option(lg)
    learner = admit(lg)
    pass_unit(lg, learner, "UAA1", "2019-11-10")
    return on(learner, "ValidateUnit", "jury_delegate", "2019-11-12", uaa="UAA1")


def attempt_without_authorisation(lg: Ledger) -> dict[str, Any]:
    open_option(lg)
    learner = admit(lg)
    return on(learner, "RecordAttempt", "jury_delegate", "2019-11-10", uaa="UAA1", passed=True)


def validate_without_pass(lg: Ledger) -> dict[str, Any]:
    open_option(lg)
    learner = admit(lg)
    run(
        lg,
        on(
            learner,
            "AuthoriseTest",
            "jury_qualification",
            "2019-11-01",
            uaa="UAA1",
            representatives_informed=True,
        ),
    )
    run(lg, on(learner, "RecordAttempt", "jury_delegate", "2019-11-10", uaa="UAA1", passed=False))
    return on(learner, "ValidateUnit", "jury_delegate", "2019-11-10", uaa="UAA1")


def recognition_for_standard_learner(lg: Ledger) -> dict[str, Any]:
    open_option(lg)
    learner = admit(lg)
    return on(learner, "ValidateUnit", "jury_qualification", "2019-09-20", uaa="UAA1", via="jury_recognition")


def sixth_year_learner(lg: Ledger, validate: tuple[str, ...]) -> Any:
    open_option(lg)
    learner = admit(lg, year=6, route="A6_repeat_transformed", sy=2020)
    for uaa in validate:
        run(
            lg,
            on(learner, "ValidateUnit", "jury_qualification", "2020-09-20", uaa=uaa, via="jury_recognition"),
        )
    return learner


def cq_with_missing_uaa(lg: Ledger) -> dict[str, Any]:
    learner = sixth_year_learner(lg, ("UAA1", "UAA2", "UAA3", "UAA4"))
    return on(learner, "IssueCertificate", "jury_qualification", "2021-06-28", kind="CQ")


def cq_sovereign_without_justification(lg: Ledger) -> dict[str, Any]:
    learner = sixth_year_learner(lg, ("UAA1", "UAA2", "UAA3", "UAA4"))
    return on(
        learner,
        "IssueCertificate",
        "jury_qualification",
        "2021-06-28",
        kind="CQ",
        sovereign=True,
        justification="ok",
    )


def cq_in_fourth(lg: Ledger) -> dict[str, Any]:
    open_option(lg)
    learner = admit(lg)
    return on(
        learner,
        "IssueCertificate",
        "jury_qualification",
        "2020-06-28",
        kind="CQ",
        sovereign=True,
        justification="x" * 30,
    )


def ce6p_in_tq(lg: Ledger) -> dict[str, Any]:
    learner = sixth_year_learner(lg, ())
    return on(learner, "IssueCertificate", "conseil_classe", "2021-06-28", kind="CE6P")


def second_cq(lg: Ledger) -> dict[str, Any]:
    learner = sixth_year_learner(lg, ("UAA1", "UAA2", "UAA3", "UAA4", "UAA5", "UAA6"))
    run(lg, on(learner, "IssueCertificate", "jury_qualification", "2021-06-28", kind="CQ"))
    return on(learner, "IssueCertificate", "jury_qualification", "2021-06-29", kind="CQ")


def future_decision(lg: Ledger) -> dict[str, Any]:
    open_option(lg)
    learner = admit(lg)
    return on(
        learner,
        "AuthoriseTest",
        "jury_qualification",
        "2027-01-10",
        uaa="UAA1",
        representatives_informed=True,
    )


def body_without_power(lg: Ledger) -> dict[str, Any]:
    open_option(lg)
    learner = admit(lg)
    return on(
        learner, "AuthoriseTest", "conseil_classe", "2019-10-01", uaa="UAA1", representatives_informed=True
    )


def cq_by_conseil(lg: Ledger) -> dict[str, Any]:
    learner = sixth_year_learner(lg, ("UAA1", "UAA2", "UAA3", "UAA4", "UAA5", "UAA6"))
    return on(learner, "IssueCertificate", "conseil_classe", "2021-06-28", kind="CQ")


def other_school(lg: Ledger) -> dict[str, Any]:
    open_option(lg)
    learner = admit(lg)
    return on(
        learner,
        "AuthoriseTest",
        "jury_qualification",
        "2019-10-01",
        FASE_TQ2,
        uaa="UAA1",
        representatives_informed=True,
    )


def revoke_unknown(lg: Ledger) -> dict[str, Any]:
    open_option(lg)
    learner = admit(lg)
    return on(learner, "RevokeDecision", "jury_delegate", "2019-10-01", target_version=9, reason="erreur")


def notice_before_due(lg: Ledger) -> dict[str, Any]:
    open_option(lg)
    open_option(lg, fase=FASE_TQ2)
    learner = admit(lg, year=5, route="A5_repeat_transformed")
    run(lg, on(learner, "TransferLearner", "direction", "2019-10-01", FASE_TQ2, national_register_number=NRN))
    return on(learner, "GiveFormalNotice", "administration", "2019-10-10", FASE_TQ2)


def report_from_wrong_school(lg: Ledger) -> dict[str, Any]:
    open_option(lg)
    open_option(lg, fase=FASE_TQ2)
    learner = admit(lg, year=5, route="A5_repeat_transformed")
    run(lg, on(learner, "TransferLearner", "direction", "2019-10-01", FASE_TQ2, national_register_number=NRN))
    return on(learner, "SendCompetenceReport", "conseil_classe", "2019-10-05", FASE_TQ2)


def pssa_not_c2d(lg: Ledger) -> dict[str, Any]:
    open_option(lg)
    learner = admit(lg)
    return on(learner, "WritePssa", "conseil_classe", "2019-10-05")


def deadline_not_yet_passed(lg: Ledger) -> dict[str, Any]:
    learner = c2d_learner(lg)
    return on(learner, "RecordMissedDeadline", "administration", "2020-10-10", kind="pssa")


def aob_c2d_learner(lg: Ledger) -> Any:
    open_option(lg)
    learner = admit(lg)
    run(lg, on(learner, "IssueAttestation", "conseil_classe", "2020-06-25", kind="AOB"))
    run(lg, on(learner, "RepeatYear", "conseil_classe", "2020-09-01"))
    return learner


def deadline_recorded_twice(lg: Ledger) -> dict[str, Any]:
    learner = aob_c2d_learner(lg)
    run(lg, on(learner, "RecordMissedDeadline", "administration", "2020-10-20", kind="pssa"))
    return on(learner, "RecordMissedDeadline", "administration", "2020-11-20", kind="pssa")


CASES = {
    "5th year by a 4th-year route": Case("admission_route_for_year", "art. 5", fifth_by_fourth_route),
    "5th same option needs AOA/AOB": Case(
        "fifth_same_option_needs_passed_fourth", "art. 5 §2", fifth_same_option_without_attestation
    ),
    "alternance route only in P": Case("route_only_in_p", "art. 5 §2", alternance_route_in_tq),
    "conseil d'admission routes": Case(
        "route_decided_by_conseil_admission", "art. 5 §2", conseil_route_by_direction
    ),
    "5th only from the year after 4th opened": Case(
        "year_organised_at_school", "art. 6 §1", fifth_before_option_has_fifth
    ),
    "no 5th-year repeater in the opening year": Case(
        "year_organised_at_school", "art. 6 §1", fifth_repeater_in_opening_year
    ),
    "no 6th year in the opening year": Case("year_organised_at_school", "art. 6 §1", sixth_in_opening_year),
    "no transfer into a 5th not organised yet": Case(
        "year_organised_at_school", "art. 6 §1", transfer_into_fifth_not_organised
    ),
    "no transfer after a réorientation": Case(
        "no_reenrolment_after_reorientation", "art. 4 §1 3°", transfer_after_reorientation
    ),
    "no option before the Arrêté applied": Case(
        "option_opened_from_2018", "art. 1", option_before_the_arrete
    ),
    "no decision before the admission": Case(
        "decision_not_before_admission", "art. 5", decision_before_admission
    ),
    "option must be open": Case("option_open_at_school", "art. 6 §1", option_not_open),
    "no repeating 5th": Case("no_repeat_fifth_year", "art. 4 §2", repeat_fifth),
    "no repeating 6th": Case("no_repeat_sixth_year", "art. 4 §4", repeat_sixth),
    "4th repeated only as C2D": Case("fourth_year_repeat_only_as_c2d", "art. 4 §1", repeat_fourth_after_aoa),
    "no promotion after réorientation": Case(
        "promotion_needs_passed_fourth", "art. 4 §1", promote_after_reorientation
    ),
    "réorientation support covers the last 4 months": Case(
        "reorientation_support_covers_last_four_months", "art. 4 §1 3°", reorientation_short_support
    ),
    "réorientation needs traced support": Case(
        "reorientation_support_covers_last_four_months", "art. 4 §1 3°", reorientation_no_support
    ),
    "réorientation includes a conseil": Case(
        "reorientation_includes_advice", "art. 4 §1 3°", reorientation_without_advice
    ),
    "C2D decision before 15 January": Case(
        "c2d_decision_before_15_january", "art. 4 §1 4°", c2d_decision_late
    ),
    "C2D decision only for C2D": Case(
        "c2d_decision_only_for_c2d_pupil", "art. 4 §1 4°", c2d_decision_not_c2d
    ),
    "C2D continue leads to AOA": Case("c2d_continue_leads_to_aoa", "art. 4 §1 4°", c2d_continue_then_aob),
    "one attestation per year": Case("one_attestation_per_year", "art. 4 §1", second_attestation),
    "attestation closes 4th": Case("attestation_only_in_fourth_year", "art. 4 §1", attestation_in_fifth),
    "UAA must be in profile": Case("uaa_in_learner_profile", "art. 2 7°", uaa_outside_profile),
    "UAA validated once": Case("uaa_not_already_validated", "art. 2 7°", uaa_validated_twice),
    "attempt needs authorisation": Case(
        "attempt_needs_jury_authorisation", "art. 4 §6", attempt_without_authorisation
    ),
    "validation needs a passed test": Case("validation_by_passed_test", "art. 2 7°", validate_without_pass),
    "recognition only for transformed repeaters": Case(
        "recognition_for_transformed_repeaters", "art. 4 §3", recognition_for_standard_learner
    ),
    "no CQ with a missing UAA": Case(
        "cq_needs_all_uaa_or_sovereign_decision", "art. 21ter", cq_with_missing_uaa
    ),
    "sovereign CQ needs justification": Case(
        "cq_needs_all_uaa_or_sovereign_decision", "art. 21ter", cq_sovereign_without_justification
    ),
    "certificates in 6th": Case("certificate_in_sixth_year", "art. 2 7°", cq_in_fourth),
    "CE6P only in P": Case("ce6p_only_in_p", "CE6P", ce6p_in_tq),
    "one active CQ": Case("one_active_certificate", "art. 2 7°", second_cq),
    "no decision in the future": Case("decision_not_in_future", "ledger rule", future_decision),
    "body without power (test authorisation)": Case("body_has_power", "art. 4 §6", body_without_power),
    "body without power (CQ)": Case("body_has_power", "art. 2 7°", cq_by_conseil),
    "decision at the enrolled school": Case("decision_at_enrolled_school", "art. 2 5°", other_school),
    "revocation targets a decision": Case("revoke_existing_decision", "ledger rule", revoke_unknown),
    "formal notice only when overdue": Case(
        "formal_notice_after_overdue_report", "art. 9", notice_before_due
    ),
    "report from the previous school": Case(
        "competence_report_requested", "art. 9", report_from_wrong_school
    ),
    "PSSA only for C2D": Case("pssa_for_c2d_pupil", "art. 4 §1 2°", pssa_not_c2d),
    "missed only once passed": Case("deadline_actually_missed", "art. 4 §1", deadline_not_yet_passed),
    "missed recorded once": Case("deadline_recorded_once", "ledger rule", deadline_recorded_twice),
}


@pytest.mark.parametrize("case", list(CASES.values()), ids=list(CASES))
def test_rule_refuses_names_article_and_writes_nothing(ledger: Ledger, case: Case) -> None:
    """The refused command raises RuleViolation naming rule and article; the log is unchanged."""
    refused = case.setup(ledger)
    before = events_count(ledger)
    from ledger.application import parse_command

    with pytest.raises(RuleViolation) as info:
        ledger.execute(parse_command(refused))
    assert info.value.rule == case.rule
    assert case.article in info.value.article
    assert events_count(ledger) == before


def test_sixth_year_repeater_admitted_once_the_sixth_is_organised(sqlite_ledger: Ledger) -> None:
    """Art. 5 §3 with Art. 6 §1: a repeater of the transformed 6th enters the option's 3rd year."""
    open_option(sqlite_ledger, first=2019)
    learner = admit(sqlite_ledger, year=6, route="A6_repeat_transformed", sy=2021)
    assert sqlite_ledger.get(learner).year == 6


def test_minor_not_informed_is_recorded_as_a_flag(sqlite_ledger: Ledger) -> None:
    """Art. 4 §6: informing a minor's representatives is a duty recorded with the decision."""
    open_option(sqlite_ledger)
    learner = admit(sqlite_ledger, birth="2004-05-01")
    run(
        sqlite_ledger,
        on(
            learner,
            "AuthoriseTest",
            "jury_qualification",
            "2019-10-01",
            uaa="UAA1",
            representatives_informed=False,
        ),
    )
    event = sqlite_ledger.get(learner).log[2]
    assert (event.learner_is_minor, event.representatives_informed) == (True, False)


def test_reorientation_with_support_from_1_march_is_lawful(sqlite_ledger: Ledger) -> None:
    """Art. 4 §1 3°: support from 1 March covers the last four months of 2019-2020."""
    open_option(sqlite_ledger)
    learner = admit(sqlite_ledger)
    run(sqlite_ledger, on(learner, "StartReorientationSupport", "conseil_classe", "2020-03-01"))
    run(
        sqlite_ledger,
        on(
            learner,
            "IssueAttestation",
            "conseil_classe",
            "2020-06-25",
            kind="REORIENTATION",
            advice="Conseil: option Electricité",
        ),
    )
    assert sqlite_ledger.get(learner).last_attestation().value == "REORIENTATION"
    assert FASE and OPTION
