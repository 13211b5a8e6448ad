"""The CPU regime (AGCF 2018-08-29): its commands and their handlers.

Commands are imperative, validated requests to record a decision (``ledger record`` reads one
JSON object per line, ``{"command": "<Name>", ...}``; the HTTP API takes the same bodies;
``ledger schema commands`` prints their JSON Schema). :class:`CpuHandlers` has one method per
command: it loads the aggregates and the reference data, and calls the domain, which checks the
rules. :data:`REGIME` declares them for the command registry.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from datetime import date
from typing import Any, Literal
from uuid import UUID, uuid4

from pydantic import Field, ValidationError

from ledger.application import profiles
from ledger.application.base import CommandRoute, DecisionCommand, Handlers, Regime, Result
from ledger.application.identity import Identity
from ledger.domain.cpu import rules as cpu_rules
from ledger.domain.cpu.aggregates import (
    CertificationProfile,
    Learner,
    SchoolOption,
    option_id,
    profile_id,
)
from ledger.domain.cpu.values import (
    RULESET_VERSION,
    AppealOutcome,
    Attestation,
    C2DOutcome,
    CertificateKind,
    DeadlineKind,
    Fase,
    OptionCode,
    SchoolYear,
    StudyYear,
    UaaCode,
    ValidationVia,
)
from ledger.domain.cpu.values import (
    Route as AdmissionRoute,
)
from ledger.domain.errors import InvalidCommand, UnknownEntity
from ledger.domain.kernel import Decision
from ledger.domain.rules import Verdict, because, require
from ledger.reference import cpu as ref


class BaseCommand(DecisionCommand):
    """A CPU decision: taken at a school (its FASE)."""

    fase: Fase = Field(description="FASE of the school taking the decision")
    reason: str | None = Field(default=None, max_length=2000)


class OpenOption(BaseCommand):
    """Open an option in CPU 4-5-6 at a school from a first 4th year."""

    command: Literal["OpenOption"]
    option_code: OptionCode
    first_school_year: SchoolYear
    replaces_transformed_option: bool = True


class LearnerCommand(BaseCommand):
    """A decision about one learner."""

    learner_id: UUID
    corrects: int | None = Field(
        default=None, ge=1, description="Version of the learner's decision this corrects"
    )


class AdmitLearner(BaseCommand):
    """Admit a learner in an option by an Art. 5 route."""

    command: Literal["AdmitLearner"]
    learner_id: UUID | None = None
    option_code: OptionCode
    school_year: SchoolYear
    year: StudyYear
    route: AdmissionRoute
    prior_attestation: Attestation | None = None
    prior_passed_year: int | None = Field(default=None, ge=3, le=7)
    alternance_attestations: bool = False
    holds_forme3_cq: bool = False
    exempt_formation_commune: bool = False
    reoriented_from: tuple[OptionCode, ...] = Field(
        default=(),
        description="Options the learner was reoriented out of (Art. 4 §1 3°: no re-enrolment there)",
    )
    aob_excluded_orientations: tuple[OptionCode, ...] = Field(
        default=(),
        max_length=15,
        description="Orientations the prior AOB excludes from the upper year (Art. 4 §1 2°)",
    )
    identity: Identity | None = None


class TransferLearner(LearnerCommand):
    """Move a learner to this school (same option); the report is requested from the previous."""

    command: Literal["TransferLearner"]
    national_register_number: str | None = Field(
        default=None,
        pattern=r"^[0-9]{11}$",
        description="the learner's national register number, presented by the receiving school "
        "as proof of the family's request (Art. 9); matched by keyed hash, never stored",
    )


class SendCompetenceReport(LearnerCommand):
    """The previous school sends the rapport de compétences CPU."""

    command: Literal["SendCompetenceReport"]


class GiveFormalNotice(LearnerCommand):
    """The administration gives formal notice for an overdue rapport de compétences."""

    command: Literal["GiveFormalNotice"]


class AuthoriseTest(LearnerCommand):
    """The jury authorises the learner to sit a UAA test."""

    command: Literal["AuthoriseTest"]
    uaa: UaaCode
    representatives_informed: bool = False


class RecordAttempt(LearnerCommand):
    """Record a UAA test sitting and its result."""

    command: Literal["RecordAttempt"]
    uaa: UaaCode
    passed: bool
    score: float | None = Field(default=None, ge=0, le=100)


class ValidateUnit(LearnerCommand):
    """Validate a UAA (by test, spirally during a later test, or by jury recognition)."""

    command: Literal["ValidateUnit"]
    uaa: UaaCode
    via: ValidationVia = ValidationVia.TEST
    during_test_of: UaaCode | None = None
    delegate: str | None = Field(default=None, max_length=128)


class AssignRemediation(LearnerCommand):
    """Assign remediation for a UAA."""

    command: Literal["AssignRemediation"]
    uaa: UaaCode
    plan: str = Field(min_length=1, max_length=2000)


class CompleteRemediation(LearnerCommand):
    """Record completed remediation for a UAA."""

    command: Literal["CompleteRemediation"]
    uaa: UaaCode


class StartReorientationSupport(LearnerCommand):
    """Trace the start of specific choice support (needed 4 months before a réorientation)."""

    command: Literal["StartReorientationSupport"]


class IssueAttestation(LearnerCommand):
    """Issue the end-of-4th attestation."""

    command: Literal["IssueAttestation"]
    kind: Attestation
    advice: str | None = Field(default=None, max_length=2000)
    excluded_orientations: tuple[OptionCode, ...] = Field(
        default=(),
        max_length=15,
        description="AOB only: orientations (Art. 1 options) closed to the learner in the upper year "
        "(Art. 4 §1 2°)",
    )


class DecideC2D(LearnerCommand):
    """Decide, before 15 January, to continue the C2D or to reorient."""

    command: Literal["DecideC2D"]
    outcome: C2DOutcome
    advice: str | None = Field(default=None, max_length=2000)


class WritePssa(LearnerCommand):
    """Write the PSSA for a C2D pupil (due before 15 October)."""

    command: Literal["WritePssa"]


class PromoteLearner(LearnerCommand):
    """Move the learner up one year for the next school year."""

    command: Literal["PromoteLearner"]


class RepeatYear(LearnerCommand):
    """Re-enrol the learner in the same year for the next school year."""

    command: Literal["RepeatYear"]


class IssueCertificate(LearnerCommand):
    """Issue a CQ (jury) or a CE6P."""

    command: Literal["IssueCertificate"]
    kind: CertificateKind
    sovereign: bool = False
    justification: str | None = Field(default=None, max_length=4000)


class RevokeCertificate(LearnerCommand):
    """Revoke a certificate, with a reason."""

    command: Literal["RevokeCertificate"]
    certificate_id: UUID


class RevokeDecision(LearnerCommand):
    """Revoke an earlier decision (by its version on the learner), with a reason."""

    command: Literal["RevokeDecision"]
    target_version: int = Field(ge=1)


class RecordMissedDeadline(LearnerCommand):
    """Record that a legal deadline passed without its decision (PSSA, C2D, report)."""

    command: Literal["RecordMissedDeadline"]
    kind: DeadlineKind


class EraseLearner(LearnerCommand):
    """Erase a learner's personal data on a lawful request (the decisions stay)."""

    command: Literal["EraseLearner"]


