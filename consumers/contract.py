"""The wire contract: versioned messages published on Kafka, separate from stored events.

Stored events are the ledger's private record; what goes on the wire is a **message**: a
pydantic model per published type, built from an explicit **allowlist** of the stored
event's fields (a new stored field never leaks by accident). Every field was checked for
personal data: learners and candidates appear only as their random aggregate id
(``subject_id``); free text (reasons, justifications, advice, remediation plans), actor,
evaluator, trainer, delegate and jury-member ids, organisation names and the CléA
``person_id`` stay out.

Every message carries ``subject_id`` (the aggregate: learner, candidate, option or
organisation), ``aggregate_version`` and a :class:`WireDecision` (role, body, dates, legal
basis, rule-set version; no actor id, no reason). Types are named
``<regime>.<aggregate>.<event>.v<N>`` (``be.cpu.learner.unit_validated.v1``); each has a
committed JSON Schema ``consumers/schemas/<type>.json`` whose ``$id`` is the CloudEvents
``dataschema``: ``https://ledger.example/schemas/<type>.json``, a URL whose path every
``ledger serve`` answers with the committed file (:mod:`consumers.api`).

A breaking change means a new type version (``…v2``), never an edit: :func:`gate` compares
each new schema with every **released** version of its type (git history or a release
directory, :mod:`consumers.released`), in both directions (:mod:`consumers.compat`).
"""

from __future__ import annotations

import inspect
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from functools import cached_property
from pathlib import Path
from typing import Any
from uuid import UUID

import orjson
from eventsourcing.utils import get_topic
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, ValidationError, create_model

from consumers.compat import compatibility_problems
from consumers.errors import ContractError
from consumers.released import Released
from ledger.domain.clea import aggregates as clea
from ledger.domain.cpu import aggregates as cpu
from ledger.domain.kernel import ActorRole, Body, LedgerAggregate

SCHEMA_DIR = Path(__file__).resolve().parent / "schemas"
SCHEMA_BASE = "https://ledger.example/schemas/"
"""The namespace of the schemas' ``$id`` (= ``ce_dataschema``): the same for every deployment,
since a type names one schema everywhere. Its path, ``/schemas/<type>.json``, is what
``ledger serve`` answers; resolve it against the ledger you read from, or map the host."""
SCHEMA_PATH = "/schemas/"


class WireDecision(BaseModel):
    """Decision metadata on the wire: who (as a role), for which body, when, on which basis."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    actor_role: ActorRole
    body: Body
    effective_date: date
    recorded_at: AwareDatetime
    legal_basis: str
    ruleset_version: str
    corrects: int | None = Field(default=None, ge=1)


class Message(BaseModel):
    """Base of every published message (tolerant reader: unknown fields are ignored)."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    subject_id: UUID = Field(description="Random id of the learner, candidate or aggregate")
    aggregate_version: int = Field(ge=1)
    decision: WireDecision


WIRE_DECISION_FIELDS = tuple(WireDecision.model_fields)


@dataclass(frozen=True)
class Spec:
    """How one stored event class is published."""

    event: type[LedgerAggregate.Event]
    regime: str
    aggregate: str
    fields: tuple[str, ...]
    version: int = 1
    name: str = ""

    @cached_property
    def stored_topic(self) -> str:
        """The eventsourcing topic of the stored event."""
        return get_topic(self.event)

    @cached_property
    def type(self) -> str:
        """The CloudEvents ``type``: ``be.cpu.learner.unit_validated.v1``."""
        name = self.name or re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", self.event.__name__).lower()
        return f"{self.regime}.{self.aggregate}.{name}.v{self.version}"

    @cached_property
    def dataschema(self) -> str:
        """The URL of the committed schema (its ``$id``): ``<SCHEMA_BASE><type>.json``."""
        return f"{SCHEMA_BASE}{self.type}.json"


