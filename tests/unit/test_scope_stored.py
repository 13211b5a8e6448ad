"""CléA writes resolve the tenant from the candidate AS STORED, never from the body (issue 16)."""

from __future__ import annotations

import uuid
from datetime import date
from types import SimpleNamespace
from typing import Any

import pytest

from ledger.api.roles import Forbidden, OutOfReach, Principal, authorize_command, may_read
from ledger.application.registry import parse_command

MINE, THEIRS = "11111111111111", "22222222222222"


class Candidate(SimpleNamespace):
    """Stand-in for the stored aggregate (the check reads its class name and attributes)."""


class TrainingPlanAssigned(SimpleNamespace):
    """Stand-in for a stored plan event."""


def stored(evaluator: str, planned: str | None = None) -> Candidate:
    log = {2: TrainingPlanAssigned(training_org_siret=planned)} if planned else {}
    return Candidate(id=uuid.uuid4(), evaluator_siret=evaluator, log=log)


def final_evaluation(candidate: uuid.UUID, siret: str) -> Any:
    return parse_command(
        {
            "command": "RecordFinalEvaluation",
            "candidate_id": str(candidate),
            "actor_id": "eval-1",
            "actor_role": "evaluator",
            "body": "evaluator_org",
            "effective_date": str(date(2024, 5, 1)),
            "evaluator_siret": siret,
            "evaluator_id": "e-1",
            "domains": ["D1"],
        }
    )


def completed(candidate: uuid.UUID, siret: str) -> Any:
    return parse_command(
        {
            "command": "CompleteTraining",
            "candidate_id": str(candidate),
            "actor_id": "trainer-1",
            "actor_role": "trainer",
            "body": "training_org",
            "effective_date": "2024-05-01",
            "training_org_siret": siret,
            "trainer_id": "t-1",
        }
    )


def test_evaluator_with_its_own_siret_in_the_body_cannot_write_on_anothers_candidate() -> None:
    cand = stored(THEIRS)
    who = Principal("evaluator", MINE, "eval-1")
    with pytest.raises(OutOfReach) as refused:
        authorize_command(who, final_evaluation(cand.id, MINE), lambda _: cand)
    assert THEIRS not in str(refused.value)
    assert not may_read(who, cand)  # and the refused write granted no read


def test_evaluator_writes_on_its_own_candidate_with_its_own_siret_only() -> None:
    cand = stored(MINE)
    who = Principal("evaluator", MINE, "eval-1")
    authorize_command(who, final_evaluation(cand.id, MINE), lambda _: cand)
    with pytest.raises(Forbidden):
        authorize_command(who, final_evaluation(cand.id, THEIRS), lambda _: cand)


def test_unknown_candidate_answers_like_a_foreign_one() -> None:
    who = Principal("evaluator", MINE, "eval-1")
    ident = uuid.uuid4()
    with pytest.raises(OutOfReach) as unknown:
        authorize_command(who, final_evaluation(ident, MINE), lambda _: None)
    cand = stored(THEIRS)
    with pytest.raises(OutOfReach) as foreign:
        authorize_command(who, final_evaluation(cand.id, MINE), lambda _: cand)
    assert str(unknown.value).replace(str(ident), "X") == str(foreign.value).replace(str(cand.id), "X")


def test_training_org_reaches_only_candidates_whose_plan_names_it() -> None:
    who = Principal("training_org", MINE, "trainer-1")
    theirs = stored(THEIRS, planned=THEIRS)
    with pytest.raises(OutOfReach):
        authorize_command(who, completed(theirs.id, MINE), lambda _: theirs)
    assert not may_read(who, theirs)
    mine = stored(THEIRS, planned=MINE)
    authorize_command(who, completed(mine.id, MINE), lambda _: mine)
    assert may_read(who, mine)