class PublishProfile(BaseCommand):
    """The administration publishes a profil de certification (refused unless Art. 3 §1 holds).

    ``profile`` is the profile document, in the shape of the shipped reference profiles.
    """

    command: Literal["PublishProfile"]
    profile: dict[str, Any]


class LodgeAppeal(LearnerCommand):
    """Record a recours externe lodged against a réorientation or C2D attestation (Art. 4 §1)."""

    command: Literal["LodgeAppeal"]
    target_version: int = Field(ge=1, description="Version of the appealed attestation")


class DecideAppeal(LearnerCommand):
    """Record the conseil de recours' decision; ``reformed`` replaces the attestation."""

    command: Literal["DecideAppeal"]
    target_version: int = Field(ge=1, description="Version of the appealed attestation")
    outcome: AppealOutcome
    replacement: Attestation | None = None


class RecordYearFlags(LearnerCommand):
    """After the school year, record the Art. 4 §6 timing duties it did not meet (flags)."""

    command: Literal["RecordYearFlags"]
    school_year: SchoolYear
    study_year: StudyYear = Field(description="The learner's year (4-6) in that school year")


class CheckCreationNorm(BaseCommand):
    """Record the 1 October count of a newly created option against the Art. 6 §3 norm (a flag)."""

    command: Literal["CheckCreationNorm"]
    option_code: OptionCode
    fourth_year_pupils: int = Field(ge=0, le=10000)
    alternance_only: bool = False
    thematique_commune: bool = False


