"""The CléA regime (Code du travail D6113-30 and Certif'Pro rules): its commands and handlers.

Commands cover a candidate's whole journey, from the evaluator organisation's habilitation to
the SI CPF report. :class:`CleaHandlers` has one method per command (handlers that apply a
referential record the version in force, ``CLEA-REF-<version>``); :data:`REGIME` declares them
for the command registry.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Literal
from uuid import UUID

from pydantic import Field

from ledger.application.base import CommandRoute, DecisionCommand, Handlers, Regime, Result
from ledger.application.identity import Identity
from ledger.domain.clea import rules
from ledger.domain.clea.aggregates import (
    BranchJury,
    Candidate,
    EvaluatorOrganisation,
    TrainingOrganisation,
    branch_jury_id,
    candidate_id,
    evaluator_org_id,
    training_org_id,
)
from ledger.domain.clea.values import (
    RULESET_VERSION,
    BranchCode,
    CampaignId,
    CertificateType,
    CriterionCode,
    DeadlineKind,
    DomainCode,
    JuryMember,
    OrgName,
    PersonId,
    Region,
    Siret,
    ruleset_for,
)
from ledger.domain.kernel import Body, Decision
from ledger.reference import clea as ref


class CleaCommand(DecisionCommand):
    """A CléA decision (who, as what, for which body, when, why)."""

    reason: str | None = Field(default=None, max_length=2000)


class CandidateCommand(CleaCommand):
    """A decision about one candidacy (one candidate, one certificate type)."""

    candidate_id: UUID
    corrects: int | None = Field(
        default=None, ge=1, description="Version of the candidate's decision this corrects"
    )


class RegisterEvaluatorOrganisation(CleaCommand):
    """Register an evaluator organisation (SIRET, region)."""

    command: Literal["RegisterEvaluatorOrganisation"]
    siret: Siret
    name: OrgName
    region: Region


class HabilitateOrganisation(CleaCommand):
    """Habilitate an evaluator organisation for a certificate, by a campaign, from the date."""

    command: Literal["HabilitateOrganisation"]
    siret: Siret
    certificate: CertificateType
    campaign: CampaignId
    valid_to: date


class WithdrawHabilitation(CleaCommand):
    """Withdraw an organisation's habilitation for a certificate from the effective date."""

    command: Literal["WithdrawHabilitation"]
    siret: Siret
    certificate: CertificateType


class RegisterTrainingOrganisation(CleaCommand):
    """Register a training organisation (no habilitation needed since 1 July 2019)."""

    command: Literal["RegisterTrainingOrganisation"]
    siret: Siret
    name: OrgName
    region: Region
    legacy_habilitation_until: date | None = None


class RegisterBranchJury(CleaCommand):
    """Register a branch jury able to award CléA."""

    command: Literal["RegisterBranchJury"]
    branch_code: BranchCode
    name: OrgName
    awards: tuple[CertificateType, ...] = (CertificateType.CLEA,)


class RegisterCandidate(CleaCommand):
    """Register a candidate (random person id) for a certificate with an evaluator."""

    command: Literal["RegisterCandidate"]
    person_id: UUID
    certificate: CertificateType
    evaluator_siret: Siret
    identity: Identity | None = None  # kept apart from the log (encrypted, erasable, findable)


class RecordPriorEvaluation(CandidateCommand):
    """Record the évaluation préalable: every criterion of the referential, passed ones listed."""

    command: Literal["RecordPriorEvaluation"]
    evaluator_siret: Siret
    evaluator_id: PersonId
    passed: tuple[CriterionCode, ...] = ()


class AssignTrainingPlan(CandidateCommand):
    """Assign an individual training plan for missing domains."""

    command: Literal["AssignTrainingPlan"]
    domains: tuple[DomainCode, ...] = Field(min_length=1)
    training_org_siret: Siret
    planned_hours: int | None = Field(default=None, ge=1, le=2000)


class CompleteTraining(CandidateCommand):
    """Record the completed training of the open plan, with the trainer's opaque id."""

    command: Literal["CompleteTraining"]
    training_org_siret: Siret
    trainer_id: PersonId


class RecordFinalEvaluation(CandidateCommand):
    """Record the évaluation finale of missing domains (passed criteria listed)."""

    command: Literal["RecordFinalEvaluation"]
    evaluator_siret: Siret
    evaluator_id: PersonId
    domains: tuple[DomainCode, ...] = Field(min_length=1)
    passed: tuple[CriterionCode, ...] = ()


