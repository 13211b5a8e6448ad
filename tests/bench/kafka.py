"""Relay throughput beside a bare kafka-python producer, same payloads, same settings, same run.

``python -m tests.bench.kafka --events 5000`` (broker at ``$LEDGER_KAFKA``). The relay reads the
store, maps every event through the wire contract, publishes in batches (send all, flush,
check every future) and records its position after each batch. The bare producer sends the
pre-built records with the same producer settings (acks=all, idempotence, linger, batch size)
and flushes once. Figures only: nothing here asserts a time.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path
from typing import Any

from consumers.relay import RecordBuilder, RelayFollower, RelayHandler
from consumers.topics import KafkaSettings, producer_config
from ledger.adapters.store import StoreTarget, iter_notifications
from tests.kafka_support import fresh_settings, record_demo


def _bare(settings: KafkaSettings, records: list[Any], linger_ms: int) -> float:
    from kafka import KafkaProducer

    started = time.perf_counter()
    producer = KafkaProducer(**producer_config(settings, linger_ms))
    futures = [producer.send(r.topic, value=r.value, key=r.key, headers=r.headers) for r in records]
    producer.flush()
    for future in futures:
        future.get(timeout=0)
    elapsed = time.perf_counter() - started
    producer.close()
    return elapsed


def bench_relay(
    events: int = 5000, bootstrap: str | None = None, batch: int = 1000, linger_ms: int = 5
) -> dict[str, Any]:
    """Publish ``events`` stored events through the relay, then through a bare producer; print both."""
    from tests.bench import ledger_on

    base = KafkaSettings.checked(bootstrap)
    with tempfile.TemporaryDirectory() as tmp:
        target = StoreTarget.parse(str(Path(tmp) / "bench.db"))
        ledger = ledger_on(target)
        learners = events // 27 + 1
        record_demo(ledger, learners=learners, candidates=max(learners // 10, 1), batch=500)
        settings = fresh_settings(base.bootstrap, "bench")
        follower = RelayFollower(
            ledger.store, target, RelayHandler(ledger.store, settings, linger_ms=linger_ms), batch_size=batch
        )
        started = time.perf_counter()
        follower.catch_up(until=events)
        relay_s = time.perf_counter() - started
        published = follower.position()
        follower.handler.drop_producer()
        follower.close()
        builder = RecordBuilder(ledger.store, settings)
        records = [
            builder.build(n) for n, _ in zip(iter_notifications(ledger.store), range(published), strict=False)
        ]
        bare_s = _bare(settings, records, linger_ms)
        ledger.store.close()
    result = {
        "events": published,
        "batch": batch,
        "linger_ms": linger_ms,
        "relay_s": round(relay_s, 3),
        "relay_events_per_s": round(published / relay_s),
        "bare_s": round(bare_s, 3),
        "bare_events_per_s": round(len(records) / bare_s),
        "relay_vs_bare": round(bare_s / relay_s, 3),
    }
    print_result(result)
    return result


def print_result(r: dict[str, Any]) -> None:
    """Print the figures side by side."""
    print(
        f"relay  {r['events']:>7} events in {r['relay_s']:>7.3f}s  {r['relay_events_per_s']:>7} ev/s "
        f"(batches of {r['batch']}, flush + position per batch)"
    )
    print(
        f"bare   {r['events']:>7} events in {r['bare_s']:>7.3f}s  {r['bare_events_per_s']:>7} ev/s "
        f"(pre-built records, one flush)"
    )
    print(f"relay / bare throughput: {r['relay_vs_bare']:.0%} (target >= 70%)")


def main() -> None:
    """``python -m tests.bench.kafka --events N [--bootstrap HOST:PORT]``."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--events", type=int, default=5000)
    parser.add_argument("--bootstrap")
    parser.add_argument("--batch", type=int, default=1000)
    args = parser.parse_args()
    bench_relay(args.events, args.bootstrap, args.batch)


if __name__ == "__main__":
    main()
