"""CPU aggregates: an option opened at a school, and a learner's path in that option.

Public methods decide (check every named rule, compute what is needed) and then record one
event; ``apply`` methods only record. A learner's state is derived from its effective
decisions: revoked or corrected decisions stay in the log but stop counting.
"""

from __future__ import annotations

from datetime import date
from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid5

from pydantic import Field

from ledger.domain.cpu import rules
from ledger.domain.cpu.values import (
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
from ledger.domain.kernel import (
    NO_VOID,
    Decision,
    DecisionLog,
    LedgerAggregate,
    Void,
    school_year_of,
)
from ledger.domain.rules import Verdict, require


def option_id(fase: int, option_code: str) -> UUID:
    """Deterministic id of the option ``option_code`` at school ``fase``."""
    return uuid5(NAMESPACE_URL, f"ledger:cpu:option:{fase}:{option_code}")


def certificate_id(learner: UUID, kind: str, version: int) -> UUID:
    """Deterministic id of a certificate issued by the event at ``version``."""
    return uuid5(NAMESPACE_URL, f"ledger:cpu:certificate:{learner}:{kind}:{version}")


def _ensure(*verdicts: Verdict) -> None:
    for verdict in verdicts:
        require(verdict)


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

    def __init__(self) -> None:
        self.fase = 0
        self.option_code = ""
        self.form = ""
        self.first_school_year = 0

    @classmethod
    def open(cls, *, fase: int, option_code: str, form: str, first_school_year: int,
             replaces_transformed_option: bool, decision: Decision) -> SchoolOption:
        """Open an option at a school (Art. 6 §1) by its direction."""
        _ensure(rules.body_has_power("open_option", decision.body),
                rules.not_in_future(decision.effective_date, decision.recorded_at))
        return cls._start(
            cls.Opened, option_id(fase, option_code), timestamp=decision.recorded_at,
            fase=fase, option_code=option_code, form=form,
            first_school_year=first_school_year,
            replaces_transformed_option=replaces_transformed_option, decision=decision,
        )


class Learner(DecisionLog):
    """A learner's path in a CPU option: admission, UAA, attestations, certificates."""

    REVOCABLE = frozenset({
        "TestAuthorised", "UnitAttempted", "UnitValidated", "RemediationAssigned",
        "RemediationCompleted", "ReorientationSupportStarted", "AttestationIssued",
        "C2DDecided", "PssaWritten",
    })

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

    class Decided(DecisionLog.Decided):
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
        """The conseil de classe issued the end-of-4th attestation (AOA, AOB, réorientation, C2D)."""

        school_year: SchoolYear
        kind: Attestation
        advice: str | None = Field(default=None, max_length=2000)

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

    class CertificateRevoked(Decided):
        """A certificate was revoked; the issuance stays in the log."""

        certificate_id: UUID
        revokes: int

        def place(self, learner: Learner) -> None:
            """Void the issuance."""
            learner.voided.add(self.revokes)

    class DecisionRevoked(Decided):
        """A decision was revoked; it stays in the log but no longer counts."""

        revokes: int
        revoked_type: str

        def place(self, learner: Learner) -> None:
            """Void the revoked decision."""
            learner.voided.add(self.revokes)

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
    def validated(self, void: Void = NO_VOID) -> dict[str, Learner.UnitValidated]:
        """Validated UAA by code."""
        return {ev.uaa: ev for ev in self.of_type(Learner.UnitValidated, void)}

    def attestation(self, school_year: int, void: Void = NO_VOID) -> Attestation | None:
        """The attestation of a school year, if any."""
        found = [ev.kind for ev in self.of_type(Learner.AttestationIssued, void)
                 if ev.school_year == school_year]
        return found[-1] if found else None

    def last_attestation(self, void: Void = NO_VOID) -> Attestation | None:
        """The most recent effective attestation."""
        found = self.of_type(Learner.AttestationIssued, void)
        return found[-1].kind if found else None

    def c2d_outcome(self, school_year: int, void: Void = NO_VOID) -> C2DOutcome | None:
        """The C2D decision of a school year, if any."""
        found = [ev.outcome for ev in self.of_type(Learner.C2DDecided, void)
                 if ev.school_year == school_year]
        return found[-1] if found else None

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
        sent = [s for s in self.of_type(Learner.CompetenceReportSent)
                if s.originator_version > last.originator_version]
        return None if sent else last

    def _correction(self, decision: Decision, expected: str) -> Void:
        if decision.corrects is None:
            return NO_VOID
        target = self.log.get(decision.corrects)
        target_type = type(target).__name__ if target else None
        require(rules.revocable(target_type, decision.corrects in self.voided,
                                self.REVOCABLE & {expected}))
        return frozenset({decision.corrects})

    def _common(self, action: str, decision: Decision, fase: int) -> None:
        _ensure(rules.not_erased(self.erased),
                rules.body_has_power(action, decision.body),
                rules.not_in_future(decision.effective_date, decision.recorded_at),
                rules.enrolled_at_school(self.fase, fase))

    def _decide(self, cls: type[Learner.Decided], decision: Decision, **kw: Any) -> None:
        self._record(cls, decision.recorded_at, decision=decision, **kw)

    # ----------------------------------------------------------------- admission
    @classmethod
    def admit(cls, *, learner_id: UUID, fase: int, option_code: str, form: str,
              profile_version: str, opened_year: int | None, school_year: int, year: int,
              route: Route, decision: Decision, prior_attestation: Attestation | None = None,
              prior_passed_year: int | None = None, alternance_attestations: bool = False,
              holds_forme3_cq: bool = False, exempt_formation_commune: bool = False) -> Learner:
        """Admit a learner by an Art. 5 route (the conseil d'admission where required)."""
        _ensure(rules.body_has_power("admit", decision.body),
                rules.not_in_future(decision.effective_date, decision.recorded_at),
                rules.option_is_open(opened_year, school_year, year))
        assert opened_year is not None
        _ensure(rules.fifth_year_admission(route, year, form, opened_year, school_year,
                                           decision.body),
                rules.route_evidence(route, prior_attestation, prior_passed_year,
                                     alternance_attestations, holds_forme3_cq,
                                     exempt_formation_commune))
        return cls._start(
            cls.Admitted, learner_id, timestamp=decision.recorded_at, fase=fase,
            option_code=option_code, form=form, profile_version=profile_version,
            school_year=school_year, year=year, route=route,
            prior_attestation=prior_attestation, prior_passed_year=prior_passed_year,
            exempt_formation_commune=exempt_formation_commune,
            fourth_and_fifth_in_one_year=route is Route.A5_ADMISSION_OTHER, decision=decision,
        )

    def transfer(self, *, to_fase: int, to_option_opened: int | None, decision: Decision) -> None:
        """Move to another school of the same option; ask the previous one for the report."""
        _ensure(rules.body_has_power("transfer", decision.body),
                rules.not_in_future(decision.effective_date, decision.recorded_at),
                rules.option_is_open(to_option_opened, self.school_year, self.year),
                rules.check("transfer_to_another_school", rules.ART["9"], to_fase != self.fase,
                            "the learner is already enrolled at that school"))
        from_fase = self.fase
        self._decide(Learner.Transferred, decision, from_fase=from_fase, to_fase=to_fase)
        requested_on = decision.effective_date
        self._decide(Learner.CompetenceReportRequested, decision, from_fase=from_fase,
                     requested_on=requested_on,
                     due_by=rules.add_working_days(requested_on, 15))

    def send_competence_report(self, *, fase: int, decision: Decision) -> None:
        """The previous school's conseil de classe sends the report (late is recorded as late)."""
        pending = self.pending_report()
        _ensure(rules.body_has_power("competence_report", decision.body),
                rules.not_in_future(decision.effective_date, decision.recorded_at),
                rules.check("competence_report_requested", rules.ART["9"],
                            pending is not None and pending.from_fase == fase,
                            f"no pending competence report request addressed to FASE {fase}"))
        assert pending is not None
        self._decide(Learner.CompetenceReportSent, decision, from_fase=fase,
                     sent_on=decision.effective_date, due_by=pending.due_by,
                     late=decision.effective_date > pending.due_by)

    def give_formal_notice(self, *, decision: Decision) -> None:
        """The administration gives formal notice for an overdue competence report."""
        pending = self.pending_report()
        _ensure(rules.body_has_power("formal_notice", decision.body),
                rules.not_in_future(decision.effective_date, decision.recorded_at),
                rules.formal_notice_allowed(pending.due_by if pending else None,
                                            pending is None, decision.effective_date))
        assert pending is not None
        self._decide(Learner.FormalNoticeIssued, decision, defaulting_fase=pending.from_fase,
                     due_by=pending.due_by)

    # ----------------------------------------------------------------- UAA
    def _profile_check(self, uaa: str, profile_uaa: list[str]) -> None:
        require(rules.uaa_in_profile(uaa, profile_uaa))

    def authorise_test(self, *, fase: int, uaa: str, profile_uaa: list[str], is_minor: bool,
                       representatives_informed: bool, decision: Decision) -> None:
        """The jury authorises the learner to sit a UAA test and informs as required."""
        void = self._correction(decision, "TestAuthorised")
        self._common("authorise_test", decision, fase)
        self._profile_check(uaa, profile_uaa)
        _ensure(rules.uaa_not_validated(uaa, self.validated(void)),
                rules.minors_representatives_informed(is_minor, representatives_informed))
        self._decide(Learner.TestAuthorised, decision, uaa=uaa, learner_is_minor=is_minor,
                     representatives_informed=representatives_informed)

    def record_attempt(self, *, fase: int, uaa: str, profile_uaa: list[str], passed: bool,
                       score: float | None, decision: Decision) -> None:
        """Record a UAA test sitting and its result."""
        void = self._correction(decision, "UnitAttempted")
        self._common("record_attempt", decision, fase)
        self._profile_check(uaa, profile_uaa)
        auths = [a.decision.effective_date for a in self.of_type(Learner.TestAuthorised, void)
                 if a.uaa == uaa and a.decision.effective_date <= decision.effective_date]
        _ensure(rules.uaa_not_validated(uaa, self.validated(void)),
                rules.test_authorised(max(auths) if auths else None, decision.effective_date))
        self._decide(Learner.UnitAttempted, decision, uaa=uaa, passed=passed, score=score)

    def validate_unit(self, *, fase: int, uaa: str, profile_uaa: list[str], via: ValidationVia,
                      decision: Decision, during_test_of: str | None = None,
                      delegate: str | None = None, uaa_year: int = 4) -> None:
        """Validate a UAA by test, spirally in a later test, or by jury recognition."""
        void = self._correction(decision, "UnitValidated")
        action = "recognise_unit" if via is ValidationVia.JURY_RECOGNITION else "validate_unit"
        self._common(action, decision, fase)
        self._profile_check(uaa, profile_uaa)
        passed = {a.uaa for a in self.of_type(Learner.UnitAttempted, void) if a.passed}
        later_ok = (during_test_of in passed and during_test_of in profile_uaa
                    and profile_uaa.index(during_test_of) > profile_uaa.index(uaa))
        recognition_ok = (self.route in {Route.A5_REPEAT_TRANSFORMED, Route.A6_REPEAT_TRANSFORMED}
                          and uaa_year <= self.year)
        _ensure(rules.uaa_not_validated(uaa, self.validated(void)),
                rules.validation_evidence(via, uaa in passed, later_ok, recognition_ok))
        self._decide(Learner.UnitValidated, decision, uaa=uaa, via=via,
                     during_test_of=during_test_of if via is ValidationVia.SPIRAL else None,
                     delegate=delegate)

    def assign_remediation(self, *, fase: int, uaa: str, profile_uaa: list[str], plan: str,
                           decision: Decision) -> None:
        """Assign remediation for a UAA not (yet) validated."""
        void = self._correction(decision, "RemediationAssigned")
        self._common("remediation", decision, fase)
        self._profile_check(uaa, profile_uaa)
        require(rules.uaa_not_validated(uaa, self.validated(void)))
        self._decide(Learner.RemediationAssigned, decision, uaa=uaa, plan=plan)

    def complete_remediation(self, *, fase: int, uaa: str, decision: Decision) -> None:
        """Record that assigned remediation was completed."""
        self._common("remediation", decision, fase)
        assigned = {r.uaa for r in self.of_type(Learner.RemediationAssigned)}
        done = {r.uaa for r in self.of_type(Learner.RemediationCompleted)}
        require(rules.check("remediation_was_assigned", rules.ART["D2012.3"],
                            uaa in assigned - done, f"no open remediation for {uaa}"))
        self._decide(Learner.RemediationCompleted, decision, uaa=uaa)

    # ----------------------------------------------------------------- end of year
    def start_reorientation_support(self, *, fase: int, since: date, decision: Decision) -> None:
        """Trace the start of specific choice support in the dossier d'apprentissage."""
        self._common("reorientation_support", decision, fase)
        self._decide(Learner.ReorientationSupportStarted, decision, since=since)

    def issue_attestation(self, *, fase: int, kind: Attestation, decision: Decision,
                          advice: str | None = None) -> None:
        """Issue the end-of-4th attestation (one per school year, Art. 4 §1)."""
        void = self._correction(decision, "AttestationIssued")
        self._common("attestation", decision, fase)
        sy = self.school_year
        _ensure(rules.attestation_in_fourth_year(self.year),
                rules.check("attestation_in_current_school_year", rules.ART["4.1"],
                            school_year_of(decision.effective_date) == sy,
                            f"effective date {decision.effective_date} is outside {sy}-{sy + 1}"),
                rules.one_attestation_per_year(self.attestation(sy, void), sy),
                rules.attestation_after_c2d(self.c2d_outcome(sy, void), kind))
        if kind is Attestation.REORIENTATION and self.c2d_outcome(sy, void) is None:
            support = self.of_type(Learner.ReorientationSupportStarted, void)
            require(rules.reorientation_support_traced(
                support[-1].since if support else None, decision.effective_date))
        self._decide(Learner.AttestationIssued, decision, school_year=sy, kind=kind,
                     advice=advice)

    def decide_c2d(self, *, fase: int, outcome: C2DOutcome, decision: Decision,
                   advice: str | None = None) -> None:
        """Before 15 January: continue the C2D, or reorient at once (attestation issued)."""
        void = self._correction(decision, "C2DDecided")
        self._common("c2d_decision", decision, fase)
        sy = self.school_year
        _ensure(rules.in_c2d_year(self.c2d),
                rules.c2d_decision_window(decision.effective_date, sy),
                rules.check("one_c2d_decision_per_year", rules.ART["4.1.4"],
                            self.c2d_outcome(sy, void) is None, "the C2D decision was already taken"))
        self._decide(Learner.C2DDecided, decision, school_year=sy, outcome=outcome)
        if outcome is C2DOutcome.REORIENT:
            self._decide(Learner.AttestationIssued, decision.model_copy(update={"corrects": None}),
                         school_year=sy, kind=Attestation.REORIENTATION, advice=advice)

    def write_pssa(self, *, fase: int, decision: Decision) -> None:
        """Write the PSSA of a C2D year (due before 15 October; late is recorded as late)."""
        self._common("pssa", decision, fase)
        sy = self.school_year
        due = date(sy, 10, 14)
        _ensure(rules.check("pssa_for_c2d_pupil", rules.ART["4.1.2"], self.c2d,
                            "a PSSA is written for a pupil enrolled in C2D"),
                rules.check("one_pssa_per_year", rules.ART["4.1.2"],
                            not [p for p in self.of_type(Learner.PssaWritten)
                                 if p.school_year == sy], "the PSSA was already written"))
        self._decide(Learner.PssaWritten, decision, school_year=sy, due_by=due,
                     late=decision.effective_date > due)

    def promote(self, *, fase: int, opened_year: int, decision: Decision) -> None:
        """Move the learner up one year for the next school year."""
        self._common("promotion", decision, fase)
        new_sy = self.school_year + 1
        _ensure(rules.check("promotion_in_next_school_year", rules.ART["4.1"],
                            school_year_of(decision.effective_date) == new_sy,
                            f"promotion takes effect in {new_sy}-{new_sy + 1}"),
                rules.check("promotion_below_sixth", rules.ART["4.1"], self.year < 6,
                            "there is no year after 6th in CPU 4-5-6"))
        if self.year == 4:
            require(rules.promotion_from_fourth(self.attestation(self.school_year)))
        self._decide(Learner.Promoted, decision, school_year=new_sy, to_year=self.year + 1)

    def repeat_year(self, *, fase: int, opened_year: int, decision: Decision) -> None:
        """Re-enrol in the same year: 4th only as C2D; 5th/6th only while still allowed."""
        self._common("promotion", decision, fase)
        new_sy = self.school_year + 1
        require(rules.check("repeat_in_next_school_year", rules.ART["4.1"],
                            school_year_of(decision.effective_date) == new_sy,
                            f"re-enrolment takes effect in {new_sy}-{new_sy + 1}"))
        if self.year == 4:
            require(rules.may_repeat_fourth_year(self.attestation(self.school_year)))
        elif self.year == 5:
            require(rules.may_repeat_fifth_year(opened_year, new_sy))
        else:
            require(rules.may_repeat_sixth_year(opened_year, new_sy, self.option_code))
        self._decide(Learner.YearRepeated, decision, school_year=new_sy, year=self.year,
                     c2d=self.year == 4)

    # ----------------------------------------------------------------- certificates
    def issue_certificate(self, *, fase: int, kind: CertificateKind, profile_uaa: list[str],
                          decision: Decision, sovereign: bool = False,
                          justification: str | None = None) -> UUID:
        """Issue the CQ (jury; all UAA or sovereign with justification) or the CE6P."""
        self._common("issue_cq" if kind is CertificateKind.CQ else "issue_ce6p", decision, fase)
        validated = self.validated()
        missing = [u for u in profile_uaa if u not in validated]
        _ensure(rules.certificate_year(self.year),
                rules.no_active_certificate(self.active_certificate(kind) is not None, kind))
        if kind is CertificateKind.CQ:
            require(rules.cq_requirements(missing, sovereign, justification))
        else:
            require(rules.ce6p_form(self.form))
        cert = certificate_id(self.id, kind.value, self.version + 1)
        basis = CqBasis.SOVEREIGN if missing and kind is CertificateKind.CQ else CqBasis.ALL_VALIDATED
        self._decide(Learner.CertificateIssued, decision, certificate_id=cert, kind=kind,
                     basis=basis, justification=justification,
                     profile_version=self.profile_version,
                     validated_uaa=tuple(u for u in profile_uaa if u in validated),
                     missing_uaa=tuple(missing))
        return cert

    def revoke_certificate(self, *, fase: int, certificate: UUID, decision: Decision) -> None:
        """Revoke an issued certificate, with the reason."""
        issued = [c for c in self.of_type(Learner.CertificateIssued)
                  if c.certificate_id == certificate]
        action = "issue_cq" if issued and issued[0].kind is CertificateKind.CQ else "issue_ce6p"
        self._common(action, decision, fase)
        require(rules.check("revoke_active_certificate", rules.ART["2.7"], bool(issued),
                            f"no active certificate {certificate} for this learner"))
        require(rules.check("revocation_has_reason", "ledger rule (corrections give reasons)",
                            bool(decision.reason), "a revocation needs a reason"))
        self._decide(Learner.CertificateRevoked, decision, certificate_id=certificate,
                     revokes=issued[0].originator_version)

    def revoke_decision(self, *, fase: int, target: int, decision: Decision) -> None:
        """Revoke an earlier decision; it stays in the log and stops counting."""
        event = self.log.get(target)
        target_type = type(event).__name__ if event else None
        require(rules.revocable(target_type, target in self.voided, self.REVOCABLE))
        assert isinstance(event, Learner.Decided)
        _ensure(rules.check("revoked_by_same_body", "ledger rule (the deciding body revokes)",
                            decision.body is event.decision.body,
                            f"only {event.decision.body.value} can revoke this decision"),
                rules.not_in_future(decision.effective_date, decision.recorded_at),
                rules.enrolled_at_school(self.fase, fase),
                rules.check("revocation_has_reason", "ledger rule (corrections give reasons)",
                            bool(decision.reason), "a revocation needs a reason"))
        self._decide(Learner.DecisionRevoked, decision, revokes=target, revoked_type=target_type)

    def erase(self, *, fase: int, decision: Decision) -> None:
        """Record the erasure decision (the identity store destroys the personal data)."""
        self._common("erase", decision, fase)
        require(rules.check("erasure_has_reason", "RGPD art. 17", bool(decision.reason),
                            "an erasure needs its lawful reason"))
        self._decide(Learner.Erased, decision)

    def overdue(self, on: date) -> list[tuple[DeadlineKind, date, int]]:
        """Deadlines passed on ``on`` without their decision: (kind, due by, school year)."""
        sy, out = self.school_year, []
        if self.c2d and not [p for p in self.of_type(Learner.PssaWritten) if p.school_year == sy]:
            out.append((DeadlineKind.PSSA, date(sy, 10, 14), sy))
        if self.c2d and self.c2d_outcome(sy) is None:
            out.append((DeadlineKind.C2D_DECISION, date(sy + 1, 1, 14), sy))
        pending = self.pending_report()
        if pending is not None:
            out.append((DeadlineKind.COMPETENCE_REPORT, pending.due_by,
                        school_year_of(pending.requested_on)))
        return [item for item in out if on > item[1]]

    def record_missed_deadline(self, *, kind: DeadlineKind, fase: int, decision: Decision) -> None:
        """Record that a deadline passed without its decision (once per deadline)."""
        self._common("record_missed_deadline", decision, fase)
        found = [o for o in self.overdue(decision.effective_date) if o[0] is kind]
        require(rules.check("deadline_actually_missed", rules.ART["4.1"] if kind is not
                            DeadlineKind.COMPETENCE_REPORT else rules.ART["9"], bool(found),
                            f"no overdue {kind.value} deadline on {decision.effective_date}"))
        _, due_by, school_year = found[0]
        seen = [d for d in self.of_type(Learner.DeadlineMissed)
                if d.kind is kind and d.school_year == school_year and d.due_by == due_by]
        require(rules.check("deadline_recorded_once", "ledger rule (missed deadlines recorded)",
                            not seen, f"{kind.value} deadline already recorded as missed"))
        self._decide(Learner.DeadlineMissed, decision, kind=kind, due_by=due_by,
                     school_year=school_year)