class SubmitToJury(CandidateCommand):
    """The candidate's evaluator organisation submits the complete dossier to ONE jury.

    ``branch_code`` names a registered branch jury (CPNE); without it the dossier goes to the
    jury paritaire (Certif'Pro). Only that jury then decides on it and reads it.
    """

    command: Literal["SubmitToJury"]
    evaluator_siret: Siret
    branch_code: BranchCode | None = None


class DecideJury(CandidateCommand):
    """The jury paritaire (or a branch jury) decides on certification."""

    command: Literal["DecideJury"]
    members: tuple[JuryMember, ...] = Field(min_length=2)
    awarded: bool = True
    branch_code: BranchCode | None = None


class IssueCleaCertificate(CandidateCommand):
    """Issue the certificate (Certif'Pro, or the branch jury that may award it)."""

    command: Literal["IssueCleaCertificate"]
    branch_code: BranchCode | None = None


class RecordAccrochage(CandidateCommand):
    """Record the report of holder data to the SI CPF (L6113-8)."""

    command: Literal["RecordAccrochage"]
    certificate_id: UUID


class RevokeCleaCertificate(CandidateCommand):
    """Revoke a certificate, with a reason."""

    command: Literal["RevokeCleaCertificate"]
    certificate_id: UUID


class RevokeCleaDecision(CandidateCommand):
    """Revoke an earlier decision (by its version on the candidate), with a reason."""

    command: Literal["RevokeCleaDecision"]
    target_version: int = Field(ge=1)


class RecordCleaDeadlineMissed(CandidateCommand):
    """Record a missed deadline (overdue accrochage, expired 5-year window)."""

    command: Literal["RecordCleaDeadlineMissed"]
    kind: DeadlineKind
    certificate_id: UUID | None = None


class EraseCandidate(CandidateCommand):
    """Erase a candidate's personal data on a lawful request (the decisions stay).

    ``evaluator_siret`` names the deciding evaluator organisation when it is one (it erases only
    its own candidates); Certif'Pro erases any candidate.
    """

    command: Literal["EraseCandidate"]
    evaluator_siret: Siret | None = None


