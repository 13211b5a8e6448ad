"""The crash-safe Kafka relay: every stored event, in global order, as a CloudEvent.

Built on :mod:`ledger.adapters.follower`. Each batch is **published first** (every record sent,
the producer flushed, every future checked: ``acks=all`` with idempotence), and only then is
the follower position recorded, in its own short transaction. A crash between the two
re-sends the batch on restart: at-least-once, and consumers drop the duplicates by
``ce_id`` = ``<aggregate id>/<version>`` (stable across re-sends). Publishing happens outside
the position transaction so a slow or absent broker never holds a SQLite write lock: the
ledger keeps accepting decisions while the relay backs off (exponential, capped) and resumes.

At most one relay runs per store and prefix: a PostgreSQL session advisory lock, or on
SQLite an exclusive ``flock`` on ``<db file>.relay.lock`` beside the database. Both are
released by the operating system or the server when the process dies (even on SIGKILL).

Records (CloudEvents 1.0, Kafka binary content mode): value = the wire message (JSON);
headers ``content-type: application/json``, ``ce_specversion``, ``ce_id``, ``ce_source``
(``urn:ledger:<origin>``), ``ce_type``, ``ce_subject`` (the aggregate id), ``ce_time`` (the
recorded time, RFC 3339), ``ce_dataschema``, and the extensions ``ce_ledgerposition``
(zero-based global position) and ``ce_aggversion``; key = the aggregate id.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import orjson
import structlog
from eventsourcing.persistence import Notification
from eventsourcing.utils import resolve_topic

from consumers.contract import Contract
from consumers.errors import PublishFailed, RelayBusy
from consumers.topics import KafkaSettings, producer_config
from ledger.adapters.follower import Db, Follower
from ledger.adapters.store import EventStoreApp, StoreTarget, upcast

log = structlog.get_logger("consumers.relay")


@dataclass(frozen=True, slots=True)
class Record:
    """One Kafka record ready to send."""

    topic: str
    key: bytes
    value: bytes
    headers: list[tuple[str, bytes]]


def rfc3339(stamp: str) -> str:
    """A stored ISO timestamp in RFC 3339, UTC, ``Z`` (the stored form is usually UTC already)."""
    if stamp.endswith("+00:00"):
        return stamp[:-6] + "Z"
    moment = datetime.fromisoformat(stamp)
    if moment.tzinfo is None:
        raise ValueError(f"naive timestamp in the store: {stamp}")
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


class RecordBuilder:
    """Stored notification → CloudEvents Kafka record (via the wire contract)."""

    def __init__(self, store: EventStoreApp, settings: KafkaSettings,
                 contract: Contract | None = None) -> None:
        self.settings = settings
        self.contract = contract or Contract()
        self.source = settings.source.encode()

    def build(self, n: Notification) -> Record:
        """The record of one stored event (ContractError if it has no wire mapping)."""
        state = orjson.loads(n.state)
        upcast(resolve_topic(n.topic), state)
        subject = str(n.originator_id)
        spec, value = self.contract.to_document(n.topic, subject, n.originator_version, state)
        key = subject.encode()
        headers = [
            ("content-type", b"application/json"),
            ("ce_specversion", b"1.0"),
            ("ce_id", b"%s/%d" % (key, n.originator_version)),
            ("ce_source", self.source),
            ("ce_type", spec.type.encode()),
            ("ce_subject", key),
            ("ce_time", rfc3339(state["timestamp"]).encode()),
            ("ce_dataschema", spec.dataschema.encode()),
            ("ce_ledgerposition", b"%d" % (n.id - 1)),
            ("ce_aggversion", b"%d" % n.originator_version),
        ]
        return Record(self.settings.topic_for(spec.regime), key, value, headers)


class RelayHandler:
    """A :class:`ledger.adapters.follower.BatchHandler` that publishes each batch to Kafka."""

    def __init__(self, store: EventStoreApp, settings: KafkaSettings,
                 linger_ms: int = 5, batch_size: int = 131072) -> None:
        self.name = f"kafka_relay:{settings.prefix}"
        self.settings = settings
        self.builder = RecordBuilder(store, settings)
        self.config = producer_config(settings, linger_ms, batch_size)
        self.producer: Any = None
        self.published = 0

    def setup(self, db: Db) -> None:
        """Nothing to create: the relay's only state is its follower position."""

    def reset(self, db: Db) -> None:
        """Nothing to forget (a rebuild re-publishes everything; consumers drop duplicates)."""

    def apply(self, db: Db, batch: Sequence[Notification]) -> None:
        """Publish the batch (when driven by a plain :class:`Follower`)."""
        self.publish(batch)

    def publish(self, batch: Sequence[Notification]) -> None:
        """Send every record, flush, check every future; PublishFailed if any was not acked."""
        records = [self.builder.build(n) for n in batch]
        try:
            producer = self._producer()
            futures = [producer.send(r.topic, value=r.value, key=r.key, headers=r.headers)
                       for r in records]
            producer.flush(timeout=self.config["delivery_timeout_ms"] / 1000)
            for future in futures:
                future.get(timeout=0)
        except Exception as exc:
            self.drop_producer()
            raise PublishFailed(f"{type(exc).__name__}: {exc}") from exc
        self.published += len(records)

    def _producer(self) -> Any:
        if self.producer is None:
            from kafka import KafkaProducer

            self.producer = KafkaProducer(**self.config)
        return self.producer

    def drop_producer(self) -> None:
        """Close the producer at once (a new one, with a new producer id, is made on demand)."""
        if self.producer is not None:
            try:
                self.producer.close(timeout=0)
            except Exception as exc:  # closing a failed producer must not hide the first error
                log.debug("relay.producer_close_failed", error=type(exc).__name__)
            self.producer = None


