"""Request limits over the real app (SQLite store): body size while streaming, JSON depth and
size, body timeout, rate limits per address and per principal, trusted proxies only."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from tests.integration.test_api_helpers import World, build_world, key_env, make_app, support

PROBLEM = "application/problem+json"


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> World:
    return build_world(tmp_path_factory.mktemp("limits"), learners=4)


@pytest.fixture
def client(world: World) -> Iterator[TestClient]:
    with key_env(world.keys), TestClient(make_app(world), raise_server_exceptions=False) as c:
        yield c


def asgi_post(
    app: FastAPI, chunks: list[bytes], headers: dict[str, str], delay: float = 0.0
) -> dict[str, Any]:
    """POST /v1/commands straight through ASGI, streaming ``chunks``; what the app read and sent."""
    read = {"bytes": 0, "calls": 0}
    sent: list[dict[str, Any]] = []
    queue = list(chunks)

    async def receive() -> dict[str, Any]:
        read["calls"] += 1
        if delay:
            await asyncio.sleep(delay)
        body = queue.pop(0) if queue else b""
        read["bytes"] += len(body)
        return {"type": "http.request", "body": body, "more_body": bool(queue)}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": "/v1/commands",
        "raw_path": b"/v1/commands",
        "query_string": b"",
        "root_path": "",
        "headers": [(k.lower().encode(), v.encode()) for k, v in headers.items()],
        "client": ("127.0.0.9", 5000),
        "server": ("testserver", 80),
    }
    asyncio.run(app(scope, receive, send))
    start = next(m for m in sent if m["type"] == "http.response.start")
    body = b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")
    return {"status": start["status"], "headers": dict(start["headers"]), "body": body, **read}


def test_declared_length_over_the_limit_is_413_before_reading_a_byte(world: World) -> None:
    app = make_app(world, api_max_body=4096)
    auth = world.headers("conseil_classe", **{"Idempotency-Key": "big", "Content-Length": "10000000"})
    out = asgi_post(app, [b"x" * 1024] * 10, auth)
    assert out["status"] == 413 and out["calls"] == 0
    assert out["headers"][b"content-type"] == PROBLEM.encode()
    assert b"urn:ledger:problem:payload-too-large" in out["body"]


def test_streamed_body_is_cut_as_soon_as_it_passes_the_limit(world: World) -> None:
    """A chunked body (no Content-Length) is counted while it streams: 413 after ~limit bytes."""
    app = make_app(world, api_max_body=4096)
    before = world.head()
    out = asgi_post(
        app,
        [b"[" * 1024] * 1000,
        world.headers("conseil_classe", **{"Idempotency-Key": "stream", "Content-Type": "application/json"}),
    )
    assert out["status"] == 413, out
    assert out["bytes"] <= 4096 + 1024, "read far past the limit"
    assert b"payload-too-large" in out["body"] and world.head() == before


def test_slow_body_is_408(world: World) -> None:
    app = make_app(world, api_body_timeout=0.3)
    out = asgi_post(
        app,
        [b"{"] * 50,
        world.headers("conseil_classe", **{"Idempotency-Key": "slow", "Content-Type": "application/json"}),
        delay=0.05,
    )
    assert out["status"] == 408 and b"urn:ledger:problem:request-timeout" in out["body"]
    assert out["calls"] < 50


@pytest.mark.parametrize("depth", [33, 300, 5000])
def test_deep_json_is_a_400_problem_never_a_500(client: TestClient, world: World, depth: int) -> None:
    before = world.head()
    body = "[" * depth + "]" * depth
    r = client.post(
        "/v1/commands",
        content=body,
        headers=world.headers(
            "conseil_classe", **{"Idempotency-Key": f"deep-{depth}", "Content-Type": "application/json"}
        ),
    )
    assert r.status_code == 400 and r.headers["content-type"] == PROBLEM, r.text
    assert r.json()["type"] == "urn:ledger:problem:json-too-deep"
    nested: Any = support(world)
    for _ in range(depth):
        nested = {"x": nested}
    r = client.post(
        "/v1/commands",
        json={**support(world), "extra": nested} if depth < 900 else {"x": 1},
        headers=world.headers("conseil_classe", **{"Idempotency-Key": f"deep-obj-{depth}"}),
    )
    assert r.status_code in (400, 422) and r.status_code < 500
    assert world.head() == before


def test_json_with_too_many_values_is_400(world: World) -> None:
    with key_env(world.keys), TestClient(make_app(world, api_max_json_values=1000)) as c:
        r = c.post(
            "/v1/commands",
            json={**support(world), "padding": list(range(2000))},
            headers=world.headers("conseil_classe", **{"Idempotency-Key": "wide"}),
        )
    assert r.status_code == 400 and r.json()["type"] == "urn:ledger:problem:json-too-large"


def test_a_burst_on_public_routes_never_makes_healthz_429(world: World) -> None:
    app = make_app(world, public_rate=1.0, public_burst=3, ops_rate=50.0, ops_burst=100)
    with key_env(world.keys), TestClient(app) as c:
        url = f"/v1/public/certificates/{world.certificate}"
        codes = [c.get(url).status_code for _ in range(6)]
        assert codes[:3] == [200, 200, 200] and codes[-1] == 429
        limited = c.get(url)
        assert limited.headers["content-type"] == PROBLEM and int(limited.headers["retry-after"]) >= 1
        assert [c.get(p).status_code for p in ("/healthz", "/readyz", "/metrics")] == [200, 200, 200]
        # protected routes are in the address bucket too
        assert c.get("/v1/me", headers=world.headers("jury")).status_code == 429


def test_ops_endpoints_have_their_own_bucket(world: World) -> None:
    with key_env(world.keys), TestClient(make_app(world, ops_rate=1.0, ops_burst=2)) as c:
        assert [c.get("/healthz").status_code for _ in range(3)] == [200, 200, 429]
        assert c.get(f"/v1/public/certificates/{world.certificate}").status_code == 200


def test_forwarded_for_is_ignored_unless_the_peer_is_a_trusted_proxy(world: World) -> None:
    """Untrusted peer: forged X-Forwarded-For values share the peer's bucket."""
    url = f"/v1/public/certificates/{world.certificate}"
    with key_env(world.keys), TestClient(make_app(world, public_rate=1.0, public_burst=2)) as c:
        codes = [c.get(url, headers={"X-Forwarded-For": f"198.51.100.{i}"}).status_code for i in range(3)]
        assert codes == [200, 200, 429]
    trusted = make_app(world, public_rate=1.0, public_burst=2, trusted_proxies="127.0.0.0/8")
    transport = httpx.ASGITransport(app=trusted, client=("127.0.0.1", 4000))

    async def burst() -> list[int]:
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as ac:
            one = [
                (await ac.get(url, headers={"X-Forwarded-For": "198.51.100.7"})).status_code for _ in range(3)
            ]
            other = (await ac.get(url, headers={"X-Forwarded-For": "198.51.100.8, 127.0.0.2"})).status_code
            return [*one, other]

    with key_env(world.keys):
        assert asyncio.run(burst()) == [200, 200, 429, 200]


def test_a_principal_has_one_budget_whatever_its_address(world: World) -> None:
    app = make_app(world, principal_rate=1.0, principal_burst=3, trusted_proxies="127.0.0.1")
    transport = httpx.ASGITransport(app=app, client=("127.0.0.1", 4000))

    async def calls() -> list[int]:
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as ac:
            out = []
            for i in range(5):
                headers = {**world.headers("jury"), "X-Forwarded-For": f"203.0.113.{i}"}
                out.append((await ac.get("/v1/me", headers=headers)).status_code)
            out.append((await ac.get("/v1/me", headers=world.headers("inspector"))).status_code)
            return out

    with key_env(world.keys):
        codes = asyncio.run(calls())
    assert codes[:3] == [200, 200, 200] and codes[3:5] == [429, 429] and codes[5] == 200


def test_window_per_worker_share() -> None:
    from ledger.api.ratelimit import window

    item = window(20.0, 40, workers=4)
    assert item is not None and item.amount == 10 and item.get_expiry() == 2
    assert window(0.0, 40) is None
