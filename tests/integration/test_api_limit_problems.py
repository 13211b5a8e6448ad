"""The limits' problems are rows of the one problem table: own type URI, French title (default), status.

Each status through the real app on a real SQLite store (part 2b's limits, :mod:`ledger.api.limits`):
the middleware's own answers (413, 431, 408, 429) and the route's (400 malformed, too deep, too
large) carry the same members as every other problem (RFC 9457).
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from fastapi.testclient import TestClient

from ledger.api.problems import PROBLEMS
from ledger.i18n import translate
from tests.integration.test_api_helpers import World, build_world, key_env, make_app, support
from tests.integration.test_api_limits import asgi_post

PROBLEM = "application/problem+json"
TITLES = {
    "payload-too-large": "Corps de la requête trop volumineux",
    "request-header-fields-too-large": "En-têtes de la requête trop volumineux",
    "request-timeout": "Corps de la requête reçu trop lentement",
    "malformed-json": "Le corps de la requête n'est pas du JSON",
    "json-too-deep": "JSON trop profondément imbriqué",
    "json-too-large": "JSON comptant trop de valeurs",
    "too-many-requests": "Trop de requêtes : réessayez plus tard",
}


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> World:
    return build_world(tmp_path_factory.mktemp("limit-problems"), learners=1)


def _check(status: int, content_type: str, body: dict[str, Any], expected: int, code: str) -> None:
    assert status == expected and content_type == PROBLEM, body
    assert body["type"] == f"urn:ledger:problem:{code}" and body["title"] == TITLES[code], body
    assert body["status"] == expected and body["instance"] == "/v1/commands" and body["detail"]


def _write(world: World, key: str) -> dict[str, str]:
    return world.headers("conseil_classe", **{"Idempotency-Key": key, "Content-Type": "application/json"})


def test_each_limit_is_its_own_row_of_the_table() -> None:
    """One row per limit problem, each with its own code (type URI)."""
    rows = {p.code: p for p in PROBLEMS if p.code in TITLES}
    assert set(rows) == set(TITLES)
    assert {code: translate(row.title, "fr") for code, row in rows.items()} == TITLES


def test_413_body_too_large(world: World) -> None:
    headers = {**_write(world, "413"), "Content-Length": "10000000"}
    out = asgi_post(make_app(world, api_max_body=4096), [b"x"], headers)
    _check(
        out["status"],
        out["headers"][b"content-type"].decode(),
        json.loads(out["body"]),
        413,
        "payload-too-large",
    )


def test_431_headers_too_large(world: World) -> None:
    headers = {**_write(world, "431"), "X-Padding": "p" * 20_000}
    out = asgi_post(make_app(world), [b"{}"], headers)
    body = json.loads(out["body"])
    _check(
        out["status"], out["headers"][b"content-type"].decode(), body, 431, "request-header-fields-too-large"
    )


def test_408_body_timeout(world: World) -> None:
    out = asgi_post(make_app(world, api_body_timeout=0.2), [b"{"] * 20, _write(world, "408"), delay=0.05)
    _check(
        out["status"],
        out["headers"][b"content-type"].decode(),
        json.loads(out["body"]),
        408,
        "request-timeout",
    )
    assert out["headers"][b"connection"] == b"close"


@pytest.mark.parametrize(
    ("body", "code"),
    [(b"{not json", "malformed-json"), (b"[" * 40 + b"]" * 40, "json-too-deep"), (None, "json-too-large")],
)
def test_400_json_refused(world: World, body: bytes | None, code: str) -> None:
    before = world.head()
    if body is None:
        body = json.dumps({**support(world), "padding": list(range(200))}).encode()
    with key_env(world.keys), TestClient(make_app(world, api_max_json_values=100)) as client:
        r = client.post("/v1/commands", content=body, headers=_write(world, code))
    _check(r.status_code, r.headers["content-type"], r.json(), 400, code)
    assert world.head() == before


def test_429_too_many_requests(world: World) -> None:
    with key_env(world.keys), TestClient(make_app(world, public_rate=0.01, public_burst=1)) as client:
        client.post("/v1/commands", content=b"{}", headers=_write(world, "429-a"))
        r = client.post("/v1/commands", content=b"{}", headers=_write(world, "429-b"))
    _check(r.status_code, r.headers["content-type"], r.json(), 429, "too-many-requests")
    assert int(r.headers["retry-after"]) >= 1
