"""Authorisation: every endpoint of the app, for every role, allowed and refused (table-driven)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from ledger.api.app import endpoints
from ledger.api.roles import WRITERS
from tests.integration.test_api_helpers import World, build_world, key_env, make_app, support

SCHOOL = {"jury", "conseil_classe", "conseil_admission", "direction"}
AUDIT = {"inspector", "certification_body"}
CLEA = {"certifpro", "evaluator", "training_org", "branch_jury"}
TOKEN_ROLES = SCHOOL | AUDIT | CLEA | {"learner", "administration"}
ROLES = sorted(TOKEN_ROLES | {"public"})

# Expected outcome per endpoint: "ok" 2xx; "passed" auth passed (2xx or a 4xx other than
# 401/403: the domain may refuse); 403; 404 (an id outside the scope: same as unknown); 401.
LEARNER_READERS = SCHOOL | AUDIT | {"learner", "administration"}
PUBLIC = {
    "GET /openapi.json",
    "GET /docs",
    "GET /docs/oauth2-redirect",
    "GET /redoc",
    "GET /healthz",
    "GET /readyz",
    "GET /metrics",
    "GET /v1/public/certificates/{certificate_id}",
    "GET /schemas/",
}
SCHEMAS = {"GET /schemas/{name}"}  # public: the Kafka message schemas (404 for an unknown name)
CREDENTIALS = {
    "POST /verify",
    "GET /verify",
    "GET /verify-assets/{name}",
    "GET /credentials/{number}",
    "GET /credentials/{number}/revocation",
    "GET /status/{list_id:path}",
    "GET /.well-known/did.json",
    "GET /issuers/{path:path}/did.json",
    "GET /contexts/{name}",
    "GET /keys",
    "POST /credentials/verify",
    "POST /presentations/verify",
    "POST /credentials/issue",
}
TRANSPARENCY_LOG = {"GET /log/checkpoint", "GET /log/tile/{path:path}"}  # public, c2sp.org/tlog-tiles


AGGREGATE_IDS = ("{learner_id}", "{certificate_id}", "{candidate_id}", "{aggregate_id}")


def expected(endpoint: str, role: str) -> str:
    """The matrix: what each role gets on each endpoint."""
    if endpoint in PUBLIC:
        return "ok"
    if endpoint in CREDENTIALS or endpoint in TRANSPARENCY_LOG or endpoint in SCHEMAS:
        return "passed"
    if role == "public":
        return "401"
    readers = _readers(endpoint)
    if readers is None:
        raise AssertionError(f"endpoint {endpoint} has no row in the authorisation matrix")
    if endpoint == "POST /v1/commands":
        return "passed" if role in readers else "403"
    if role in readers:
        return "ok"
    # an id outside the caller's scope answers exactly like an unknown id (issue 16)
    return "404" if any(p in endpoint for p in AGGREGATE_IDS) else "403"


def _readers(endpoint: str) -> set[str] | None:
    table: dict[str, set[str]] = {
        "GET /v1/me": TOKEN_ROLES,
        "POST /v1/commands": set(WRITERS),
        "GET /v1/learners/{learner_id}": LEARNER_READERS,
        "GET /v1/certificates": TOKEN_ROLES,
        "GET /v1/certificates/{certificate_id}": LEARNER_READERS,
        "GET /v1/certificates/{certificate_id}/history": LEARNER_READERS,
        "GET /v1/events": TOKEN_ROLES,
        "GET /v1/audit/proofs/{position}": AUDIT,
        "GET /v1/stats/schools/{fase}": SCHOOL | AUDIT | {"administration"},
        "GET /v1/stats/clea": AUDIT | {"certifpro"},
    }
    return table.get(endpoint)


def own_command(world: World, role: str) -> dict[str, Any]:
    """A command in the role's own body, subject and scope (the domain may still refuse it)."""
    p = world.principals.get(role)
    if p is None or role not in WRITERS:
        return support(world)
    common = {"actor_id": p.subject, "effective_date": "2025-01-10", "reason": "matrix"}
    by_role: dict[str, dict[str, Any]] = {
        "jury": {
            "command": "AuthoriseTest",
            "learner_id": world.learner,
            "actor_role": "jury_president",
            "body": "jury_qualification",
            "fase": world.fase,
            "uaa": "UAA1",
        },
        "conseil_classe": {**support(world), "actor_id": p.subject},
        "conseil_admission": {
            "command": "TransferLearner",
            "learner_id": world.learner,
            "actor_role": "head_of_school",
            "body": "conseil_admission",
            "fase": world.fase,
        },
        "direction": {
            "command": "OpenOption",
            "actor_role": "head_of_school",
            "body": "direction",
            "fase": world.fase,
            "option_code": "installateur-electricien",
            "first_school_year": 2024,
        },
        "administration": {
            "command": "GiveFormalNotice",
            "learner_id": world.learner,
            "actor_role": "administration",
            "body": "administration",
            "fase": world.fase,
        },
        "certifpro": {
            "command": "RegisterTrainingOrganisation",
            "actor_role": "certifier",
            "body": "certifpro",
            "siret": "12345678901234",
            "name": "Org",
            "region": "BRE",
        },
        "evaluator": {
            "command": "RegisterCandidate",
            "actor_role": "evaluator",
            "body": "evaluator_org",
            "person_id": "6f1c1d0a-3c8e-4b7e-9a55-0d5f8a3b2c10",
            "certificate": "CLEA",
            "evaluator_siret": p.scope,
        },
        "training_org": {
            "command": "RegisterTrainingOrganisation",
            "actor_role": "trainer",
            "body": "training_org",
            "siret": p.scope,
            "name": "Org",
            "region": "BRE",
        },
        "branch_jury": {
            "command": "RegisterBranchJury",
            "actor_role": "jury_president",
            "body": "branch_jury",
            "branch_code": p.scope,
            "name": "Jury",
        },
    }
    return {**by_role[role], **common}


