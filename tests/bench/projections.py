"""Benchmark: rebuilding every read model beside a bare read of the same notifications.

``bench_rebuild(events)`` records a demo cohort of at least ``events`` events into a SQLite
file (or reuses ``path``), then, in fresh child processes so peak memory is the measured work
only, times a bare read of the notifications with ``select_notifications`` in pages beside
(1) a rebuild from zero of each read model alone and (2) a rebuild of all of them together
(one shared read and one transaction per batch) over a quarter, half and all of the store,
and reports events/s (per wall-clock second, and per CPU second of the process and its
read-ahead process together, which a loaded machine disturbs less) and peak RSS (of the
process, and of its read-ahead process). A rebuild reads ahead in a second process
(:mod:`projections.readahead`), so its wall-clock rate can use two cores where the bare read
uses one; the CPU figures show what that costs. Run it with
``python -m tests.bench.projections EVENTS [PATH]``; one measurement alone with
``python -m tests.bench.projections --measure-all PATH EVENTS [yes|no|split]`` (reading ahead
forced; one process; split by learner between two forked processes,
:mod:`projections.partition`; the rebuild's own choice when omitted). Every process's CPU is
counted: the forked workers' and the read-ahead's once waited for (``RUSAGE_CHILDREN``).
"""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from ledger.adapters.target import DEFAULT_BATCH

EVENTS_PER_LEARNER = 28  # what the demo records per CPU learner, roughly
REBUILD_BATCH = DEFAULT_BATCH  # what ``ledger projections run`` and ``rebuild`` use
PAGE = REBUILD_BATCH  # the bare read reads the same pages the rebuild reads


