"""The crash-safe Kafka relay: every stored event, in global order, as a CloudEvent.

Built on :mod:`ledger.adapters.follower`. The relay **streams**: it reads the log from its
position, maps each event to a record, and sends it (kafka-python buffers, compresses and
batches per partition: ``acks=all``, idempotence, zstd, :func:`consumers.topics.producer_config`).
As acknowledgements come back in order, the position of the last event whose record and every
earlier one were acknowledged is recorded, in its own short transaction, at most every
:data:`POSITION_INTERVAL` seconds and at the end of each catch-up. Publishing happens outside
any transaction, so a slow or absent broker never holds a SQLite write lock: the ledger keeps
accepting decisions while the relay backs off (exponential, capped) and resumes. A catch-up
far behind the head reads and maps the log in a second process (:mod:`consumers.readahead`),
so reading and sending use two cores.

At-least-once, with almost no duplicates: a crash after the broker acknowledged but before the
position was recorded would re-send those records; so every producer session first reads the
**tail** of each partition (its last record's ``ce_ledgerposition``) and skips the events past
the recorded position that already sit there. The idempotent producer keeps each partition in
send order without gaps, so an event at or before a partition's tail position is on it.
Consumers still drop duplicates by ``ce_id`` = ``<aggregate id>/<version>`` (stable across
re-sends): a record acknowledged by the broker after the tails were read is sent twice.

At most one relay runs per store and prefix: a PostgreSQL session advisory lock, or on
SQLite an exclusive ``flock`` on ``<db file>.relay.lock`` beside the database. Both are
released by the operating system or the server when the process dies (even on SIGKILL).

Records (CloudEvents 1.0, Kafka binary content mode): value = the wire message (JSON);
headers ``content-type: application/json``, ``ce_specversion``, ``ce_id``, ``ce_source``
(``urn:ledger:<origin>``), ``ce_type``, ``ce_subject`` (the aggregate id), ``ce_time`` (the
recorded time, RFC 3339), ``ce_dataschema`` (the schema's URL, its ``$id``), and the
extensions ``ce_ledgerposition`` (zero-based global position) and ``ce_aggversion``;
key = the aggregate id, partition = murmur2(key) as kafka-python's default partitioner.
"""

from __future__ import annotations

import fcntl
import gc
import hashlib
import os
import threading
import time
from collections import deque
from collections.abc import Generator, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import structlog
from eventsourcing.persistence import Notification

from consumers import readahead
from consumers.errors import PublishFailed, RelayBusy
from consumers.records import Record, RecordBuilder, rfc3339
from consumers.topics import KafkaSettings, close_producer, producer_config
from ledger.adapters.follower import Db, Follower
from ledger.adapters.store import EventStoreApp, StoreTarget

log = structlog.get_logger("consumers.relay")

__all__ = ["Record", "RecordBuilder", "Relay", "RelayBusy", "RelayFollower", "RelayHandler", "rfc3339"]


POSITION_INTERVAL = 0.2
"""Seconds between two position records while a catch-up streams (and always at its end)."""
COLLECT_EVERY = 100_000
"""Records sent between two garbage collections during a catch-up (the collector is paused)."""
MAX_PENDING = 50_000
"""Records sent but not yet acknowledged before the relay waits for the oldest one."""
PARTITION_CACHE = 10_000
"""Aggregates whose partition a session remembers (cleared when full): an aggregate's events lie
close together in the log, so a small cache hits nearly as often as one holding every
aggregate, whose memory grew with the store (~250 bytes per aggregate: +14 MB of peak RSS
from the 1/4 to the full national run, at 200,000)."""


