"""The wire contract: committed schemas match the models, stay backward compatible, leak nothing."""

from __future__ import annotations

import copy
import json
import subprocess
from pathlib import Path
from typing import Any

import pytest

from consumers.contract import (
    SCHEMA_DIR,
    Contract,
    check_schemas,
    gate,
    publish_schemas,
    schema_text,
)
from consumers.errors import ContractError
from consumers.relay import RecordBuilder
from consumers.released import ReleasedSchemasUnavailable, from_git
from consumers.topics import KafkaSettings
from ledger.adapters.store import iter_notifications
from ledger.application import Ledger
from ledger.domain.clea import aggregates as clea
from ledger.domain.cpu import aggregates as cpu
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


def test_models_pass_the_gate_against_the_git_history() -> None:
    """Every model is compatible, both ways, with every committed version of its schema."""
    report = check_schemas(SCHEMA_DIR, against="HEAD", write=False)
    assert report["changed"] == [] and report["released"] == "git HEAD"
    released = from_git(SCHEMA_DIR)
    assert set(released) == set(CONTRACT.by_type)
    assert gate(CONTRACT.schemas(), released) == {}


def git(repo: Path, *args: str) -> str:
    done = subprocess.run(["git", "-C", str(repo), *args], capture_output=True, text=True, check=True)
    return done.stdout


@pytest.fixture
def release_repo(tmp_path: Path) -> Path:
    """A git repository whose first commit released one schema (a copy of the committed one)."""
    git(tmp_path, "init", "-q")
    git(tmp_path, "config", "user.email", "t@example.org")
    git(tmp_path, "config", "user.name", "t")
    schemas = tmp_path / "consumers" / "schemas"
    schemas.mkdir(parents=True)
    (schemas / f"{TYPE}.json").write_text(schema_text(committed(TYPE)), encoding="utf-8")
    git(tmp_path, "add", ".")
    git(tmp_path, "commit", "-q", "-m", "release 1")
    return schemas


TYPE = "be.cpu.learner.unit_validated.v1"


def with_enum_value(schema: dict[str, Any]) -> dict[str, Any]:
    grown = copy.deepcopy(schema)
    grown["$defs"]["Body"]["enum"].append("ministry")
    return grown


def test_deleting_or_editing_the_working_file_does_not_bypass_the_gate(release_repo: Path) -> None:
    """The gate reads the released schema from git: a deleted or pre-edited file changes nothing."""
    breaking = {TYPE: with_enum_value(committed(TYPE))}
    (release_repo / f"{TYPE}.json").unlink()
    with pytest.raises(ContractError, match=r"enum value added \(\+ministry\).*reject new messages"):
        publish_schemas(breaking, from_git(release_repo), release_repo)
    assert list(release_repo.iterdir()) == []  # nothing written
    (release_repo / f"{TYPE}.json").write_text(schema_text(breaking[TYPE]), encoding="utf-8")
    with pytest.raises(ContractError, match="new type version"):
        publish_schemas(breaking, from_git(release_repo), release_repo)


def test_every_released_version_counts_not_only_the_last(release_repo: Path) -> None:
    """A second release added an optional field; going back to the first form removes it: refused."""
    first = committed(TYPE)
    second = copy.deepcopy(first)
    second["properties"]["attempt"] = {"type": "integer"}
    assert publish_schemas({TYPE: second}, from_git(release_repo), release_repo) == [f"{TYPE}.json"]
    git(release_repo, "commit", "-q", "-am", "release 2")
    released = from_git(release_repo)
    assert [r.schema for r in released[TYPE]] == [first, second]
    with pytest.raises(ContractError, match=r"\$.attempt: property removed"):
        publish_schemas({TYPE: first}, released, release_repo)


def test_a_new_type_version_is_the_way_to_break(release_repo: Path) -> None:
    """Dropping v1 needs a v2 beside it; a v2 may differ freely; the v1 file stays."""
    released = from_git(release_repo)
    with pytest.raises(ContractError, match="no longer published"):
        publish_schemas({}, released, release_repo)
    v2 = TYPE.replace(".v1", ".v2")
    assert publish_schemas({v2: with_enum_value(committed(TYPE))}, released, release_repo) == [f"{v2}.json"]
    assert (release_repo / f"{TYPE}.json").exists()


def test_an_unknown_revision_is_a_clear_error(release_repo: Path) -> None:
    """A revision git does not know is named in the error."""
    with pytest.raises(ReleasedSchemasUnavailable, match="rev-list failed"):
        from_git(release_repo, "no-such-tag")


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


def test_the_fast_path_sends_exactly_what_the_model_would(sqlite_ledger: Ledger) -> None:
    """Documents validated in strict JSON mode and sent as built equal the model's own JSON."""
    record_demo(sqlite_ledger, learners=20, candidates=8, seed=5)
    builder = RecordBuilder(sqlite_ledger.store, KafkaSettings())
    for n in iter_notifications(sqlite_ledger.store):
        record = builder.build(n)
        ce_type = dict(record.headers)["ce_type"].decode()
        model = CONTRACT.models[ce_type]
        assert record.value == model.model_validate_json(record.value).model_dump_json().encode()


def test_a_value_that_needs_coercing_is_sent_in_its_wire_form() -> None:
    """A stored form only lax validation accepts (a date written as a midnight datetime) is
    re-serialised from the model: the wire carries the schema's form."""
    spec = next(s for s in CONTRACT.specs if s.event is cpu.Learner.UnitAttempted)
    decision = {
        "actor_role": "teacher",
        "body": "jury_qualification",
        "effective_date": "2026-11-01T00:00:00",
        "recorded_at": "2026-11-01T09:00:00+00:00",
        "legal_basis": "AGCF-2018-08-29 art. 4",
        "ruleset_version": "cpu-2018.1",
    }
    state = {"decision": decision, "uaa": "UAA1", "passed": True, "score": 72}
    _, value = CONTRACT.to_document(spec.stored_topic, "0b6f0b7e-9a53-4f0a-8a25-4d8c5f1e2a10", 2, state)
    sent = json.loads(value)
    assert sent["decision"]["effective_date"] == "2026-11-01"
    assert sent["decision"]["recorded_at"] == "2026-11-01T09:00:00Z"
    with pytest.raises(ContractError, match="does not fit its message"):
        CONTRACT.to_document(
            spec.stored_topic, "0b6f0b7e-9a53-4f0a-8a25-4d8c5f1e2a10", 2, {**state, "uaa": "not a unit"}
        )