# ---------------------------------------------------------------------------- handlers
class CpuHandlers(Handlers):
    """One handler per CPU command."""

    def _learner(self, cmd: LearnerCommand) -> Learner:
        return self._typed(cmd.learner_id, "learner", Learner)

    def _on_learner(self, cmd: LearnerCommand, act: Callable[[Learner], object]) -> Result:
        return self._step(cmd, self._learner(cmd), act)

    def _school_option(self, fase: int, option_code: str) -> SchoolOption | None:
        ident = option_id(fase, option_code)
        if not self.ledger.exists(ident):
            return None
        return self._typed(ident, "option", SchoolOption)

    def _option_opened(self, fase: int, option_code: str) -> int | None:
        opt = self._school_option(fase, option_code)
        return None if opt is None else int(opt.first_school_year)

    def _replaces_transformed(self, fase: int, option_code: str) -> bool:
        opt = self._school_option(fase, option_code)
        return opt is None or opt.replaces_transformed_option

    def _opened_for(self, ln: Learner) -> int:
        opened = self._option_opened(ln.fase, ln.option_code)
        if opened is None:
            raise UnknownEntity(
                "option at school", because("{option} at FASE {fase}", option=ln.option_code, fase=ln.fase)
            )
        return opened

    def _lookup(self, ident: UUID) -> Any:
        return self.ledger.get(ident, "profile") if self.ledger.exists(ident) else None

    def _profile(self, learner: Learner) -> ref.Profile:
        """The profile the learner was admitted under (published, else shipped)."""
        return profiles.profile_of(self._lookup, learner.profile_version)

    def _profile_uaa(self, learner: Learner) -> list[str]:
        return self._profile(learner).uaa_codes()

    def _profile_in_force(self, option_code: str, on: date) -> profiles.ProfileUsed:
        ids = self.ledger.created_ids(CertificationProfile.Published)
        return profiles.in_force((self.ledger.get(i, "profile") for i in ids), option_code, on)

    def _is_minor(self, learner_id: UUID, on: date) -> bool:
        identity = self.ledger.identity(learner_id)
        return True if identity is None else identity.is_minor_on(on)

    def open_option(self, cmd: OpenOption, d: Decision) -> Result:
        """Open an option at a school."""
        school = ref.school(cmd.fase)
        option = ref.option(cmd.option_code)
        return self._new(
            cmd,
            option_id(school.fase, option.code),
            "option",
            lambda: SchoolOption.open(
                fase=school.fase,
                option_code=option.code,
                form=option.form,
                first_school_year=cmd.first_school_year,
                replaces_transformed_option=cmd.replaces_transformed_option,
                decision=d,
                listed_options=ref.options().keys(),
            ),
            taken=f"option {option.code} is already open at FASE {school.fase}",
        )

    def admit(self, cmd: AdmitLearner, d: Decision) -> Result:
        """Admit a learner by an Art. 5 route."""
        ref.school(cmd.fase)
        option = ref.option(cmd.option_code)
        profile = self._profile_in_force(
            option.code, admission_date(cmd.school_year, cmd.effective_date)
        ).profile
        learner_id = cmd.learner_id or uuid4()
        return self._new(
            cmd,
            learner_id,
            "learner",
            lambda: Learner.admit(
                learner_id=learner_id,
                fase=cmd.fase,
                option_code=option.code,
                form=option.form,
                profile_version=profile.version,
                opened_year=self._option_opened(cmd.fase, option.code),
                school_year=cmd.school_year,
                year=cmd.year,
                route=cmd.route,
                decision=d,
                prior_attestation=cmd.prior_attestation,
                prior_passed_year=cmd.prior_passed_year,
                alternance_attestations=cmd.alternance_attestations,
                holds_forme3_cq=cmd.holds_forme3_cq,
                exempt_formation_commune=cmd.exempt_formation_commune,
                option_replaces_transformed=self._replaces_transformed(cmd.fase, option.code),
                reoriented_from=cmd.reoriented_from,
                aob_excluded=[ref.option(o).code for o in cmd.aob_excluded_orientations],
            ),
        )

    def transfer(self, cmd: TransferLearner, d: Decision) -> Result:
        """Move a learner to this school, on the family's request (national number presented)."""
        ref.school(cmd.fase)
        presented = cmd.national_register_number
        matched = presented is not None and self.ledger.national_number_matches(cmd.learner_id, presented)
        require(cpu_rules.transfer_on_family_request(presented is not None, matched))
        return self._on_learner(
            cmd,
            lambda ln: ln.transfer(
                to_fase=cmd.fase, to_option_opened=self._option_opened(cmd.fase, ln.option_code), decision=d
            ),
        )

    def send_report(self, cmd: SendCompetenceReport, d: Decision) -> Result:
        """Send the rapport de compétences."""
        return self._on_learner(cmd, lambda ln: ln.send_competence_report(fase=cmd.fase, decision=d))

    def formal_notice(self, cmd: GiveFormalNotice, d: Decision) -> Result:
        """Give formal notice for an overdue report."""
        return self._on_learner(cmd, lambda ln: ln.give_formal_notice(decision=d))

    def authorise(self, cmd: AuthoriseTest, d: Decision) -> Result:
        """Authorise a UAA test."""
        return self._on_learner(
            cmd,
            lambda ln: ln.authorise_test(
                fase=cmd.fase,
                uaa=cmd.uaa,
                profile_uaa=self._profile_uaa(ln),
                is_minor=self._is_minor(ln.id, cmd.effective_date),
                representatives_informed=cmd.representatives_informed,
                decision=d,
            ),
        )

    def attempt(self, cmd: RecordAttempt, d: Decision) -> Result:
        """Record a test sitting."""
        return self._on_learner(
            cmd,
            lambda ln: ln.record_attempt(
                fase=cmd.fase,
                uaa=cmd.uaa,
                profile_uaa=self._profile_uaa(ln),
                passed=cmd.passed,
                score=cmd.score,
                decision=d,
            ),
        )

    def validate(self, cmd: ValidateUnit, d: Decision) -> Result:
        """Validate a UAA (jury recognition rests on its own article)."""

        def act(ln: Learner) -> None:
            profile = self._profile(ln)
            spec = profile.uaa_by_code(cmd.uaa)
            decision = d
            if cmd.via is ValidationVia.JURY_RECOGNITION:
                decision = d.model_copy(update={"legal_basis": legal_basis("recognise_unit")})
            ln.validate_unit(
                fase=cmd.fase,
                uaa=cmd.uaa,
                profile_uaa=profile.uaa_codes(),
                via=cmd.via,
                decision=decision,
                during_test_of=cmd.during_test_of,
                delegate=cmd.delegate,
                uaa_year=spec.year if spec else 4,
            )

        return self._on_learner(cmd, act)

    def remediate(self, cmd: AssignRemediation, d: Decision) -> Result:
        """Assign remediation."""
        return self._on_learner(
            cmd,
            lambda ln: ln.assign_remediation(
                fase=cmd.fase, uaa=cmd.uaa, profile_uaa=self._profile_uaa(ln), plan=cmd.plan, decision=d
            ),
        )

    def complete_remediation(self, cmd: CompleteRemediation, d: Decision) -> Result:
        """Record completed remediation."""
        return self._on_learner(
            cmd, lambda ln: ln.complete_remediation(fase=cmd.fase, uaa=cmd.uaa, decision=d)
        )

    def support(self, cmd: StartReorientationSupport, d: Decision) -> Result:
        """Trace the start of choice support."""
        return self._on_learner(
            cmd,
            lambda ln: ln.start_reorientation_support(fase=cmd.fase, since=cmd.effective_date, decision=d),
        )

    def attest(self, cmd: IssueAttestation, d: Decision) -> Result:
        """Issue the end-of-4th attestation."""
        excluded = [ref.option(o).code for o in cmd.excluded_orientations]
        return self._on_learner(
            cmd,
            lambda ln: ln.issue_attestation(
                fase=cmd.fase, kind=cmd.kind, decision=d, advice=cmd.advice, excluded_orientations=excluded
            ),
        )

    def c2d(self, cmd: DecideC2D, d: Decision) -> Result:
        """Decide on the C2D."""
        return self._on_learner(
            cmd, lambda ln: ln.decide_c2d(fase=cmd.fase, outcome=cmd.outcome, decision=d, advice=cmd.advice)
        )

    def pssa(self, cmd: WritePssa, d: Decision) -> Result:
        """Write the PSSA."""
        return self._on_learner(cmd, lambda ln: ln.write_pssa(fase=cmd.fase, decision=d))

    def promote(self, cmd: PromoteLearner, d: Decision) -> Result:
        """Promote to the next year."""
        return self._on_learner(
            cmd, lambda ln: ln.promote(fase=cmd.fase, opened_year=self._opened_for(ln), decision=d)
        )

    def repeat(self, cmd: RepeatYear, d: Decision) -> Result:
        """Repeat the year."""
        return self._on_learner(
            cmd, lambda ln: ln.repeat_year(fase=cmd.fase, opened_year=self._opened_for(ln), decision=d)
        )

    def certify(self, cmd: IssueCertificate, d: Decision) -> Result:
        """Issue a CQ or a CE6P (the CE6P rests on its own article)."""
        if cmd.kind.value == "CE6P":
            d = d.model_copy(update={"legal_basis": legal_basis("issue_ce6p")})
        return self._on_learner(
            cmd,
            lambda ln: ln.issue_certificate(
                fase=cmd.fase,
                kind=cmd.kind,
                profile_uaa=self._profile_uaa(ln),
                decision=d,
                sovereign=cmd.sovereign,
                justification=cmd.justification,
            ),
        )

    def revoke_certificate(self, cmd: RevokeCertificate, d: Decision) -> Result:
        """Revoke a certificate."""
        return self._on_learner(
            cmd, lambda ln: ln.revoke_certificate(fase=cmd.fase, certificate=cmd.certificate_id, decision=d)
        )

    def revoke(self, cmd: RevokeDecision, d: Decision) -> Result:
        """Revoke an earlier decision."""
        return self._on_learner(
            cmd, lambda ln: ln.revoke_decision(fase=cmd.fase, target=cmd.target_version, decision=d)
        )

    def missed(self, cmd: RecordMissedDeadline, d: Decision) -> Result:
        """Record a missed deadline."""
        return self._on_learner(
            cmd, lambda ln: ln.record_missed_deadline(kind=cmd.kind, fase=cmd.fase, decision=d)
        )

    def erase(self, cmd: EraseLearner, d: Decision) -> Result:
        """Record the erasure; once saved, destroy the identity and its key."""
        self.ledger.after_save(lambda: self.ledger.identities.erase(cmd.learner_id))
        return self._on_learner(cmd, lambda ln: ln.erase(fase=cmd.fase, decision=d))

    def publish_profile(self, cmd: PublishProfile, d: Decision) -> Result:
        """Publish a certification profile (Art. 2 3°), refused unless Art. 3 §1 holds."""
        try:
            profile = ref.Profile.model_validate(cmd.profile)
        except ValidationError as exc:
            err = exc.errors()[0]
            where = ".".join(str(x) for x in err["loc"])
            raise InvalidCommand(f"PublishProfile: profile.{where}: {err['msg']}") from None
        option = ref.option(profile.option_code)
        digest = hashlib.sha256(
            json.dumps(cmd.profile, sort_keys=True, ensure_ascii=False, default=str).encode()
        ).hexdigest()
        art3: tuple[Verdict, ...] = ref.profile_verdicts(profile)
        return self._new(
            cmd,
            profile_id(profile.version),
            "profile",
            lambda: CertificationProfile.publish(
                version=profile.version,
                option_code=option.code,
                form=profile.form,
                approved_on=profile.approved_on,
                effective_from=profile.effective_from,
                illustrative=profile.illustrative,
                uaa=profile.uaa_codes(),
                weeks_by_year=profile.weeks_by_year(),
                project_weeks=dict(profile.project_weeks),
                document_sha256=digest,
                document=profile.model_dump(mode="json"),
                art3=art3,
                decision=d,
            ),
            taken=f"profile {profile.version} is already published",
        )

    def lodge_appeal(self, cmd: LodgeAppeal, d: Decision) -> Result:
        """Record a recours externe."""
        return self._on_learner(
            cmd, lambda ln: ln.lodge_appeal(fase=cmd.fase, target=cmd.target_version, decision=d)
        )

    def decide_appeal(self, cmd: DecideAppeal, d: Decision) -> Result:
        """Record the conseil de recours' decision."""
        return self._on_learner(
            cmd,
            lambda ln: ln.decide_appeal(
                fase=cmd.fase,
                target=cmd.target_version,
                outcome=cmd.outcome,
                replacement=cmd.replacement,
                decision=d,
            ),
        )

    def year_flags(self, cmd: RecordYearFlags, d: Decision) -> Result:
        """Record the year's unmet timing duties; the programme is the profile's UAA of the year."""

        def act(ln: Learner) -> list[str]:
            profile = self._profile(ln)
            programme = [u.code for u in profile.uaa_of_year(cmd.study_year)]
            return ln.record_year_flags(
                fase=cmd.fase, school_year=cmd.school_year, programme=programme, decision=d
            )

        return self._on_learner(cmd, act)

    def creation_norm(self, cmd: CheckCreationNorm, d: Decision) -> Result:
        """Record the 1 October count of a newly created option (Art. 6 §3)."""
        option = ref.option(cmd.option_code)
        opt = self._school_option(cmd.fase, option.code)
        if opt is None:
            raise UnknownEntity(
                "option at school", because("{option} at FASE {fase}", option=option.code, fase=cmd.fase)
            )
        return self._step(
            cmd,
            opt,
            lambda o: o.check_creation_norm(
                fourth_year_pupils=cmd.fourth_year_pupils,
                alternance_only=cmd.alternance_only,
                thematique_commune=cmd.thematique_commune,
                decision=d,
            ),
        )


