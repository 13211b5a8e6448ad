"""The audit log of refused requests, read from a real ``ledger serve``'s stderr (JSON lines).

Every 401, 403, 404 on a write and refused write is ONE ``api.denied`` / ``api.refused`` line
with the route template, method, status, problem type, the token's subject (never the token)
and the client address (the forwarded one only from a trusted proxy); nothing for an accepted
request, a read's 404 or a health check; no personal data (no learner id, no body).
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.integration.test_api_helpers import World, build_world, support
from tests.interop.conftest import free_port, start_server, stop_server

URN = "urn:ledger:problem:"
FORWARDED = "198.51.100.7"


def _write(world: World, role: str, key: str, **extra: str) -> dict[str, str]:
    return world.headers(role, **{"Idempotency-Key": key, **extra})


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """One server; the requests below in order; the answers and the server's stderr."""
    world = build_world(tmp_path_factory.mktemp("audit"), learners=2)
    port = free_port()
    env = {"LEDGER_TRUSTED_PROXIES": "127.0.0.1/32", "LEDGER_API_MAX_BODY": "4096"}
    proc = start_server(world.db, Path(world.keys), port, extra=env)
    ghost = str(uuid.uuid4())
    forged = world.tokens["jury"][:-6] + "AAAAAA"
    refused = {**support(world), "command": "IssueAttestation", "kind": "AOA", "effective_date": "2012-01-10"}
    answers: dict[str, int] = {}
    try:
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=20) as http:
            sent: dict[str, Callable[[], httpx.Response]] = {
                "no-token": lambda: http.get("/v1/me"),
                "forged": lambda: http.get(
                    f"/v1/learners/{world.learner}", headers={"Authorization": f"Bearer {forged}"}
                ),
                "forbidden": lambda: http.post(
                    "/v1/commands", json=support(world), headers=_write(world, "inspector", "f")
                ),
                "ghost": lambda: http.post(
                    "/v1/commands",
                    json={**support(world), "learner_id": ghost},
                    headers=_write(world, "conseil_classe", "g"),
                ),
                "rule": lambda: http.post(
                    "/v1/commands", json=refused, headers=_write(world, "conseil_classe", "r")
                ),
                "text": lambda: http.post(
                    "/v1/commands",
                    content=json.dumps(support(world)),
                    headers=_write(world, "conseil_classe", "t", **{"Content-Type": "text/plain"}),
                ),
                "malformed": lambda: http.post(
                    "/v1/commands",
                    content=b"{nope",
                    headers=_write(world, "conseil_classe", "m", **{"Content-Type": "application/json"}),
                ),
                "too-large": lambda: http.post(
                    "/v1/commands",
                    content=b" " * 10_000,
                    headers=_write(
                        world,
                        "conseil_classe",
                        "l",
                        **{"Content-Type": "application/json", "X-Forwarded-For": FORWARDED},
                    ),
                ),
                "verify-form": lambda: http.post(
                    "/verify", content=b"a=1", headers={"Content-Type": "application/x-www-form-urlencoded"}
                ),
                # not logged: a read's 404, an accepted write, a health check
                "read-404": lambda: http.get(f"/v1/learners/{ghost}", headers=world.headers("inspector")),
                "accepted": lambda: http.post(
                    "/v1/commands", json=support(world), headers=_write(world, "conseil_classe", "ok")
                ),
                "health": lambda: http.get("/healthz"),
            }
            for name, request in sent.items():
                answers[name] = request().status_code
    finally:
        stop_server(proc)
    assert proc.stderr is not None
    stderr = proc.stderr.read().decode()
    lines = [json.loads(line) for line in stderr.splitlines() if line.startswith("{")]
    audit = [line for line in lines if line.get("event") in ("api.denied", "api.refused")]
    yield {
        "world": world,
        "answers": answers,
        "stderr": stderr,
        "audit": audit,
        "forged": forged,
        "ghost": ghost,
    }


def test_the_requests_got_the_expected_answers(served: dict[str, Any]) -> None:
    assert served["answers"] == {
        "no-token": 401,
        "forged": 401,
        "forbidden": 403,
        "ghost": 404,
        "rule": 422,
        "text": 415,
        "malformed": 400,
        "too-large": 413,
        "verify-form": 415,
        "read-404": 404,
        "accepted": 201,
        "health": 200,
    }


def test_one_line_per_denial_or_refused_write(served: dict[str, Any]) -> None:
    """Exactly one line per refused request, none for the accepted ones.

    (A line is written once the answer is sent: the next request may be logged first.)
    """
    got = [(a["event"], a["method"], a["route"], a["status"], a["problem"]) for a in served["audit"]]
    commands = ("POST", "/v1/commands")
    assert sorted(got) == sorted(
        [
            ("api.denied", "GET", "/v1/me", 401, URN + "unauthorized"),
            ("api.denied", "GET", "/v1/learners/{learner_id}", 401, URN + "unauthorized"),
            ("api.denied", *commands, 403, URN + "forbidden"),
            ("api.denied", *commands, 404, URN + "not-found"),
            ("api.refused", *commands, 422, URN + "rule-violation"),
            ("api.refused", *commands, 415, URN + "unsupported-media-type"),
            ("api.refused", *commands, 400, URN + "malformed-json"),
            ("api.refused", *commands, 413, URN + "payload-too-large"),
            ("api.refused", "POST", "/verify", 415, URN + "unsupported-media-type"),
        ]
    ), served["stderr"][-6000:]
    assert all(a["level"] == "warning" and a["timestamp"] for a in served["audit"])


def test_lines_name_the_subject_and_client_never_the_token(served: dict[str, Any]) -> None:
    world: World = served["world"]
    by_status = {(a["status"], a["route"]): a for a in served["audit"]}
    assert by_status[(401, "/v1/me")]["sub"] is None
    assert by_status[(401, "/v1/me")]["reason"] == "no bearer token"
    assert by_status[(401, "/v1/learners/{learner_id}")]["reason"] == "bad token signature"
    assert by_status[(403, "/v1/commands")]["sub"] == world.principals["inspector"].subject
    assert by_status[(422, "/v1/commands")]["sub"] == world.principals["conseil_classe"].subject
    # the peer (127.0.0.1, a trusted proxy sending no X-Forwarded-For), else the forwarded client
    assert by_status[(413, "/v1/commands")]["client"] == FORWARDED
    assert {a["client"] for a in served["audit"] if a["status"] != 413} == {"127.0.0.1"}
    assert served["forged"] not in served["stderr"]
    assert not any(token in served["stderr"] for token in served["world"].tokens.values())


def test_no_personal_data_in_the_lines(served: dict[str, Any]) -> None:
    """Only the listed members: no body, detail, path ids, names or query."""
    world: World = served["world"]
    allowed = {
        "event",
        "level",
        "timestamp",
        "route",
        "method",
        "status",
        "problem",
        "sub",
        "client",
        "reason",
    }
    for line in served["audit"]:
        assert set(line) <= allowed, line
        text = json.dumps(line)
        assert world.learner not in text and served["ghost"] not in text
