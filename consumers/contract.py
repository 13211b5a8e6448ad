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
``dataschema``. A breaking change means a new type version (``…v2``), never an edit:
:func:`compatibility_problems` refuses narrowed schemas.
"""

from __future__ import annotations

import inspect
import json
import re
from dataclasses import dataclass
from datetime import date
from functools import cached_property
from pathlib import Path
from typing import Any
from uuid import UUID

from eventsourcing.utils import get_topic
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, ValidationError, create_model

from ledger.domain.clea import aggregates as clea
from ledger.domain.cpu import aggregates as cpu
from ledger.domain.errors import LedgerError
from ledger.domain.kernel import ActorRole, Body, LedgerAggregate

SCHEMA_DIR = Path(__file__).resolve().parent / "schemas"
SCHEMA_BASE = "urn:ledger:schema:"


class ContractError(LedgerError):
    """A stored event has no wire mapping, or a message does not fit its contract."""

    code = "contract-error"


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
        """The URI of the committed schema (its ``$id``)."""
        return SCHEMA_BASE + self.type


L, C = cpu.Learner, clea.Candidate
CPU, CLEA = "be.cpu", "fr.clea"
SPECS: tuple[Spec, ...] = (
    Spec(cpu.SchoolOption.Opened, CPU, "option",
         ("fase", "option_code", "form", "first_school_year", "replaces_transformed_option")),
    Spec(L.Admitted, CPU, "learner",
         ("fase", "option_code", "form", "profile_version", "school_year", "year", "route",
          "prior_attestation", "prior_passed_year", "exempt_formation_commune",
          "fourth_and_fifth_in_one_year")),
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
    Spec(L.CertificateIssued, CPU, "learner",
         ("certificate_id", "kind", "basis", "profile_version", "validated_uaa", "missing_uaa")),
    Spec(L.CertificateRevoked, CPU, "learner", ("certificate_id", "revokes")),
    Spec(L.DecisionRevoked, CPU, "learner", ("revokes", "revoked_type")),
    Spec(L.DeadlineMissed, CPU, "learner", ("kind", "due_by", "school_year")),
    Spec(L.Erased, CPU, "learner", ()),
    Spec(L.C2DProgrammeWritten, CPU, "learner", ("school_year",), name="c2d_programme_written"),
    Spec(L.AppealLodged, CPU, "learner", ("target", "target_kind", "lodged_on")),
    Spec(L.AppealDecided, CPU, "learner", ("target", "outcome", "replacement")),
    Spec(L.DutyFlagged, CPU, "learner", ("rule", "article", "school_year", "uaa")),
    Spec(cpu.SchoolOption.CreationNormChecked, CPU, "option",
         ("school_year", "fourth_year_pupils", "alternance_only", "thematique_commune", "met")),
    Spec(cpu.CertificationProfile.Published, CPU, "profile",
         ("version", "option_code", "form", "approved_on", "effective_from", "illustrative", "uaa",
          "document_sha256")),
    Spec(clea.EvaluatorOrganisation.Registered, CLEA, "evaluator", ("siret", "region")),
    Spec(clea.EvaluatorOrganisation.HabilitationGranted, CLEA, "evaluator",
         ("certificate", "campaign", "valid_from", "valid_to")),
    Spec(clea.EvaluatorOrganisation.HabilitationWithdrawn, CLEA, "evaluator",
         ("certificate", "withdrawn_on")),
    Spec(clea.TrainingOrganisation.Registered, CLEA, "training_org",
         ("siret", "region", "legacy_habilitation_until")),
    Spec(clea.BranchJury.Registered, CLEA, "branch_jury", ("branch_code", "awards")),
    Spec(C.Registered, CLEA, "candidate", ("certificate", "evaluator_siret", "evaluator_region")),
    Spec(C.PriorEvaluationRecorded, CLEA, "candidate",
         ("evaluator_siret", "referential_version", "results", "acquired", "missing",
          "window_ends_on")),
    Spec(C.TrainingPlanAssigned, CLEA, "candidate", ("domains", "training_org_siret", "planned_hours")),
    Spec(C.TrainingCompleted, CLEA, "candidate", ("training_org_siret", "domains", "plan_version")),
    Spec(C.FinalEvaluationRecorded, CLEA, "candidate",
         ("evaluator_siret", "referential_version", "results", "newly_acquired", "still_missing")),
    Spec(C.JuryDecided, CLEA, "candidate", ("awarded", "branch_code", "domains")),
    Spec(C.CertificateIssued, CLEA, "candidate",
         ("certificate_id", "certificate", "issuer", "branch_code", "issued_on",
          "referential_versions", "domains", "accrochage_due_by")),
    Spec(C.AccrochageRecorded, CLEA, "candidate", ("certificate_id", "reported_on", "due_by", "late")),
    Spec(C.CertificateRevoked, CLEA, "candidate", ("certificate_id", "revokes")),
    Spec(C.DecisionRevoked, CLEA, "candidate", ("revokes", "revoked_type")),
    Spec(C.DeadlineMissed, CLEA, "candidate", ("kind", "due_by", "certificate_id")),
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

    def to_document(self, stored_topic: str, aggregate_id: str, version: int,
                    state: dict[str, Any]) -> tuple[Spec, bytes]:
        """Map a stored event's (upcast) JSON state to its wire document, validated by its model.

        The fast path of the relay: no domain object is rebuilt; the document is built from the
        allowlisted fields, checked against the message model, and re-serialised from it.
        """
        spec = self.spec_for(stored_topic)
        decision = state["decision"]
        doc = {"subject_id": aggregate_id, "aggregate_version": version,
               "decision": {k: decision.get(k) for k in WIRE_DECISION_FIELDS},
               **{name: state.get(name) for name in spec.fields}}
        try:
            message = self.models[spec.type].model_validate(doc)
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
            raise ContractError(f"{ce_type} does not match its schema: "
                                f"{exc.error_count()} error(s), first: {exc.errors()[0]['msg']}") from None

    def schema(self, ce_type: str) -> dict[str, Any]:
        """The JSON Schema of one message type, with ``$id`` = the ``dataschema`` URI."""
        spec = self.by_type[ce_type]
        body = self.models[ce_type].model_json_schema(mode="validation")
        return {"$schema": "https://json-schema.org/draft/2020-12/schema", "$id": spec.dataschema,
                **body}

    def schemas(self) -> dict[str, dict[str, Any]]:
        """Every message type's JSON Schema, by type."""
        return {t: self.schema(t) for t in sorted(self.by_type)}


