"""CPU aggregates: an option opened at a school, and a learner's path in that option.

Public methods decide — they call the named rules of :mod:`ledger.domain.cpu.rules` and
compute what the event stores — and then record; ``apply`` methods only record. No check is
written inline here: every condition is a catalogued rule citing its article. A learner's
state is derived from its effective decisions: revoked, corrected or reformed decisions stay
in the log but stop counting.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import date
from functools import lru_cache
from typing import Any, ClassVar
from uuid import NAMESPACE_URL, UUID, uuid5

from pydantic import Field

from ledger.domain import rules as shared
from ledger.domain.cpu import calendar, rules
from ledger.domain.cpu.values import (
    AppealOutcome,
    Attestation,
    C2DOutcome,
    CertificateKind,
    CqBasis,
    DeadlineKind,
    Fase,
    OptionCode,
    Route,
    SchoolYear,
    StudyYear,
    UaaCode,
    ValidationVia,
)
from ledger.domain.journal import Journal
from ledger.domain.kernel import NO_VOID, Decision, LedgerAggregate, Void
from ledger.domain.rules import Verdict, ensure, require


@lru_cache(maxsize=4096)
def option_id(fase: int, option_code: str) -> UUID:
    """Deterministic id of the option ``option_code`` at school ``fase``."""
    return uuid5(NAMESPACE_URL, f"ledger:cpu:option:{fase}:{option_code}")


def certificate_id(learner: UUID, kind: str, version: int) -> UUID:
    """Deterministic id of a certificate issued by the event at ``version``."""
    return uuid5(NAMESPACE_URL, f"ledger:cpu:certificate:{learner}:{kind}:{version}")


def _common(action: str, decision: Decision) -> tuple[Verdict, Verdict]:
    return shared.common_verdicts(
        action, decision.body, decision.effective_date, decision.recorded_at, rules.POWERS
    )


class SchoolOption(LedgerAggregate):
    """An OBG organised in CPU 4-5-6 at a school (FASE), opened year by year from 4th."""

    class Opened(LedgerAggregate.Created):
        """The option was opened in CPU 4-5-6 at the school, with its first 4th year."""

        fase: Fase
        option_code: OptionCode
        form: str = Field(pattern=r"^(TQ|P)$")
        first_school_year: SchoolYear
        replaces_transformed_option: bool
        decision: Decision

        def apply(self, aggregate: Any) -> None:
            """Record the opening."""
            aggregate.fase = self.fase
            aggregate.option_code = self.option_code
            aggregate.form = self.form
            aggregate.first_school_year = self.first_school_year
            aggregate.replaces_transformed_option = self.replaces_transformed_option

    class CreationNormChecked(LedgerAggregate.Event):
        """The 1 October count of a newly created option was checked against its norm (Art. 6 §3)."""

        school_year: SchoolYear
        fourth_year_pupils: int = Field(ge=0)
        alternance_only: bool
        thematique_commune: bool
        met: bool
        detail: str = Field(max_length=2000)
        decision: Decision

    def __init__(self) -> None:
        self.fase = 0
        self.option_code = ""
        self.form = ""
        self.first_school_year = 0
        self.replaces_transformed_option = True

    @classmethod
    def open(
        cls,
        *,
        fase: int,
        option_code: str,
        form: str,
        first_school_year: int,
        replaces_transformed_option: bool,
        decision: Decision,
        listed_options: Collection[str] | None = None,
    ) -> SchoolOption:
        """Open an option of Art. 1 at a school (Art. 6 §1), from 2018-2019 at the earliest."""
        ensure(
            *_common("open_option", decision),
            rules.option_listed_in_art1(option_code, listed_options or {option_code}),
            rules.option_opened_from_2018(first_school_year),
        )
        return cls._start_decided(
            cls.Opened,
            option_id(fase, option_code),
            decision,
            fase=fase,
            option_code=option_code,
            form=form,
            first_school_year=first_school_year,
            replaces_transformed_option=replaces_transformed_option,
        )

    def check_creation_norm(
        self, *, fourth_year_pupils: int, alternance_only: bool, thematique_commune: bool, decision: Decision
    ) -> bool:
        """Record the 1 October count of the creation year against the Art. 6 §3 norm (a flag)."""
        ensure(*_common("creation_norm", decision))
        verdict = rules.creation_norm_on_1_october(
            fourth_year_pupils, alternance_only, thematique_commune, self.first_school_year
        )
        self._record(
            self.CreationNormChecked,
            decision.recorded_at,
            school_year=self.first_school_year,
            fourth_year_pupils=fourth_year_pupils,
            alternance_only=alternance_only,
            thematique_commune=thematique_commune,
            met=verdict.allowed,
            detail=verdict.reason,
            decision=decision,
        )
        return verdict.allowed


class Learner(Journal):
    """A learner's path in a CPU option: admission, UAA, attestations, certificates."""

    class Admitted(LedgerAggregate.Created):
        """The learner was admitted in an option at a school by an Art. 5 route."""

        fase: Fase
        option_code: OptionCode
        form: str = Field(pattern=r"^(TQ|P)$")
        profile_version: str
        school_year: SchoolYear
        year: StudyYear
        route: Route
        prior_attestation: Attestation | None = None
        prior_passed_year: int | None = None
        exempt_formation_commune: bool = False
        fourth_and_fifth_in_one_year: bool = False
        decision: Decision

        def apply(self, aggregate: Any) -> None:
            """Place the learner."""
            learner: Learner = aggregate
            learner.fase = self.fase
            learner.option_code = self.option_code
            learner.form = self.form
            learner.profile_version = self.profile_version
            learner.school_year = self.school_year
            learner.year = self.year
            learner.route = self.route
            learner.c2d = self.route is Route.A4_C2D
            learner.log[self.originator_version] = self

    class Decided(Journal.Decided):
        """Base of decision events after admission."""

    class Transferred(Decided):
        """The learner changed school within the same option (Art. 9)."""

        from_fase: Fase
        to_fase: Fase

        def place(self, learner: Learner) -> None:
            """Move the learner to the new school."""
            learner.fase = self.to_fase

    class CompetenceReportRequested(Decided):
        """The receiving school asked the previous one for the rapport de compétences."""

        from_fase: Fase
        requested_on: date
        due_by: date

    class CompetenceReportSent(Decided):
        """The previous school's conseil de classe sent the rapport de compétences."""

        from_fase: Fase
        sent_on: date
        due_by: date
        late: bool

    class FormalNoticeIssued(Decided):
        """The administration gave formal notice to a school that did not send the report."""

        defaulting_fase: Fase
        due_by: date

    class TestAuthorised(Decided):
        """The jury authorised the learner to sit a UAA test (Art. 4 §6)."""

        uaa: UaaCode
        learner_is_minor: bool
        representatives_informed: bool

    class UnitAttempted(Decided):
        """The learner sat a UAA validation test, with its result."""

        uaa: UaaCode
        passed: bool
        score: float | None = Field(default=None, ge=0, le=100)

    class UnitValidated(Decided):
        """The jury (or its delegate) validated a UAA."""

        uaa: UaaCode
        via: ValidationVia
        during_test_of: UaaCode | None = None
        delegate: str | None = Field(default=None, max_length=128)

    class RemediationAssigned(Decided):
        """Remediation was assigned for a UAA (décret 2012 art. 3 §3)."""

        uaa: UaaCode
        plan: str = Field(min_length=1, max_length=2000)

    class RemediationCompleted(Decided):
        """Remediation for a UAA was completed."""

        uaa: UaaCode

    class ReorientationSupportStarted(Decided):
        """Specific choice support towards a new orientation started (traced in the dossier)."""

        since: date

    class AttestationIssued(Decided):
        """The conseil de classe issued the end-of-4th attestation (AOA, AOB, réorientation, C2D).

        Version 2 adds ``excluded_orientations``: the orientations an AOB closes in the upper
        year (Art. 4 §1 2°); version 1 events (recorded before) had none (``[]``).
        """

        class_version: ClassVar[int] = 2

        school_year: SchoolYear
        kind: Attestation
        advice: str | None = Field(default=None, max_length=2000)
        excluded_orientations: tuple[OptionCode, ...] = ()

        @staticmethod
        def upcast_v1_v2(state: dict[str, Any]) -> None:
            """Attestations recorded before version 2 stated no excluded orientation."""
            state["excluded_orientations"] = []

    class C2DDecided(Decided):
        """Before 15 January the conseil de classe let the C2D continue or reoriented the pupil."""

        school_year: SchoolYear
        outcome: C2DOutcome

    class PssaWritten(Decided):
        """The programme spécifique de soutien aux apprentissages was written."""

        school_year: SchoolYear
        due_by: date
        late: bool

    class Promoted(Decided):
        """The learner moved up to the next year."""

        school_year: SchoolYear
        to_year: StudyYear

        def place(self, learner: Learner) -> None:
            """Move the learner up."""
            learner.school_year, learner.year, learner.c2d = self.school_year, self.to_year, False

    class YearRepeated(Decided):
        """The learner re-enrolled in the same year (only 4th as C2D, or where still allowed)."""

        school_year: SchoolYear
        year: StudyYear
        c2d: bool

        def place(self, learner: Learner) -> None:
            """Keep the year, new school year."""
            learner.school_year, learner.year, learner.c2d = self.school_year, self.year, self.c2d

    class CertificateIssued(Decided):
        """A certificate (CQ by the jury, CE6P) was issued."""

        certificate_id: UUID
        kind: CertificateKind
        basis: CqBasis
        justification: str | None = Field(default=None, max_length=4000)
        profile_version: str
        validated_uaa: tuple[UaaCode, ...]
        missing_uaa: tuple[UaaCode, ...]

    class CertificateRevoked(Journal.CertificateRevocation):
        """A certificate was revoked; the issuance stays in the log."""

    class DecisionRevoked(Journal.Revocation):
        """A decision was revoked; it stays in the log but no longer counts."""

        revoked_type: str

    class Erased(Decided):
        """The learner's personal data was erased on a lawful request; decisions stay."""

        def place(self, learner: Learner) -> None:
            """Mark the learner erased."""
            learner.erased = True

    class DeadlineMissed(Decided):
        """A legal deadline passed without the expected decision: recorded, never hidden."""

        kind: DeadlineKind
        due_by: date
        school_year: SchoolYear

    class C2DProgrammeWritten(Decided):
        """The conseil de classe established the C2D pupil's support programme (Art. 4 §1 4°)."""

        school_year: SchoolYear

    class AppealLodged(Decided):
        """A recours externe was lodged against a réorientation or C2D decision (Art. 4 §1)."""

        target: int = Field(ge=1, description="Version of the appealed attestation")
        target_kind: Attestation
        lodged_on: date

    class AppealDecided(Decided):
        """The conseil de recours confirmed or reformed the appealed decision."""

        target: int = Field(ge=1)
        outcome: AppealOutcome
        replacement: Attestation | None = None

        def place(self, learner: Learner) -> None:
            """A reformed decision stops counting (its replacement is recorded beside it)."""
            if self.outcome is AppealOutcome.REFORMED:
                learner.voided.add(self.target)

    class DutyFlagged(Decided):
        """A duty of the Arrêté was not met: recorded as a fact an inspector sees, never hidden."""

        rule: str = Field(min_length=1, max_length=80)
        article: str = Field(min_length=1, max_length=200)
        school_year: SchoolYear
        uaa: tuple[UaaCode, ...] = ()
        detail: str = Field(max_length=2000)

    # Decisions a correction or revocation may target (by their event classes).
    REVOCABLE = frozenset(c.__name__ for c in (
        TestAuthorised,
        UnitAttempted,
        UnitValidated,
        RemediationAssigned,
        RemediationCompleted,
        ReorientationSupportStarted,
        AttestationIssued,
        C2DDecided,
        PssaWritten,
        C2DProgrammeWritten,
        AppealLodged,
    ))  # fmt: skip

    def __init__(self) -> None:
        self.fase = 0
        self.option_code = ""
        self.form = ""
        self.profile_version = ""
        self.school_year = 0
        self.year = 0
        self.route = Route.A4_STANDARD
        self.c2d = False
        self._init_log()
        self.erased = False

    # ----------------------------------------------------------------- derived state
    def admission(self) -> Learner.Admitted:
        """The admission event (the first of the log)."""
        first = self.log[next(iter(self.log))]  # versions enter the log in order: no scan
        assert isinstance(first, Learner.Admitted)
        return first

    def validated(self, void: Void = NO_VOID) -> dict[str, Learner.UnitValidated]:
        """Validated UAA by code."""
        return {ev.uaa: ev for ev in self.of_type(Learner.UnitValidated, void)}

    def attestation(self, school_year: int, void: Void = NO_VOID) -> Attestation | None:
        """The attestation of a school year, if any."""
        found = [
            ev.kind for ev in self.of_type(Learner.AttestationIssued, void) if ev.school_year == school_year
        ]
        return found[-1] if found else None

    def last_attestation(self, void: Void = NO_VOID) -> Attestation | None:
        """The most recent effective attestation."""
        found = self.of_type(Learner.AttestationIssued, void)
        return found[-1].kind if found else None

    def reoriented_from(self, void: Void = NO_VOID) -> frozenset[str]:
        """The options the learner holds an effective réorientation attestation in."""
        found = [
            ev for ev in self.of_type(Learner.AttestationIssued, void) if ev.kind is Attestation.REORIENTATION
        ]
        return frozenset({self.option_code}) if found else frozenset()

    def aob_excluded(self, school_year: int, void: Void = NO_VOID) -> tuple[str, ...]:
        """The orientations the AOB of a school year excludes from the upper year (else none)."""
        found = [ev for ev in self.of_type(Learner.AttestationIssued, void) if ev.school_year == school_year]
        return found[-1].excluded_orientations if found and found[-1].kind is Attestation.AOB else ()

    def c2d_outcome(self, school_year: int, void: Void = NO_VOID) -> C2DOutcome | None:
        """The C2D decision of a school year, if any."""
        found = [ev.outcome for ev in self.of_type(Learner.C2DDecided, void) if ev.school_year == school_year]
        return found[-1] if found else None

    def c2d_after_aob(self) -> bool:
        """True when the current C2D year follows an AOB (Art. 4 §1 2°), not a C2D (4°)."""
        if not self.c2d:
            return False
        admitted = self.admission()
        if admitted.school_year == self.school_year:
            return admitted.prior_attestation is Attestation.AOB
        return self.attestation(self.school_year - 1) is Attestation.AOB

    def support_programme_written(self, school_year: int) -> bool:
        """Whether the PSSA (or the C2D programme) of a school year is written."""
        kinds = (Learner.PssaWritten, Learner.C2DProgrammeWritten)
        return any(ev.school_year == school_year for k in kinds for ev in self.of_type(k))

    def active_certificate(self, kind: CertificateKind) -> Learner.CertificateIssued | None:
        """The learner's active certificate of a kind."""
        found = [ev for ev in self.of_type(Learner.CertificateIssued) if ev.kind is kind]
        return found[-1] if found else None

    def pending_report(self) -> Learner.CompetenceReportRequested | None:
        """The last competence report requested and not yet sent."""
        requests = self.of_type(Learner.CompetenceReportRequested)
        if not requests:
            return None
        last = requests[-1]
        sent = [
            s
            for s in self.of_type(Learner.CompetenceReportSent)
            if s.originator_version > last.originator_version
        ]
        return None if sent else last

    def appeals(self, target: int) -> tuple[bool, bool]:
        """Whether an appeal against ``target`` was lodged (still effective), and decided."""
        lodged = any(a.target == target for a in self.of_type(Learner.AppealLodged))
        decided = any(a.target == target for a in self.of_type(Learner.AppealDecided))
        return lodged, decided

    def authorisations(self, school_year: int) -> list[Learner.TestAuthorised]:
        """The effective test authorisations dated in a school year."""
        return [
            a
            for a in self.of_type(Learner.TestAuthorised)
            if calendar.school_year_of(a.decision.effective_date) == school_year
        ]

    # ----------------------------------------------------------------- shared checks
    def _about_learner(self, action: str, decision: Decision, fase: int) -> tuple[Verdict, ...]:
        return (
            rules.learner_not_erased(self.erased),
            *_common(action, decision),
            rules.decision_at_enrolled_school(self.fase, fase),
            rules.decision_not_before_admission(
                self.admission().decision.effective_date, decision.effective_date
            ),
        )

    def _check(self, action: str, decision: Decision, fase: int, *more: Verdict) -> None:
        ensure(*self._about_learner(action, decision, fase), *more)

    # ----------------------------------------------------------------- admission
    @classmethod
    def admit(
        cls,
        *,
        learner_id: UUID,
        fase: int,
        option_code: str,
        form: str,
        profile_version: str,
        opened_year: int | None,
        school_year: int,
        year: int,
        route: Route,
        decision: Decision,
        prior_attestation: Attestation | None = None,
        prior_passed_year: int | None = None,
        alternance_attestations: bool = False,
        holds_forme3_cq: bool = False,
        exempt_formation_commune: bool = False,
        option_replaces_transformed: bool = True,
        reoriented_from: Collection[str] = (),
        aob_excluded: Collection[str] = (),
    ) -> Learner:
        """Admit a learner by an Art. 5 route into a year the school organises."""
        ensure(*_common("admit", decision), rules.option_open_at_school(opened_year, school_year))
        assert opened_year is not None
        sixth_repeater = route is Route.A6_REPEAT_TRANSFORMED
        ensure(
            rules.year_organised_at_school(year, opened_year, school_year),
            rules.admission_route_for_year(route, year),
            rules.route_only_in_p(route, form),
            rules.route_decided_by_conseil_admission(route, decision.body),
            rules.repeat_route_needs_transformed_option(route, option_replaces_transformed),
            *(
                [rules.couvreur_sixth_not_repeated_after_2019_20(option_code, school_year)]
                if sixth_repeater
                else []
            ),
            rules.c2d_admission_needs_c2d_or_aob(route, prior_attestation),
            rules.fifth_same_option_needs_passed_fourth(route, prior_attestation),
            rules.fifth_other_orientation_needs_passed_year(
                route, prior_passed_year, exempt_formation_commune
            ),
            rules.fifth_from_alternance_needs_attestations(route, alternance_attestations),
            rules.fifth_from_forme3_needs_cq(route, holds_forme3_cq),
            rules.no_reenrolment_after_reorientation(reoriented_from, option_code),
            rules.restrictions_only_on_aob(prior_attestation, aob_excluded),
            rules.no_upper_year_in_aob_excluded_orientation(aob_excluded, option_code, year),
        )
        return cls._start_decided(
            cls.Admitted,
            learner_id,
            decision,
            fase=fase,
            option_code=option_code,
            form=form,
            profile_version=profile_version,
            school_year=school_year,
            year=year,
            route=route,
            prior_attestation=prior_attestation,
            prior_passed_year=prior_passed_year,
            exempt_formation_commune=exempt_formation_commune,
            fourth_and_fifth_in_one_year=route is Route.A5_ADMISSION_OTHER,
        )

    def transfer(
        self,
        *,
        to_fase: int,
        to_option_opened: int | None,
        decision: Decision,
        extra_holidays: Collection[date] = (),
    ) -> None:
        """Move to another school of the same option; ask the previous one for the report."""
        ensure(
            rules.learner_not_erased(self.erased),
            *_common("transfer", decision),
            rules.decision_not_before_admission(
                self.admission().decision.effective_date, decision.effective_date
            ),
            rules.option_open_at_school(to_option_opened, self.school_year),
        )
        assert to_option_opened is not None
        ensure(
            rules.year_organised_at_school(self.year, to_option_opened, self.school_year),
            rules.transfer_to_another_school(self.fase, to_fase),
            rules.no_reenrolment_after_reorientation(self.reoriented_from(), self.option_code),
        )
        from_fase = self.fase
        self.record(Learner.Transferred, decision, from_fase=from_fase, to_fase=to_fase)
        requested_on = decision.effective_date
        self.record(
            Learner.CompetenceReportRequested,
            decision,
            from_fase=from_fase,
            requested_on=requested_on,
            due_by=rules.competence_report_due(requested_on, extra_holidays),
        )

    def send_competence_report(self, *, fase: int, decision: Decision) -> None:
        """The previous school's conseil de classe sends the report (late is recorded as late)."""
        pending = self.pending_report()
        ensure(
            *_common("competence_report", decision),
            rules.competence_report_requested(pending.from_fase if pending else None, fase),
        )
        assert pending is not None
        late = rules.competence_report_within_15_working_days(decision.effective_date, pending.due_by)
        self.record(
            Learner.CompetenceReportSent,
            decision,
            from_fase=fase,
            sent_on=decision.effective_date,
            due_by=pending.due_by,
            late=not late.allowed,
        )

    def give_formal_notice(self, *, decision: Decision) -> None:
        """The administration gives formal notice for an overdue competence report."""
        pending = self.pending_report()
        ensure(
            *_common("formal_notice", decision),
            rules.formal_notice_after_overdue_report(
                pending.due_by if pending else None, decision.effective_date
            ),
        )
        assert pending is not None
        self.record(
            Learner.FormalNoticeIssued, decision, defaulting_fase=pending.from_fase, due_by=pending.due_by
        )

    # ----------------------------------------------------------------- UAA
    def authorise_test(
        self,
        *,
        fase: int,
        uaa: str,
        profile_uaa: list[str],
        is_minor: bool,
        representatives_informed: bool,
        decision: Decision,
    ) -> None:
        """The jury authorises the learner to sit a UAA test (informing a minor's family: a flag)."""
        void = self.correction(decision, Learner.TestAuthorised)
        self._check(
            "authorise_test",
            decision,
            fase,
            rules.uaa_in_learner_profile(uaa, profile_uaa),
            rules.uaa_not_already_validated(uaa, self.validated(void)),
        )
        self.record(
            Learner.TestAuthorised,
            decision,
            uaa=uaa,
            learner_is_minor=is_minor,
            representatives_informed=representatives_informed,
        )

    def record_attempt(
        self,
        *,
        fase: int,
        uaa: str,
        profile_uaa: list[str],
        passed: bool,
        score: float | None,
        decision: Decision,
    ) -> None:
        """Record a UAA test sitting and its result."""
        void = self.correction(decision, Learner.UnitAttempted)
        auths = [
            a.decision.effective_date
            for a in self.of_type(Learner.TestAuthorised, void)
            if a.uaa == uaa and a.decision.effective_date <= decision.effective_date
        ]
        self._check(
            "record_attempt",
            decision,
            fase,
            rules.uaa_in_learner_profile(uaa, profile_uaa),
            rules.uaa_not_already_validated(uaa, self.validated(void)),
            rules.attempt_needs_jury_authorisation(max(auths) if auths else None, decision.effective_date),
        )
        self.record(Learner.UnitAttempted, decision, uaa=uaa, passed=passed, score=score)

    def _evidence(
        self,
        via: ValidationVia,
        uaa: str,
        profile_uaa: list[str],
        during_test_of: str | None,
        uaa_year: int,
        void: Void,
    ) -> Verdict:
        passed = {a.uaa for a in self.of_type(Learner.UnitAttempted, void) if a.passed}
        if via is ValidationVia.TEST:
            return rules.validation_by_passed_test(uaa in passed)
        if via is ValidationVia.SPIRAL:
            return rules.spiral_validation_in_later_test(uaa, during_test_of, passed, profile_uaa)
        return rules.recognition_for_transformed_repeaters(self.route, uaa_year, self.year)

    def validate_unit(
        self,
        *,
        fase: int,
        uaa: str,
        profile_uaa: list[str],
        via: ValidationVia,
        decision: Decision,
        during_test_of: str | None = None,
        delegate: str | None = None,
        uaa_year: int = 4,
    ) -> None:
        """Validate a UAA by test, spirally in a later test, or by jury recognition."""
        void = self.correction(decision, Learner.UnitValidated)
        action = "recognise_unit" if via is ValidationVia.JURY_RECOGNITION else "validate_unit"
        self._check(
            action,
            decision,
            fase,
            rules.uaa_in_learner_profile(uaa, profile_uaa),
            rules.uaa_not_already_validated(uaa, self.validated(void)),
            self._evidence(via, uaa, profile_uaa, during_test_of, uaa_year, void),
        )
        self.record(
            Learner.UnitValidated,
            decision,
            uaa=uaa,
            via=via,
            during_test_of=during_test_of if via is ValidationVia.SPIRAL else None,
            delegate=delegate,
        )

    def assign_remediation(
        self, *, fase: int, uaa: str, profile_uaa: list[str], plan: str, decision: Decision
    ) -> None:
        """Assign remediation for a UAA not (yet) validated."""
        void = self.correction(decision, Learner.RemediationAssigned)
        self._check(
            "remediation",
            decision,
            fase,
            rules.uaa_in_learner_profile(uaa, profile_uaa),
            rules.uaa_not_already_validated(uaa, self.validated(void)),
        )
        self.record(Learner.RemediationAssigned, decision, uaa=uaa, plan=plan)

    def complete_remediation(self, *, fase: int, uaa: str, decision: Decision) -> None:
        """Record that assigned remediation was completed."""
        assigned = {r.uaa for r in self.of_type(Learner.RemediationAssigned)}
        done = {r.uaa for r in self.of_type(Learner.RemediationCompleted)}
        self._check("remediation", decision, fase, rules.remediation_was_assigned(uaa, assigned - done))
        self.record(Learner.RemediationCompleted, decision, uaa=uaa)

    def record_year_flags(
        self, *, fase: int, school_year: int, programme: Sequence[str], decision: Decision
    ) -> list[str]:
        """Once the school year is over, record the Art. 4 §6 timing duties it did not meet."""
        self._check(
            "record_flags", decision, fase, rules.year_over_before_flags(school_year, decision.effective_date)
        )
        auths = self.authorisations(school_year)
        offered = {a.uaa for a in auths}
        verdicts = (
            rules.every_uaa_of_the_year_offered(programme, offered, self.validated()),
            rules.tests_not_all_at_year_end(
                [a.decision.effective_date for a in auths], len(programme), school_year
            ),
        )
        seen = {f.rule for f in self.of_type(Learner.DutyFlagged) if f.school_year == school_year}
        flagged = [v for v in verdicts if not v.allowed and v.rule not in seen]
        for verdict in flagged:
            never = (
                tuple(u for u in programme if u not in offered)
                if (verdict.rule == rules.every_uaa_of_the_year_offered.name)
                else ()
            )
            self.record(
                Learner.DutyFlagged,
                decision,
                rule=verdict.rule,
                article=verdict.article,
                school_year=school_year,
                uaa=never,
                detail=verdict.reason,
            )
        return [v.rule for v in flagged]

    # ----------------------------------------------------------------- end of year
    def start_reorientation_support(self, *, fase: int, since: date, decision: Decision) -> None:
        """Trace the start of specific choice support in the dossier d'apprentissage."""
        self._check("reorientation_support", decision, fase)
        self.record(Learner.ReorientationSupportStarted, decision, since=since)

    def _reorientation_verdicts(
        self, kind: Attestation, advice: str | None, decision: Decision, void: Void
    ) -> tuple[Verdict, ...]:
        if kind is not Attestation.REORIENTATION:
            return ()
        found = (rules.reorientation_includes_advice(kind, advice),)
        if self.c2d_outcome(self.school_year, void) is not None:
            return found  # Art. 4 §1 4° al. 2: issued at once on the January C2D decision
        support = self.of_type(Learner.ReorientationSupportStarted, void)
        return (
            rules.reorientation_support_covers_last_four_months(
                support[-1].since if support else None, decision.effective_date, self.school_year
            ),
            *found,
        )

    def issue_attestation(
        self,
        *,
        fase: int,
        kind: Attestation,
        decision: Decision,
        advice: str | None = None,
        excluded_orientations: Sequence[str] = (),
    ) -> None:
        """Issue the end-of-4th attestation (one per school year, Art. 4 §1)."""
        void = self.correction(decision, Learner.AttestationIssued)
        sy = self.school_year
        self._check(
            "attestation",
            decision,
            fase,
            rules.attestation_only_in_fourth_year(self.year),
            rules.attestation_in_current_school_year(decision.effective_date, sy),
            rules.one_attestation_per_year(self.attestation(sy, void), sy),
            rules.c2d_continue_leads_to_aoa(self.c2d_outcome(sy, void), kind),
            *self._reorientation_verdicts(kind, advice, decision, void),
            rules.restrictions_only_on_aob(kind, excluded_orientations),
        )
        self.record(
            Learner.AttestationIssued,
            decision,
            school_year=sy,
            kind=kind,
            advice=advice,
            excluded_orientations=tuple(excluded_orientations),
        )

    def decide_c2d(
        self, *, fase: int, outcome: C2DOutcome, decision: Decision, advice: str | None = None
    ) -> None:
        """Before 15 January: continue the C2D, or reorient at once (attestation issued)."""
        void = self.correction(decision, Learner.C2DDecided)
        sy = self.school_year
        reorient = outcome is C2DOutcome.REORIENT
        self._check(
            "c2d_decision",
            decision,
            fase,
            rules.c2d_decision_only_for_c2d_pupil(self.c2d),
            rules.c2d_decision_before_15_january(decision.effective_date, sy),
            rules.one_c2d_decision_per_year(self.c2d_outcome(sy, void)),
            rules.reorientation_includes_advice(
                Attestation.REORIENTATION if reorient else Attestation.AOA, advice
            ),
        )
        self.record(Learner.C2DDecided, decision, school_year=sy, outcome=outcome)
        if reorient:
            self.record(
                Learner.AttestationIssued,
                decision.model_copy(update={"corrects": None}),
                school_year=sy,
                kind=Attestation.REORIENTATION,
                advice=advice,
            )

    def write_pssa(self, *, fase: int, decision: Decision) -> None:
        """Write the PSSA: due before 15 October after an AOB (late recorded); no date after C2D."""
        sy = self.school_year
        self._check(
            "pssa",
            decision,
            fase,
            rules.pssa_for_c2d_pupil(self.c2d),
            rules.one_pssa_per_year(self.support_programme_written(sy)),
        )
        due = rules.pssa_due_by(sy, self.c2d_after_aob())
        if due is None:
            self.record(Learner.C2DProgrammeWritten, decision, school_year=sy)
            return
        on_time = rules.pssa_before_15_october(decision.effective_date, due)
        self.record(Learner.PssaWritten, decision, school_year=sy, due_by=due, late=not on_time.allowed)

    def _moving(self, decision: Decision, fase: int, *more: Verdict) -> int:
        new_sy = self.school_year + 1
        self._check(
            "promotion",
            decision,
            fase,
            rules.move_in_next_school_year(decision.effective_date, new_sy),
            *more,
        )
        return new_sy

    def promote(self, *, fase: int, opened_year: int, decision: Decision) -> None:
        """Move the learner up one year for the next school year."""
        more = [rules.promotion_below_sixth(self.year)]
        if self.year == 4:
            more.append(rules.promotion_needs_passed_fourth(self.attestation(self.school_year)))
            more.append(
                rules.no_upper_year_in_aob_excluded_orientation(
                    self.aob_excluded(self.school_year), self.option_code, 5
                )
            )
        more.append(rules.year_organised_at_school(min(self.year + 1, 6), opened_year, self.school_year + 1))
        new_sy = self._moving(decision, fase, *more)
        self.record(Learner.Promoted, decision, school_year=new_sy, to_year=self.year + 1)

    def repeat_year(self, *, fase: int, opened_year: int, decision: Decision) -> None:
        """Re-enrol in the same year: 4th only as C2D, never after a réorientation; 5th/6th per Art. 4."""
        new_sy = self.school_year + 1
        more: tuple[Verdict, ...]
        if self.year == 4:
            more = (
                rules.no_reenrolment_after_reorientation(self.reoriented_from(), self.option_code),
                rules.fourth_year_repeat_only_as_c2d(self.attestation(self.school_year)),
            )
        elif self.year == 5:
            more = (rules.no_repeat_fifth_year(opened_year, new_sy),)
        else:
            more = (
                rules.couvreur_sixth_not_repeated_after_2019_20(self.option_code, new_sy),
                rules.no_repeat_sixth_year(opened_year, new_sy),
            )
        self._moving(decision, fase, *more)
        self.record(Learner.YearRepeated, decision, school_year=new_sy, year=self.year, c2d=self.year == 4)

    # ----------------------------------------------------------------- appeals (Art. 4 §1 last al.)
    def _appeal_target(self, target: int) -> Attestation | None:
        event = self.log.get(target)
        if isinstance(event, Learner.AttestationIssued) and target not in self.voided:
            return event.kind
        return None

    def lodge_appeal(self, *, fase: int, target: int, decision: Decision) -> None:
        """Record that a recours externe was lodged against a réorientation or C2D attestation."""
        kind = self._appeal_target(target)
        self._check(
            "lodge_appeal",
            decision,
            fase,
            rules.appeal_against_reorientation_or_c2d(kind),
            rules.one_open_appeal_per_decision(self.appeals(target)[0]),
        )
        assert kind is not None
        self.record(
            Learner.AppealLodged, decision, target=target, target_kind=kind, lodged_on=decision.effective_date
        )

    def decide_appeal(
        self,
        *,
        fase: int,
        target: int,
        outcome: AppealOutcome,
        replacement: Attestation | None,
        decision: Decision,
    ) -> None:
        """Record the conseil de recours' decision; a reformed attestation is replaced."""
        lodged = [a for a in self.of_type(Learner.AppealLodged) if a.target == target]
        kind = lodged[-1].target_kind if lodged else Attestation.AOA
        reformed = outcome is AppealOutcome.REFORMED
        self._check(
            "decide_appeal",
            decision,
            fase,
            rules.appeal_outcome_needs_lodged_appeal(bool(lodged), self.appeals(target)[1]),
            rules.appeal_reform_grants_better_outcome(kind, reformed, replacement),
        )
        self.record(Learner.AppealDecided, decision, target=target, outcome=outcome, replacement=replacement)
        appealed = self.log[target]
        if reformed and isinstance(appealed, Learner.AttestationIssued):
            self.record(
                Learner.AttestationIssued,
                decision.model_copy(update={"corrects": None}),
                school_year=appealed.school_year,
                kind=replacement,
                advice=None,
            )

    # ----------------------------------------------------------------- certificates
    def issue_certificate(
        self,
        *,
        fase: int,
        kind: CertificateKind,
        profile_uaa: list[str],
        decision: Decision,
        sovereign: bool = False,
        justification: str | None = None,
    ) -> UUID:
        """Issue the CQ (jury; all UAA or sovereign with justification) or the CE6P."""
        validated = self.validated()
        missing = [u for u in profile_uaa if u not in validated]
        is_cq = kind is CertificateKind.CQ
        self._check(
            "issue_cq" if is_cq else "issue_ce6p",
            decision,
            fase,
            rules.certificate_in_sixth_year(self.year),
            rules.one_active_certificate(self.active_certificate(kind) is not None, kind),
            rules.cq_needs_all_uaa_or_sovereign_decision(missing, sovereign, justification)
            if is_cq
            else rules.ce6p_only_in_p(self.form),
        )
        cert = certificate_id(self.id, kind.value, self.version + 1)
        basis = CqBasis.SOVEREIGN if missing and is_cq else CqBasis.ALL_VALIDATED
        self.record(
            Learner.CertificateIssued,
            decision,
            certificate_id=cert,
            kind=kind,
            basis=basis,
            justification=justification,
            profile_version=self.profile_version,
            validated_uaa=tuple(u for u in profile_uaa if u in validated),
            missing_uaa=tuple(missing),
        )
        return cert

    def revoke_certificate(self, *, fase: int, certificate: UUID, decision: Decision) -> None:
        """Revoke an issued certificate, with the reason."""
        issued = [c for c in self.of_type(Learner.CertificateIssued) if c.certificate_id == certificate]
        action = "issue_cq" if issued and issued[0].kind is CertificateKind.CQ else "issue_ce6p"
        self._check(
            action,
            decision,
            fase,
            rules.revoke_active_certificate(bool(issued), certificate),
            shared.revocation_has_reason(decision.reason),
        )
        self.record(
            Learner.CertificateRevoked,
            decision,
            certificate_id=certificate,
            revokes=issued[0].originator_version,
        )

    def revoke_decision(self, *, fase: int, target: int, decision: Decision) -> None:
        """Revoke an earlier decision; it stays in the log and stops counting."""
        self.revoke(
            Learner.DecisionRevoked, target, decision, rules.decision_at_enrolled_school(self.fase, fase)
        )

    def erase(self, *, fase: int, decision: Decision) -> None:
        """Record the erasure decision (the identity store destroys the personal data)."""
        self._check("erase", decision, fase, rules.erasure_has_reason(decision.reason))
        self.record(Learner.Erased, decision)

    # ----------------------------------------------------------------- deadlines
    def overdue(self, on: date) -> list[tuple[DeadlineKind, date, int]]:
        """Deadlines passed on ``on`` without their decision: (kind, due by, school year)."""
        return [item for item in self.deadlines() if on > item[1]]

    def deadlines(self) -> list[tuple[DeadlineKind, date, int]]:
        """Legal deadlines still open (decision not taken): (kind, due by, school year)."""
        sy, out = self.school_year, []
        pssa_due = rules.pssa_due_by(sy, self.c2d_after_aob())
        if pssa_due is not None and not self.support_programme_written(sy):
            out.append((DeadlineKind.PSSA, pssa_due, sy))
        if self.c2d and self.c2d_outcome(sy) is None:
            out.append((DeadlineKind.C2D_DECISION, date(sy + 1, 1, 14), sy))
        pending = self.pending_report()
        if pending is not None:
            out.append(
                (
                    DeadlineKind.COMPETENCE_REPORT,
                    pending.due_by,
                    calendar.school_year_of(pending.requested_on),
                )
            )
        return out

    def record_missed_deadline(self, *, kind: DeadlineKind, fase: int, decision: Decision) -> None:
        """Record that a deadline passed without its decision (once per deadline)."""
        found = [o for o in self.overdue(decision.effective_date) if o[0] is kind]
        self._check(
            "record_missed_deadline",
            decision,
            fase,
            rules.deadline_actually_missed(bool(found), kind.value, decision.effective_date),
        )
        _, due_by, school_year = found[0]
        seen = [
            d
            for d in self.of_type(Learner.DeadlineMissed)
            if d.kind is kind and d.school_year == school_year and d.due_by == due_by
        ]
        require(shared.deadline_recorded_once(bool(seen), kind.value))
        self.record(Learner.DeadlineMissed, decision, kind=kind, due_by=due_by, school_year=school_year)


