"""Topic layout, producer settings shared by the relay and its benchmark, topic creation.

Layout (see ``consumers/README.md``): one topic per regime, ``<prefix>.cpu.v1`` and
``<prefix>.clea.v1``, keyed by the aggregate id (learner, candidate or organisation) so an
aggregate's events stay in order on one partition; one dead-letter topic per consumer,
``<prefix>.dlq.<consumer>``. The prefix defaults to ``ledger`` (``LEDGER_TOPIC_PREFIX``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import structlog

from ledger.domain.errors import InvalidCommand

log = structlog.get_logger("consumers.topics")

DEFAULT_BOOTSTRAP = "127.0.0.1:19092"
TOPIC_PREFIX = re.compile(r"[A-Za-z0-9._-]{1,200}")
ORIGIN = re.compile(r"[A-Za-z0-9._~:@!$&'()*,;=/%-]{1,255}")
"""A checkpoint origin (C2SP tlog-checkpoint: a schema-less URL such as
``ledger.example.org/cpu-clea-ledger``) that is also a valid signed-note key name (no space,
no ``+``) and URI characters, so ``urn:ledger:<origin>`` is a valid CloudEvents ``source``."""
CONSUMERS = ("registry", "notifier")


def check_origin(origin: str) -> None:
    """Refuse an origin that is not a signed-note name made of URI characters (InvalidCommand)."""
    if not ORIGIN.fullmatch(origin) or origin.startswith("/"):
        raise InvalidCommand(
            f"invalid LEDGER_ORIGIN {origin!r}: a checkpoint origin such as "
            "ledger.example.org/cpu-clea-ledger (letters, digits and . _ ~ - / : @, no space, no +)"
        )


@dataclass(frozen=True)
class KafkaSettings:
    """Where and under which names the ledger publishes."""

    bootstrap: str = DEFAULT_BOOTSTRAP
    prefix: str = "ledger"
    origin: str = "ledger"

    @classmethod
    def checked(
        cls, bootstrap: str | None = None, prefix: str | None = None, origin: str | None = None
    ) -> KafkaSettings:
        """Settings from the given values, defaults for the missing ones, checked.

        The entry point reads the values from the ledger's settings.
        """
        settings = cls(bootstrap or DEFAULT_BOOTSTRAP, prefix or "ledger", origin or "ledger")
        settings.check()
        return settings

    def check(self) -> None:
        """Refuse malformed names (InvalidCommand naming the setting and the rule)."""
        if not TOPIC_PREFIX.fullmatch(self.prefix):
            raise InvalidCommand(f"invalid topic prefix {self.prefix!r}: use 1-200 letters, digits, . _ -")
        check_origin(self.origin)
        for address in self.bootstrap.split(","):
            host, _, port = address.strip().rpartition(":")
            if not host or not port.isdigit() or not 0 < int(port) < 65536:
                raise InvalidCommand(
                    f"invalid bootstrap address {self.bootstrap!r}: use HOST:PORT[,HOST:PORT…]"
                )

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


LINGER_MS = 20
BATCH_SIZE = 512 * 1024
COMPRESSION = "zstd"


def producer_config(
    settings: KafkaSettings, linger_ms: int | None = None, batch_size: int | None = None, **overrides: Any
) -> dict[str, Any]:
    """The relay's producer settings (measured in ``tests/bench/kafka.py``).

    Durability is not negotiable: ``acks=all`` (every in-sync replica has the record) and
    idempotence (the broker drops the producer's retries: no duplicate, no reordering, no gap
    within a partition). Throughput comes from zstd-compressed batches of up to 512 KiB per
    partition, filled for up to 20 ms.
    """
    config = {
        "bootstrap_servers": settings.bootstrap,
        "client_id": "ledger-relay",
        "acks": "all",
        "enable_idempotence": True,
        "max_in_flight_requests_per_connection": 5,
        "compression_type": COMPRESSION,
        "linger_ms": LINGER_MS if linger_ms is None else linger_ms,
        "batch_size": BATCH_SIZE if batch_size is None else batch_size,
        "allow_auto_create_topics": False,  # topics are created by `ledger topics create`
        "max_block_ms": 10_000,
        "request_timeout_ms": 10_000,
        "delivery_timeout_ms": 30_000,
        "bootstrap_timeout_ms": 10_000,
    }
    config.update(overrides)
    return config


@dataclass(frozen=True)
class TopicProfile:
    """Topic settings for an environment."""

    partitions: int
    replication: int
    configs: dict[str, str]


PROFILES = {
    "production": TopicProfile(
        12,
        3,
        {
            "min.insync.replicas": "2",
            "unclean.leader.election.enable": "false",
            "retention.ms": "-1",
            "retention.bytes": "-1",
            "cleanup.policy": "delete",
        },
    ),
    "test": TopicProfile(
        3, 1, {"min.insync.replicas": "1", "unclean.leader.election.enable": "false", "retention.ms": "-1"}
    ),
}


def create_topics(settings: KafkaSettings, profile: str = "test") -> dict[str, str]:
    """Create the event and dead-letter topics; returns ``{topic: created|exists}``."""
    from kafka.admin import KafkaAdminClient, NewTopic
    from kafka.errors import TopicAlreadyExistsError

    if profile not in PROFILES:
        raise InvalidCommand(f"unknown profile {profile!r}: use one of {sorted(PROFILES)}")
    spec = PROFILES[profile]
    names = [*settings.event_topics, *(settings.dlq(c) for c in CONSUMERS)]
    admin = KafkaAdminClient(
        bootstrap_servers=settings.bootstrap,
        client_id="ledger-admin",
        request_timeout_ms=15_000,
        bootstrap_timeout_ms=15_000,
    )
    result: dict[str, str] = {}
    try:
        existing = set(admin.list_topics())
        for name in names:
            if name in existing:
                result[name] = "exists"
                continue
            try:
                admin.create_topics(
                    [NewTopic(name, spec.partitions, spec.replication, topic_configs=dict(spec.configs))]
                )
                result[name] = "created"
            except TopicAlreadyExistsError:
                result[name] = "exists"
    finally:
        admin.close()
    log.info("topics.created", profile=profile, topics=result)
    return result


def close_producer(producer: Any) -> None:
    """Close a kafka-python producer at once, even with undeliverable records still buffered.

    ``KafkaProducer.close(timeout=0)`` first flushes, and raises ``KafkaTimeoutError`` while
    records are pending (a broker outage); the producer then stays open, its I/O thread keeps
    retrying, and its ``__del__`` raises the same error again at garbage collection (a raw
    traceback on stderr). Here the I/O thread is force-closed first (pending records are
    failed: their batch's position never moved, so they are sent again later), then the
    producer is closed, which now has nothing to flush.
    """
    try:
        producer.close(timeout=0)
        return
    except Exception as exc:
        log.info("kafka.producer_abandoned", error=type(exc).__name__)
    sender = getattr(producer, "_sender", None)  # kafka-python's I/O thread (no public handle)
    if sender is not None:
        sender.force_close()
        sender.join(timeout=5)
    try:
        producer.close(timeout=0)
    except Exception as exc:  # still refused: mark it closed so __del__ and atexit do nothing
        log.warning("kafka.producer_close_failed", error=type(exc).__name__)
        producer._closed = True
