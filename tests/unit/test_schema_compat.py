"""Schema evolution, both ways: each kind of change classified on a committed schema.

Every case mutates a copy of the committed ``be.cpu.learner.unit_attempted.v1`` schema (the
released form) and states which direction the change breaks. The verdicts are then checked
against an independent oracle, the ``jsonschema_rs`` validator: a message the verdict says is
rejected IS rejected by the schema on the other side.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from typing import Any

import jsonschema_rs
import pytest

from consumers.compat import classify, compatibility_problems
from consumers.contract import SCHEMA_DIR

TYPE = "be.cpu.learner.unit_attempted.v1"
Schema = dict[str, Any]


def released() -> Schema:
    return dict(json.loads((SCHEMA_DIR / f"{TYPE}.json").read_text(encoding="utf-8")))


MESSAGE: Schema = {
    "subject_id": "0b6f0b7e-9a53-4f0a-8a25-4d8c5f1e2a10",
    "aggregate_version": 3,
    "uaa": "UAA1",
    "passed": True,
    "score": 72.5,
    "decision": {
        "actor_role": "teacher",
        "body": "jury_qualification",
        "effective_date": "2026-11-01",
        "recorded_at": "2026-11-01T09:00:00Z",
        "legal_basis": "AGCF-2018-08-29 art. 4",
        "ruleset_version": "cpu-2018.1",
    },
}


def edit(change: Callable[[Schema], object]) -> Schema:
    schema = copy.deepcopy(released())
    change(schema)
    return schema


def props(s: Schema) -> Schema:
    return dict(s["properties"])


# (name, mutation, expected kind, backward holds, forward holds, a message only one side accepts)
CASES: list[tuple[str, Callable[[Schema], object], str, bool, bool, Schema | None]] = [
    (
        "optional property added",
        lambda s: s["properties"].update(attempt={"type": "integer"}),
        "property added (optional)",
        True,
        True,
        None,
    ),
    (
        "required property added",
        lambda s: (s["properties"].update(attempt={"type": "integer"}), s["required"].append("attempt")),
        "property added (required)",
        False,
        True,
        MESSAGE,
    ),
    ("property removed", lambda s: s["properties"].pop("passed"), "property removed", True, False, None),
    (
        "optional property made required",
        lambda s: s["required"].append("score"),
        "property now required",
        False,
        True,
        {k: v for k, v in MESSAGE.items() if k != "score"},
    ),
    (
        "required property made optional",
        lambda s: s["required"].remove("passed"),
        "property now optional",
        True,
        False,
        {k: v for k, v in MESSAGE.items() if k != "passed"},
    ),
    (
        "enum value added",
        lambda s: s["$defs"]["Body"]["enum"].append("ministry"),
        "enum value added",
        True,
        False,
        {**MESSAGE, "decision": {**MESSAGE["decision"], "body": "ministry"}},
    ),
    (
        "enum value removed",
        lambda s: s["$defs"]["Body"]["enum"].remove("jury_qualification"),
        "enum value removed",
        False,
        True,
        MESSAGE,
    ),
    ("enum values reordered", lambda s: s["$defs"]["Body"]["enum"].reverse(), "", True, True, None),
    (
        "type narrowed",
        lambda s: s["properties"]["aggregate_version"].update(type="string"),
        "type changed",
        False,
        False,
        MESSAGE,
    ),
    (
        "type widened (integer to number)",
        lambda s: s["properties"]["aggregate_version"].update(type="number"),
        "type widened",
        True,
        False,
        {**MESSAGE, "aggregate_version": 3.5},
    ),
    (
        "type widened (nullable)",
        lambda s: s["properties"].update(passed={"anyOf": [{"type": "boolean"}, {"type": "null"}]}),
        "alternative widened or added",
        True,
        False,
        {**MESSAGE, "passed": None},
    ),
    (
        "union narrowed (null dropped)",
        lambda s: s["properties"].update(score={"maximum": 100, "minimum": 0, "type": "number"}),
        "alternative narrowed or removed",
        False,
        True,
        {**MESSAGE, "score": None},
    ),
    (
        "format changed",
        lambda s: s["properties"]["subject_id"].update(format="uri"),
        "format changed",
        False,
        False,
        None,
    ),
    (
        "format added",
        lambda s: s["properties"]["uaa"].update(format="email"),
        "format added",
        False,
        True,
        None,
    ),
    (
        "format removed",
        lambda s: s["$defs"]["WireDecision"]["properties"]["effective_date"].pop("format"),
        "format removed",
        True,
        False,
        None,
    ),
    (
        "pattern changed",
        lambda s: s["properties"]["uaa"].update(pattern="^UAA[0-9]$"),
        "pattern changed",
        False,
        False,
        {**MESSAGE, "uaa": "UAA12"},
    ),
    (
        "maximum narrowed",
        lambda s: s["properties"]["score"]["anyOf"][0].update(maximum=20),
        "alternative narrowed or removed",
        False,
        True,
        MESSAGE,
    ),
    (
        "minimum widened",
        lambda s: s["properties"]["aggregate_version"].update(minimum=0),
        "minimum widened",
        True,
        False,
        {**MESSAGE, "aggregate_version": 0},
    ),
    (
        "maxLength added",
        lambda s: s["properties"]["uaa"].update(maxLength=3),
        "maxLength added",
        False,
        True,
        MESSAGE,
    ),
    (
        "additional properties forbidden",
        lambda s: s.update(additionalProperties=False),
        "additional properties forbidden",
        False,
        True,
        None,
    ),
    ("description changed", lambda s: s.update(description="Another sentence."), "", True, True, None),
    (
        "$id changed (same validation)",
        lambda s: s.update({"$id": "https://ledger.example/schemas/x.json"}),
        "identity changed",
        True,
        True,
        None,
    ),
    (
        "unknown keyword added",
        lambda s: s["properties"]["uaa"].update(multipleOf=2),
        "keyword multipleOf changed",
        False,
        False,
        None,
    ),
]


@pytest.mark.parametrize(
    ("name", "mutate", "kind", "backward", "forward", "witness"), CASES, ids=[c[0] for c in CASES]
)
def test_each_kind_of_change_is_classified_both_ways(
    name: str,
    mutate: Callable[[Schema], object],
    kind: str,
    backward: bool,
    forward: bool,
    witness: Schema | None,
) -> None:
    """The change is named, and breaking exactly when a direction fails."""
    old, new = released(), edit(mutate)
    changes = classify(old, new)
    if kind:
        assert [c.kind for c in changes] == [kind], changes
        assert (changes[0].backward, changes[0].forward) == (backward, forward), changes
    else:
        assert changes == []
    assert bool(compatibility_problems(old, new)) == (not (backward and forward))
    if witness is not None:  # the oracle: the side the verdict names really rejects the witness
        old_ok = jsonschema_rs.validator_for(old).is_valid(witness)
        new_ok = jsonschema_rs.validator_for(new).is_valid(witness)
        possible = {(True, False)} if not backward else set()  # an old message the new rejects
        possible |= {(False, True)} if not forward else set()  # a new message the old rejects
        assert (old_ok, new_ok) in possible


def test_the_sample_message_is_valid_under_the_released_schema() -> None:
    """The witnesses start from a message the released schema accepts."""
    assert jsonschema_rs.validator_for(released()).is_valid(MESSAGE)


def test_breaking_sentences_name_the_path_and_the_direction() -> None:
    """A refusal says where and which consumers would fail."""
    new = edit(lambda s: s["$defs"]["Body"]["enum"].append("ministry"))
    (problem,) = compatibility_problems(released(), new)
    assert problem.startswith("$.decision.body: enum value added (+ministry)")
    assert "consumers on the released schema would reject new messages" in problem


def test_identical_schemas_have_no_change() -> None:
    """A schema compared with itself has no change at all."""
    assert classify(released(), released()) == []