L, C = cpu.Learner, clea.Candidate
CPU, CLEA = "be.cpu", "fr.clea"
SPECS: tuple[Spec, ...] = (
    Spec(
        cpu.SchoolOption.Opened,
        CPU,
        "option",
        ("fase", "option_code", "form", "first_school_year", "replaces_transformed_option"),
    ),
    Spec(
        L.Admitted,
        CPU,
        "learner",
        (
            "fase",
            "option_code",
            "form",
            "profile_version",
            "school_year",
            "year",
            "route",
            "prior_attestation",
            "prior_passed_year",
            "exempt_formation_commune",
            "fourth_and_fifth_in_one_year",
        ),
    ),
    Spec(L.Transferred, CPU, "learner", ("from_fase", "to_fase")),
    Spec(L.CompetenceReportRequested, CPU, "learner", ("from_fase", "requested_on", "due_by")),
    Spec(L.CompetenceReportSent, CPU, "learner", ("from_fase", "sent_on", "due_by", "late")),
    Spec(L.FormalNoticeIssued, CPU, "learner", ("defaulting_fase", "due_by")),
    Spec(L.TestAuthorised, CPU, "learner", ("uaa", "learner_is_minor", "representatives_informed")),
    Spec(L.UnitAttempted, CPU, "learner", ("uaa", "passed", "score")),
    Spec(L.UnitValidated, CPU, "learner", ("uaa", "via", "during_test_of")),
    Spec(L.RemediationAssigned, CPU, "learner", ("uaa",)),
    Spec(L.RemediationCompleted, CPU, "learner", ("uaa",)),
    Spec(L.ReorientationSupportStarted, CPU, "learner", ("since",)),
    Spec(L.AttestationIssued, CPU, "learner", ("school_year", "kind")),
    Spec(L.C2DDecided, CPU, "learner", ("school_year", "outcome"), name="c2d_decided"),
    Spec(L.PssaWritten, CPU, "learner", ("school_year", "due_by", "late")),
    Spec(L.Promoted, CPU, "learner", ("school_year", "to_year")),
    Spec(L.YearRepeated, CPU, "learner", ("school_year", "year", "c2d")),
    Spec(
        L.CertificateIssued,
        CPU,
        "learner",
        ("certificate_id", "kind", "basis", "profile_version", "validated_uaa", "missing_uaa"),
    ),
    Spec(L.CertificateRevoked, CPU, "learner", ("certificate_id", "revokes")),
    Spec(L.DecisionRevoked, CPU, "learner", ("revokes", "revoked_type")),
    Spec(L.DeadlineMissed, CPU, "learner", ("kind", "due_by", "school_year")),
    Spec(L.Erased, CPU, "learner", ()),
    Spec(L.C2DProgrammeWritten, CPU, "learner", ("school_year",), name="c2d_programme_written"),
    Spec(L.AppealLodged, CPU, "learner", ("target", "target_kind", "lodged_on")),
    Spec(L.AppealDecided, CPU, "learner", ("target", "outcome", "replacement")),
    Spec(L.DutyFlagged, CPU, "learner", ("rule", "article", "school_year", "uaa")),
    Spec(
        cpu.SchoolOption.CreationNormChecked,
        CPU,
        "option",
        ("school_year", "fourth_year_pupils", "alternance_only", "thematique_commune", "met"),
    ),
    Spec(
        cpu.CertificationProfile.Published,
        CPU,
        "profile",
        (
            "version",
            "option_code",
            "form",
            "approved_on",
            "effective_from",
            "illustrative",
            "uaa",
            "document_sha256",
        ),
    ),
    Spec(clea.EvaluatorOrganisation.Registered, CLEA, "evaluator", ("siret", "region")),
    Spec(
        clea.EvaluatorOrganisation.HabilitationGranted,
        CLEA,
        "evaluator",
        ("certificate", "campaign", "valid_from", "valid_to"),
    ),
    Spec(
        clea.EvaluatorOrganisation.HabilitationWithdrawn, CLEA, "evaluator", ("certificate", "withdrawn_on")
    ),
    Spec(
        clea.TrainingOrganisation.Registered,
        CLEA,
        "training_org",
        ("siret", "region", "legacy_habilitation_until"),
    ),
    Spec(clea.BranchJury.Registered, CLEA, "branch_jury", ("branch_code", "awards")),
    Spec(C.Registered, CLEA, "candidate", ("certificate", "evaluator_siret", "evaluator_region")),
    Spec(
        C.PriorEvaluationRecorded,
        CLEA,
        "candidate",
        ("evaluator_siret", "referential_version", "results", "acquired", "missing", "window_ends_on"),
    ),
    Spec(C.TrainingPlanAssigned, CLEA, "candidate", ("domains", "training_org_siret", "planned_hours")),
    Spec(C.TrainingCompleted, CLEA, "candidate", ("training_org_siret", "domains", "plan_version")),
    Spec(
        C.FinalEvaluationRecorded,
        CLEA,
        "candidate",
        ("evaluator_siret", "referential_version", "results", "newly_acquired", "still_missing"),
    ),
    Spec(C.DossierSubmittedToJury, CLEA, "candidate", ("evaluator_siret", "jury", "branch_code", "domains")),
    Spec(C.JuryDecided, CLEA, "candidate", ("awarded", "branch_code", "domains")),
    Spec(
        C.CertificateIssued,
        CLEA,
        "candidate",
        (
            "certificate_id",
            "certificate",
            "issuer",
            "branch_code",
            "issued_on",
            "referential_versions",
            "domains",
            "accrochage_due_by",
        ),
    ),
    Spec(C.AccrochageRecorded, CLEA, "candidate", ("certificate_id", "reported_on", "due_by", "late")),
    Spec(C.CertificateRevoked, CLEA, "candidate", ("certificate_id", "revokes")),
    Spec(C.DecisionRevoked, CLEA, "candidate", ("revokes", "revoked_type")),
    Spec(C.DeadlineMissed, CLEA, "candidate", ("kind", "due_by", "certificate_id")),
    Spec(C.Erased, CLEA, "candidate", ()),
)


