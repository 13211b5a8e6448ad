"""The relay on a real broker: CloudEvents records, global order, one relay at a time, dead letters."""

from __future__ import annotations

import json
import threading
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

import orjson
import pytest
from cloudevents.core.bindings.kafka import KafkaMessage, from_binary
from cloudevents.core.formats.json import JSONFormat

from consumers.contract import SCHEMA_BASE, SCHEMA_DIR
from consumers.errors import RelayBusy
from consumers.registry import CertificateRegistry, registry_rows
from consumers.relay import RecordBuilder, Relay, RelayFollower, RelayHandler, relay_lock
from consumers.runner import ConsumerRunner
from consumers.topics import KafkaSettings
from ledger.adapters.follower import Db, record_position
from ledger.adapters.store import StoreTarget, iter_notifications
from ledger.application import Ledger
from tests.conftest import make_ledger, require_service
from tests.kafka_support import fresh_settings, ledger_certificates, read_all, record_demo

pytestmark = pytest.mark.kafka


@pytest.fixture
def bootstrap() -> str:
    return require_service("LEDGER_TEST_KAFKA", "Kafka")


def relay_once(ledger: Ledger, location: str, settings: KafkaSettings, batch: int = 100) -> int:
    relay = Relay(ledger.store, StoreTarget.parse(location), settings, batch_size=batch)
    try:
        return relay.run(threading.Event(), once=True, wait_lock=False)
    finally:
        relay.close()


def check_cloudevent(record: Any, settings: KafkaSettings) -> Any:
    """The independent CloudEvents SDK accepts the record; returns the parsed event."""
    headers = {k: v for k, v in record.headers}
    event = from_binary(KafkaMessage(headers=headers, key=record.key, value=record.value), JSONFormat())
    attrs = event.get_attributes()
    assert attrs["specversion"] == "1.0" and attrs["datacontenttype"] == "application/json"
    assert attrs["source"] == settings.source
    assert attrs["id"] == f"{record.key.decode()}/{attrs['aggversion']}"
    assert attrs["subject"] == record.key.decode()
    committed = json.loads((SCHEMA_DIR / f"{attrs['type']}.json").read_text(encoding="utf-8"))
    assert attrs["dataschema"] == committed["$id"] == f"{SCHEMA_BASE}{attrs['type']}.json"
    assert attrs["time"].tzinfo is not None
    assert event.get_data()["aggregate_version"] == int(attrs["aggversion"])
    return event


def test_relay_publishes_every_event_in_order_as_cloudevents(
    ledger: Ledger, store_location: str, bootstrap: str
) -> None:
    """Every stored event arrives once, CloudEvents-valid, keyed by aggregate, in version order."""
    events = record_demo(ledger, learners=12, candidates=5)
    settings = fresh_settings(bootstrap)
    assert relay_once(ledger, store_location, settings) == events
    assert relay_once(ledger, store_location, settings) == 0  # the position was recorded
    records = read_all(settings, events)
    assert len(records) == events
    stored = {f"{n.originator_id}/{n.originator_version}": n.id - 1 for n in iter_notifications(ledger.store)}
    positions = {}
    versions: dict[tuple[int, bytes], list[int]] = defaultdict(list)
    for record in records:
        event = check_cloudevent(record, settings)
        positions[event.get_attributes()["id"]] = int(event.get_attributes()["ledgerposition"])
        versions[(record.partition, record.key)].append(int(event.get_attributes()["aggversion"]))
    assert positions == stored
    for seq in versions.values():
        assert seq == list(range(1, len(seq) + 1))
    by_topic = Counter(r.topic for r in records)
    assert set(by_topic) == set(settings.event_topics)


def forget_position(location: str, settings: KafkaSettings, position: int) -> None:
    """What a crash between the broker's acknowledgement and the position record leaves."""
    db = Db(StoreTarget.parse(location))
    with db.transaction() as tx:
        record_position(tx, f"kafka_relay:{settings.prefix}", position)
    db.close()