def admission_date(school_year: int, effective: date) -> date:
    """The date an admission's profile must be in force on.

    The decision's date, or the start (1 September) of the school year admitted into when the
    decision is taken before it.
    """
    return max(date(school_year, 9, 1), effective)


def legal_basis(action: str) -> str:
    """The article a decision of this kind rests on."""
    if action == "revoke":
        return "ledger rule: revocation by the deciding body (AGCF-2018-08-29; décret Missions ch. X)"
    return cpu_rules.POWERS[action][1]


_ROUTES: tuple[tuple[type[BaseCommand], str, str], ...] = (
    (OpenOption, "open_option", "open_option"),
    (AdmitLearner, "admit", "admit"),
    (TransferLearner, "transfer", "transfer"),
    (SendCompetenceReport, "send_report", "competence_report"),
    (GiveFormalNotice, "formal_notice", "formal_notice"),
    (AuthoriseTest, "authorise", "authorise_test"),
    (RecordAttempt, "attempt", "record_attempt"),
    (ValidateUnit, "validate", "validate_unit"),
    (AssignRemediation, "remediate", "remediation"),
    (CompleteRemediation, "complete_remediation", "remediation"),
    (StartReorientationSupport, "support", "reorientation_support"),
    (IssueAttestation, "attest", "attestation"),
    (DecideC2D, "c2d", "c2d_decision"),
    (WritePssa, "pssa", "pssa"),
    (PromoteLearner, "promote", "promotion"),
    (RepeatYear, "repeat", "promotion"),
    (IssueCertificate, "certify", "issue_cq"),
    (RevokeCertificate, "revoke_certificate", "issue_cq"),
    (RevokeDecision, "revoke", "revoke"),
    (RecordMissedDeadline, "missed", "record_missed_deadline"),
    (EraseLearner, "erase", "erase"),
    (PublishProfile, "publish_profile", "publish_profile"),
    (LodgeAppeal, "lodge_appeal", "lodge_appeal"),
    (DecideAppeal, "decide_appeal", "decide_appeal"),
    (RecordYearFlags, "year_flags", "record_flags"),
    (CheckCreationNorm, "creation_norm", "creation_norm"),
)

REGIME = Regime(
    name="cpu",
    handlers=CpuHandlers,
    ruleset=RULESET_VERSION,
    routes=tuple(CommandRoute(cls, method, legal_basis(action)) for cls, method, action in _ROUTES),
)
"""The CPU regime, as the command registry reads it."""