class RelayFollower(Follower):
    """A follower that publishes a batch first, then records its position in a short transaction."""

    handler: RelayHandler

    def step(self) -> int:
        """Publish at most one batch, then move the position; returns how many were published."""
        start = self.position() + 1
        batch = self.store.recorder.select_notifications(start, self.batch_size)
        if not batch:
            return 0
        self.handler.publish(batch)
        with self.db.transaction() as db:
            if self._moved(db, start):
                return 0
            self._record(db, batch[-1].id)
        log.debug("relay.published", upto=batch[-1].id - 1, count=len(batch))
        return len(batch)


@contextmanager
def relay_lock(target: StoreTarget, name: str, wait: bool = True, poll: float = 1.0,
               stop: threading.Event | None = None) -> Iterator[None]:
    """Hold the single-relay lock (advisory lock on PostgreSQL, flock beside a SQLite file)."""
    if target.kind == "sqlite":
        assert target.sqlite_path is not None
        path = f"{target.sqlite_path}.relay.lock"
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            _acquire(lambda: _try_flock(fd), name, wait, poll, stop)
            yield
        finally:
            os.close(fd)
        return
    conn = target.connect()
    key = int.from_bytes(hashlib.sha256(f"{target.schema}:{name}".encode()).digest()[:8], "big",
                         signed=True)
    try:
        _acquire(lambda: bool(conn.execute("SELECT pg_try_advisory_lock(%s)", (key,)).fetchone()[0]),
                 name, wait, poll, stop)
        yield
    finally:
        conn.close()


def _try_flock(fd: int) -> bool:
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    return True


def _acquire(attempt: Any, name: str, wait: bool, poll: float, stop: threading.Event | None) -> None:
    announced = False
    while not attempt():
        if not wait:
            raise RelayBusy(f"another relay is running for {name} (it holds the relay lock)")
        if not announced:
            log.info("relay.waiting_for_lock", relay=name)
            announced = True
        if stop is not None and stop.wait(poll):
            raise RelayBusy("stopped while waiting for the relay lock")
        if stop is None:
            time.sleep(poll)


@dataclass
class Backoff:
    """Exponential back-off, capped: 0.5 s, 1 s, 2 s, … up to ``cap`` seconds."""

    base: float = 0.5
    cap: float = 15.0
    failures: int = 0

    def next_delay(self) -> float:
        """Count a failure and return the delay before the next attempt."""
        self.failures += 1
        return float(min(self.cap, self.base * 2 ** (self.failures - 1)))

    def reset(self) -> None:
        """Forget failures after a success."""
        self.failures = 0


class Relay:
    """The relay process: lock, catch up, follow live, back off while the broker is away."""

    def __init__(self, store: EventStoreApp, target: StoreTarget, settings: KafkaSettings,
                 batch_size: int = 1000, linger_ms: int = 5, backoff: Backoff | None = None) -> None:
        self.target = target
        self.handler = RelayHandler(store, settings, linger_ms=linger_ms)
        self.follower = RelayFollower(store, target, self.handler, batch_size=batch_size)
        self.backoff = backoff or Backoff()

    def run(self, stop: threading.Event, once: bool = False, wait_lock: bool = True,
            poll: float = 0.2) -> int:
        """Publish until stopped (or, with ``once``, until caught up); returns events published."""
        with relay_lock(self.target, self.handler.name, wait=wait_lock, stop=stop):
            log.info("relay.started", relay=self.handler.name, position=self.follower.position())
            while not stop.is_set():
                if not self._attempt(stop) and once:
                    break
                if not once:
                    stop.wait(poll)
        log.info("relay.stopped", relay=self.handler.name, published=self.handler.published)
        return self.handler.published

    def _attempt(self, stop: threading.Event) -> bool:
        """Catch up; True if there may be more to do (an error happened), False when idle."""
        try:
            self.follower.catch_up()
        except PublishFailed as exc:
            delay = self.backoff.next_delay()
            log.warning("relay.broker_unavailable", error=str(exc)[:200], retry_in=delay,
                        failures=self.backoff.failures)
            stop.wait(delay)
            return True
        self.backoff.reset()
        return False

    def close(self) -> None:
        """Close the producer and the follower's connection."""
        self.handler.drop_producer()
        self.follower.close()