def test_a_restart_skips_what_the_partitions_already_hold(
    ledger: Ledger, store_location: str, bootstrap: str
) -> None:
    """Acknowledged but unrecorded events are found on the partitions' tails and not sent again."""
    events = record_demo(ledger, learners=12, candidates=5)
    settings = fresh_settings(bootstrap)
    target = StoreTarget.parse(store_location)
    follower = RelayFollower(ledger.store, target, RelayHandler(ledger.store, settings), batch_size=50)
    assert follower.catch_up(until=events - 40) == events - 40  # a first run stops here...
    follower.handler.drop_producer()
    follower.close()
    forget_position(store_location, settings, events - 240)  # ...but recorded only this far
    relay = Relay(ledger.store, target, settings, batch_size=50)
    try:
        relay.run(threading.Event(), once=True, wait_lock=False)
        assert (relay.handler.skipped, relay.handler.published) == (200, 40)
    finally:
        relay.close()
    records = read_all(settings, events)
    ids = [dict(r.headers)["ce_id"] for r in records]
    assert len(ids) == len(set(ids)) == events  # nothing twice, nothing missing


def test_tails_from_other_events_are_not_trusted(
    sqlite_ledger: Ledger, tmp_path: Path, bootstrap: str
) -> None:
    """Topics already holding ANOTHER store's events at the same positions skip nothing."""
    settings = fresh_settings(bootstrap)
    other = make_ledger(str(tmp_path / "other.db"))
    record_demo(other, learners=4, candidates=2, seed=1)
    assert relay_once(other, str(tmp_path / "other.db"), settings) > 0
    other.store.close()
    events = record_demo(sqlite_ledger, learners=6, candidates=2, seed=2)
    relay = Relay(sqlite_ledger.store, StoreTarget.parse(str(tmp_path / "ledger.db")), settings)
    try:
        assert relay.run(threading.Event(), once=True, wait_lock=False) == events
        assert relay.handler.skipped == 0
    finally:
        relay.close()


def test_a_second_relay_is_refused_while_one_holds_the_lock(ledger: Ledger, store_location: str) -> None:
    """At most one relay per store: the lock is exclusive and released with its holder."""
    target = StoreTarget.parse(store_location)
    settings = KafkaSettings(bootstrap="127.0.0.1:1", prefix="locktest")
    with relay_lock(target, "kafka_relay:locktest", wait=False):
        relay = Relay(ledger.store, target, settings)
        with pytest.raises(RelayBusy, match="another relay"):
            relay.run(threading.Event(), once=True, wait_lock=False)
        relay.close()
    with relay_lock(target, "kafka_relay:locktest", wait=False):
        pass


def send(producer: Any, topic: str, key: bytes, value: bytes, headers: list[tuple[str, bytes]]) -> None:
    producer.send(topic, key=key, value=value, headers=headers)


def demo_records(
    ledger: Ledger, bootstrap: str, learners: int, candidates: int
) -> tuple[KafkaSettings, list[Any], Counter[bytes]]:
    """A recorded demo, fresh topics, the relay's records of it and their count per key."""
    record_demo(ledger, learners=learners, candidates=candidates)
    settings = fresh_settings(bootstrap)
    builder = RecordBuilder(ledger.store, settings)
    records = [builder.build(n) for n in iter_notifications(ledger.store)]
    return settings, records, Counter(r.key for r in records)


def version(record: Any) -> int:
    """The aggregate version a record carries (its ``ce_aggversion`` header)."""
    return int(dict(record.headers)["ce_aggversion"])


def publish(producer: Any, records: list[Any]) -> None:
    """Send records as they are, in order, and wait for the broker."""
    for r in records:
        send(producer, r.topic, r.key, r.value, r.headers)
    producer.flush()


