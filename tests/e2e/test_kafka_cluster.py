"""The production topology on a real 3-broker KRaft cluster: one broker SIGKILLed mid-stream.

The cluster is started by ``deploy/kafka/kafka.sh cluster-start`` (``make test`` does it and
sets ``LEDGER_TEST_KAFKA_CLUSTER``). Topics are created with the production profile
(``ledger topics create --profile production``: 12 partitions, replication 3,
``min.insync.replicas=2``). While decisions keep being recorded, the relay publishes and the
registry consumer reads (both console scripts); the broker leading the first CPU partition
is killed with SIGKILL. Nothing is lost, each learner's events stay in order on their
partition, the relay catches up and the consumer finishes with the ledger's certificates.
The killed broker is started again afterwards.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from consumers.registry import registry_rows
from consumers.topics import KafkaSettings
from ledger.adapters.follower import Db
from ledger.adapters.store import StoreTarget, iter_notifications
from tests.builders import admit, open_option
from tests.conftest import make_ledger, require_service
from tests.kafka_support import ledger_certificates, read_all, track_prefix

pytestmark = [pytest.mark.kafka, pytest.mark.slow]
ROOT = Path(__file__).resolve().parents[2]
KAFKA_SH = ROOT / "deploy" / "kafka" / "kafka.sh"
LEDGER = str(Path(sys.executable).parent / "ledger")


def node_pid(node: int) -> int:
    return int((ROOT / "deploy" / "kafka" / ".state" / "cluster" / f"node{node}" / "kafka.pid").read_text())


@pytest.fixture
def cluster() -> Iterator[str]:
    """The 3-broker cluster; every broker running again after the test."""
    bootstrap = require_service("LEDGER_TEST_KAFKA_CLUSTER", "Kafka 3-broker cluster")
    yield bootstrap
    done = subprocess.run(
        ["bash", str(KAFKA_SH), "cluster-start"],
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHON": sys.executable},
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]


def cli(*args: str) -> str:
    done = subprocess.run([LEDGER, *args], capture_output=True, text=True, timeout=180, check=False)
    assert done.returncode == 0, done.stderr
    return done.stdout


def wait_until(predicate: Any, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.3)


def scalar(location: Path, sql: str, params: tuple[Any, ...]) -> int:
    db = Db(StoreTarget.parse(str(location)))
    try:
        row = db.execute(sql, params).fetchone()
    except Exception:  # the process has not created its tables yet
        row = None
    finally:
        db.close()
    return int(row[0]) if row else 0


def topic_layout(bootstrap: str, topic: str) -> tuple[list[dict[str, Any]], str]:
    """The topic's partitions (leader, replicas, ISR) and its min.insync.replicas."""
    from kafka import KafkaAdminClient
    from kafka.admin import ConfigResource, ConfigResourceType

    admin = KafkaAdminClient(bootstrap_servers=bootstrap)
    try:
        (described,) = admin.describe_topics([topic])
        configs = admin.describe_configs(
            [ConfigResource(ConfigResourceType.TOPIC, topic, configs=["min.insync.replicas"])]
        )
    finally:
        admin.close()
    return described["partitions"], configs["topic"][topic]["min.insync.replicas"]["value"]


class Writer(threading.Thread):
    """Decisions keep being recorded (20 a second) in their own connection until stopped."""

    def __init__(self, store: Path) -> None:
        super().__init__(daemon=True)
        self.store = store
        self.halt = threading.Event()

    def run(self) -> None:
        writing = make_ledger(str(self.store))
        open_option(writing)
        while not self.halt.is_set():
            admit(writing)
            time.sleep(0.05)
        writing.store.close()

    def stop(self) -> None:
        self.halt.set()
        if self.is_alive():
            self.join(timeout=30)


def production_topics(cluster: str, prefix: str) -> tuple[KafkaSettings, list[dict[str, Any]]]:
    """Topics made by `ledger topics create --profile production`: 12 × 3 replicas, min ISR 2."""
    cli("topics", "create", "--profile", "production", "--bootstrap", cluster, "--topic-prefix", prefix)
    settings = KafkaSettings(bootstrap=cluster, prefix=prefix)
    partitions, min_isr = topic_layout(cluster, settings.event_topics[0])
    assert len(partitions) == 12 and min_isr == "2"
    assert all(len(p["replica_nodes"]) == 3 and len(p["isr_nodes"]) == 3 for p in partitions)
    return settings, partitions