# ---------------------------------------------------------------------------- handlers
class CleaHandlers(Handlers):
    """One handler per CléA command."""

    def _evaluator(self, siret: str) -> EvaluatorOrganisation:
        return self._typed(evaluator_org_id(siret), "evaluator organisation", EvaluatorOrganisation)

    def _training(self, siret: str) -> TrainingOrganisation:
        return self._typed(training_org_id(siret), "training organisation", TrainingOrganisation)

    def _branch_awards(self, body: Body, code: str | None) -> tuple[CertificateType, ...] | None:
        if body is not Body.BRANCH_JURY or code is None:
            return None
        return self._registered_awards(code)

    def _registered_awards(self, code: str) -> tuple[CertificateType, ...] | None:
        """What the registered branch jury may award; ``None`` if no such jury is registered."""
        ident = branch_jury_id(code)
        if not self.ledger.exists(ident):
            return None
        return self._typed(ident, "branch jury", BranchJury).awards

    def _on_candidate(self, cmd: CandidateCommand, act: Callable[[Candidate], object]) -> Result:
        return self._step(cmd, self._typed(cmd.candidate_id, "candidate", Candidate), act)

    # ------------------------------------------------------------------ organisations
    def register_evaluator(self, cmd: RegisterEvaluatorOrganisation, d: Decision) -> Result:
        """Register an evaluator organisation."""
        return self._new(
            cmd,
            evaluator_org_id(cmd.siret),
            "evaluator organisation",
            lambda: EvaluatorOrganisation.register(
                siret=cmd.siret, name=cmd.name, region=cmd.region, decision=d
            ),
        )

    def habilitate(self, cmd: HabilitateOrganisation, d: Decision) -> Result:
        """Habilitate an organisation by a campaign."""
        org = self._evaluator(cmd.siret)
        return self._step(
            cmd,
            org,
            lambda o: o.habilitate(
                certificate=cmd.certificate,
                campaign=ref.campaign(cmd.campaign),
                campaign_id=cmd.campaign,
                valid_to=cmd.valid_to,
                decision=d,
            ),
        )

    def withdraw(self, cmd: WithdrawHabilitation, d: Decision) -> Result:
        """Withdraw a habilitation."""
        org = self._evaluator(cmd.siret)
        return self._step(cmd, org, lambda o: o.withdraw(certificate=cmd.certificate, decision=d))

    def register_training(self, cmd: RegisterTrainingOrganisation, d: Decision) -> Result:
        """Register a training organisation."""
        return self._new(
            cmd,
            training_org_id(cmd.siret),
            "training organisation",
            lambda: TrainingOrganisation.register(
                siret=cmd.siret,
                name=cmd.name,
                region=cmd.region,
                legacy_habilitation_until=cmd.legacy_habilitation_until,
                decision=d,
            ),
        )

    def register_branch_jury(self, cmd: RegisterBranchJury, d: Decision) -> Result:
        """Register a branch jury."""
        return self._new(
            cmd,
            branch_jury_id(cmd.branch_code),
            "branch jury",
            lambda: BranchJury.register(
                branch_code=cmd.branch_code, name=cmd.name, awards=cmd.awards, decision=d
            ),
        )

    # ------------------------------------------------------------------ candidates
    def register_candidate(self, cmd: RegisterCandidate, d: Decision) -> Result:
        """Register a candidate with an habilitated evaluator."""
        org = self._evaluator(cmd.evaluator_siret)
        return self._new(
            cmd,
            candidate_id(cmd.person_id, cmd.certificate),
            "candidate",
            lambda: Candidate.register(
                person_id=cmd.person_id,
                certificate=cmd.certificate,
                evaluator_siret=org.siret,
                evaluator_region=org.region,
                evaluator_windows=org.windows,
                decision=d,
            ),
        )

    def prior_evaluation(self, cmd: RecordPriorEvaluation, d: Decision) -> Result:
        """Record the évaluation préalable against the referential in force."""
        org = self._evaluator(cmd.evaluator_siret)

        def act(cand: Candidate) -> None:
            spec = ref.version_in_force(cand.certificate, cmd.effective_date)
            cand.record_prior_evaluation(
                evaluator_siret=org.siret,
                evaluator_id=cmd.evaluator_id,
                evaluator_windows=org.windows,
                referential=spec,
                passed=cmd.passed,
                decision=d.model_copy(update={"ruleset_version": ruleset_for(spec.version)}),
            )

        return self._on_candidate(cmd, act)

    def training_plan(self, cmd: AssignTrainingPlan, d: Decision) -> Result:
        """Assign a training plan with a registered training organisation."""
        org = self._training(cmd.training_org_siret)
        return self._on_candidate(
            cmd,
            lambda cand: cand.assign_training_plan(
                domains=cmd.domains, training_org_siret=org.siret, planned_hours=cmd.planned_hours, decision=d
            ),
        )

    def complete_training(self, cmd: CompleteTraining, d: Decision) -> Result:
        """Record completed training."""
        org = self._training(cmd.training_org_siret)
        return self._on_candidate(
            cmd,
            lambda cand: cand.complete_training(
                training_org_siret=org.siret,
                trainer_id=cmd.trainer_id,
                legacy_habilitation_until=org.legacy_habilitation_until,
                decision=d,
            ),
        )

    def final_evaluation(self, cmd: RecordFinalEvaluation, d: Decision) -> Result:
        """Record the évaluation finale against the referential in force."""
        org = self._evaluator(cmd.evaluator_siret)

        def act(cand: Candidate) -> None:
            spec = ref.version_in_force(cand.certificate, cmd.effective_date)
            cand.record_final_evaluation(
                evaluator_siret=org.siret,
                evaluator_id=cmd.evaluator_id,
                evaluator_windows=org.windows,
                referential=spec,
                domains=cmd.domains,
                passed=cmd.passed,
                decision=d.model_copy(update={"ruleset_version": ruleset_for(spec.version)}),
            )

        return self._on_candidate(cmd, act)

    def submit_to_jury(self, cmd: SubmitToJury, d: Decision) -> Result:
        """Submit the dossier to a branch jury or the jury paritaire."""
        awards = self._registered_awards(cmd.branch_code) if cmd.branch_code is not None else None
        return self._on_candidate(
            cmd,
            lambda cand: cand.submit_to_jury(
                evaluator_siret=cmd.evaluator_siret,
                branch_code=cmd.branch_code,
                branch_awards=awards,
                decision=d,
            ),
        )

    def jury(self, cmd: DecideJury, d: Decision) -> Result:
        """Record the jury's decision."""
        awards = self._branch_awards(d.body, cmd.branch_code)
        return self._on_candidate(
            cmd,
            lambda cand: cand.decide_jury(
                members=cmd.members,
                awarded=cmd.awarded,
                branch_code=cmd.branch_code,
                branch_awards=awards,
                decision=d,
            ),
        )

    def issue(self, cmd: IssueCleaCertificate, d: Decision) -> Result:
        """Issue the certificate."""
        awards = self._branch_awards(d.body, cmd.branch_code)
        return self._on_candidate(
            cmd,
            lambda cand: cand.issue_certificate(
                branch_code=cmd.branch_code, branch_awards=awards, decision=d
            ),
        )

    def accrochage(self, cmd: RecordAccrochage, d: Decision) -> Result:
        """Record the SI CPF report."""
        return self._on_candidate(
            cmd, lambda cand: cand.record_accrochage(certificate=cmd.certificate_id, decision=d)
        )

    def revoke_certificate(self, cmd: RevokeCleaCertificate, d: Decision) -> Result:
        """Revoke a certificate."""
        return self._on_candidate(
            cmd, lambda cand: cand.revoke_certificate(certificate=cmd.certificate_id, decision=d)
        )

    def revoke(self, cmd: RevokeCleaDecision, d: Decision) -> Result:
        """Revoke a decision."""
        return self._on_candidate(
            cmd, lambda cand: cand.revoke_decision(target=cmd.target_version, decision=d)
        )

    def deadline(self, cmd: RecordCleaDeadlineMissed, d: Decision) -> Result:
        """Record a missed deadline."""
        if cmd.kind is DeadlineKind.VALIDITY_WINDOW:
            d = d.model_copy(update={"legal_basis": rules.SRC["S22"]})
        return self._on_candidate(
            cmd,
            lambda cand: cand.record_missed_deadline(
                kind=cmd.kind, certificate=cmd.certificate_id, decision=d
            ),
        )

    def erase(self, cmd: EraseCandidate, d: Decision) -> Result:
        """Record the erasure; once saved, destroy the identity, its key and its index rows."""
        self.ledger.after_save(lambda: self.ledger.identities.erase(cmd.candidate_id))
        return self._on_candidate(
            cmd, lambda cand: cand.erase(evaluator_siret=cmd.evaluator_siret, decision=d)
        )


