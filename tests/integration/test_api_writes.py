"""Writes over HTTP: idempotency keys, problem details for refusals, rate limits, on both backends."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from tests.integration.test_api_helpers import World, build_world, key_env, make_app, support


@pytest.fixture
def world(store_location: str, tmp_path: Path) -> World:
    return build_world(tmp_path, db=store_location, learners=8)


@pytest.fixture
def client(world: World) -> Iterator[TestClient]:
    with key_env(world.keys), TestClient(make_app(world), raise_server_exceptions=False) as c:
        yield c


def test_retry_with_same_key_returns_the_original_and_writes_nothing(
    client: TestClient, world: World
) -> None:
    """Same key, same body: the first response again, and no new event."""
    first = client.post(
        "/v1/commands",
        json=support(world),
        headers=world.headers("conseil_classe", **{"Idempotency-Key": "abc"}),
    )
    assert first.status_code == 201
    head = world.head()
    again = client.post(
        "/v1/commands",
        json=support(world),
        headers=world.headers("conseil_classe", **{"Idempotency-Key": "abc"}),
    )
    assert again.status_code == 201 and again.json() == first.json()
    assert again.headers["idempotent-replayed"] == "true"
    assert world.head() == head


def test_same_key_with_another_body_is_refused(client: TestClient, world: World) -> None:
    """Reusing a key for a different command is a client error (422) and writes nothing."""
    headers = world.headers("conseil_classe", **{"Idempotency-Key": "k"})
    assert client.post("/v1/commands", json=support(world), headers=headers).status_code == 201
    head = world.head()
    r = client.post("/v1/commands", json={**support(world), "reason": "other"}, headers=headers)
    assert r.status_code == 422 and r.json()["type"].endswith("idempotency-key-reused")
    assert world.head() == head


def test_writes_need_a_key_and_json(client: TestClient, world: World) -> None:
    """No Idempotency-Key or malformed JSON: 400 problem details, nothing written."""
    head = world.head()
    r = client.post("/v1/commands", json=support(world), headers=world.headers("conseil_classe"))
    assert r.status_code == 400 and r.headers["content-type"] == "application/problem+json"
    r = client.post(
        "/v1/commands",
        content=b"{not json",
        headers=world.headers(
            "conseil_classe", **{"Idempotency-Key": "x", "Content-Type": "application/json"}
        ),
    )
    assert r.status_code == 400 and r.json()["type"].endswith("malformed-json")
    assert world.head() == head


def test_a_refused_decision_names_its_rule_and_article(client: TestClient, world: World) -> None:
    """A rule refusal is 422 with rule and article members; a retry may then succeed."""
    body = {**support(world), "command": "IssueAttestation", "kind": "AOA", "effective_date": "2012-01-10"}
    head = world.head()
    r = client.post(
        "/v1/commands", json=body, headers=world.headers("conseil_classe", **{"Idempotency-Key": "refused"})
    )
    problem = r.json()
    assert r.status_code == 422, problem
    assert set(problem) >= {"type", "title", "status", "detail", "instance", "rule", "article"}
    assert problem["instance"] == "/v1/commands"
    assert world.head() == head
    ok = client.post(
        "/v1/commands",
        json=support(world),
        headers=world.headers("conseil_classe", **{"Idempotency-Key": "refused"}),
    )
    assert ok.status_code == 201, ok.text  # a refusal is not kept: the key is free again


def test_unknown_learner_is_404_on_read_and_in_a_command(client: TestClient, world: World) -> None:
    """An unknown id is 404 in the URL and in a school's command (as another school's id would be)."""
    ghost = str(uuid.uuid4())
    assert client.get(f"/v1/learners/{ghost}", headers=world.headers("inspector")).status_code == 404
    r = client.post(
        "/v1/commands",
        json={**support(world), "learner_id": ghost},
        headers=world.headers("conseil_classe", **{"Idempotency-Key": "ghost"}),
    )
    assert r.status_code == 404 and r.json()["type"] == "urn:ledger:problem:not-found"
    assert ghost in r.json()["detail"]


def test_public_endpoints_are_rate_limited(world: World) -> None:
    """Past the burst, a client gets 429 with Retry-After."""
    url = f"/v1/public/certificates/{world.certificate}"
    with key_env(world.keys), TestClient(make_app(world, public_rate=1.0, public_burst=3)) as c:
        codes = [c.get(url).status_code for _ in range(5)]
        assert codes[:3] == [200, 200, 200] and codes[-1] == 429
        r = c.get(url)
        assert int(r.headers["retry-after"]) >= 1
