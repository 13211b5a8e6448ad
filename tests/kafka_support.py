"""Helpers shared by the Kafka tests and the relay benchmark.

Record a demo cohort into a ledger, make a fresh topic prefix (created topics), read every
record of the event topics back, and compare the registry with the ledger's certificates.

Every prefix made here (or passed to :func:`track_prefix`) has its topics deleted after the
test that made it (the autouse ``kafka_topics_deleted`` fixture) or, outside pytest (the
benchmarks), when the process exits: a developer's long-running broker does not pile up
thousands of topics.
"""

from __future__ import annotations

import atexit
import uuid
import warnings
from collections.abc import Iterable, Iterator
from datetime import date
from typing import Any

import pytest

from consumers.topics import KafkaSettings, create_topics


def record_demo(ledger: Any, learners: int, candidates: int, seed: int = 7, batch: int = 200) -> int:
    """Record a deterministic demo cohort through the normal command path; returns events."""
    from ledger.application import parse_command
    from ledger.demo.cpu import demo_commands, resolve_refs

    raw = demo_commands(seed, learners, candidates, date(2026, 10, 1))
    outcomes = ledger.execute_all((parse_command(resolve_refs(ledger, r)) for r in raw), batch=batch)
    return sum(len(o.events) for o in outcomes)


_TRACKED: list[tuple[str, str]] = []
"""``(bootstrap, prefix)`` whose topics this process made and has not deleted yet."""


def track_prefix(bootstrap: str, prefix: str) -> None:
    """Delete every topic whose name starts with ``prefix`` once the current test ends."""
    if not _TRACKED:
        atexit.register(_delete_tracked, 0)
    _TRACKED.append((bootstrap, prefix))


def delete_topics_with_prefixes(bootstrap: str, prefixes: Iterable[str]) -> list[str]:
    """Delete the broker's topics starting with one of ``prefixes``; returns their names.

    Tolerant of topics already gone (deleted meanwhile, never created); a broker that does
    not answer within a few seconds leaves its topics behind with a warning, never an error.
    """
    from kafka.admin import KafkaAdminClient
    from kafka.errors import KafkaError

    starts = tuple(prefixes)
    try:
        admin = KafkaAdminClient(
            bootstrap_servers=bootstrap,
            client_id="ledger-test-cleanup",
            request_timeout_ms=10_000,
            bootstrap_timeout_ms=3_000,
        )
    except KafkaError as exc:
        warnings.warn(f"topics {starts} left on {bootstrap}: {exc!r}", stacklevel=2)
        return []
    try:
        names = sorted(t for t in admin.list_topics() if t.startswith(starts))
        if names:
            result = admin.delete_topics(names, timeout_ms=10_000, raise_errors=False)
            failed = [t for t in result["topics"] if t["error_code"] not in (0, 3)]  # 3: already gone
            if failed:
                warnings.warn(f"topics not deleted on {bootstrap}: {failed}", stacklevel=2)
        return names
    except KafkaError as exc:
        warnings.warn(f"topics {starts} left on {bootstrap}: {exc!r}", stacklevel=2)
        return []
    finally:
        admin.close()


def _delete_tracked(keep: int) -> None:
    """Delete the topics of every prefix tracked after the first ``keep`` ones."""
    mine = _TRACKED[keep:]
    del _TRACKED[keep:]
    by_broker: dict[str, list[str]] = {}
    for bootstrap, prefix in mine:
        by_broker.setdefault(bootstrap, []).append(prefix)
    for bootstrap, prefixes in by_broker.items():
        delete_topics_with_prefixes(bootstrap, prefixes)


@pytest.fixture(autouse=True)
def kafka_topics_deleted() -> Iterator[None]:
    """After each test, delete the topics of the prefixes it made (nothing to do for most)."""
    keep = len(_TRACKED)  # prefixes of wider-scoped fixtures stay until the process exits
    yield
    if len(_TRACKED) > keep:
        _delete_tracked(keep)


def fresh_settings(bootstrap: str, label: str = "t", *, track: bool = True) -> KafkaSettings:
    """Settings with a unique prefix whose topics were just created (test profile).

    The topics are deleted after the test (``track=False``: a throw-away broker's).
    """
    settings = KafkaSettings(
        bootstrap=bootstrap, prefix=f"{label}{uuid.uuid4().hex[:10]}.ledger", origin="test"
    )
    if track:
        track_prefix(bootstrap, settings.prefix)
    create_topics(settings, "test")
    return settings


def read_all(
    settings: KafkaSettings, expected: int, topics: tuple[str, ...] | None = None, timeout_s: float = 30.0
) -> list[Any]:
    """Every record of the topics (from the beginning) once ``expected`` have arrived."""
    import time

    from kafka import KafkaConsumer

    consumer = KafkaConsumer(
        *(topics or settings.event_topics),
        bootstrap_servers=settings.bootstrap,
        group_id=None,
        auto_offset_reset="earliest",
        enable_auto_commit=False,
        consumer_timeout_ms=1000,
    )
    records: list[Any] = []
    deadline = time.monotonic() + timeout_s
    try:
        while len(records) < expected and time.monotonic() < deadline:
            records.extend(consumer)
    finally:
        consumer.close()
    return records


def ledger_certificates(store: Any) -> list[dict[str, Any]]:
    """The ledger's certificates in the registry's comparable form (no free-text reason)."""
    from ledger.application.queries import certificates

    rows = []
    for row in certificates(store):
        data = row.to_dict()
        data.pop("revocation_reason")
        rows.append(data)
    return sorted(rows, key=lambda r: r["position"])
