"""Property-based run: schemathesis generates requests from /openapi.json, in-process (ASGI).

Every operation, positive and negative data, every role and no token, bounded for CI
(``LEDGER_FUZZ_EXAMPLES`` per operation and mode, default 12; the red team's long run is
``LEDGER_FUZZ_EXAMPLES=52``, about 5,000 requests). Schemathesis's own checks
``not_a_server_error`` and ``response_schema_conformance`` on every response; every 4xx is
RFC 9457 problem+json (the VC API's documented ``{"verified": false}`` answers aside); a
request that is not a success never writes an event.
"""

from __future__ import annotations

import itertools
import os
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error, response_schema_conformance

from tests.integration.test_api_helpers import World, build_world, key_env, make_app

EXAMPLES = int(os.environ.get("LEDGER_FUZZ_EXAMPLES", "12"))  # per operation and mode
ROLES_PER_CASE = 3  # each generated request is sent as three callers in turn
VC_API = ("/credentials/verify", "/presentations/verify", "/credentials/issue")  # W3C VC API bodies


def run_operation(
    operation: Any,
    mode: GenerationMode,
    world: World,
    head: Callable[[], int],
    roles: Any,
    counts: Counter[int | str],
) -> None:
    """Send ``EXAMPLES`` generated requests to one operation and check each."""

    @given(operation.as_strategy(generation_mode=mode))
    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        database=None,
        derandomize=True,
        suppress_health_check=list(HealthCheck),
    )
    def check(case: Any) -> None:
        generated = dict(case.headers or {})
        for _ in range(ROLES_PER_CASE):
            send_as(case, generated, next(roles))

    def send_as(case: Any, generated: dict[str, Any], role: str) -> None:
        case.headers = {**generated, **world.headers(role)}
        if case.method == "POST" and case.path == "/v1/commands" and counts["total"] % 3:
            case.headers["Idempotency-Key"] = f"fuzz-{counts['total']}"
        before = head()
        response = case.call()
        counts["total"] += 1
        counts[response.status_code] += 1
        where = f"{case.method} {case.formatted_path} as {role}: {response.status_code} {response.text[:300]}"
        assert response.status_code < 500, where
        case.validate_response(response, checks=[not_a_server_error, response_schema_conformance])
        if 400 <= response.status_code < 500 and case.path not in VC_API:
            content_type = (response.headers.get("content-type") or [""])[0]
            assert content_type.startswith("application/problem+json"), where
        if not 200 <= response.status_code < 300:
            assert head() == before, f"refused {case.method} {case.path} as {role} wrote events"

    try:
        check()
    except Unsatisfiable:
        assert mode is GenerationMode.NEGATIVE  # nothing to make invalid (no parameters)


def test_generated_requests_never_fail_the_server_nor_write_when_refused(tmp_path: Path) -> None:
    """No generated request gets a 5xx; refused requests leave the log as it was."""
    world = build_world(tmp_path, learners=12)
    with key_env(world.keys):
        app = make_app(world)
        schema = schemathesis.openapi.from_asgi("/openapi.json", app)
        roles = itertools.cycle([*sorted(world.tokens), "public"])
        counts: Counter[int | str] = Counter()
        for result in schema.get_all_operations():
            operation = result.ok()  # type: ignore[union-attr]  # Err raises: a broken schema fails the test
            for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
                run_operation(operation, mode, world, app.state.ctx.head, roles, counts)
    print(f"generated requests by status: {dict(sorted(counts.items(), key=str))}")
    assert (
        counts["total"] >= 80 * EXAMPLES
    )  # ~40 operations x 2 modes x 3 callers, fewer for small input spaces
