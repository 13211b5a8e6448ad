"""Prove that the development/CI services started by deploy/ are real servers.

- PostgreSQL: ``bash deploy/postgres/ensure.sh`` prints the URL for LEDGER_TEST_PG_URL.
- Kafka: ``deploy/kafka/kafka.sh start`` prints the bootstrap for LEDGER_TEST_KAFKA.

Without the variable the test is skipped locally, and fails when CI=true (a CI run
that silently skips its service tests proves nothing).
"""

from __future__ import annotations

import os
import time
import uuid

import psycopg
import pytest
from kafka import KafkaAdminClient, KafkaConsumer, KafkaProducer, TopicPartition

from tests.kafka_support import track_prefix

TIMEOUT_S = 15


def _require_env(name: str, how: str) -> str:
    value = os.environ.get(name, "").strip()
    if value:
        return value
    message = f"{name} is not set; start the service with `{how}` and export its output as {name}"
    if os.environ.get("CI") == "true":
        pytest.fail(f"CI=true but {message}", pytrace=False)
    pytest.skip(message)


@pytest.mark.postgres
def test_postgres_answers_select_version() -> None:
    url = _require_env("LEDGER_TEST_PG_URL", "bash deploy/postgres/ensure.sh")
    with psycopg.connect(url, connect_timeout=TIMEOUT_S) as conn:
        row = conn.execute("select version(), current_user, current_database()").fetchone()
    assert row is not None
    version, user, database = row
    assert version.startswith("PostgreSQL "), version
    assert user and database


@pytest.mark.kafka
def test_kafka_produce_and_consume_one_record() -> None:
    bootstrap = _require_env("LEDGER_TEST_KAFKA", "deploy/kafka/kafka.sh start")

    topic = f"test-services-{uuid.uuid4().hex[:12]}"
    track_prefix(bootstrap, topic)
    key = b"probe-key"
    value = f"probe {uuid.uuid4()}".encode()
    headers = [("ce_id", uuid.uuid4().hex.encode())]
    timeout_ms = TIMEOUT_S * 1000

    admin = KafkaAdminClient(
        bootstrap_servers=bootstrap,
        client_id="test-services-admin",
        request_timeout_ms=timeout_ms,
    )
    try:
        admin.create_topics(
            {topic: {"num_partitions": 1, "replication_factor": 1}},
            timeout_ms=timeout_ms,
            wait_for_metadata=True,
        )

        producer = KafkaProducer(bootstrap_servers=bootstrap, max_block_ms=timeout_ms)
        try:
            sent = producer.send(topic, value=value, key=key, headers=headers).get(timeout=TIMEOUT_S)
        finally:
            producer.close()
        assert (sent.topic, sent.partition, sent.offset) == (topic, 0, 0)

        consumer = KafkaConsumer(
            bootstrap_servers=bootstrap,
            enable_auto_commit=False,
            auto_offset_reset="earliest",
        )
        try:
            partition = TopicPartition(topic, 0)
            consumer.assign([partition])
            consumer.seek_to_beginning(partition)
            records = []
            deadline = time.monotonic() + TIMEOUT_S
            while not records and time.monotonic() < deadline:
                for batch in consumer.poll(timeout_ms=1000).values():
                    records.extend(batch)
        finally:
            consumer.close()

        assert len(records) == 1, records
        record = records[0]
        assert (record.key, record.value, record.offset) == (key, value, 0)
        assert list(record.headers) == headers
    finally:
        try:
            admin.delete_topics([topic], timeout_ms=timeout_ms)
        finally:
            admin.close()