def test_a_broker_killed_while_publishing_and_consuming_loses_nothing(cluster: str, tmp_path: Path) -> None:
    """SIGKILL the leader of a partition mid-stream: all events arrive, in order per key, consumers finish."""
    prefix = f"cl{os.getpid()}{int(time.time()) % 100000}.ledger"
    track_prefix(cluster, prefix)
    kafka = ["--bootstrap", cluster, "--topic-prefix", prefix]
    settings, partitions = production_topics(cluster, prefix)

    store, registry = tmp_path / "ledger.db", tmp_path / "registry.db"
    cli("demo", "--db", str(store), "--learners", "60", "--candidates", "10", "--seed", "4", "--json")
    ledger = make_ledger(str(store))
    relay = subprocess.Popen(
        [LEDGER, "relay", "run", "--db", str(store), "--json", *kafka],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    consumer = subprocess.Popen(
        [LEDGER, "consume", "registry", "--db", str(registry), "--until-idle", "12", "--json", *kafka],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    writer = Writer(store)
    position = f"kafka_relay:{prefix}"
    head = ledger.store.recorder.max_notification_id

    def relay_at() -> int:
        return scalar(store, "SELECT position FROM follower_position WHERE name = ?", (position,))

    def applied() -> int:
        return scalar(
            registry,
            "SELECT value FROM consumer_counters WHERE consumer = 'registry' AND counter = 'applied'",
            (),
        )

    try:
        writer.start()
        wait_until(lambda: relay_at() > 1000, 60, "the relay to publish")
        wait_until(lambda: applied() > 0, 60, "the consumer to apply records")
        victim = next(p["leader_id"] for p in partitions if p["partition_index"] == 0)
        os.kill(node_pid(victim), signal.SIGKILL)
        killed_at, recorded_at_kill = (relay_at(), applied()), head()
        # leadership moves, the ISR shrinks to 2: publishing goes on with acks=all, i.e. the relay
        # publishes well past what was recorded when the broker died (20 decisions a second)
        wait_until(lambda: relay_at() > recorded_at_kill + 100, 120, "publishing to go on after the kill")
        writer.stop()
        total = head()
        assert killed_at[0] < total  # the kill happened mid-stream
        wait_until(lambda: relay_at() == total, 120, "the relay to catch up")
        out, err = consumer.communicate(timeout=180)
        assert consumer.returncode == 0, err[-3000:]
    finally:
        writer.stop()
        relay.send_signal(signal.SIGTERM)
        relay_out, relay_err = relay.communicate(timeout=60)
        if consumer.poll() is None:
            consumer.kill()
    assert relay.returncode == 0, relay_err[-3000:]
    assert json.loads(relay_out)["lag"] == 0
    for stderr in (relay_err, err):  # kafka-python's warnings about the dead broker included
        assert all(line.startswith("{") and json.loads(line) for line in stderr.splitlines()), stderr[-2000:]
        assert "Traceback" not in stderr
    stored = {f"{n.originator_id}/{n.originator_version}" for n in iter_notifications(ledger.store)}
    counts = json.loads(out)
    assert counts["totals"]["applied"] == len(stored) == total and counts["parked"] == 0
    assert killed_at[1] < len(stored)  # the consumer was reading when the broker died
    records = check_arrivals(settings, stored)
    conn = Db(StoreTarget.parse(str(registry)))
    assert registry_rows(conn) == ledger_certificates(ledger.store)
    conn.close()
    ledger.store.close()
    print(
        f"killed broker {victim} at relay position {killed_at[0]}, consumer applied {killed_at[1]}; "
        f"{len(records)} records for {len(stored)} events"
    )


def check_arrivals(settings: KafkaSettings, stored: set[str]) -> list[Any]:
    """Every stored event is on the topics; per key, one partition and versions in order."""
    records = read_all(settings, len(stored), timeout_s=60)
    assert {dict(r.headers)["ce_id"].decode() for r in records} == stored  # nothing lost
    seen: dict[tuple[int, bytes], list[int]] = defaultdict(list)
    for r in sorted(records, key=lambda r: (r.topic, r.partition, r.offset)):
        version = int(dict(r.headers)["ce_aggversion"])
        if version not in seen[(r.partition, r.key)]:
            seen[(r.partition, r.key)].append(version)
    assert all(v == list(range(1, len(v) + 1)) for v in seen.values())  # order per key kept
    assert len({key for _, key in seen}) == len(seen)  # each key on one partition
    return records
