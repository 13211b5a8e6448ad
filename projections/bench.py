"""Benchmark: rebuilding every read model beside a bare read of the same notifications.

``bench_rebuild(events)`` records a demo cohort of at least ``events`` events into a SQLite
file (or reuses ``path``), then, in a fresh child process so peak memory is the measured work
only, times (1) a bare read of every notification with ``select_notifications`` in pages and
(2) a rebuild from zero of each read model, and reports events/s and peak RSS. Run it with
``python -m projections.bench EVENTS [PATH]``.
"""

from __future__ import annotations

import json
import resource
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path
from typing import Any

EVENTS_PER_LEARNER = 28  # what the demo records per CPU learner, roughly
PAGE = 2000
REBUILD_BATCH = 5000


def build_store(path: Path, events: int, seed: int = 1) -> int:
    """Record a demo cohort sized for about ``events`` events into ``path`` (unless it has events)."""
    from ledger.application import Ledger
    from ledger.commands import parse_command
    from ledger.demo import demo_commands, resolve_refs
    from ledger.identity import SqlIdentityStore
    from ledger.store import StoreTarget, open_store

    target = StoreTarget.parse(str(path))
    store = open_store(target)
    ledger = Ledger(store, SqlIdentityStore(target.connect(), target.placeholder))
    if not store.recorder.max_notification_id():
        learners = max(int(events / EVENTS_PER_LEARNER * 1.05) + 1, 5)
        raw = demo_commands(seed, learners, max(learners // 10, 5), date(2026, 11, 1))
        ledger.execute_all((parse_command(resolve_refs(ledger, r)) for r in raw), batch=500)
    return int(store.recorder.max_notification_id() or 0)


def measure(path: Path) -> dict[str, Any]:
    """Bare read and rebuild rates on an existing store (run in a fresh process)."""
    from ledger.store import StoreTarget, open_store
    from projections.registry import followers

    target = StoreTarget.parse(str(path))
    store = open_store(target)
    head = int(store.recorder.max_notification_id() or 0)
    started = time.perf_counter()
    read, start = 0, 1
    while batch := store.recorder.select_notifications(start, PAGE):
        read += len(batch)
        start = batch[-1].id + 1
    bare = time.perf_counter() - started
    rss_after_read = _rss_mib()
    per: dict[str, float] = {}
    for fol in followers(store, target, batch_size=REBUILD_BATCH):
        t0 = time.perf_counter()
        fol.rebuild()
        per[fol.handler.name.removeprefix("projection:")] = round(head / (time.perf_counter() - t0))
        fol.close()
    total = sum(head / rate for rate in per.values())
    return {"events": head, "bare_read_events_per_s": round(read / bare),
            "rebuild_all_events_per_s": round(head / total), "rebuild_events_per_s": per,
            "rebuild_all_vs_bare": round((head / total) / (read / bare), 4),
            "peak_rss_mib_after_bare_read": rss_after_read, "peak_rss_mib": _rss_mib()}


def _rss_mib() -> float:
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def bench_rebuild(events: int, path: Path | None = None) -> dict[str, Any]:
    """Build (or reuse) a store of ≥ ``events`` events, print and return the figures."""
    if path is None:
        path = Path(tempfile.mkdtemp(prefix="ledger-bench-")) / "bench.db"
    recorded = build_store(path, events)
    child = subprocess.run([sys.executable, "-m", "projections.bench", "--measure", str(path)],
                           capture_output=True, text=True, check=True)
    figures: dict[str, Any] = json.loads(child.stdout)
    figures["requested_events"] = events
    figures["store_events"] = recorded
    print(json.dumps(figures, indent=2))
    return figures


if __name__ == "__main__":
    from ledger import logs

    logs.configure("WARNING")
    if sys.argv[1] == "--measure":
        sys.stdout.write(json.dumps(measure(Path(sys.argv[2]))))
    else:
        bench_rebuild(int(sys.argv[1]), Path(sys.argv[2]) if len(sys.argv) > 2 else None)
