"""Topic layout, producer settings shared by the relay and its benchmark, topic creation.

Layout (see ``consumers/README.md``): one topic per regime, ``<prefix>.cpu.v1`` and
``<prefix>.clea.v1``, keyed by the aggregate id (learner, candidate or organisation) so an
aggregate's events stay in order on one partition; one dead-letter topic per consumer,
``<prefix>.dlq.<consumer>``. The prefix defaults to ``ledger`` (``$LEDGER_TOPIC_PREFIX``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import structlog

from ledger.domain.errors import InvalidCommand

log = structlog.get_logger("consumers.topics")

DEFAULT_BOOTSTRAP = "127.0.0.1:19092"
CONSUMERS = ("registry", "notifier")


@dataclass(frozen=True)
class KafkaSettings:
    """Where and under which names the ledger publishes."""

    bootstrap: str = DEFAULT_BOOTSTRAP
    prefix: str = "ledger"
    origin: str = "ledger"

    @classmethod
    def checked(cls, bootstrap: str | None = None, prefix: str | None = None,
                origin: str | None = None) -> KafkaSettings:
        """Settings from the given values, defaults for the missing ones, checked.

        The entry point reads the values from the ledger's settings.
        """
        settings = cls(bootstrap or DEFAULT_BOOTSTRAP, prefix or "ledger", origin or "ledger")
        settings.check()
        return settings

    def check(self) -> None:
        """Refuse malformed names (InvalidCommand)."""
        allowed = set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-")
        if not self.prefix or set(self.prefix) - allowed or len(self.prefix) > 200:
            raise InvalidCommand(f"invalid topic prefix {self.prefix!r}: use letters, digits, . _ -")
        if not self.origin or set(self.origin) - allowed:
            raise InvalidCommand(f"invalid LEDGER_ORIGIN {self.origin!r}: use letters, digits, . _ -")
        host, _, port = self.bootstrap.rpartition(":")
        if not host or not port.isdigit():
            raise InvalidCommand(f"invalid bootstrap address {self.bootstrap!r}: use HOST:PORT")

    @property
    def source(self) -> str:
        """The CloudEvents ``source`` naming this ledger."""
        return f"urn:ledger:{self.origin}"

    def topic_for(self, regime: str) -> str:
        """The topic of a regime (``be.cpu`` → ``<prefix>.cpu.v1``)."""
        return f"{self.prefix}.{regime.rsplit('.', 1)[-1]}.v1"

    @property
    def event_topics(self) -> tuple[str, str]:
        """The two event topics."""
        return self.topic_for("cpu"), self.topic_for("clea")

    def dlq(self, consumer: str) -> str:
        """The dead-letter topic of a consumer."""
        return f"{self.prefix}.dlq.{consumer}"


def producer_config(settings: KafkaSettings, linger_ms: int = 5, batch_size: int = 131072) -> dict[str, Any]:
    """The relay's producer settings (the benchmark's bare producer uses the same)."""
    return {
        "bootstrap_servers": settings.bootstrap,
        "client_id": "ledger-relay",
        "acks": "all",                     # every in-sync replica has the record
        "enable_idempotence": True,        # broker drops producer retries (no dup, no reorder)
        "max_in_flight_requests_per_connection": 5,
        "linger_ms": linger_ms,
        "batch_size": batch_size,
        "allow_auto_create_topics": False,  # topics are created by `ledger topics create`
        "max_block_ms": 10_000,
        "request_timeout_ms": 10_000,
        "delivery_timeout_ms": 30_000,
        "bootstrap_timeout_ms": 10_000,
    }


@dataclass(frozen=True)
class Profile:
    """Topic settings for an environment."""

    partitions: int
    replication: int
    configs: dict[str, str]


PROFILES = {
    "production": Profile(12, 3, {"min.insync.replicas": "2",
                                  "unclean.leader.election.enable": "false",
                                  "retention.ms": "-1", "retention.bytes": "-1",
                                  "cleanup.policy": "delete"}),
    "test": Profile(3, 1, {"min.insync.replicas": "1",
                           "unclean.leader.election.enable": "false", "retention.ms": "-1"}),
}


def create_topics(settings: KafkaSettings, profile: str = "test") -> dict[str, str]:
    """Create the event and dead-letter topics; returns ``{topic: created|exists}``."""
    from kafka.admin import KafkaAdminClient, NewTopic
    from kafka.errors import TopicAlreadyExistsError

    if profile not in PROFILES:
        raise InvalidCommand(f"unknown profile {profile!r}: use one of {sorted(PROFILES)}")
    spec = PROFILES[profile]
    names = [*settings.event_topics, *(settings.dlq(c) for c in CONSUMERS)]
    admin = KafkaAdminClient(bootstrap_servers=settings.bootstrap, client_id="ledger-admin",
                             request_timeout_ms=15_000, bootstrap_timeout_ms=15_000)
    result: dict[str, str] = {}
    try:
        existing = set(admin.list_topics())
        for name in names:
            if name in existing:
                result[name] = "exists"
                continue
            try:
                admin.create_topics([NewTopic(name, spec.partitions, spec.replication,
                                              topic_configs=dict(spec.configs))])
                result[name] = "created"
            except TopicAlreadyExistsError:
                result[name] = "exists"
    finally:
        admin.close()
    log.info("topics.created", profile=profile, topics=result)
    return result
