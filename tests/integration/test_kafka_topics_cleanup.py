"""A test's Kafka topics are deleted after it: a long-running broker does not pile them up."""

from __future__ import annotations

import time

from kafka.admin import KafkaAdminClient

from tests.conftest import require_service
from tests.kafka_support import _TRACKED, _delete_tracked, fresh_settings


def topics_with(bootstrap: str, prefix: str) -> set[str]:
    admin = KafkaAdminClient(bootstrap_servers=bootstrap, client_id="cleanup-check")
    try:
        return {t for t in admin.list_topics() if t.startswith(prefix)}
    finally:
        admin.close()


def test_fresh_topics_are_deleted_at_teardown_and_twice_is_harmless() -> None:
    """The event and dead-letter topics made by ``fresh_settings`` go; a second pass is a no-op."""
    bootstrap = require_service("LEDGER_TEST_KAFKA", "Kafka")
    keep = len(_TRACKED)
    settings = fresh_settings(bootstrap, "gone")
    made = topics_with(bootstrap, settings.prefix)
    assert set(settings.event_topics) <= made and len(made) > 2  # events and dead letters
    _TRACKED.append((bootstrap, settings.prefix))  # tracked twice: the second finds nothing
    _delete_tracked(keep)
    deadline = time.monotonic() + 20
    while topics_with(bootstrap, settings.prefix) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert topics_with(bootstrap, settings.prefix) == set()
    assert len(_TRACKED) == keep