def _build_model(spec: Spec) -> type[Message]:
    """The message model of a spec: the base fields plus the allowlisted event fields."""
    fields: dict[str, Any] = {}
    for name in spec.fields:
        info = spec.event.model_fields[name]
        fields[name] = (info.annotation, info)
    model_name = "".join(part.title() for part in re.split(r"[._]", spec.type))
    doc = (inspect.getdoc(spec.event) or spec.type).splitlines()[0]
    model: type[Message] = create_model(model_name, __base__=Message, __doc__=doc, **fields)
    return model


class Contract:
    """Every published type: stored topic → spec → message model, and back by type."""

    def __init__(self, specs: tuple[Spec, ...] = SPECS) -> None:
        self.specs = specs
        self.by_topic = {s.stored_topic: s for s in specs}
        self.by_type = {s.type: s for s in specs}
        self.models = {s.type: _build_model(s) for s in specs}

    def spec_for(self, stored_topic: str) -> Spec:
        """The spec of a stored event topic, or :class:`ContractError` (never skip silently)."""
        spec = self.by_topic.get(stored_topic)
        if spec is None:
            raise ContractError(f"no wire mapping for stored event {stored_topic}; add a Spec")
        return spec

    def to_document(
        self, stored_topic: str, aggregate_id: str, version: int, state: dict[str, Any]
    ) -> tuple[Spec, bytes]:
        """Map a stored event's (upcast) JSON state to its wire document, validated by its model.

        The fast path of the relay: no domain object is rebuilt; the document is built from the
        allowlisted fields and serialised, and those very bytes are validated by the message
        model in **strict** JSON mode (no coercion: what passes is already in its wire form),
        so they are sent as they are. A document that only passes lax validation (a value
        that needs coercing) is re-serialised from the validated model instead.
        """
        spec = self.spec_for(stored_topic)
        decision = state["decision"]
        doc = {
            "subject_id": aggregate_id,
            "aggregate_version": version,
            "decision": {k: decision.get(k) for k in WIRE_DECISION_FIELDS},
            **{name: state.get(name) for name in spec.fields},
        }
        model = self.models[spec.type]
        value = orjson.dumps(doc)
        try:
            model.model_validate_json(value, strict=True)
            return spec, value
        except ValidationError:
            pass
        try:
            message = model.model_validate(doc)
        except ValidationError as exc:
            raise ContractError(f"{spec.type}: stored event does not fit its message: {exc}") from None
        return spec, message.model_dump_json().encode()

    def parse(self, ce_type: str, data: bytes) -> Message:
        """Parse and validate a received message of ``ce_type`` (ContractError when invalid)."""
        model = self.models.get(ce_type)
        if model is None:
            raise ContractError(f"unknown message type {ce_type!r}")
        try:
            return model.model_validate_json(data)
        except ValidationError as exc:
            raise ContractError(
                f"{ce_type} does not match its schema: "
                f"{exc.error_count()} error(s), first: {exc.errors()[0]['msg']}"
            ) from None

    def schema(self, ce_type: str) -> dict[str, Any]:
        """The JSON Schema of one message type, with ``$id`` = the ``dataschema`` URI."""
        spec = self.by_type[ce_type]
        body = self.models[ce_type].model_json_schema(mode="validation")
        return {"$schema": "https://json-schema.org/draft/2020-12/schema", "$id": spec.dataschema, **body}

    def schemas(self) -> dict[str, dict[str, Any]]:
        """Every message type's JSON Schema, by type."""
        return {t: self.schema(t) for t in sorted(self.by_type)}


