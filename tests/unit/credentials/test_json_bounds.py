"""POST /verify walks a posted document's JSON limits once: the server's bounded parser, with
bounds tightened to the verifier's, refuses exactly what the verifier's own check refuses."""

from __future__ import annotations

from typing import Any

import orjson
import pytest

from ledger.api.errors import JsonTooDeep, JsonTooLarge
from ledger.api.limits import loads_limited
from ledger.credentials.errors import CanonicalizationLimitError
from ledger.credentials.http import credential_json_bounds
from ledger.credentials.loader import check_json_limits
from ledger.credentials.vcapi import MAX_BODY
from ledger.credentials.verify import COMPILED_LIMITS


def nested(levels: int) -> Any:
    doc: Any = "leaf"
    for _ in range(levels - 1):
        doc = [doc]
    return doc


def test_bounds_never_looser_than_the_verifier() -> None:
    assert credential_json_bounds(64, 100_000) == (COMPILED_LIMITS.max_depth, COMPILED_LIMITS.max_nodes)
    assert credential_json_bounds(16, 1000) == (16, 1000)  # a stricter server keeps its own
    assert COMPILED_LIMITS.max_string_chars >= MAX_BODY  # a body's characters fit the string limit


@pytest.mark.parametrize(
    "doc",
    [
        nested(COMPILED_LIMITS.max_depth),
        nested(COMPILED_LIMITS.max_depth + 1),
        list(range(50_000)),
        list(range(50_001)),
    ],
    ids=["deepest-ok", "too-deep", "most-values-ok", "too-many-values"],
)
def test_parser_refuses_what_the_verifier_refuses(doc: Any) -> None:
    depth, values = credential_json_bounds(1024, 10**6)
    try:
        check_json_limits(doc, COMPILED_LIMITS)
        verifier_ok = True
    except CanonicalizationLimitError:
        verifier_ok = False
    try:
        loads_limited(orjson.dumps(doc), max_depth=depth, max_values=values)
        parser_ok = True
    except (JsonTooDeep, JsonTooLarge):
        parser_ok = False
    assert parser_ok is verifier_ok
