"""A small reusable consumer runner: CloudEvents from Kafka into a handler's own database.

For each polled batch: one database transaction holds the handler's writes, the per-
aggregate version table and the counters; poison records are parked on the consumer's
dead-letter topic (flushed and acknowledged) inside that scope; then the transaction
commits, and only then are the Kafka offsets committed (``enable_auto_commit=False``).
A crash anywhere re-delivers records, which are recognised as duplicates.

Per aggregate (the record key), the runner keeps the last applied ``aggversion``:
``<= last`` is a duplicate (dropped, counted), ``last + 1`` is applied, ``> last + 1`` is a
**gap**, parked with its reason. Unparseable records, records without the CloudEvents
headers, unknown types and schema-invalid data are parked too. A parked record never blocks
other aggregates; after a gap an aggregate's later records are parked as well (nothing is
applied out of order), until an operator replays the dead letters
(:meth:`ConsumerRunner.replay_dead_letters`, ``ledger consume NAME --replay-dead-letters``).

Dead-letter records keep key, value and headers, plus ``dlq_reason``, ``dlq_topic``,
``dlq_partition`` and ``dlq_offset``.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

import orjson
import structlog

from consumers.contract import Contract, Message
from consumers.errors import ContractError, Poison
from consumers.topics import KafkaSettings, close_producer
from ledger.adapters.follower import Db
from ledger.adapters.migrations import create_tables, migrate
from ledger.adapters.store import StoreTarget

log = structlog.get_logger("consumers.runner")

RUNNER_DDL = (
    "CREATE TABLE IF NOT EXISTS consumer_versions (consumer TEXT NOT NULL, aggregate_id TEXT NOT NULL,"
    " version BIGINT NOT NULL, PRIMARY KEY (consumer, aggregate_id))",
    "CREATE TABLE IF NOT EXISTS consumer_counters (consumer TEXT NOT NULL, counter TEXT NOT NULL,"
    " value BIGINT NOT NULL, PRIMARY KEY (consumer, counter))",
)
MIGRATIONS = (
    (1, "consumer versions and counters as the first release wrote them", create_tables(*RUNNER_DDL)),
)
"""The ``consumers`` migration chain (:mod:`ledger.adapters.migrations`), run when a runner starts."""
REQUIRED = ("ce_specversion", "ce_id", "ce_source", "ce_type", "ce_subject", "ce_aggversion")


@dataclass(frozen=True)
class Envelope:
    """A received CloudEvent: its attributes and its validated message."""

    id: str
    type: str
    subject: str
    time: str
    position: int
    version: int
    message: Message


class EventHandler(Protocol):
    """What a consumer implements: its tables and how one message changes them."""

    name: str

    def setup(self, db: Db) -> None:
        """Create the handler's tables (idempotent), inside a transaction."""

    def handle(self, db: Db, event: Envelope) -> None:
        """Apply one message inside the batch transaction."""

    def tick(self, db: Db) -> None:
        """Time-driven work after each poll (deadlines), inside a transaction."""


@dataclass
class Counts:
    """What a run did."""

    applied: int = 0
    duplicates: int = 0
    parked: int = 0
    reasons: list[str] = field(default_factory=list)