def path_for(template: str, world: World) -> str:
    """A concrete URL for a path template, addressing the world's learner and certificate."""
    values = {
        "learner_id": world.learner,
        "certificate_id": world.certificate,
        "position": "0",
        "fase": str(world.fase),
        "name": "verify.js",
        "list_id": "1",
        "number": world.certificate,
        "path": f"fase-{world.fase}",
    }
    if template.endswith("/tile/{path:path}"):  # a c2sp.org/tlog-tiles hash tile
        template = template.replace("{path:path}", "0/000")
    return template.replace(":path}", "}").format(**values)


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> World:
    return build_world(tmp_path_factory.mktemp("api-roles"))


@pytest.fixture(scope="module")
def client(world: World) -> Iterator[TestClient]:
    with key_env(world.keys), TestClient(make_app(world), raise_server_exceptions=False) as c:
        yield c


def classify(status: int) -> str:
    if 200 <= status < 300:
        return "ok"
    if status in (401, 403, 404):
        return str(status)
    return "refused" if status < 500 else "5xx"


def test_every_endpoint_is_in_the_matrix(client: TestClient) -> None:
    """No endpoint escapes the authorisation table (a new route must be given a row)."""
    for method, path in endpoints(client.app):  # type: ignore[arg-type]
        expected(f"{method} {path}", "public")


def test_matrix_every_route_every_role(client: TestClient, world: World) -> None:
    """Each role gets exactly its row: allowed where it belongs, 401/403 elsewhere; refusals write nothing."""
    failures = []
    key = 0
    for method, template in endpoints(client.app):  # type: ignore[arg-type]
        endpoint = f"{method} {template}"
        for role in ROLES:
            key += 1
            want = expected(endpoint, role)
            before = world.head()
            if method == "POST" and template == "/v1/commands":
                r = client.post(
                    path_for(template, world),
                    json=own_command(world, role),
                    headers=world.headers(role, **{"Idempotency-Key": f"m{key}"}),
                )
            elif method == "POST":
                r = client.post(
                    path_for(template, world), json={"credential": {}}, headers=world.headers(role)
                )
            else:
                r = client.get(path_for(template, world), headers=world.headers(role))
            got = classify(r.status_code)
            ok = got == want or (want == "passed" and got in {"ok", "refused", "404"})
            if not ok:
                failures.append(f"{endpoint} as {role}: want {want}, got {r.status_code} {r.text[:160]}")
            if got != "ok" and method == "POST":
                assert world.head() == before, f"{endpoint} as {role} refused but wrote events"
    assert not failures, "\n".join(failures)


