"""Benchmarks that compare the ledger with the bare library doing the same work, in one run.

``python -m tests.bench record`` times ``ledger record`` (parse JSON lines, validate, check rules,
save) against a bare eventsourcing ``Application`` saving the same number of events with the
same payloads, one decision per save and in batches, on SQLite and (if given) PostgreSQL.
Figures only: nothing here asserts a time.
"""

from __future__ import annotations

import json
import random
import tempfile
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from uuid import UUID

import orjson
from eventsourcing.application import Application
from eventsourcing.domain import Aggregate, event

from ledger.adapters.identity import MemoryIdentityStore
from ledger.adapters.store import StoreTarget, iter_notifications, open_store
from ledger.application import Ledger
from ledger.demo.cpu import cpu_commands


class BareRecord(Aggregate):
    """A bare eventsourcing aggregate carrying an opaque payload per decision."""

    @event("Started")
    def __init__(self, payload: dict[str, Any]) -> None:
        self.payload = payload

    @event("Recorded")
    def record(self, payload: dict[str, Any]) -> None:
        """Record one payload."""
        self.payload = payload


@dataclass
class Figure:
    """One measured run."""

    backend: str
    system: str
    batch: int
    events: int
    seconds: float
    cpu_seconds: float = 0.0
    """CPU time of this process (the whole work on SQLite; the client's share on PostgreSQL)."""

    @property
    def rate(self) -> float:
        """Events per second."""
        return self.events / self.seconds if self.seconds else 0.0


def _ledger_run(location: str, lines_file: Path, batch: int) -> Figure:
    from ledger.cli.record import parse_lines

    target = StoreTarget.parse(location)
    started, cpu = time.perf_counter(), time.process_time()
    commands = parse_lines(str(lines_file))
    ledger = Ledger(open_store(target), MemoryIdentityStore())
    outcomes = ledger.execute_all(commands, batch=batch)
    seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
    ledger.store.close()
    events = sum(len(o.events) for o in outcomes)
    return Figure(target.kind, "ledger record", batch, events, seconds, cpu)


def _payloads(location: str) -> list[tuple[UUID, dict[str, Any]]]:
    """The ledger's stored event states, per aggregate, without ``timestamp``/``originator_topic``.

    The bare events carry their own timestamp (and topic, when created) beside the payload:
    keeping the ledger's too stored them twice (the bare side wrote ~23% more state bytes
    than the ledger for the same events; now ~11%: eventsourcing's own envelope). Same
    aggregates, same rows.
    """
    store = open_store(StoreTarget.parse(location))
    out = []
    for n in iter_notifications(store):
        state = orjson.loads(n.state)
        state.pop("timestamp", None)
        state.pop("originator_topic", None)
        out.append((UUID(str(n.originator_id)), state))
    store.close()
    return out


def _bare_run(location: str, payloads: list[tuple[UUID, dict[str, Any]]], batch: int) -> Figure:
    target = StoreTarget.parse(location)
    if target.kind == "postgres":
        target.connect().close()  # creates the schema
    env = target.env()
    started, cpu = time.perf_counter(), time.process_time()
    app: Application[UUID] = Application(env=env)
    live: dict[UUID, BareRecord] = {}
    pending: list[BareRecord] = []
    for ident, payload in payloads:
        agg = live.get(ident)
        if agg is None:
            agg = live[ident] = BareRecord(payload=payload)
        else:
            agg.record(payload=payload)
        pending.append(agg)
        if len(pending) >= batch:
            app.save(*pending)
            pending.clear()
    if pending:
        app.save(*pending)
    seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
    app.close()
    return Figure(target.kind, "bare eventsourcing", batch, len(payloads), seconds, cpu)


def _fresh(kind: str, tmp: Path, pg_url: str | None) -> Callable[[str], str]:
    def make(tag: str) -> str:
        if kind == "sqlite":
            return str(tmp / f"{tag}.db")
        assert pg_url
        schema = f"bench_{tag}_{uuid.uuid4().hex[:8]}"
        return f"{pg_url}{'&' if '?' in pg_url else '?'}schema={schema}"

    return make


def bench_record(
    learners: int = 300, seed: int = 1, pg_url: str | None = None, batches: tuple[int, ...] = (1, 100)
) -> list[dict[str, Any]]:
    """Measure ledger record vs bare eventsourcing on SQLite (and PostgreSQL if given)."""
    rows: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory() as tmpdir:
        tmp = Path(tmpdir)
        lines_file = tmp / "commands.jsonl"
        commands = [
            c
            for c in cpu_commands(random.Random(seed), learners)
            if "certificate_ref" not in c and "revoke_ref" not in c
        ]
        lines_file.write_text("\n".join(json.dumps(c) for c in commands) + "\n", encoding="utf-8")
        backends = ["sqlite"] + (["postgres"] if pg_url else [])
        for kind in backends:
            fresh = _fresh(kind, tmp, pg_url)
            for batch in batches:
                ours_at = fresh(f"ours{batch}")
                ours = _ledger_run(ours_at, lines_file, batch)
                bare = _bare_run(fresh(f"bare{batch}"), _payloads(ours_at), batch)
                rows.append(
                    {
                        "backend": kind,
                        "batch": batch,
                        "events": ours.events,
                        "ledger_s": round(ours.seconds, 3),
                        "bare_s": round(bare.seconds, 3),
                        "ledger_ev_s": round(ours.rate),
                        "bare_ev_s": round(bare.rate),
                        "ratio": round(ours.seconds / bare.seconds, 2),
                        "ledger_cpu_s": round(ours.cpu_seconds, 3),
                        "bare_cpu_s": round(bare.cpu_seconds, 3),
                        "cpu_ratio": round(ours.cpu_seconds / bare.cpu_seconds, 2)
                        if bare.cpu_seconds
                        else None,
                    }
                )
    return rows


def print_rows(rows: list[dict[str, Any]]) -> None:
    """A readable table of the figures."""
    print(
        f"{'backend':<9}{'batch':>6}{'events':>8}{'ledger s':>10}{'bare s':>9}"
        f"{'ledger ev/s':>13}{'bare ev/s':>11}{'ratio':>7}{'cpu ratio':>10}"
    )
    for r in rows:
        print(
            f"{r['backend']:<9}{r['batch']:>6}{r['events']:>8}{r['ledger_s']:>10}{r['bare_s']:>9}"
            f"{r['ledger_ev_s']:>13}{r['bare_ev_s']:>11}{r['ratio']:>7}{r.get('cpu_ratio') or '-':>10}"
        )
    print("ratio = ledger time / bare time for the same events (target ≤ 1.3, issue 22)")
    print("cpu ratio = the same for this process's CPU time (all the work on SQLite; on PostgreSQL")
    print("the server's share is not counted): less sensitive to other load on the machine")