class RelayHandler:
    """A :class:`ledger.adapters.follower.BatchHandler` whose batches go to Kafka."""

    def __init__(
        self,
        store: EventStoreApp | None,
        settings: KafkaSettings,
        linger_ms: int | None = None,
        batch_size: int | None = None,
        **producer: Any,
    ) -> None:
        self.name = f"kafka_relay:{settings.prefix}"
        self.store = store
        self.settings = settings
        self.builder = RecordBuilder(store, settings)
        self.config = producer_config(settings, linger_ms, batch_size, **producer)
        self.session: Session | None = None
        self.published = 0
        self.skipped = 0

    def event_id_at(self, position: int) -> bytes | None:
        """The ``ce_id`` of the stored event at zero-based ``position`` (None if absent)."""
        if self.store is None:
            return None
        found = self.store.recorder.select_notifications(position + 1, 1)
        if not found or found[0].id != position + 1:
            return None
        return f"{found[0].originator_id}/{found[0].originator_version}".encode()

    @property
    def producer(self) -> Any:
        """The current session's kafka-python producer (None between sessions)."""
        return self.session.producer if self.session is not None else None

    def setup(self, db: Db) -> None:
        """Nothing to create: the relay's only state is its follower position."""

    def reset(self, db: Db) -> None:
        """Nothing to forget (events already on a partition's tail are not sent again)."""

    def apply(self, db: Db, batch: Sequence[Notification]) -> None:
        """Publish the batch and wait for every acknowledgement (a plain :class:`Follower`)."""
        self.publish(batch)

    def publish(self, batch: Sequence[Notification]) -> None:
        """Send every record of ``batch``, flush, check every future (PublishFailed otherwise)."""
        session = self.open_session(0)
        for n in batch:
            session.send(n.id, self.builder.build(n))
        session.drain(wait=True)

    def open_session(self, position: int) -> Session:
        """The producer session (made on demand: producer, partitions, the partitions' tails)."""
        if self.session is None:
            self.session = Session(self, position)
        return self.session

    def drop_producer(self) -> None:
        """End the session at once (the next one has a new producer id and reads the tails again)."""
        session, self.session = self.session, None
        if session is not None:
            close_producer(session.producer)


class Session:
    """One producer and what it knows: partition counts, the tails it must not re-send, pending sends."""

    def __init__(self, handler: RelayHandler, position: int) -> None:
        from kafka import KafkaProducer

        self.handler = handler
        self.position = position
        try:
            self.producer: Any = KafkaProducer(**handler.config)
            topics = handler.settings.event_topics
            self.partitions = {t: sorted(self.producer.partitions_for(t)) for t in topics}
            self.tails = self._trusted(published_tails(handler.settings, self.partitions))
        except Exception as exc:
            if getattr(self, "producer", None) is not None:
                close_producer(self.producer)
            raise PublishFailed(f"{type(exc).__name__}: {exc}") from exc
        self.by_key: dict[tuple[str, bytes], int] = {}
        self.pending: deque[tuple[int, Any]] = deque()
        self.acked = position

    def _trusted(self, tails: dict[tuple[str, int], tuple[int, bytes]]) -> dict[tuple[str, int], int]:
        """The tails whose record is the stored event at that position (same ``ce_id``).

        A mismatch (a store restored without its last events, then new ones recorded at the
        same positions; another store on the same topics) makes the tail untrusted: nothing
        of that partition is skipped, so nothing can be lost.
        """
        trusted: dict[tuple[str, int], int] = {}
        for where, (position, ident) in tails.items():
            stored = self.handler.event_id_at(position)
            if stored == ident:
                trusted[where] = position
            else:
                log.warning("relay.tail_not_trusted", topic=where[0], partition=where[1], position=position)
        log.info("relay.tails_read", partitions=len(tails), trusted=len(trusted))
        return trusted

    def partition(self, topic: str, key: bytes) -> int:
        """The partition of ``key`` (murmur2, as kafka-python's default partitioner), cached."""
        found = self.by_key.get((topic, key))
        if found is None:
            from kafka.partitioner.default import murmur2

            parts = self.partitions[topic]
            found = parts[(murmur2(key) & 0x7FFFFFFF) % len(parts)]
            if len(self.by_key) >= PARTITION_CACHE:
                self.by_key.clear()
            self.by_key[(topic, key)] = found
        return found

    def send(self, notification_id: int, record: Record) -> None:
        """Send one record (skipped if its partition's tail already holds it)."""
        partition = self.partition(record.topic, record.key)
        tail = self.tails.get((record.topic, partition))
        if tail is not None and notification_id - 1 <= tail and notification_id > self.position:
            self.handler.skipped += 1
            self.pending.append((notification_id, None))
            return
        try:
            future = self.producer.send(
                record.topic, value=record.value, key=record.key, headers=record.headers, partition=partition
            )
        except Exception as exc:
            raise PublishFailed(f"{type(exc).__name__}: {exc}") from exc
        self.pending.append((notification_id, future))
        if len(self.pending) > MAX_PENDING:
            self._wait_oldest()

    def _wait_oldest(self) -> None:
        _, future = self.pending[0]
        if future is not None:
            try:
                future.get(timeout=self.handler.config["delivery_timeout_ms"] / 1000)
            except Exception as exc:
                raise PublishFailed(f"{type(exc).__name__}: {exc}") from exc
        self.drain(wait=False)

    def drain(self, wait: bool) -> int:
        """Harvest acknowledged sends in order; the last acknowledged id (PublishFailed on a failure).

        With ``wait``, flush first: every pending send is acknowledged or failed on return.
        """
        if wait and self.pending:
            try:
                self.producer.flush(timeout=self.handler.config["delivery_timeout_ms"] / 1000)
            except Exception as exc:
                raise PublishFailed(f"{type(exc).__name__}: {exc}") from exc
        pending = self.pending
        while pending:
            notification_id, future = pending[0]
            if future is not None:
                if not future.is_done:
                    break
                if future.failed():
                    error = future.exception
                    raise PublishFailed(f"{type(error).__name__}: {error}")
                self.handler.published += 1
            pending.popleft()
            self.acked = notification_id
        return self.acked


