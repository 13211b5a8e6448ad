"""The CPU aggregates apply the catalogue: appeals, year flags, norms and the year grid.

Pure domain tests (no store): each builds a learner by calling the aggregate's decision
methods with explicit decisions, as the application does.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from uuid import uuid4

import pytest

from ledger.domain.cpu.aggregates import Learner, SchoolOption
from ledger.domain.cpu.values import RULESET_VERSION, AppealOutcome, Attestation, Route
from ledger.domain.errors import RuleViolation
from ledger.domain.kernel import ActorRole, Body, Decision

FASE, OPTION = 209, "mecanicien-polyvalent-automobile"
NOW = datetime(2026, 11, 1, tzinfo=UTC)
PROGRAMME_4 = ["UAA1", "UAA2"]


def decided(body: Body, on: date, **extra: object) -> Decision:
    return Decision(
        actor_id="t-1",
        actor_role=ActorRole.HEAD_OF_SCHOOL,
        body=body,
        effective_date=on,
        recorded_at=NOW,
        legal_basis="AGCF-2018-08-29",
        ruleset_version=RULESET_VERSION,
        **extra,
    )  # type: ignore[arg-type]


def fourth_year_learner(sy: int = 2019) -> Learner:
    return Learner.admit(
        learner_id=uuid4(),
        fase=FASE,
        option_code=OPTION,
        form="TQ",
        profile_version=f"{OPTION}@2018-06-29",
        opened_year=2018,
        school_year=sy,
        year=4,
        route=Route.A4_STANDARD,
        decision=decided(Body.DIRECTION, date(sy, 9, 1)),
    )


def reoriented() -> Learner:
    learner = fourth_year_learner()
    learner.start_reorientation_support(
        fase=FASE, since=date(2020, 2, 1), decision=decided(Body.CONSEIL_CLASSE, date(2020, 2, 1))
    )
    learner.issue_attestation(
        fase=FASE,
        kind=Attestation.REORIENTATION,
        advice="Vers le tertiaire",
        decision=decided(Body.CONSEIL_CLASSE, date(2020, 6, 25)),
    )
    return learner


def test_reformed_reorientation_is_replaced_and_the_pupil_may_re_enrol() -> None:
    """Art. 4 §1 last al.: the conseil de recours reforms a réorientation into a C2D."""
    learner = reoriented()
    target = learner.version
    learner.lodge_appeal(fase=FASE, target=target, decision=decided(Body.DIRECTION, date(2020, 7, 1)))
    learner.decide_appeal(
        fase=FASE,
        target=target,
        outcome=AppealOutcome.REFORMED,
        replacement=Attestation.C2D,
        decision=decided(Body.ADMINISTRATION, date(2020, 8, 20)),
    )
    assert target in learner.voided and learner.attestation(2019) is Attestation.C2D
    assert learner.reoriented_from() == frozenset()
    learner.repeat_year(fase=FASE, opened_year=2018, decision=decided(Body.CONSEIL_CLASSE, date(2020, 9, 1)))
    assert (learner.year, learner.c2d) == (4, True)


def test_confirmed_reorientation_still_bars_re_enrolment() -> None:
    """A confirmed réorientation keeps the pupil out of the same orientation."""
    learner = reoriented()
    target = learner.version
    learner.lodge_appeal(fase=FASE, target=target, decision=decided(Body.DIRECTION, date(2020, 7, 1)))
    learner.decide_appeal(
        fase=FASE,
        target=target,
        outcome=AppealOutcome.CONFIRMED,
        replacement=None,
        decision=decided(Body.ADMINISTRATION, date(2020, 8, 20)),
    )
    with pytest.raises(RuleViolation) as refused:
        learner.repeat_year(
            fase=FASE, opened_year=2018, decision=decided(Body.CONSEIL_CLASSE, date(2020, 9, 1))
        )
    assert refused.value.rule == "no_reenrolment_after_reorientation"


def test_appeal_against_an_aoa_is_refused_and_writes_nothing() -> None:
    """Only decisions 3° and 4° are open to the recours externe of Art. 4 §1."""
    learner = fourth_year_learner()
    learner.issue_attestation(
        fase=FASE, kind=Attestation.AOA, decision=decided(Body.CONSEIL_CLASSE, date(2020, 6, 25))
    )
    version = learner.version
    with pytest.raises(RuleViolation) as refused:
        learner.lodge_appeal(fase=FASE, target=version, decision=decided(Body.DIRECTION, date(2020, 7, 1)))
    assert refused.value.rule == "appeal_against_reorientation_or_c2d"
    assert learner.version == version


def test_year_flags_record_unmet_test_timing_once() -> None:
    """Art. 4 §6 al. 2-3: a UAA never offered and all tests at year end are flagged, once."""
    learner = fourth_year_learner()
    learner.authorise_test(
        fase=FASE,
        uaa="UAA1",
        profile_uaa=PROGRAMME_4,
        is_minor=False,
        representatives_informed=True,
        decision=decided(Body.JURY_QUALIFICATION, date(2020, 6, 15)),
    )
    with pytest.raises(RuleViolation, match="year_over_before_flags"):
        learner.record_year_flags(
            fase=FASE,
            school_year=2019,
            programme=PROGRAMME_4,
            decision=decided(Body.ADMINISTRATION, date(2020, 6, 30)),
        )
    flags = learner.record_year_flags(
        fase=FASE,
        school_year=2019,
        programme=PROGRAMME_4,
        decision=decided(Body.ADMINISTRATION, date(2020, 7, 1)),
    )
    assert flags == ["every_uaa_of_the_year_offered", "tests_not_all_at_year_end"]
    recorded = learner.of_type(Learner.DutyFlagged)
    assert recorded[0].uaa == ("UAA2",) and "art. 4 §6" in recorded[0].article
    assert (
        learner.record_year_flags(
            fase=FASE,
            school_year=2019,
            programme=PROGRAMME_4,
            decision=decided(Body.ADMINISTRATION, date(2020, 7, 2)),
        )
        == []
    )


def test_year_spread_over_the_year_raises_no_flag() -> None:
    """Tests offered through the year meet Art. 4 §6: nothing is recorded."""
    learner = fourth_year_learner()
    for uaa, day in (("UAA1", date(2019, 11, 10)), ("UAA2", date(2020, 3, 10))):
        learner.authorise_test(
            fase=FASE,
            uaa=uaa,
            profile_uaa=PROGRAMME_4,
            is_minor=False,
            representatives_informed=True,
            decision=decided(Body.JURY_QUALIFICATION, day),
        )
    before = learner.version
    assert (
        learner.record_year_flags(
            fase=FASE,
            school_year=2019,
            programme=PROGRAMME_4,
            decision=decided(Body.ADMINISTRATION, date(2020, 7, 1)),
        )
        == []
    )
    assert learner.version == before


def test_couvreur_sixth_year_repeater_refused_in_2020() -> None:
    """Art. 4 §5: the 6th of Couvreur-Etancheur of 2019-2020 is not repeated, in the CPU 6th either."""
    with pytest.raises(RuleViolation) as refused:
        Learner.admit(
            learner_id=uuid4(),
            fase=FASE,
            option_code="couvreur-etancheur",
            form="P",
            profile_version="couvreur-etancheur@2018-06-29",
            opened_year=2018,
            school_year=2020,
            year=6,
            route=Route.A6_REPEAT_TRANSFORMED,
            decision=decided(Body.DIRECTION, date(2020, 9, 1)),
        )
    assert refused.value.rule == "couvreur_sixth_not_repeated_after_2019_20"


def test_creation_norm_checked_on_1_october_is_recorded_as_a_flag() -> None:
    """Art. 6 §3: eleven pupils in 4th on 1 October misses the norm of twelve; recorded, not refused."""
    option = SchoolOption.open(
        fase=FASE,
        option_code=OPTION,
        form="TQ",
        first_school_year=2019,
        replaces_transformed_option=False,
        decision=decided(Body.DIRECTION, date(2019, 6, 1)),
    )
    met = option.check_creation_norm(
        fourth_year_pupils=11,
        alternance_only=False,
        thematique_commune=False,
        decision=decided(Body.ADMINISTRATION, date(2019, 10, 1)),
    )
    assert met is False
    events = option.collect_events()
    assert type(events[-1]).__name__ == "CreationNormChecked" and "norm is 12" in events[-1].detail


def test_option_not_in_art1_or_before_2018_refused() -> None:
    """Art. 1, Art. 14: only the listed options, from 2018-2019."""
    with pytest.raises(RuleViolation, match="option_opened_from_2018"):
        SchoolOption.open(
            fase=FASE,
            option_code=OPTION,
            form="TQ",
            first_school_year=2017,
            replaces_transformed_option=True,
            decision=decided(Body.DIRECTION, date(2017, 6, 1)),
        )
    with pytest.raises(RuleViolation, match="option_listed_in_art1"):
        SchoolOption.open(
            fase=FASE,
            option_code="boulanger",
            form="P",
            first_school_year=2019,
            replaces_transformed_option=True,
            listed_options={OPTION},
            decision=decided(Body.DIRECTION, date(2019, 6, 1)),
        )


def aob_learner(excluded: tuple[str, ...]) -> Learner:
    learner = fourth_year_learner()
    learner.issue_attestation(
        fase=FASE,
        kind=Attestation.AOB,
        decision=decided(Body.CONSEIL_CLASSE, date(2020, 6, 25)),
        excluded_orientations=excluded,
    )
    return learner


def test_an_aob_records_its_excluded_orientations_and_closes_them_in_5th() -> None:
    """Art. 4 §1 2°: promotion into an orientation the AOB excludes is refused, citing it."""
    learner = aob_learner((OPTION, "coiffeur"))
    assert learner.aob_excluded(2019) == (OPTION, "coiffeur")
    with pytest.raises(RuleViolation) as refused:
        learner.promote(fase=FASE, opened_year=2018, decision=decided(Body.CONSEIL_CLASSE, date(2020, 9, 1)))
    assert refused.value.rule == "no_upper_year_in_aob_excluded_orientation"
    assert "4 §1 2°" in str(refused.value)


def test_an_aob_excluding_other_orientations_lets_the_learner_move_up() -> None:
    learner = aob_learner(("coiffeur",))
    learner.promote(fase=FASE, opened_year=2018, decision=decided(Body.CONSEIL_CLASSE, date(2020, 9, 1)))
    assert learner.year == 5


def test_only_an_aob_states_excluded_orientations() -> None:
    learner = fourth_year_learner()
    with pytest.raises(RuleViolation) as refused:
        learner.issue_attestation(
            fase=FASE,
            kind=Attestation.AOA,
            decision=decided(Body.CONSEIL_CLASSE, date(2020, 6, 25)),
            excluded_orientations=("coiffeur",),
        )
    assert refused.value.rule == "restrictions_only_on_aob"
