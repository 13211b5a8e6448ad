"""CléA commands: imperative, validated requests covering a candidate's whole journey.

They are registered with :func:`ledger.commands.register` by :func:`register_commands`
(called by :func:`ledger.clea_service.install`), never at import time.
"""

from __future__ import annotations

from datetime import date
from typing import Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field

from ledger.commands import register
from ledger.domain.clea.values import (
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
)
from ledger.domain.kernel import ActorId, ActorRole, Body


class CleaCommand(BaseModel):
    """Fields every CléA decision command carries: who, as what, for which body, when, why."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    actor_id: ActorId
    actor_role: ActorRole
    body: Body
    effective_date: date
    reason: str | None = Field(default=None, max_length=2000)


class CandidateCommand(CleaCommand):
    """A decision about one candidacy (one candidate, one certificate type)."""

    candidate_id: UUID
    corrects: int | None = Field(default=None, ge=1,
                                 description="Version of the candidate's decision this corrects")


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


CLEA_COMMANDS: tuple[type[BaseModel], ...] = (
    RegisterEvaluatorOrganisation, HabilitateOrganisation, WithdrawHabilitation,
    RegisterTrainingOrganisation, RegisterBranchJury, RegisterCandidate, RecordPriorEvaluation,
    AssignTrainingPlan, CompleteTraining, RecordFinalEvaluation, DecideJury,
    IssueCleaCertificate, RecordAccrochage, RevokeCleaCertificate, RevokeCleaDecision,
    RecordCleaDeadlineMissed,
)


def register_commands() -> None:
    """Register every CléA command with the command parser."""
    register(*CLEA_COMMANDS)