_HABILITATION = f"{rules.SRC['S54']}; {rules.SRC['S58']}; {rules.SRC['ARR-2019']}"
_JOURNEY = f"{rules.SRC['D6113-30']}; {rules.SRC['D6113-31']}; {rules.SRC['S22']}"
BASIS: dict[str, str] = {
    "register_evaluator": _HABILITATION,
    "habilitate": _HABILITATION,
    "withdraw": _HABILITATION,
    "register_training_org": rules.SRC["S60"],
    "register_branch_jury": rules.SRC["S52"],
    "register_candidate": _JOURNEY,
    "prior_evaluation": _JOURNEY,
    "training_plan": _JOURNEY,
    "training_completed": f"{rules.SRC['S22']}; {rules.SRC['S60']}",
    "final_evaluation": _JOURNEY,
    "submit_to_jury": f"{rules.SRC['S22']}; {rules.SRC['S52']}",
    "jury": f"{rules.SRC['D6113-31']}; jury paritaire {rules.SRC['S22']}",
    "issue": f"{rules.SRC['D6113-31']}; {rules.SRC['ARR-2019']}; {rules.SRC['S52']}",
    "accrochage": rules.SRC["L6113-8"],
    "deadline": rules.SRC["L6113-8"],
    "revoke_certificate": rules.SRC["ARR-2019"],
    "revoke": "ledger rule: revocation by the deciding body (Certif'Pro rules)",
    "erase": rules.POWERS["erase"][1],
}


_ROUTES: tuple[tuple[type[CleaCommand], str, str], ...] = (
    (RegisterEvaluatorOrganisation, "register_evaluator", "register_evaluator"),
    (HabilitateOrganisation, "habilitate", "habilitate"),
    (WithdrawHabilitation, "withdraw", "withdraw"),
    (RegisterTrainingOrganisation, "register_training", "register_training_org"),
    (RegisterBranchJury, "register_branch_jury", "register_branch_jury"),
    (RegisterCandidate, "register_candidate", "register_candidate"),
    (RecordPriorEvaluation, "prior_evaluation", "prior_evaluation"),
    (AssignTrainingPlan, "training_plan", "training_plan"),
    (CompleteTraining, "complete_training", "training_completed"),
    (RecordFinalEvaluation, "final_evaluation", "final_evaluation"),
    (SubmitToJury, "submit_to_jury", "submit_to_jury"),
    (DecideJury, "jury", "jury"),
    (IssueCleaCertificate, "issue", "issue"),
    (RecordAccrochage, "accrochage", "accrochage"),
    (RevokeCleaCertificate, "revoke_certificate", "revoke_certificate"),
    (RevokeCleaDecision, "revoke", "revoke"),
    (RecordCleaDeadlineMissed, "deadline", "deadline"),
    (EraseCandidate, "erase", "erase"),
)

REGIME = Regime(
    name="clea",
    handlers=CleaHandlers,
    ruleset=RULESET_VERSION,
    routes=tuple(CommandRoute(cls, method, BASIS[action]) for cls, method, action in _ROUTES),
)
"""The CléA regime, as the command registry reads it."""
