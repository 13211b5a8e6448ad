"""Tenants sealed (issue 16, items 1-2): the red team's attacks, replayed over HTTP.

School A's staff try to reach school B's learner: by a back-dated option opening, a transfer
without the family's request (no or a wrong national register number), a decision naming
their own FASE on B's learner. Every attempt is refused with the rule and article (or as an
unknown id), writes nothing and names nothing of school B. A lawful transfer (the learner's
national register number presented) moves the learner; the sending school still sees the
transfer, not the identity.
"""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from ledger.api.roles import Principal
from ledger.api.tokens import KeyRing, key_dir
from tests.builders import FASE, FASE_TQ2, NRN, admit, open_option
from tests.conftest import make_ledger
from tests.integration.test_api_helpers import World, key_env, make_app

A, B = FASE_TQ2, FASE  # school A (the intruder's), school B (the learner's)


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> World:
    directory: Path = tmp_path_factory.mktemp("tenancy")
    db = str(directory / "ledger.db")
    keys = str(directory / "keys")
    with key_env(keys):  # the identity store's keys are the server's
        ledger = make_ledger(db)
        open_option(ledger, fase=B)
        open_option(ledger, fase=A)
        learner = admit(ledger, fase=B, year=5, route="A5_repeat_transformed")
        ledger.store.close()
    ring = KeyRing(key_dir(keys))
    ring.generate()
    principals = {
        "direction": Principal("direction", str(A), "direction-1"),
        "jury": Principal("jury", str(A), "jury_qualification-1"),
        "b_direction": Principal("direction", str(B), "direction-1"),
        "b_conseil": Principal("conseil_classe", str(B), "conseil_classe-1"),
    }
    tokens = {name: ring.issue(p, 600) for name, p in principals.items()}
    return World(db, keys, principals, tokens, str(learner), "", A)


@pytest.fixture(scope="module")
def client(world: World) -> Any:
    with TestClient(make_app(world)) as c:
        yield c


def post(client: TestClient, world: World, who: str, body: dict[str, Any]) -> Any:
    headers = world.headers(who, **{"Idempotency-Key": uuid.uuid4().hex})
    return client.post("/v1/commands", json=body, headers=headers)


def transfer(world: World, number: str | None) -> dict[str, Any]:
    body = {
        "command": "TransferLearner",
        "learner_id": world.learner,
        "actor_id": "direction-1",
        "actor_role": "head_of_school",
        "body": "direction",
        "effective_date": "2019-10-01",
        "fase": A,
    }
    return body if number is None else {**body, "national_register_number": number}


def assert_sealed(r: Any, world: World, before: int) -> None:
    assert world.head() == before, "a refused request wrote events"
    assert r.headers["content-type"].startswith("application/problem+json")
    assert str(B) not in r.text  # never another tenant's data in a refusal


def test_backdated_option_opening_is_the_administrations(client: TestClient, world: World) -> None:
    """Step 1 of the attack: a direction back-dates an opening to 2019 → refused, Art. 6 §1."""
    before = world.head()
    body = {
        "command": "OpenOption",
        "actor_id": "direction-1",
        "actor_role": "head_of_school",
        "body": "direction",
        "effective_date": "2019-06-01",
        "fase": A,
        "option_code": "mecanicien-polyvalent-automobile",
        "first_school_year": 2019,
    }
    r = post(client, world, "direction", body)
    assert r.status_code == 422, r.text
    assert r.json()["rule"] == "backdated_opening_by_administration"
    assert r.json()["article"].endswith("art. 6 §1")
    assert_sealed(r, world, before)


@pytest.mark.parametrize("number", [None, "99999999999"])
def test_transfer_without_the_familys_request_is_refused(
    client: TestClient, world: World, number: str | None
) -> None:
    """No national register number, or a wrong one: refused by Art. 9, nothing written, identity sealed."""
    before = world.head()
    r = post(client, world, "direction", transfer(world, number))
    assert r.status_code == 422, r.text
    assert r.json()["rule"] == "transfer_on_family_request" and r.json()["article"].endswith("art. 9")
    assert_sealed(r, world, before)
    read = client.get(f"/v1/learners/{world.learner}?with_identity=true", headers=world.headers("direction"))
    assert read.status_code == 404 and NRN not in read.text


def test_foreign_learner_answers_like_an_unknown_id(client: TestClient, world: World) -> None:
    """A decision naming the intruder's own FASE on B's learner: same answer as a random id."""

    def authorise(learner: str) -> dict[str, Any]:
        return {
            "command": "AuthoriseTest",
            "learner_id": learner,
            "actor_id": "jury_qualification-1",
            "actor_role": "jury_president",
            "body": "jury_qualification",
            "effective_date": "2019-10-02",
            "fase": A,
            "uaa": "UAA3",
            "representatives_informed": True,
        }

    before = world.head()
    foreign = post(client, world, "jury", authorise(world.learner))
    unknown_id = str(uuid.uuid4())
    unknown = post(client, world, "jury", authorise(unknown_id))
    assert foreign.status_code == unknown.status_code == 404
    strip = lambda r, ident: {k: str(v).replace(ident, "ID") for k, v in r.json().items() if k != "instance"}  # noqa: E731
    assert strip(foreign, world.learner) == strip(unknown, unknown_id)
    assert_sealed(foreign, world, before)
    r1 = client.get(f"/v1/learners/{world.learner}", headers=world.headers("jury"))
    r2 = client.get(f"/v1/learners/{unknown_id}", headers=world.headers("jury"))
    assert r1.status_code == r2.status_code == 404
    assert strip(r1, world.learner) == strip(r2, unknown_id)


def test_lawful_transfer_moves_the_learner_and_the_sender_sees_it(client: TestClient, world: World) -> None:
    """Family's request proved: A receives the learner; B sees the transfer, not the identity."""
    r = post(client, world, "direction", transfer(world, NRN))
    assert r.status_code == 201, r.text
    mine = client.get(f"/v1/learners/{world.learner}?with_identity=true", headers=world.headers("direction"))
    assert mine.status_code == 200 and mine.json()["identity"]["national_number"] == NRN
    assert mine.headers.get("cache-control") is None or "no-store" in mine.headers["cache-control"]
    sender = client.get(f"/v1/learners/{world.learner}", headers=world.headers("b_conseil"))
    assert sender.status_code == 200 and sender.json()["fase"] == A
    assert sender.json()["pending_deadlines"][0]["from_fase"] == B  # the report it owes (Art. 9)
    hidden = client.get(
        f"/v1/learners/{world.learner}?with_identity=true", headers=world.headers("b_conseil")
    )
    assert hidden.status_code == 403 and NRN not in hidden.text