def schema_text(schema: dict[str, Any]) -> str:
    """The committed form of a schema: sorted keys, two-space indent, final newline."""
    return json.dumps(schema, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def publish_schemas(
    schemas: Mapping[str, dict[str, Any]], released: Released, directory: Path = SCHEMA_DIR
) -> list[str]:
    """Write every schema that changed, after the gate; refuse (nothing written) a breaking one."""
    problems = gate(schemas, released)
    if problems:
        lines = [f"{t}: {p}" for t, found in sorted(problems.items()) for p in found]
        raise ContractError(
            "breaking change(s) to released schemas; publish a new type version "
            "(…v2) instead:\n  " + "\n  ".join(lines)
        )
    directory.mkdir(parents=True, exist_ok=True)
    planned = [(directory / f"{t}.json", schema_text(s)) for t, s in sorted(schemas.items())]
    planned = [
        (path, text)
        for path, text in planned
        if not path.exists() or path.read_text(encoding="utf-8") != text
    ]
    for path, text in planned:
        path.write_text(text, encoding="utf-8")
    return [p.name for p, _ in planned]


def check_schemas(
    directory: Path = SCHEMA_DIR,
    against: str = "HEAD",
    released_dir: Path | None = None,
    write: bool = True,
    contract: Contract | None = None,
    history: Path = SCHEMA_DIR,
) -> dict[str, Any]:
    """Gate the contract's schemas against the released ones, then write those that changed.

    Released versions come from ``released_dir`` if given, else from the git history of
    ``history`` (the committed schema directory) up to ``against``. Returns what changed in
    ``directory`` (written unless ``write`` is False), every non-breaking change noted, and
    where the released versions were read.
    """
    from consumers.compat import classify
    from consumers.released import from_directory, from_git

    released = from_directory(released_dir) if released_dir else from_git(history, against)
    schemas = (contract or Contract()).schemas()
    notes = sorted(
        {
            f"{t}: {c.describe()}"
            for t, s in schemas.items()
            for old in released.get(t, [])
            for c in classify(old.schema, s)
            if not c.breaking
        }
    )
    if write:
        changed = publish_schemas(schemas, released, directory)
    else:
        problems = gate(schemas, released)
        if problems:
            raise ContractError(
                "breaking change(s): "
                + "; ".join(f"{t}: {p}" for t, found in sorted(problems.items()) for p in found)
            )
        changed = [
            f"{t}.json"
            for t, s in sorted(schemas.items())
            if not (directory / f"{t}.json").exists()
            or (directory / f"{t}.json").read_text(encoding="utf-8") != schema_text(s)
        ]
    return {
        "changed": changed,
        "notes": notes,
        "directory": str(directory),
        "released": str(released_dir) if released_dir else f"git {against}",
    }


def write_schemas(contract: Contract, released: Released, directory: Path = SCHEMA_DIR) -> list[str]:
    """Write the contract's schemas into ``directory`` if the gate lets them through."""
    return publish_schemas(contract.schemas(), released, directory)


def gate(schemas: Mapping[str, dict[str, Any]], released: Released) -> dict[str, list[str]]:
    """Why each new schema cannot be published under its type (empty: every one can).

    Each new schema is compared, in both directions (:mod:`consumers.compat`), with every
    released version of its type; a released type missing from ``schemas`` must have a
    successor (the same name, a higher version).
    """
    problems: dict[str, list[str]] = {}
    for ce_type, schema in schemas.items():
        for old in released.get(ce_type, []):
            found = [f"{p} [released {old.source}]" for p in compatibility_problems(old.schema, schema)]
            if found:
                problems.setdefault(ce_type, []).extend(found)
    for ce_type in sorted(set(released) - set(schemas)):
        if not _has_successor(ce_type, schemas):
            problems[ce_type] = ["released type no longer published and no later version replaces it"]
    return problems


def _has_successor(ce_type: str, schemas: Mapping[str, Any]) -> bool:
    name, _, version = ce_type.rpartition(".v")
    return any(
        t.rpartition(".v")[0] == name
        and t.rpartition(".v")[2].isdigit()
        and version.isdigit()
        and int(t.rpartition(".v")[2]) > int(version)
        for t in schemas
    )
