"""Which answers the audit log records (:func:`ledger.api.denials.audit_event`)."""

from __future__ import annotations

import pytest

from ledger.api.denials import audit_event


@pytest.mark.parametrize(
    ("method", "status", "event"),
    [
        ("GET", 401, "api.denied"),
        ("GET", 403, "api.denied"),
        ("POST", 404, "api.denied"),  # out of reach on a write
        ("DELETE", 403, "api.denied"),
        ("POST", 409, "api.refused"),
        ("POST", 422, "api.refused"),
        ("PUT", 408, "api.refused"),
        ("POST", 431, "api.refused"),
        ("POST", 429, None),  # rate limits: their own line (api.rate_limited)
        ("GET", 404, None),  # a read's 404 is not a denial
        ("GET", 400, None),
        ("POST", 201, None),
        ("POST", 500, None),  # logged as api.internal_error
    ],
)
def test_audit_event(method: str, status: int, event: str | None) -> None:
    assert audit_event(method, status) == event
