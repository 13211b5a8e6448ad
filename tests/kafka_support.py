"""Helpers shared by the Kafka tests and the relay benchmark.

Record a demo cohort into a ledger, make a fresh topic prefix (created topics), read every
record of the event topics back, and compare the registry with the ledger's certificates.
"""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

from consumers.topics import KafkaSettings, create_topics


def record_demo(ledger: Any, learners: int, candidates: int, seed: int = 7, batch: int = 200) -> int:
    """Record a deterministic demo cohort through the normal command path; returns events."""
    from ledger.application import parse_command
    from ledger.demo.cpu import demo_commands, resolve_refs

    raw = demo_commands(seed, learners, candidates, date(2026, 10, 1))
    outcomes = ledger.execute_all((parse_command(resolve_refs(ledger, r)) for r in raw), batch=batch)
    return sum(len(o.events) for o in outcomes)


def fresh_settings(bootstrap: str, label: str = "t") -> KafkaSettings:
    """Settings with a unique prefix whose topics were just created (test profile)."""
    settings = KafkaSettings(
        bootstrap=bootstrap, prefix=f"{label}{uuid.uuid4().hex[:10]}.ledger", origin="test"
    )
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
