"""End to end through the CLI: demo → relay → registry and notifier; a relay SIGKILLed mid-stream."""

from __future__ import annotations

import itertools
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from consumers.notifier import outbox_rows
from consumers.registry import registry_rows
from consumers.topics import KafkaSettings
from ledger.adapters.follower import Db
from ledger.adapters.store import StoreTarget, iter_notifications, open_store
from tests.conftest import require_service
from tests.kafka_support import fresh_settings, ledger_certificates, read_all

pytestmark = pytest.mark.kafka
LEDGER = str(Path(sys.executable).parent / "ledger")


def cli(
    *args: str, check: bool = True, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(
        [LEDGER, *args],
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
        env={**os.environ, **(env or {})},
    )
    if check:
        assert done.returncode == 0, done.stderr
    return done


def demo(db: Path, learners: int = 60, candidates: int = 12) -> None:
    cli(
        "demo",
        "--db",
        str(db),
        "--learners",
        str(learners),
        "--candidates",
        str(candidates),
        "--seed",
        "9",
        "--json",
    )  # a cohort with revoked certificates


def registry(db: Path) -> list[dict[str, Any]]:
    conn = Db(StoreTarget.parse(str(db)))
    try:
        return registry_rows(conn)
    finally:
        conn.close()


def certificates_of(db: Path) -> list[dict[str, Any]]:
    store = open_store(StoreTarget.parse(str(db)))
    try:
        return ledger_certificates(store)
    finally:
        store.close()


def test_demo_cohort_through_the_relay_equals_the_ledger(tmp_path: Path) -> None:
    """The registry built from Kafka alone holds exactly the ledger's certificates."""
    bootstrap = require_service("LEDGER_TEST_KAFKA", "Kafka")
    prefix = fresh_settings(bootstrap, "e").prefix
    kafka = ["--bootstrap", bootstrap, "--topic-prefix", prefix]
    store = tmp_path / "ledger.db"
    demo(store)
    relayed = json.loads(cli("relay", "run", "--once", "--db", str(store), "--json", *kafka).stdout)
    assert relayed["lag"] == 0 and relayed["published"] == relayed["head"]
    reg = json.loads(
        cli(
            "consume", "registry", "--db", str(tmp_path / "reg.db"), "--until-idle", "1.5", "--json", *kafka
        ).stdout
    )
    assert reg["applied"] == relayed["published"] and reg["parked"] == 0
    expected = certificates_of(store)
    assert {r["status"] for r in expected} == {"active", "revoked"}
    assert {r["kind"] for r in expected} >= {"CQ", "CE6P", "clea"}
    assert registry(tmp_path / "reg.db") == expected
    cli("consume", "notifier", "--db", str(tmp_path / "notes.db"), "--until-idle", "1.5", *kafka)
    conn = Db(StoreTarget.parse(str(tmp_path / "notes.db")))
    kinds = {(r["kind"], r["recipient_role"]) for r in outbox_rows(conn)}
    conn.close()
    assert {("test_authorised", "legal_representative"), ("accrochage_due", "certifier")} <= kinds


def test_bad_kafka_arguments_exit_2_and_write_nothing(tmp_path: Path) -> None:
    """A malformed bootstrap or prefix is refused with a clear message and exit code 2."""
    done = cli("topics", "create", "--bootstrap", "nowhere", check=False)
    assert done.returncode == 2 and "invalid bootstrap address" in done.stderr
    done = cli("relay", "run", "--db", str(tmp_path / "x.db"), "--topic-prefix", "bad prefix!", check=False)
    assert done.returncode == 2 and "invalid topic prefix" in done.stderr
    done = cli(
        "relay",
        "run",
        "--db",
        str(tmp_path / "x.db"),
        check=False,
        env={"LEDGER_ORIGIN": "ledger.example.org/cpu+clea"},
    )
    assert done.returncode == 2 and "invalid LEDGER_ORIGIN" in done.stderr and "Traceback" not in done.stderr
    assert not (tmp_path / "x.db").exists()


def test_the_production_example_origin_works_with_the_relay(tmp_path: Path) -> None:
    """`ledger relay run` with LEDGER_ORIGIN from deploy/production: records carry it as source."""
    bootstrap = require_service("LEDGER_TEST_KAFKA", "Kafka")
    example = (
        Path(__file__).resolve().parents[2] / "deploy" / "production" / "systemd" / "ledger.env.example"
    ).read_text(encoding="utf-8")
    origin = next(line.split("=", 1)[1] for line in example.splitlines() if line.startswith("LEDGER_ORIGIN="))
    assert origin == "ledger.example.org/cpu-clea-ledger"
    settings = fresh_settings(bootstrap, "p")
    store = tmp_path / "ledger.db"
    demo(store, learners=3, candidates=1)
    done = cli(
        "relay",
        "run",
        "--once",
        "--db",
        str(store),
        "--json",
        env={"LEDGER_ORIGIN": origin, "LEDGER_KAFKA": bootstrap, "LEDGER_TOPIC_PREFIX": settings.prefix},
    )
    relayed = json.loads(done.stdout)
    records = read_all(settings, relayed["published"])
    assert {dict(r.headers)["ce_source"] for r in records} == {f"urn:ledger:{origin}".encode()}
    assert len(records) == relayed["published"] > 0


def relay_position(db: Path, prefix: str) -> int:
    conn = Db(StoreTarget.parse(str(db)))
    try:
        row = conn.execute(
            "SELECT position FROM follower_position WHERE name = ?", (f"kafka_relay:{prefix}",)
        ).fetchone()
    except Exception:  # the relay was killed before it created its table
        row = None
    finally:
        conn.close()
    return int(row[0]) if row else 0


KILLS = 5  # SIGKILLs, each once the topics hold more records than the next mark
RELAY_BATCH = 200


class Published:
    """How many records the run's event topics hold (their end offsets, read from the broker)."""

    def __init__(self, settings: KafkaSettings) -> None:
        from kafka import KafkaConsumer, TopicPartition

        self.consumer = KafkaConsumer(bootstrap_servers=settings.bootstrap, group_id=None)
        self.parts = [
            TopicPartition(t, p) for t in settings.event_topics for p in self.consumer.partitions_for_topic(t)
        ]

    def count(self) -> int:
        """The records published so far (duplicates included)."""
        return sum(self.consumer.end_offsets(self.parts).values())

    def close(self) -> None:
        self.consumer.close()


def kill_relay_at_marks(store: Path, settings: KafkaSettings, total: int) -> list[tuple[int, int]]:
    """Start a relay, SIGKILL it once the topics pass the next mark; (published, position) at each kill.

    The marks split the stream in ``KILLS + 1`` parts, so every kill is triggered by observed
    progress on the broker (not by a sleep, nor by the position the relay records every 0.2 s,
    which a fast relay can move from a mark to the end in one step) and lands mid-stream.
    """
    kafka = ["--bootstrap", settings.bootstrap, "--topic-prefix", settings.prefix]
    published = Published(settings)
    kills: list[tuple[int, int]] = []
    try:
        for k in range(1, KILLS + 1):
            mark = total * k // (KILLS + 1)
            if published.count() >= mark:
                continue
            proc = subprocess.Popen(
                [LEDGER, "relay", "run", "--db", str(store), "--batch", str(RELAY_BATCH), *kafka],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            deadline = time.monotonic() + 60  # start-up varies with load
            while (seen := published.count()) < mark and time.monotonic() < deadline:
                time.sleep(0.005)
            os.kill(proc.pid, signal.SIGKILL)
            proc.wait()
            kills.append((seen, relay_position(store, settings.prefix)))
    finally:
        published.close()
    return kills


def test_relay_killed_mid_stream_loses_nothing(tmp_path: Path) -> None:
    """SIGKILL at 5 points while publishing: nothing is missing, duplicates are absorbed."""
    bootstrap = require_service("LEDGER_TEST_KAFKA", "Kafka")
    settings = fresh_settings(bootstrap, "k")
    prefix = settings.prefix
    kafka = ["--bootstrap", bootstrap, "--topic-prefix", prefix]
    store = tmp_path / "ledger.db"
    demo(store, learners=150, candidates=8)
    store_app = open_store(StoreTarget.parse(str(store)))
    total = store_app.recorder.max_notification_id() or 0
    store_app.close()
    kills = kill_relay_at_marks(store, settings, total)
    store_app = open_store(StoreTarget.parse(str(store)))
    stored = {f"{n.originator_id}/{n.originator_version}" for n in iter_notifications(store_app)}
    store_app.close()
    assert len(stored) == total
    positions = [0] + [p for _, p in kills]
    assert sum(0 < seen < total and p < total for seen, p in kills) >= 3, kills  # mid-stream
    assert all(a <= b for a, b in itertools.pairwise(positions)), positions
    cli("relay", "run", "--once", "--db", str(store), *kafka)
    records = read_all(settings, len(stored))
    assert {dict(r.headers)["ce_id"].decode() for r in records} == stored
    reg = json.loads(
        cli(
            "consume", "registry", "--db", str(tmp_path / "reg.db"), "--until-idle", "1.5", "--json", *kafka
        ).stdout
    )
    assert reg["applied"] == len(stored) and reg["parked"] == 0
    assert reg["duplicates"] == len(records) - len(stored)
    print(
        f"{len(records) - len(stored)} duplicate(s) after {len(kills)} kills of {total};"
        f" (published, position) at each kill {kills}"
    )
    # each restart reads the partitions' tails: only records acknowledged after that read
    # (in flight when the relay died) can arrive twice, not the unrecorded batches
    assert len(records) - len(stored) <= len(kills) * RELAY_BATCH
    assert registry(tmp_path / "reg.db") == certificates_of(store)
