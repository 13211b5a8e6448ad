"""Recording a demo cohort into a ledger, and the summary ``ledger demo`` prints."""

from __future__ import annotations

import itertools
import random
from collections import Counter
from collections.abc import Callable
from datetime import date
from typing import Any
from uuid import UUID

from ledger.application import Ledger
from ledger.application.queries import (
    EventFilter,
    attestation_counts,
    certificates,
    events,
    iter_notifications,
)
from ledger.demo.clea import clea_commands
from ledger.demo.cpu import cpu_chunks, demo_commands, resolve_refs


def default_candidates(learners: int) -> int:
    """CléA candidates recorded beside ``learners`` CPU learners by default (a tenth, 5 at least)."""
    return max(learners // 10, 5)


def record_demo(
    ledger: Ledger,
    seed: int,
    learners: int,
    candidates: int,
    on: date,
    batch: int = 500,
    advance: Callable[[int], None] | None = None,
) -> int:
    """Record the whole cohort at once (every command decided before any is saved)."""
    raw = demo_commands(seed, learners, candidates, on)
    parsed = (ledger.registry.parse(resolve_refs(ledger, r)) for r in raw)
    return len(ledger.execute_all(parsed, batch=batch, progress=advance))


CLEA_PART = 5
"""CléA commands recorded per part, per learner of a CPU chunk. A part is decided whole before it
is saved: a CléA command holds ~10 KB meanwhile (an evaluation's per-criterion results), a CPU
command ~1.7 KB, so 5 CléA commands per learner keep a part's peak under a CPU chunk's (at 30,
10,000 candidates took 690 MB where a 2,000-learner CPU chunk takes 310 MB)."""


def record_demo_in_chunks(
    ledger: Ledger,
    seed: int,
    learners: int,
    candidates: int,
    on: date,
    chunk: int,
    batch: int = 500,
    advance: Callable[[int], None] | None = None,
) -> int:
    """Record the cohort chunk by chunk (national scale: memory stays flat)."""
    recorded = 0
    for part in cpu_chunks(seed, learners, chunk):
        parsed = (ledger.registry.parse(resolve_refs(ledger, r)) for r in part)
        recorded += len(ledger.execute_all(parsed, batch=batch))
        ledger.forget_cache()
        if advance:
            advance(chunk)
    if candidates:
        stream = iter(clea_commands(random.Random(f"{seed}/clea"), candidates, on))
        while part := list(itertools.islice(stream, chunk * CLEA_PART)):
            parsed = (ledger.registry.parse(resolve_refs(ledger, r)) for r in part)
            recorded += len(ledger.execute_all(parsed, batch=batch))
            ledger.forget_cache()
    return recorded


def demo_summary(ledger: Ledger, commands: int, seconds: float) -> dict[str, Any]:
    """Counts by event type, certificates, attestations and a sample of the log."""
    counts: Counter[str] = Counter()
    aggregates: set[UUID] = set()
    for n in iter_notifications(ledger.store):
        counts[n.topic.rsplit(":", 1)[-1]] += 1
        aggregates.add(UUID(str(n.originator_id)))
    certs = certificates(ledger.store)
    return {
        "commands": commands,
        "seconds": round(seconds, 2),
        "events": sum(counts.values()),
        "aggregates": len(aggregates),
        "events_by_type": dict(sorted(counts.items())),
        "attestations": attestation_counts(ledger.store),
        "certificates": dict(Counter(f"{c.kind} {c.status}" for c in certs)),
        "sample_learner": next((str(c.learner_id) for c in certs), None),
        "first_events": list(events(ledger.store, EventFilter(), limit=5)),
    }