def published_tails(
    settings: KafkaSettings, partitions: dict[str, list[int]], timeout_s: float = 10.0
) -> dict[tuple[str, int], tuple[int, bytes]]:
    """The ``ce_ledgerposition`` and ``ce_id`` of the last record of each non-empty partition.

    Read up to the high watermark (replicated records only). A partition whose tail cannot be
    read in time, or whose last record carries no valid position, is left out: its events
    are re-sent (a duplicate, never a loss).
    """
    from kafka import KafkaConsumer, TopicPartition

    consumer = KafkaConsumer(
        bootstrap_servers=settings.bootstrap,
        group_id=None,
        enable_auto_commit=False,
        client_id="ledger-relay-tails",
        request_timeout_ms=int(timeout_s * 1000) + 1000,
        allow_auto_create_topics=False,
    )
    tails: dict[tuple[str, int], tuple[int, bytes]] = {}
    seen: set[Any] = set()
    try:
        parts = [TopicPartition(t, p) for t, ps in partitions.items() for p in ps]
        ends = consumer.end_offsets(parts)
        filled = [tp for tp in parts if ends.get(tp)]
        consumer.assign(filled)
        for tp in filled:
            consumer.seek(tp, ends[tp] - 1)
        deadline = time.monotonic() + timeout_s
        while len(seen) < len(filled) and time.monotonic() < deadline:
            for tp, records in consumer.poll(timeout_ms=200).items():
                for r in records:
                    if r.offset != ends[tp] - 1:
                        continue
                    seen.add(tp)
                    headers = dict(r.headers or [])
                    position, ident = headers.get("ce_ledgerposition", b""), headers.get("ce_id")
                    if position.isdigit() and ident:
                        tails[(tp.topic, tp.partition)] = (int(position), ident)
    finally:
        consumer.close(autocommit=False)
    return tails