@lru_cache(maxsize=4096)
def profile_id(version: str) -> UUID:
    """Deterministic id of the certification profile ``<option>@<approval date>``."""
    return uuid5(NAMESPACE_URL, f"ledger:cpu:profile:{version}")


class CertificationProfile(LedgerAggregate):
    """A profil de certification published by the administration (Art. 2 3°, Art. 3)."""

    class Published(LedgerAggregate.Created):
        """The administration published the profile; it met every Art. 3 §1 rule.

        Version 2 adds ``document``: the published profile itself (UAA with titles and years,
        weeks, project and stage weeks), so admissions can use it. Version 1 events (published
        before) carry no document (``None``): they stay a record, not a profile to admit under.
        """

        class_version: ClassVar[int] = 2

        version: str = Field(min_length=3, max_length=120)
        option_code: OptionCode
        form: str = Field(pattern=r"^(TQ|P)$")
        approved_on: date
        effective_from: date | None = None
        illustrative: bool
        uaa: tuple[UaaCode, ...]
        weeks_by_year: dict[int, int]
        project_weeks: dict[int, int]
        document_sha256: str = Field(pattern=r"^[0-9a-f]{64}$")
        decision: Decision
        document: dict[str, Any] | None = None

        @staticmethod
        def upcast_v1_v2(state: dict[str, Any]) -> None:
            """Publications recorded before version 2 did not keep the document."""
            state["document"] = None

        def apply(self, aggregate: Any) -> None:
            """Record the publication."""
            aggregate.version_name = self.version
            aggregate.option_code = self.option_code
            aggregate.uaa = self.uaa
            aggregate.in_force_from = self.effective_from or self.approved_on
            aggregate.document = self.document

    def __init__(self) -> None:
        self.version_name = ""
        self.option_code = ""
        self.uaa: tuple[str, ...] = ()
        self.in_force_from = date.min
        self.document: dict[str, Any] | None = None

    @classmethod
    def publish(
        cls,
        *,
        version: str,
        option_code: str,
        form: str,
        approved_on: date,
        effective_from: date | None,
        illustrative: bool,
        uaa: Sequence[str],
        weeks_by_year: dict[int, int],
        project_weeks: dict[int, int],
        document_sha256: str,
        art3: Sequence[Verdict],
        decision: Decision,
        document: dict[str, Any] | None = None,
    ) -> CertificationProfile:
        """Publish a profile, refused unless every Art. 3 §1 verdict holds (``art3``)."""
        ensure(*_common("publish_profile", decision), *art3)
        return cls._start_decided(
            cls.Published,
            profile_id(version),
            decision,
            version=version,
            option_code=option_code,
            form=form,
            approved_on=approved_on,
            effective_from=effective_from,
            illustrative=illustrative,
            uaa=tuple(uaa),
            weeks_by_year=weeks_by_year,
            project_weeks=project_weeks,
            document_sha256=document_sha256,
            document=document,
        )