def build_store(path: Path, events: int, seed: int = 1) -> int:
    """Record a demo cohort of about ``events`` events into ``path`` (unless it has events).

    Recorded by ``ledger demo`` in chunks of 2,000 learners (memory stays flat), with CléA
    candidates for about a twentieth of the events, as a national run records them.
    """
    from ledger.adapters.store import StoreTarget, open_store

    target = StoreTarget.parse(str(path))
    if not _head(open_store, target):
        learners = max(int(events / EVENTS_PER_LEARNER) + 1, 5)
        subprocess.run(
            [
                sys.executable,
                "-m",
                "ledger.cli",
                "demo",
                "--db",
                str(path),
                "--learners",
                str(learners),
                "--candidates",
                str(max(learners // 18, 5)),
                "--chunk",
                "2000",
                "--seed",
                str(seed),
            ],
            check=True,
            capture_output=True,
            text=True,
        )
    return _head(open_store, target)


def _head(open_store: Any, target: Any) -> int:
    store = open_store(target)  # kept referenced: the application closes its pool when collected
    head = int(store.recorder.max_notification_id() or 0)
    store.close()
    return head


def measure(path: Path) -> dict[str, Any]:
    """Bare read, then a rebuild of each read model alone (run in a fresh process)."""
    from ledger.adapters.store import StoreTarget, open_store
    from projections.registry import followers, rebuild

    target = StoreTarget.parse(str(path))
    store = open_store(target)
    head = int(store.recorder.max_notification_id() or 0)
    bare = _bare_read(store, head)
    per: dict[str, int] = {}
    cpu: dict[str, int] = {}
    for fol in followers(store, target, batch_size=REBUILD_BATCH):
        name = fol.handler.name.removeprefix("projection:")
        t0, c0 = time.perf_counter(), _cpu()
        rebuild([fol])
        per[name] = round(head / (time.perf_counter() - t0))
        cpu[name] = round(head / (_cpu() - c0))
        fol.close()
    return {
        "events": head,
        **bare,
        "rebuild_events_per_s": per,
        "rebuild_vs_bare": {k: round(v / bare["bare_read_events_per_s"], 4) for k, v in per.items()},
        "rebuild_events_per_cpu_s": cpu,
        "peak_rss_mib": _rss_mib(),
        "peak_rss_mib_read_ahead": _rss_mib(resource.RUSAGE_CHILDREN),
    }


def measure_all(
    path: Path, until: int, read_ahead: bool | None = None, processes: int | None = None
) -> dict[str, Any]:
    """Bare read and a rebuild of every read model together up to ``until`` (fresh process).

    ``read_ahead`` and ``processes`` as :func:`projections.registry.rebuild` takes them (None:
    its own choice).
    """
    from ledger.adapters.store import StoreTarget, open_store
    from projections import partition
    from projections.registry import followers, rebuild

    target = StoreTarget.parse(str(path))
    store = open_store(target)
    until = min(until, int(store.recorder.max_notification_id() or 0))
    load_before = _load()
    bare = _bare_read(store, until)
    rss_after_read = _rss_mib()
    fols = followers(store, target, batch_size=REBUILD_BATCH)
    t0, c0, own0 = time.perf_counter(), _cpu(), time.process_time()
    partition.last["processes"] = 1
    rebuild(fols, until, read_ahead=read_ahead, processes=processes)
    wall, own, total = time.perf_counter() - t0, time.process_time() - own0, _cpu() - c0
    split = partition.last["processes"]  # forked workers and a read-ahead child look alike from outside
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss > 0
    rate = round(until / wall)
    cpu = round(until / total)
    return {
        "events": until,
        "rebuild_wall_s": round(wall, 3),
        "rebuild_cpu_s_this_process": round(own, 3),
        "rebuild_cpu_s_other_processes": round(total - own, 3),
        **bare,
        "rebuild_all_events_per_s": rate,
        "rebuild_all_vs_bare": round(rate / bare["bare_read_events_per_s"], 4),
        "rebuild_all_events_per_cpu_s": cpu,
        "rebuild_all_vs_bare_cpu": round(cpu / bare["bare_read_events_per_cpu_s"], 4),
        "peak_rss_mib_after_bare_read": rss_after_read,
        "peak_rss_mib": _rss_mib(),
        "peak_rss_mib_read_ahead": _rss_mib(resource.RUSAGE_CHILDREN),
        "read_ahead": children and split == 1,
        "processes": split if split > 1 else (2 if children else 1),
        "load_average": f"{load_before} -> {_load()}",
    }


def _load() -> str:
    """The machine's load averages (1, 5, 15 minutes): other work sharing the cores."""
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def _bare_read(store: Any, until: int) -> dict[str, int]:
    """Events per second (wall and CPU) of reading notifications 1..``until`` in pages."""
    started, cpu = time.perf_counter(), time.process_time()
    read, start = 0, 1
    while read < until and (batch := store.recorder.select_notifications(start, min(PAGE, until - read))):
        read += len(batch)
        start = batch[-1].id + 1
    return {
        "bare_read_events_per_s": round(read / (time.perf_counter() - started)),
        "bare_read_events_per_cpu_s": round(read / (time.process_time() - cpu)),
    }


def _rss_mib(who: int = resource.RUSAGE_SELF) -> float:
    """Peak RSS of this process (or of the largest of its ended children: the read-ahead)."""
    return round(resource.getrusage(who).ru_maxrss / 1024, 1)


def _cpu() -> float:
    """CPU seconds of this process and of its ended children (the read-ahead process)."""
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return time.process_time() + children.ru_utime + children.ru_stime


def _child(*args: str) -> dict[str, Any]:
    done = subprocess.run(
        [sys.executable, "-m", "tests.bench.projections", *args], capture_output=True, text=True, check=True
    )
    result: dict[str, Any] = json.loads(done.stdout)
    return result


def bench_rebuild(events: int, path: Path | None = None) -> dict[str, Any]:
    """Build (or reuse) a store of ≥ ``events`` events, print and return the figures.

    Each read model alone is rebuilt over the whole store; all of them together (one shared
    read per batch) are rebuilt over the first quarter, half and all of it, each in its own
    process, so the peak memory at each size shows whether it grows with the events.
    """
    if path is None:
        path = Path(tempfile.mkdtemp(prefix="ledger-bench-")) / "bench.db"
    recorded = build_store(path, events)
    figures: dict[str, Any] = {"requested_events": events, "store_events": recorded, "batch": REBUILD_BATCH}
    figures["each"] = _child("--measure", str(path))
    figures["all_together"] = [
        _child("--measure-all", str(path), str(n)) for n in (recorded // 4, recorded // 2, recorded)
    ]
    # the headline figures (whole store, every read model together) at the top level
    figures.update(figures["all_together"][-1])
    figures["rebuild_events_per_s"] = figures["each"]["rebuild_events_per_s"]
    print(json.dumps(figures, indent=2))
    return figures


if __name__ == "__main__":
    from ledger import logs

    logs.configure("WARNING")
    if sys.argv[1] == "--measure":
        sys.stdout.write(json.dumps(measure(Path(sys.argv[2]))))
    elif sys.argv[1] == "--measure-all":
        modes = {"yes": (True, None), "no": (False, 1), "split": (False, 2)}
        read_ahead, processes = modes[sys.argv[4]] if len(sys.argv) > 4 else (None, None)
        sys.stdout.write(json.dumps(measure_all(Path(sys.argv[2]), int(sys.argv[3]), read_ahead, processes)))
    else:
        bench_rebuild(int(sys.argv[1]), Path(sys.argv[2]) if len(sys.argv) > 2 else None)
