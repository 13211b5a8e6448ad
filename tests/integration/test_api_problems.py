"""RFC 9457 on every error path, the error table, 415, required headers in the OpenAPI,
security headers and ``Cache-Control: no-store`` on personal data (a real app on a real store)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from ledger.adapters.errors import ServiceFailure, StoreUnavailable
from ledger.api.errors import Forbidden, OutOfReach, TokenError
from ledger.api.problems import problem_for
from ledger.domain.errors import ConcurrencyConflict, InvalidCommand, UnknownEntity
from tests.integration.test_api_helpers import World, build_world, key_env, make_app, support

PROBLEM = "application/problem+json"


@pytest.fixture
def world(tmp_path: Path) -> World:
    return build_world(tmp_path, learners=2)


@pytest.fixture
def client(world: World) -> Iterator[TestClient]:
    with key_env(world.keys), TestClient(make_app(world), raise_server_exceptions=False) as c:
        yield c


def test_one_table_maps_the_error_trees() -> None:
    """Service failures are 503 (retryable), not 422; the most specific row wins."""
    assert problem_for(StoreUnavailable("db down"))[:2] == (503, "service-unavailable")
    assert problem_for(ServiceFailure("broker"))[2] == {"retryable": True}
    assert problem_for(OutOfReach("learner", "x"))[:2] == (404, "not-found")
    assert problem_for(Forbidden("no"))[:2] == (403, "forbidden")
    assert problem_for(UnknownEntity("learner", "x"))[:2] == (422, "unknown-entity")
    assert problem_for(UnknownEntity("learner", "x"), in_url=True)[:2] == (404, "not-found")
    assert problem_for(ConcurrencyConflict("c"))[:2] == (409, "conflict")
    assert problem_for(InvalidCommand("bad"))[:2] == (422, "invalid-command")
    assert problem_for(TokenError("expired"))[:2] == (401, "unauthorized")


def test_every_error_path_is_problem_json(client: TestClient, world: World) -> None:
    """Framework 404/405/400, the credentials and status routes, 401: all problem+json."""
    cases = [
        client.get("/no/such/route"),
        client.put("/v1/commands"),
        client.get("/status/nope"),
        client.get("/credentials/not-a-number"),
        client.get("/credentials/00000000-0000-4000-8000-000000000000"),
        client.get("/v1/me"),
        client.get("/v1/events?limit=abc", headers=world.headers("inspector")),
    ]
    for r in cases:
        assert r.status_code >= 400, r.request.url
        assert r.headers["content-type"] == PROBLEM, (r.request.url, r.text)
        body = r.json()
        assert body["type"].startswith("urn:ledger:problem:"), body
        assert body["status"] == r.status_code and body["instance"] == r.request.url.path


def test_wrong_content_type_is_415(client: TestClient, world: World) -> None:
    """A command sent as a form or text is refused with 415 before anything is read or written."""
    head = world.head()
    headers = world.headers("conseil_classe", **{"Idempotency-Key": "ct-1"})
    import orjson

    for media in ("text/plain", "application/x-www-form-urlencoded", ""):
        r = client.post(
            "/v1/commands", content=orjson.dumps(support(world)), headers={**headers, "Content-Type": media}
        )
        assert r.status_code == 415 and r.headers["content-type"] == PROBLEM, r.text
    assert world.head() == head
    r = client.post("/v1/commands", json=support(world), headers=headers)
    assert r.status_code == 201, r.text


def test_openapi_marks_the_idempotency_key_required(client: TestClient) -> None:
    """The published contract says a write needs Idempotency-Key (and documents 415)."""
    operation = client.get("/openapi.json").json()["paths"]["/v1/commands"]["post"]
    params = {p["name"]: p for p in operation["parameters"]}
    assert params["Idempotency-Key"]["required"] is True
    assert "415" in operation["responses"]


def test_security_headers_and_no_store(client: TestClient, world: World) -> None:
    """HTML pages get a CSP without unsafe-inline; personal data is never cached."""
    page = client.get("/verify")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    csp = page.headers["content-security-policy"]
    assert "frame-ancestors 'none'" in csp and "unsafe-inline" not in csp
    for r in (page, client.get("/healthz")):
        assert r.headers["x-content-type-options"] == "nosniff"
        assert r.headers["x-frame-options"] == "DENY"
        assert r.headers["referrer-policy"] == "no-referrer"
        assert "camera=()" in r.headers["permissions-policy"]
    dossier = client.get(f"/v1/learners/{world.learner}?with_identity=true", headers=world.headers("jury"))
    assert dossier.status_code == 200 and "identity" in dossier.json()
    assert dossier.headers["cache-control"] == "no-store"
    assert client.get("/v1/me", headers=world.headers("jury")).headers["cache-control"] == "no-store"


CREDENTIAL_POSTS = ("/verify", "/credentials/verify", "/presentations/verify", "/credentials/issue")


def test_credential_posts_refuse_non_json_with_415(world: World) -> None:
    """The credentials' POST routes (verifier page, VC API) refuse a form, text or no type: 415."""
    seed = "11" * 32  # the VC API issues (as the conformance issuer) only with this setting
    with key_env(world.keys), TestClient(make_app(world, conformance_issuer_seed=seed)) as client:
        for path in CREDENTIAL_POSTS:
            for media in ("text/plain", "application/x-www-form-urlencoded", "multipart/form-data", ""):
                r = client.post(path, content=b'{"a": 1}', headers={"Content-Type": media})
                assert r.status_code == 415, (path, media, r.text)
                assert r.headers["content-type"] == PROBLEM
                assert r.json()["type"] == "urn:ledger:problem:unsupported-media-type"
            for media in ("application/json", "application/ld+json", "application/vc+ld+json; charset=utf-8"):
                r = client.post(path, content=b"{}", headers={"Content-Type": media})
                assert r.status_code not in (404, 405, 415), (path, media, r.text)
