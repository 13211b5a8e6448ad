"""Commands: imperative, validated requests to record a decision.

``ledger record`` reads one JSON object per line, ``{"command": "<Name>", ...}``; the HTTP
API takes the same bodies. ``ledger schema commands`` prints their JSON Schema.
"""

from __future__ import annotations

from datetime import date
from typing import Any, Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from ledger.adapters.identity import Identity
from ledger.domain.cpu.values import (
    Attestation,
    C2DOutcome,
    CertificateKind,
    DeadlineKind,
    Fase,
    OptionCode,
    Route,
    SchoolYear,
    StudyYear,
    UaaCode,
    ValidationVia,
)
from ledger.domain.errors import InvalidCommand
from ledger.domain.kernel import ActorId, ActorRole, Body


class BaseCommand(BaseModel):
    """Fields every decision command carries: who, as what, for which body, when, where."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    actor_id: ActorId
    actor_role: ActorRole
    body: Body
    effective_date: date
    fase: Fase = Field(description="FASE of the school taking the decision")
    reason: str | None = Field(default=None, max_length=2000)


class LearnerCommand(BaseCommand):
    """A decision about one learner."""

    learner_id: UUID
    corrects: int | None = Field(default=None, ge=1,
                                 description="Version of the learner's decision this corrects")


class OpenOption(BaseCommand):
    """Open an option in CPU 4-5-6 at a school from a first 4th year."""

    command: Literal["OpenOption"]
    option_code: OptionCode
    first_school_year: SchoolYear
    replaces_transformed_option: bool = True


class AdmitLearner(BaseCommand):
    """Admit a learner in an option by an Art. 5 route."""

    command: Literal["AdmitLearner"]
    learner_id: UUID | None = None
    option_code: OptionCode
    school_year: SchoolYear
    year: StudyYear
    route: Route
    prior_attestation: Attestation | None = None
    prior_passed_year: int | None = Field(default=None, ge=3, le=7)
    alternance_attestations: bool = False
    holds_forme3_cq: bool = False
    exempt_formation_commune: bool = False
    identity: Identity | None = None


class TransferLearner(LearnerCommand):
    """Move a learner to this school (same option); the report is requested from the previous."""

    command: Literal["TransferLearner"]


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


CpuCommand = (
    OpenOption | AdmitLearner | TransferLearner | SendCompetenceReport | GiveFormalNotice
    | AuthoriseTest | RecordAttempt | ValidateUnit | AssignRemediation | CompleteRemediation
    | StartReorientationSupport | IssueAttestation | DecideC2D | WritePssa | PromoteLearner
    | RepeatYear | IssueCertificate | RevokeCertificate | RevokeDecision | RecordMissedDeadline
    | EraseLearner
)

_REGISTRY: dict[str, type[BaseModel]] = {}


def register(*classes: type[BaseModel]) -> None:
    """Register command classes (each regime adds its own)."""
    for cls in classes:
        name = cls.model_fields["command"].annotation.__args__[0]  # type: ignore[union-attr,unused-ignore]
        _REGISTRY[name] = cls


register(*CpuCommand.__args__)


def command_names() -> list[str]:
    """Every known command name."""
    return sorted(_REGISTRY)


def command_classes() -> list[type[BaseModel]]:
    """Every registered command class, ordered by command name."""
    return [_REGISTRY[name] for name in sorted(_REGISTRY)]


def parse_command(raw: Any) -> BaseModel:
    """Validate one command object; :class:`InvalidCommand` names what is wrong."""
    if not isinstance(raw, dict):
        raise InvalidCommand("a command must be a JSON object")
    name = raw.get("command")
    if not isinstance(name, str) or name not in _REGISTRY:
        raise InvalidCommand(f"unknown command {name!r}; known: {', '.join(command_names())}")
    try:
        return _REGISTRY[name].model_validate(raw)
    except ValidationError as exc:
        raise InvalidCommand(f"{name}: {describe(exc)}") from None


def describe(exc: ValidationError) -> str:
    """A one-line description of every validation error."""
    parts = []
    for err in exc.errors()[:5]:
        loc = ".".join(str(x) for x in err["loc"]) or "(command)"
        parts.append(f"{loc}: {err['msg']}")
    return "; ".join(parts)


def commands_schema() -> dict[str, Any]:
    """JSON Schema of every command, keyed by name."""
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": "Ledger commands",
        "oneOf": [{"$ref": f"#/$defs/{name}"} for name in command_names()],
        "$defs": {name: _REGISTRY[name].model_json_schema() for name in command_names()},
    }
