"""The relay's partition cache: bounded whatever the store's size, same partitions as Kafka's."""

from __future__ import annotations

import uuid

from kafka.partitioner.default import DefaultPartitioner

from consumers import relay


class _Cluster:
    """The three questions kafka-python's partitioner asks of the cluster metadata."""

    def __init__(self, partitions: int) -> None:
        self.parts = set(range(partitions))

    def topics(self) -> set[str]:
        return {"t"}

    def partitions_for_topic(self, topic: str) -> set[int]:
        return self.parts

    def available_partitions_for_topic(self, topic: str) -> set[int]:
        return self.parts


def _kafka(key: bytes) -> int:
    """The partition kafka-python's default partitioner chooses for ``key`` (6 partitions)."""
    partition: int = DefaultPartitioner().partition("t", key, key, None, None, _Cluster(6))
    return partition


def _session(partitions: int) -> relay.Session:
    """A session without a producer: only what :meth:`relay.Session.partition` reads."""
    session = object.__new__(relay.Session)
    session.partitions = {"t": list(range(partitions))}
    session.by_key = {}
    return session


def test_partition_cache_stays_bounded_and_agrees_with_kafka_python() -> None:
    session = _session(6)
    keys = [str(uuid.UUID(int=i)).encode() for i in range(relay.PARTITION_CACHE * 3 + 7)]
    for key in keys:
        assert session.partition("t", key) == _kafka(key)
        assert len(session.by_key) <= relay.PARTITION_CACHE
    again = keys[-1]
    assert session.partition("t", again) == _kafka(again)