class RelayFollower(Follower):
    """A follower that streams records to Kafka and records the acknowledged position as it goes."""

    handler: RelayHandler

    def step(self) -> int:
        """Publish at most one batch (every record acknowledged), then record the position."""
        return self.catch_up(until=self.position() + self.batch_size)

    def catch_up(self, until: int | None = None, stop: threading.Event | None = None) -> int:
        """Stream every event up to the head (or ``until``); returns how many were published.

        Positions are recorded as acknowledgements arrive; a failure records what was
        acknowledged before raising :class:`PublishFailed`. ``stop`` ends the catch-up early
        (what was sent is flushed and recorded).
        """
        start = self.position() + 1
        head = self.store.recorder.max_notification_id() or 0
        last = head if until is None else min(until, head)
        if last < start:
            return 0
        reader, session = self._open(start, last)
        before = session.acked = start - 1
        batches = self._read_ahead(reader) if reader is not None else self._batches(start, last)
        collecting = gc.isenabled()
        gc.disable()  # kafka-python allocates several objects per record: collected in bulk
        try:
            recorded = self._stream(session, batches, before, stop)
        except PublishFailed:
            self._record_acked(session.acked, self.position())
            self.handler.drop_producer()
            raise
        finally:
            batches.close()
            if reader is not None:
                reader.close()  # also when the batches were never started
            if collecting:
                gc.enable()
        log.debug("relay.published", upto=recorded - 1, count=recorded - before)
        return recorded - before

    def _open(self, start: int, last: int) -> tuple[readahead.RelayReadAhead | None, Session]:
        """The read-ahead process if far behind (started first, it warms up), then the session."""
        reader = None
        if last - start + 1 >= readahead.MIN_LAG:
            reader = readahead.RelayReadAhead(
                self.db.target, self.handler.settings, start, last, self.batch_size
            )
        try:
            return reader, self.handler.open_session(start - 1)
        except BaseException:
            if reader is not None:
                reader.close()
            raise

    def _stream(
        self,
        session: Session,
        batches: Iterator[list[tuple[int, Record]]],
        recorded: int,
        stop: threading.Event | None,
    ) -> int:
        """Send every batch, record the acknowledged position as it moves; the last recorded."""
        stamp, since_collect = time.monotonic(), 0
        for batch in batches:
            for notification_id, record in batch:
                session.send(notification_id, record)
            since_collect += len(batch)
            if since_collect >= COLLECT_EVERY:
                gc.collect()
                since_collect = 0
            if time.monotonic() - stamp >= POSITION_INTERVAL:
                recorded, stamp = self._record_acked(session.drain(wait=False), recorded), time.monotonic()
            if stop is not None and stop.is_set():
                break
        return self._record_acked(session.drain(wait=True), recorded)

    @staticmethod
    def _read_ahead(reader: readahead.RelayReadAhead) -> Generator[list[tuple[int, Record]]]:
        """The child's batches as records (the child is stopped when this ends)."""
        try:
            for built in reader:
                yield [(i, Record(t, k, v, h)) for i, t, k, v, h in built]
        finally:
            reader.close()

    def _batches(self, start: int, last: int) -> Generator[list[tuple[int, Record]]]:
        """Records to send, batch by batch, read and built in this process."""
        build = self.handler.builder.build
        while start <= last:
            batch = self.store.recorder.select_notifications(start, min(self.batch_size, last - start + 1))
            if not batch:
                return
            yield [(n.id, build(n)) for n in batch]
            start = batch[-1].id + 1

    def _record_acked(self, acked: int, recorded: int) -> int:
        """Record ``acked`` if it moved past ``recorded``; returns the recorded position."""
        if acked <= recorded:
            return recorded
        with self.db.transaction() as db:
            self._record(db, acked)
        return acked


@contextmanager
def relay_lock(
    target: StoreTarget, name: str, wait: bool = True, poll: float = 1.0, stop: threading.Event | None = None
) -> Iterator[None]:
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
    key = int.from_bytes(hashlib.sha256(f"{target.schema}:{name}".encode()).digest()[:8], "big", signed=True)
    try:
        _acquire(
            lambda: bool(conn.execute("SELECT pg_try_advisory_lock(%s)", (key,)).fetchone()[0]),
            name,
            wait,
            poll,
            stop,
        )
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

    def __init__(
        self,
        store: EventStoreApp,
        target: StoreTarget,
        settings: KafkaSettings,
        batch_size: int = 2000,
        linger_ms: int | None = None,
        backoff: Backoff | None = None,
    ) -> None:
        self.target = target
        self.handler = RelayHandler(store, settings, linger_ms=linger_ms)
        self.follower = RelayFollower(store, target, self.handler, batch_size=batch_size)
        self.backoff = backoff or Backoff()

    def run(
        self, stop: threading.Event, once: bool = False, wait_lock: bool = True, poll: float = 0.2
    ) -> int:
        """Publish until stopped (or, with ``once``, until caught up); returns events published."""
        with relay_lock(self.target, self.handler.name, wait=wait_lock, stop=stop):
            log.info("relay.started", relay=self.handler.name, position=self.follower.position())
            while not stop.is_set():
                if not self._attempt(stop) and once:
                    break
                if not once:
                    stop.wait(poll)
        log.info(
            "relay.stopped",
            relay=self.handler.name,
            published=self.handler.published,
            skipped=self.handler.skipped,
        )
        return self.handler.published

    def _attempt(self, stop: threading.Event) -> bool:
        """Catch up; True if there may be more to do (an error happened), False when idle."""
        try:
            self.follower.catch_up(stop=stop)
        except PublishFailed as exc:
            delay = self.backoff.next_delay()
            log.warning(
                "relay.broker_unavailable",
                error=str(exc)[:200],
                retry_in=delay,
                failures=self.backoff.failures,
            )
            stop.wait(delay)
            return True
        self.backoff.reset()
        return False

    def close(self) -> None:
        """Close the producer and the follower's connection."""
        self.handler.drop_producer()
        self.follower.close()
