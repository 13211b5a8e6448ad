"""The wire contract: committed schemas match the models, stay backward compatible, leak nothing."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest

from consumers.contract import SCHEMA_DIR, Contract, compatibility_problems, schema_text, write_schemas
from consumers.relay import RecordBuilder
from consumers.topics import KafkaSettings
from ledger.adapters.store import iter_notifications
from ledger.application import Ledger
from ledger.domain.clea import aggregates as clea
from ledger.domain.cpu import aggregates as cpu
from ledger.domain.errors import LedgerError
from ledger.domain.kernel import LedgerAggregate
from tests.kafka_support import record_demo

CONTRACT = Contract()
# Field names that would carry personal data or free text: never on the wire.
FORBIDDEN = {
    "person_id",
    "actor_id",
    "reason",
    "justification",
    "advice",
    "plan",
    "delegate",
    "name",
    "evaluator_id",
    "trainer_id",
    "members",
    "given_name",
    "family_name",
    "birth_date",
    "identity",
}


def committed(ce_type: str) -> dict[str, Any]:
    return dict(json.loads((SCHEMA_DIR / f"{ce_type}.json").read_text(encoding="utf-8")))


def test_committed_schemas_equal_the_models() -> None:
    """Each message type has a committed schema equal to its model (`ledger contract write-schemas`)."""
    files = {p.stem for p in SCHEMA_DIR.glob("*.json")}
    assert files == set(CONTRACT.by_type)
    for ce_type, schema in CONTRACT.schemas().items():
        assert (SCHEMA_DIR / f"{ce_type}.json").read_text(encoding="utf-8") == schema_text(schema), ce_type


def test_models_accept_everything_the_committed_schemas_accept() -> None:
    """The current models are backward compatible with every committed schema."""
    for ce_type, schema in CONTRACT.schemas().items():
        assert compatibility_problems(committed(ce_type), schema) == [], ce_type


def test_compatibility_check_refuses_narrowing() -> None:
    """New required fields, removed fields, narrowed enums and types are each reported."""
    old = committed("be.cpu.learner.test_authorised.v1")
    required = copy.deepcopy(old)
    required["required"].append("uaa_title")
    required["properties"]["uaa_title"] = {"type": "string"}
    removed = copy.deepcopy(old)
    del removed["properties"]["learner_is_minor"]
    enum = copy.deepcopy(old)
    enum["$defs"]["Body"]["enum"].remove("jury_delegate")
    typed = copy.deepcopy(old)
    typed["properties"]["aggregate_version"]["type"] = "string"
    optional = copy.deepcopy(old)
    optional["properties"]["uaa_title"] = {"type": "string"}
    assert "$.uaa_title: newly required" in compatibility_problems(old, required)
    assert "$.learner_is_minor: removed" in compatibility_problems(old, removed)
    assert any("enum narrowed" in p for p in compatibility_problems(old, enum))
    assert any("type narrowed" in p for p in compatibility_problems(old, typed))
    assert compatibility_problems(old, optional) == []


def test_write_schemas_refuses_a_breaking_change(tmp_path: Any) -> None:
    """Writing an incompatible schema over a committed one fails and writes nothing."""
    ce_type = "be.cpu.learner.unit_validated.v1"
    narrowed = committed(ce_type)
    narrowed["properties"]["uaa"] = {"type": "integer"}
    (tmp_path / f"{ce_type}.json").write_text(schema_text(narrowed), encoding="utf-8")
    with pytest.raises(LedgerError, match="breaking change"):
        write_schemas(CONTRACT, tmp_path)
    assert [p.name for p in tmp_path.iterdir()] == [f"{ce_type}.json"]


def concrete_events() -> set[type[Any]]:
    found = set()
    for aggregate in (
        cpu.SchoolOption,
        cpu.Learner,
        cpu.CertificationProfile,
        clea.EvaluatorOrganisation,
        clea.TrainingOrganisation,
        clea.BranchJury,
        clea.Candidate,
    ):
        for value in vars(aggregate).values():
            if (
                isinstance(value, type)
                and issubclass(value, LedgerAggregate.Event)
                and value.__name__
                not in {"Decided", "Event", "Created", "Revocation", "CertificateRevocation"}
            ):
                found.add(value)
    return found


def test_every_stored_event_class_has_a_wire_mapping() -> None:
    """No stored event type is left unpublished, and no wire field names personal data."""
    assert {s.event for s in CONTRACT.specs} == concrete_events()
    for spec in CONTRACT.specs:
        assert not FORBIDDEN & set(spec.fields), spec.type
        assert not FORBIDDEN & set(CONTRACT.models[spec.type].model_fields), spec.type


def test_demo_messages_validate_and_carry_no_personal_data(sqlite_ledger: Ledger) -> None:
    """Messages built from a demo cohort validate against the committed schemas and hold no identity."""
    jsonschema_rs = pytest.importorskip("jsonschema_rs")
    record_demo(sqlite_ledger, learners=20, candidates=8, seed=5)
    builder = RecordBuilder(sqlite_ledger.store, KafkaSettings())
    validators = {t: jsonschema_rs.validator_for(committed(t)) for t in CONTRACT.by_type}
    names = {"Amine", "Léa", "Dubois", "Lambert", "Peeters", "El Amrani"}
    seen: set[str] = set()
    for n in iter_notifications(sqlite_ledger.store):
        record = builder.build(n)
        ce_type = dict(record.headers)["ce_type"].decode()
        document = json.loads(record.value)
        validators[ce_type].validate(document)
        assert not FORBIDDEN & set(document), ce_type
        assert not any(name in record.value.decode() for name in names)
        seen.add(ce_type)
    assert len(seen) >= 25