def decode(record: Any, contract: Contract) -> Envelope:
    """Check the CloudEvents headers and the data against the contract (Poison if invalid)."""
    headers = {k: v for k, v in (record.headers or [])}
    missing = [h for h in REQUIRED if h not in headers]
    if missing:
        raise Poison(f"missing CloudEvents header(s): {', '.join(missing)}")
    try:
        attrs = {k: v.decode() for k, v in headers.items()}
        version = int(attrs["ce_aggversion"])
        position = int(attrs.get("ce_ledgerposition", "-1"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise Poison(f"malformed header: {exc}") from None
    if attrs["ce_specversion"] != "1.0":
        raise Poison(f"unsupported specversion {attrs['ce_specversion']!r}")
    try:
        message = contract.parse(attrs["ce_type"], record.value or b"")
    except ContractError as exc:
        raise Poison(str(exc)) from None
    if str(message.subject_id) != attrs["ce_subject"] or message.aggregate_version != version:
        raise Poison("data does not match ce_subject/ce_aggversion")
    return Envelope(
        attrs["ce_id"],
        attrs["ce_type"],
        attrs["ce_subject"],
        attrs.get("ce_time", ""),
        position,
        version,
        message,
    )


class ConsumerRunner:
    """Feeds one :class:`EventHandler` from the event topics, exactly once in effect."""

    def __init__(
        self,
        handler: EventHandler,
        db_location: str,
        settings: KafkaSettings,
        group: str | None = None,
        contract: Contract | None = None,
        max_records: int = 500,
    ) -> None:
        self.handler = handler
        self.settings = settings
        self.contract = contract or Contract()
        self.db = Db(StoreTarget.parse(db_location))
        self.group = group or f"{settings.prefix}.{handler.name}"
        self.max_records = max_records
        self.dlq_topic = settings.dlq(handler.name)
        self.counts = Counts()
        migrate(self.db.conn, self.db.p, "consumers", MIGRATIONS)
        with self.db.transaction() as db:
            for ddl in RUNNER_DDL:
                db.execute(ddl)
            handler.setup(db)
        self.consumer: Any = None
        self.producer: Any = None

    def _clients(self) -> tuple[Any, Any]:
        if self.consumer is None:
            from kafka import KafkaConsumer, KafkaProducer

            self.consumer = KafkaConsumer(
                *self.settings.event_topics,
                bootstrap_servers=self.settings.bootstrap,
                group_id=self.group,
                client_id=f"ledger-{self.handler.name}",
                enable_auto_commit=False,
                auto_offset_reset="earliest",
                max_poll_records=self.max_records,
                allow_auto_create_topics=False,
            )
            self.producer = KafkaProducer(
                bootstrap_servers=self.settings.bootstrap,
                acks="all",
                enable_idempotence=True,
                allow_auto_create_topics=False,
                max_block_ms=10_000,
            )
        return self.consumer, self.producer

    def poll_once(self, timeout_ms: int = 1000) -> int:
        """Poll one batch, apply it in one transaction, then commit offsets; returns records seen."""
        consumer, _ = self._clients()
        polled = consumer.poll(timeout_ms=timeout_ms)
        records = [
            r for part in sorted(polled, key=lambda tp: (tp.topic, tp.partition)) for r in polled[part]
        ]
        with self.db.transaction() as db:
            if records:
                self._apply(db, records)
            self.handler.tick(db)
        if records:
            consumer.commit()
        return len(records)

    def run(self, stop: threading.Event, until_idle: float | None = None) -> Counts:
        """Consume until stopped, or until no record arrived for ``until_idle`` seconds."""
        idle = 0.0
        while not stop.is_set():
            seen = self.poll_once(timeout_ms=500)
            idle = 0.0 if seen else idle + 0.5
            if until_idle is not None and idle >= until_idle:
                break
        log.info(
            "consumer.stopped",
            consumer=self.handler.name,
            applied=self.counts.applied,
            duplicates=self.counts.duplicates,
            parked=self.counts.parked,
        )
        return self.counts

    def _apply(self, db: Db, records: Sequence[Any]) -> None:
        parked: list[tuple[Any, str]] = []
        delta = Counts()
        for record in records:
            try:
                event = decode(record, self.contract)
                self._apply_one(db, record, event, delta)
            except Poison as exc:
                parked.append((record, str(exc)))
        if parked:
            self._park(parked)
            delta.parked += len(parked)
            delta.reasons.extend(reason for _, reason in parked)
        self._bump(db, delta)
        self.counts.applied += delta.applied
        self.counts.duplicates += delta.duplicates
        self.counts.parked += delta.parked
        self.counts.reasons.extend(delta.reasons)

    def _apply_one(self, db: Db, record: Any, event: Envelope, delta: Counts) -> None:
        row = db.execute(
            "SELECT version FROM consumer_versions WHERE consumer = ? AND aggregate_id = ?",
            (self.handler.name, event.subject),
        ).fetchone()
        last = int(row[0]) if row else 0
        if event.version <= last:
            delta.duplicates += 1
            return
        if event.version != last + 1:
            raise Poison(f"gap in {event.subject}: expected version {last + 1}, got {event.version}")
        self.handler.handle(db, event)
        if row:
            db.execute(
                "UPDATE consumer_versions SET version = ? WHERE consumer = ? AND aggregate_id = ?",
                (event.version, self.handler.name, event.subject),
            )
        else:
            db.execute(
                "INSERT INTO consumer_versions (consumer, aggregate_id, version) VALUES (?, ?, ?)",
                (self.handler.name, event.subject, event.version),
            )
        delta.applied += 1

    def _park(self, parked: Sequence[tuple[Any, str]]) -> None:
        """Send poison records to the dead-letter topic and wait for the broker's ack."""
        _, producer = self._clients()
        futures = []
        for record, reason in parked:
            headers = [
                *(record.headers or []),
                ("dlq_reason", reason.encode()),
                ("dlq_topic", record.topic.encode()),
                ("dlq_partition", str(record.partition).encode()),
                ("dlq_offset", str(record.offset).encode()),
            ]
            futures.append(producer.send(self.dlq_topic, value=record.value, key=record.key, headers=headers))
            log.warning(
                "consumer.parked",
                consumer=self.handler.name,
                topic=record.topic,
                partition=record.partition,
                offset=record.offset,
                reason=reason[:200],
            )
        producer.flush(timeout=30)
        for future in futures:
            future.get(timeout=0)

    def _bump(self, db: Db, delta: Counts) -> None:
        for counter in ("applied", "duplicates", "parked"):
            value = getattr(delta, counter)
            if not value:
                continue
            updated = db.execute(
                "UPDATE consumer_counters SET value = value + ? WHERE consumer = ? AND counter = ?",
                (value, self.handler.name, counter),
            )
            if not updated.rowcount:
                db.execute(
                    "INSERT INTO consumer_counters (consumer, counter, value) VALUES (?, ?, ?)",
                    (self.handler.name, counter, value),
                )

    def counters(self) -> dict[str, int]:
        """The durable counters (applied, duplicates, parked) across every run."""
        rows = self.db.execute(
            "SELECT counter, value FROM consumer_counters WHERE consumer = ?", (self.handler.name,)
        ).fetchall()
        return {str(name): int(value) for name, value in rows}

    def replay_dead_letters(self, idle_polls: int = 10) -> Counts:
        """Apply the parked records again, oldest first: what applies now is applied.

        Reads the dead-letter topic up to its end as it stands when the replay starts (group
        ``<group>.replay``), each record as it was first received (its ``dlq_*`` headers
        removed). Duplicates are dropped, records whose turn has come (a gap since filled, a
        contract since upgraded) are applied, and those still failing are parked again with
        their new reason, past that end, so a replay always ends and the next one retries them.
        Offsets are committed after each batch's database transaction.
        """
        from kafka import KafkaConsumer, TopicPartition

        replay = KafkaConsumer(
            bootstrap_servers=self.settings.bootstrap,
            group_id=f"{self.group}.replay",
            enable_auto_commit=False,
            auto_offset_reset="earliest",
            allow_auto_create_topics=False,
            max_poll_records=self.max_records,
        )
        before = Counts(
            self.counts.applied, self.counts.duplicates, self.counts.parked, list(self.counts.reasons)
        )
        try:
            parts = [
                TopicPartition(self.dlq_topic, p)
                for p in sorted(replay.partitions_for_topic(self.dlq_topic) or ())
            ]
            replay.assign(parts)
            end = replay.end_offsets(parts)
            empty = 0
            while empty < idle_polls and any(replay.position(tp) < end[tp] for tp in parts):
                polled = replay.poll(timeout_ms=500)
                records = [
                    _Parked.of(r)
                    for tp in sorted(polled, key=lambda t: t.partition)
                    for r in polled[tp]
                    if r.offset < end[tp]
                ]
                empty = 0 if polled else empty + 1
                if records:
                    with self.db.transaction() as db:
                        self._apply(db, records)
                replay.commit()
        finally:
            replay.close(autocommit=False)
        done = Counts(
            self.counts.applied - before.applied,
            self.counts.duplicates - before.duplicates,
            self.counts.parked - before.parked,
            self.counts.reasons[len(before.reasons) :],
        )
        log.info(
            "consumer.replayed",
            consumer=self.handler.name,
            applied=done.applied,
            duplicates=done.duplicates,
            parked_again=done.parked,
        )
        return done

    def close(self) -> None:
        """Close the Kafka clients and the database connection."""
        if self.consumer is not None:
            try:
                self.consumer.close(autocommit=False)
            except Exception as exc:  # a broker outage must not turn closing into a traceback
                log.warning("consumer.close_failed", consumer=self.handler.name, error=type(exc).__name__)
            close_producer(self.producer)
            self.consumer = self.producer = None
        self.db.close()


@dataclass(frozen=True)
class _Parked:
    """A dead letter as it was first received: topic, partition, offset and headers restored."""

    topic: str
    partition: int
    offset: int
    key: bytes | None
    value: bytes | None
    headers: list[tuple[str, bytes]]

    @classmethod
    def of(cls, record: Any) -> _Parked:
        """The original record of a dead-letter record."""
        headers = list(record.headers or [])
        dlq = {k: v.decode() for k, v in headers if k.startswith("dlq_")}
        return cls(
            dlq.get("dlq_topic", record.topic),
            int(dlq.get("dlq_partition", -1)),
            int(dlq.get("dlq_offset", -1)),
            record.key,
            record.value,
            [(k, v) for k, v in headers if not k.startswith("dlq_")],
        )


def dumps(data: Any) -> str:
    """Compact JSON text for a database column."""
    return orjson.dumps(data).decode()