@pytest.mark.parametrize("role", sorted(TOKEN_ROLES - {"conseil_classe"}))
def test_a_decision_of_another_body_or_actor_is_forbidden(
    client: TestClient, world: World, role: str
) -> None:
    """Only the conseil de classe of the learner's school may record its decision."""
    before = world.head()
    r = client.post(
        "/v1/commands",
        json=support(world),
        headers=world.headers(role, **{"Idempotency-Key": f"other-{role}"}),
    )
    assert r.status_code == 403, r.text
    assert r.headers["content-type"] == "application/problem+json"
    assert world.head() == before


def test_school_staff_write_for_their_own_school_only(
    client: TestClient, world: World, tmp_path: Path
) -> None:
    """A conseil de classe token of another school is refused for this school's learner."""
    from ledger.api.roles import Principal
    from ledger.api.tokens import KeyRing, key_dir

    other = 209 if world.fase != 209 else 712
    token = KeyRing(key_dir(world.keys)).issue(
        Principal("conseil_classe", str(other), world.principals["conseil_classe"].subject), 600
    )
    r = client.post(
        "/v1/commands",
        json=support(world),
        headers={"Authorization": f"Bearer {token}", "Idempotency-Key": "foreign-school"},
    )
    assert r.status_code == 403, r.text
    assert f"n'écrit que pour le FASE {other}, pas pour le {world.fase}" in r.json()["detail"], r.text
    r = client.post(
        "/v1/commands",
        json=support(world),
        headers={
            "Authorization": f"Bearer {token}",
            "Idempotency-Key": "foreign-school-en",
            "Accept-Language": "en",
        },
    )
    assert r.status_code == 403 and f"FASE {other} only, not {world.fase}" in r.json()["detail"], r.text
    r = client.get(f"/v1/learners/{world.learner}", headers={"Authorization": f"Bearer {token}"})
    assert r.status_code == 404  # another school's learner answers like an unknown id


def test_lists_hold_only_what_the_role_may_read(client: TestClient, world: World) -> None:
    """A learner sees only their own certificates and events; an evaluator sees no CPU learner."""
    mine = client.get("/v1/certificates", headers=world.headers("learner")).json()
    assert mine and {c["learner_id"] for c in mine} == {world.learner}
    events = client.get("/v1/events?limit=50", headers=world.headers("learner")).json()
    assert events and {e["aggregate_id"] for e in events} == {world.learner}
    everyone = client.get("/v1/certificates", headers=world.headers("inspector")).json()
    assert len(everyone) > len(mine)
    cpu = [
        c
        for c in client.get("/v1/certificates", headers=world.headers("evaluator")).json()
        if c["kind"] in {"CQ", "CE6P"}
    ]
    assert cpu == []


def test_personal_data_only_for_the_school_and_the_learner(client: TestClient, world: World) -> None:
    """Inspectors read the dossier but not the identity; the school and the learner do."""
    url = f"/v1/learners/{world.learner}?with_identity=true"
    assert client.get(url, headers=world.headers("inspector")).status_code == 403
    assert "identity" in client.get(url, headers=world.headers("jury")).json()
    assert "identity" in client.get(url, headers=world.headers("learner")).json()


def test_bad_tokens_are_refused(client: TestClient, world: World) -> None:
    """Tampered, unsigned and expired tokens get 401 problem details."""
    from ledger.api.tokens import KeyRing, key_dir

    good = world.tokens["inspector"]
    head, claims, sig = good.split(".")
    tampered = f"{head}.{world.tokens['learner'].split('.')[1]}.{sig}"
    expired = KeyRing(key_dir(world.keys)).issue(world.principals["inspector"], 10, now=1_000_000)
    for token in (tampered, f"{head}.{claims}.", "not-a-token", expired):
        r = client.get("/v1/me", headers={"Authorization": f"Bearer {token}"})
        assert r.status_code == 401, token
        assert r.json()["type"] == "urn:ledger:problem:unauthorized"
        assert r.headers["www-authenticate"].startswith("Bearer")
