"""Benchmark of the integrity log: append overhead per event, proofs, full verification.

``python -m tests.bench.audit [--events N] [--pg URL] [--proof-sizes 1000 ... 1000000]``
prints, for the same store in the same run: the time to append ``N`` events to the event
store without any log (one transaction per 1,000 events), a bare follower doing nothing,
and the follower with the integrity handler; the difference between the last two is the
per-event cost of the integrity log. It then times application-level proofs and a full
``verify``, and the Merkle proof figures of :mod:`tests.bench.integrity` at each size.
Figures are printed, never asserted.
"""

from __future__ import annotations

import argparse
import os
import random
import tempfile
import time
import uuid
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import orjson
from eventsourcing.persistence import Notification, StoredEvent

from ledger.adapters.follower import Db, Follower
from ledger.adapters.keys import LogKeyStore
from ledger.adapters.store import EventStoreApp, StoreTarget, open_store
from ledger.audit.log import AuditLog

__all__ = ["bench_append", "main"]

_TOPIC = "ledger.domain.cpu.aggregates:Learner.UnitValidated"


class _Null:
    """A follower handler that does nothing (the baseline)."""

    name = "bench_null"

    def setup(self, db: Db) -> None:
        """Nothing to create."""

    def reset(self, db: Db) -> None:
        """Nothing to forget."""

    def apply(self, db: Db, batch: Sequence[Notification]) -> None:
        """Ignore the batch."""


def _state(rng: random.Random) -> bytes:
    """A stored state shaped like a UAA validation (about 500 bytes)."""
    return orjson.dumps(
        {
            "timestamp": "2026-11-01T09:00:00+00:00",
            "uaa": f"UAA{rng.randint(1, 6)}",
            "via": "test",
            "originator_topic": "ledger.domain.cpu.aggregates:Learner",
            "decision": {
                "actor_id": f"prof-{rng.randint(1, 500)}",
                "actor_role": "teacher",
                "body": "jury_delegate",
                "effective_date": "2020-06-15",
                "recorded_at": "2026-11-01T09:00:00+00:00",
                "legal_basis": "AGCF-2018-08-29 art. 4 §6",
                "ruleset_version": "AGCF-2018-08-29@consolidated-2022-09-26",
                "corrects": None,
                "reason": None,
            },
            "fase": 209,
            "profile_version": "mecanicien-polyvalent-automobile@2018-06-29",
        }
    )


def _write(store: EventStoreApp, events: int, rng: random.Random) -> float:
    """Append ``events`` events (1,000 per transaction); return the seconds taken."""
    recorder: Any = store.recorder
    started = time.perf_counter()
    for first in range(0, events, 1000):
        batch = [
            StoredEvent(originator_id=uuid.uuid4(), originator_version=1, topic=_TOPIC, state=_state(rng))
            for _ in range(min(1000, events - first))
        ]
        recorder.insert_events(batch)
    return time.perf_counter() - started


def _follow(store: EventStoreApp, target: StoreTarget, handler: Any) -> float:
    follower = Follower(store, target, handler, batch_size=1000)
    started = time.perf_counter()
    follower.catch_up()
    elapsed = time.perf_counter() - started
    follower.close()
    return elapsed


def _app_figures(audit: AuditLog, events: int, rng: random.Random) -> dict[str, float]:
    audit.keys.generate("bench.example/log")
    audit.checkpoint()
    picks = [rng.randrange(events) for _ in range(100)]
    started = time.perf_counter()
    for position in picks:
        audit.inclusion_proof(position)
    proof_us = (time.perf_counter() - started) / len(picks) * 1e6
    started = time.perf_counter()
    report = audit.verify()
    verify_s = time.perf_counter() - started
    assert report.ok, report.problems
    return {"app_proof_us": proof_us, "verify_s": verify_s}


def bench_append(events: int = 20_000, pg_url: str | None = None, seed: int = 1) -> dict[str, Any]:
    """Measure the integrity log's append overhead per event, same store, same run.

    Returns (and prints) ``backend``, ``events``, ``write_us`` (appending to the event store
    without the log), ``null_follower_us``, ``integrity_follower_us`` and
    ``overhead_us`` (their difference), all per event, plus ``app_proof_us`` (one
    :meth:`AuditLog.inclusion_proof`) and ``verify_s`` (a full verification).
    """
    rng = random.Random(seed)
    with tempfile.TemporaryDirectory() as folder:
        location = _location(folder, pg_url)
        target = StoreTarget.parse(location)
        store = open_store(target)
        try:
            row = _measure(store, target, events, rng, Path(folder))
        finally:
            store.close()
            _drop(target)
    row["backend"] = target.kind
    print(_format(row))
    return row


def _measure(
    store: EventStoreApp, target: StoreTarget, events: int, rng: random.Random, folder: Path
) -> dict[str, Any]:
    write = _write(store, events, rng)
    null = _follow(store, target, _Null())
    audit = AuditLog(target, store, keys=LogKeyStore(folder / "keys"), batch_size=1000)
    started = time.perf_counter()
    audit.sync()
    integrity = time.perf_counter() - started
    try:
        app = _app_figures(audit, events, rng)
    finally:
        audit.close()
    per = 1e6 / events
    return {
        "events": events,
        "write_us": write * per,
        "null_follower_us": null * per,
        "integrity_follower_us": integrity * per,
        "overhead_us": (integrity - null) * per,
        **app,
    }


def _location(folder: str, pg_url: str | None) -> str:
    if not pg_url:
        return str(Path(folder) / "bench.db")
    schema = f"bench_{uuid.uuid4().hex[:10]}"
    return f"{pg_url}{'&' if '?' in pg_url else '?'}schema={schema}"


def _drop(target: StoreTarget) -> None:
    if target.kind == "postgres" and target.schema:
        conn = target.connect()
        conn.execute(f'DROP SCHEMA IF EXISTS "{target.schema}" CASCADE')
        conn.close()


def _format(r: dict[str, Any]) -> str:
    return (
        f"{r.get('backend', '?'):<8} {r['events']:>8} events   per event: write "
        f"{r['write_us']:.1f} µs, bare follower {r['null_follower_us']:.1f} µs, integrity "
        f"follower {r['integrity_follower_us']:.1f} µs → log overhead {r['overhead_us']:.1f} µs"
        f" ({r['overhead_us'] / r['write_us']:.0%} of the write); proof {r['app_proof_us']:.0f} µs;"
        f" full verify {r['verify_s']:.2f} s"
    )


def main(argv: Sequence[str] | None = None) -> None:
    """Run the append benchmark (SQLite, and PostgreSQL with ``--pg``), then proof figures."""
    parser = argparse.ArgumentParser(prog="python -m tests.bench.audit")
    parser.add_argument("--events", type=int, default=20_000)
    parser.add_argument("--pg", default=os.environ.get("LEDGER_TEST_PG_URL"))
    parser.add_argument("--proof-sizes", type=int, nargs="*", default=[10**3, 10**4, 10**5, 10**6])
    args = parser.parse_args(argv)
    from ledger import logs

    logs.configure("WARNING")
    bench_append(args.events)
    if args.pg:
        bench_append(args.events, pg_url=args.pg)
    if args.proof_sizes:
        from tests.bench.integrity import main as proofs

        proofs([str(s) for s in args.proof_sizes])


if __name__ == "__main__":
    main()
