"""Attacks over HTTP (issue 16): a CléA organisation on another's candidate; deep JSON on credentials.

Organism A (an evaluator, a training organisation) acts on organism B's candidate, naming its
own SIRET in the body, as the red team did: refused like an unknown id (404), nothing written,
nothing of B (its SIRET, the candidate's dossier) in the answer; and the write grants no read.
The credentials' POST routes apply the server's JSON depth and size limits (400 problem).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from ledger.adapters.store import StoreTarget, iter_notifications, open_store
from ledger.api.roles import Principal
from ledger.api.tokens import KeyRing, key_dir
from tests.integration.test_api_helpers import World, build_world, key_env, make_app

CREDENTIAL_POSTS = ("/verify", "/credentials/verify", "/presentations/verify")


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> World:
    return build_world(tmp_path_factory.mktemp("attacks"), learners=4)


@pytest.fixture(scope="module")
def client(world: World) -> Iterator[TestClient]:
    app = make_app(world, api_max_json_depth=16, api_max_json_values=1000)
    with key_env(world.keys), TestClient(app, raise_server_exceptions=False) as c:
        yield c


def candidates(world: World) -> list[Any]:
    store = open_store(StoreTarget.parse(world.db))
    try:
        topic = "ledger.domain.clea.aggregates:Candidate.Registered"
        return [
            store.repository.get(uuid.UUID(str(n.originator_id)))
            for n in iter_notifications(store, topics=(topic,))
        ]
    finally:
        store.close()


def intruder(world: World, role: str, siret: str) -> dict[str, str]:
    token = KeyRing(key_dir(world.keys)).issue(Principal(role, siret, f"{role}-a"), 600)
    return {"Authorization": f"Bearer {token}", "Idempotency-Key": uuid.uuid4().hex}


def attacks(candidate: str, siret: str) -> dict[str, dict[str, Any]]:
    common = {"candidate_id": candidate, "effective_date": "2025-01-10"}
    final = {"evaluator_siret": siret, "evaluator_id": "ev-a", "domains": ["D1"], "passed": []}
    return {
        "RecordFinalEvaluation": {
            **common, **final, "command": "RecordFinalEvaluation", "actor_role": "evaluator",
            "body": "evaluator_org", "actor_id": "evaluator-a",
        },
        "RecordPriorEvaluation": {
            **common, "command": "RecordPriorEvaluation", "actor_role": "evaluator", "body": "evaluator_org",
            "actor_id": "evaluator-a", "evaluator_siret": siret, "evaluator_id": "ev-a", "passed": [],
        },
        "CompleteTraining": {
            **common, "command": "CompleteTraining", "actor_role": "trainer", "body": "training_org",
            "actor_id": "training_org-a", "training_org_siret": siret, "trainer_id": "tr-a",
        },
    }  # fmt: skip


@pytest.mark.parametrize("command", ["RecordFinalEvaluation", "RecordPriorEvaluation", "CompleteTraining"])
def test_organism_a_on_organism_bs_candidate_is_refused(
    client: TestClient, world: World, command: str
) -> None:
    """A's SIRET in the body does not reach B's candidate: 404 like an unknown id, nothing written."""
    found = candidates(world)
    b = found[0]
    a_siret = next(c.evaluator_siret for c in found if c.evaluator_siret != b.evaluator_siret)
    role = "training_org" if command == "CompleteTraining" else "evaluator"
    body = attacks(str(b.id), a_siret)[command]
    before = world.head()
    r = client.post("/v1/commands", json=body, headers=intruder(world, role, a_siret))
    unknown = client.post(
        "/v1/commands",
        json={**body, "candidate_id": str(uuid.uuid4())},
        headers=intruder(world, role, a_siret),
    )
    assert r.status_code == unknown.status_code == 404, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    assert r.json()["type"] == unknown.json()["type"] and sorted(r.json()) == sorted(unknown.json())
    assert world.head() == before, "a refused CléA write recorded an event"
    assert b.evaluator_siret not in r.text
    assert not ({str(s) for s in getattr(b, "log", {})} & set(r.text.split()))
    read = client.get(f"/v1/learners/{b.id}", headers=intruder(world, role, a_siret))
    assert read.status_code == 404 and b.evaluator_siret not in read.text  # the write granted no read


@pytest.mark.parametrize("path", CREDENTIAL_POSTS)
def test_credentials_posts_refuse_deep_json_with_a_400_problem(client: TestClient, path: str) -> None:
    """A document nested past the server's limit (and a very deep one) is a 400 problem, never a 500."""
    for depth in (17, 5000):
        r = client.post(
            path, content=b"[" * depth + b"]" * depth, headers={"Content-Type": "application/json"}
        )
        assert r.status_code == 400, (depth, r.status_code, r.text[:200])
        assert r.headers["content-type"].startswith("application/problem+json")
        assert r.json()["type"].endswith("json-too-deep")


@pytest.mark.parametrize("path", CREDENTIAL_POSTS)
def test_credentials_posts_refuse_too_many_values_with_a_400_problem(client: TestClient, path: str) -> None:
    """More values than the server's limit: 400 problem (before any signature work)."""
    r = client.post(path, json={"credential": list(range(2000))})
    assert r.status_code == 400, r.text[:200]
    assert r.headers["content-type"].startswith("application/problem+json")
    assert r.json()["type"].endswith("json-too-large")