def test_poison_records_and_gaps_are_parked_without_blocking_others(
    sqlite_ledger: Ledger, tmp_path: Path, bootstrap: str
) -> None:
    """Garbage, schema-invalid and gapped records go to the dead-letter topic; the rest applies once."""
    from kafka import KafkaProducer

    settings, records, per_key = demo_records(sqlite_ledger, bootstrap, learners=12, candidates=5)
    cert_holders = {c["learner_id"].encode() for c in ledger_certificates(sqlite_ledger.store)}
    early = {r.key for r in records[:20]}
    gapped = next(
        k for k, count in per_key.items() if count >= 3 and k not in cert_holders and k not in early
    )
    producer = KafkaProducer(bootstrap_servers=bootstrap, acks="all")
    topic = settings.event_topics[0]
    for r in records:
        if not (r.key == gapped and version(r) == 2):
            send(producer, r.topic, r.key, r.value, r.headers)
    for r in records[:20]:
        send(producer, r.topic, r.key, r.value, r.headers)  # duplicates
    send(producer, topic, b"junk", b"\xff not json", [("ce_specversion", b"1.0")])
    bad = list(records[0].headers)
    send(
        producer,
        topic,
        records[0].key,
        orjson.dumps({"subject_id": "nope"}),
        [(k, b"99" if k == "ce_aggversion" else v) for k, v in bad],
    )
    producer.flush()
    producer.close()

    runner = ConsumerRunner(CertificateRegistry(), str(tmp_path / "registry.db"), settings)
    counts = runner.run(threading.Event(), until_idle=2.0)
    assert counts.duplicates == 20
    assert counts.parked == per_key[gapped] - 2 + 2
    assert sum("gap in" in r for r in counts.reasons) == per_key[gapped] - 2
    assert any("missing CloudEvents header" in r for r in counts.reasons)
    assert any("does not match its schema" in r for r in counts.reasons)
    assert registry_rows(runner.db) == ledger_certificates(sqlite_ledger.store)
    runner.close()
    dead = read_all(settings, counts.parked, topics=(settings.dlq("registry"),))
    assert len(dead) == counts.parked
    assert all(dict(r.headers)["dlq_reason"] for r in dead)


def test_replaying_dead_letters_applies_what_can_apply_now(
    sqlite_ledger: Ledger, tmp_path: Path, bootstrap: str
) -> None:
    """A certificate holder's version 2 arrives late: its later records are parked as gaps;
    once version 2 is in, a replay applies them in order, and a second replay finds nothing."""
    from kafka import KafkaProducer

    settings, records, per_key = demo_records(sqlite_ledger, bootstrap, learners=12, candidates=5)
    holders = {c["learner_id"].encode() for c in ledger_certificates(sqlite_ledger.store)}
    late_key = next(k for k in per_key if k in holders and per_key[k] >= 3)
    late = next(r for r in records if r.key == late_key and version(r) == 2)
    producer = KafkaProducer(bootstrap_servers=bootstrap, acks="all")
    publish(producer, [r for r in records if r is not late])
    runner = ConsumerRunner(CertificateRegistry(), str(tmp_path / "registry.db"), settings)
    first = runner.run(threading.Event(), until_idle=2.0)  # the runner's running totals
    applied, parked = first.applied, first.parked
    assert parked == per_key[late_key] - 2
    assert registry_rows(runner.db) != ledger_certificates(sqlite_ledger.store)
    send(producer, late.topic, late.key, late.value, late.headers)
    producer.flush()
    producer.close()
    assert runner.run(threading.Event(), until_idle=2.0).applied == applied + 1
    replayed = runner.replay_dead_letters()
    assert (replayed.applied, replayed.duplicates, replayed.parked) == (per_key[late_key] - 2, 0, 0)
    assert registry_rows(runner.db) == ledger_certificates(sqlite_ledger.store)
    again = runner.replay_dead_letters()
    assert (again.applied, again.duplicates, again.parked) == (0, 0, 0)
    runner.close()


def test_a_replayed_record_that_still_fails_is_parked_again_and_the_replay_ends(
    sqlite_ledger: Ledger, tmp_path: Path, bootstrap: str
) -> None:
    """Records whose gap is still open go back to the dead-letter topic with their reason, and
    the replay stops at the end it saw when it started."""
    from kafka import KafkaProducer

    settings, records, per_key = demo_records(sqlite_ledger, bootstrap, learners=6, candidates=2)
    key = next(k for k in per_key if per_key[k] >= 3)
    producer = KafkaProducer(bootstrap_servers=bootstrap, acks="all")
    publish(producer, [r for r in records if not (r.key == key and version(r) == 2)])
    producer.close()
    runner = ConsumerRunner(CertificateRegistry(), str(tmp_path / "registry.db"), settings)
    parked = runner.run(threading.Event(), until_idle=2.0).parked
    assert parked == per_key[key] - 2
    replayed = runner.replay_dead_letters()
    assert (replayed.applied, replayed.parked) == (0, parked)
    assert all("gap in" in reason for reason in replayed.reasons)
    dead = read_all(settings, 2 * parked, topics=(settings.dlq("registry"),))
    assert len(dead) == 2 * parked
    assert {dict(r.headers)["dlq_topic"] for r in dead} == {settings.event_topics[0].encode()}
    runner.close()