def schema_text(schema: dict[str, Any]) -> str:
    """The committed form of a schema: sorted keys, two-space indent, final newline."""
    return json.dumps(schema, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def write_schemas(contract: Contract, directory: Path = SCHEMA_DIR) -> list[str]:
    """Write every schema that changed; refuse (ContractError, nothing written) a breaking one."""
    directory.mkdir(parents=True, exist_ok=True)
    planned: list[tuple[Path, str]] = []
    for ce_type, schema in contract.schemas().items():
        path = directory / f"{ce_type}.json"
        text = schema_text(schema)
        if path.exists():
            old = path.read_text(encoding="utf-8")
            if old == text:
                continue
            problems = compatibility_problems(json.loads(old), schema)
            if problems:
                raise ContractError(f"{ce_type}: breaking change ({'; '.join(problems)}); "
                                    "publish a new type version instead")
        planned.append((path, text))
    for path, text in planned:
        path.write_text(text, encoding="utf-8")
    return [p.name for p, _ in planned]


# ---------------------------------------------------------------------------- compatibility
_NARROWING = ("maxLength", "maximum", "exclusiveMaximum", "maxItems")
_WIDENING = ("minLength", "minimum", "exclusiveMinimum", "minItems")


def compatibility_problems(old: dict[str, Any], new: dict[str, Any]) -> list[str]:
    """Why ``new`` might reject a document ``old`` accepted (empty list: backward compatible).

    A structural check: no new required property, no removed property, no narrowed type,
    enum, format, pattern or bound, applied recursively through ``$ref``, ``anyOf`` and items.
    """
    return _compare(old, old, new, new, "$")


def _resolve(root: dict[str, Any], node: dict[str, Any]) -> dict[str, Any]:
    ref = node.get("$ref")
    if not isinstance(ref, str) or not ref.startswith("#/$defs/"):
        return node
    resolved: dict[str, Any] = root["$defs"][ref.removeprefix("#/$defs/")]
    return _resolve(root, resolved)


def _types(node: dict[str, Any]) -> set[str]:
    kind = node.get("type")
    if kind is None:
        return set()
    return {kind} if isinstance(kind, str) else set(kind)


def _compare(old_root: dict[str, Any], old: dict[str, Any], new_root: dict[str, Any],
             new: dict[str, Any], where: str) -> list[str]:
    old, new = _resolve(old_root, old), _resolve(new_root, new)
    problems = _compare_scalars(old, new, where)
    if "anyOf" in old or "anyOf" in new:
        problems += _compare_any_of(old_root, old, new_root, new, where)
    problems += _compare_objects(old_root, old, new_root, new, where)
    if isinstance(old.get("items"), dict) and isinstance(new.get("items"), dict):
        problems += _compare(old_root, old["items"], new_root, new["items"], f"{where}[]")
    return problems


def _compare_scalars(old: dict[str, Any], new: dict[str, Any], where: str) -> list[str]:
    problems = []
    old_types, new_types = _types(old), _types(new)
    lost = old_types - new_types - ({"integer"} if "number" in new_types else set())
    if new_types and (lost or (not old_types and "anyOf" not in old)):
        problems.append(f"{where}: type narrowed from {sorted(old_types)} to {sorted(new_types)}")
    if "enum" in new and not set(old.get("enum", [object()])) <= set(new["enum"]):
        problems.append(f"{where}: enum narrowed")
    for key in ("format", "pattern", "const"):
        if key in new and new.get(key) != old.get(key):
            problems.append(f"{where}: {key} changed")
    for key in _NARROWING:
        if key in new and (key not in old or new[key] < old[key]):
            problems.append(f"{where}: {key} narrowed")
    for key in _WIDENING:
        if key in new and (key not in old or new[key] > old[key]):
            problems.append(f"{where}: {key} narrowed")
    return problems


def _compare_any_of(old_root: dict[str, Any], old: dict[str, Any], new_root: dict[str, Any],
                    new: dict[str, Any], where: str) -> list[str]:
    old_options = old.get("anyOf", [old])
    new_options = new.get("anyOf", [new])
    problems = []
    for i, option in enumerate(old_options):
        if not any(not _compare(old_root, option, new_root, candidate, where)
                   for candidate in new_options):
            problems.append(f"{where}: alternative {i} of the old schema is no longer accepted")
    return problems


def _compare_objects(old_root: dict[str, Any], old: dict[str, Any], new_root: dict[str, Any],
                     new: dict[str, Any], where: str) -> list[str]:
    problems = []
    old_props: dict[str, Any] = old.get("properties", {})
    new_props: dict[str, Any] = new.get("properties", {})
    for name in sorted(set(new.get("required", [])) - set(old.get("required", []))):
        problems.append(f"{where}.{name}: newly required")
    for name, sub in old_props.items():
        if name not in new_props:
            problems.append(f"{where}.{name}: removed")
        else:
            problems += _compare(old_root, sub, new_root, new_props[name], f"{where}.{name}")
    if new.get("additionalProperties") is False and old.get("additionalProperties") is not False:
        problems.append(f"{where}: additional properties now forbidden")
    return problems
