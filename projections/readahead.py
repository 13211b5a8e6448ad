"""Read-ahead for rebuilds and long catch-ups: the log is read in a second process.

Reading the log (the store's ``select_notifications``: rows, UUIDs, notification objects) costs
about as much as applying it to every read model, and both are CPU-bound Python. A catch-up far
behind the head, or a rebuild from zero when a core is free for it (:func:`free_core`), therefore
reads ahead in a child process (``python -m projections.readahead``): it reads batch after
batch with the store's own API and runs each read model's ``prepare`` on it (what a batch
changes, computed from the batch alone: grouping, decoding, the rows that need no database),
and hands that over through a pipe, while this
process runs each read model's ``write`` on the previous batch (what needs the database: the
statistics' walks, the inserts and upserts). Nothing else changes: the read models and their
positions are written only here, in one transaction per batch, and a batch is applied only if
every read model still stands just before it (otherwise the read-ahead stops and the ordinary
one-batch-at-a-time step takes over). Memory stays bounded by three batches (one applied, one in
the pipe, one being read); the child ends when this process does (its next write fails).
"""

from __future__ import annotations

import gc
import marshal
import os
import pickle
import subprocess
import sys
from collections.abc import Iterator, Sequence
from typing import Any

import structlog

from ledger.adapters.store import StoreTarget
from projections.errors import ReadAheadFailed

log = structlog.get_logger("projections.readahead")

MIN_LAG = 200_000
"""Events behind the head from which a catch-up reads ahead; the ``read_ahead_min_lag``
setting (``LEDGER_READ_AHEAD_MIN_LAG``) overrides it. Starting the child costs ~0.7 s of CPU
(~1 s wall) and handing a 50,000-event batch over ~0.2 s each way, so at 100,000 events a
rebuild reading ahead took 0.28 of a bare read's wall time against 0.46 in one process (and
0.26 against 0.47 of its CPU; BENCHMARKS.md "Part 4"); it can only pay off with a free core
and a log long enough to amortise the start-up. Since part 5 its batches are marshalled (~29 MB
and ~0.27 s of decoding per 98k events in this process), but one process still did as well or
better at 100k on a loaded machine, so the threshold stays. (A forked child, sparing the
start-up, was tried and removed: never safe on SQLite, whose lock state must not cross fork(),
and never reached on PostgreSQL, whose connection pool runs threads.)"""


def free_core(load: float | None = None, cores: int | None = None) -> bool:
    """Whether a core is idle for the read-ahead process (this one busy on another).

    The 1-minute load average (``load``, read from the system when None) must be under the
    ``cores`` (this machine's when None) less one: this process counts for about one, so on a
    2-core machine only an otherwise idle machine has a core for the child (one core never
    has). Without a free core the child only adds its work (start-up ~0.7 s, hand-over ~5 µs
    per event) to the cores this process already waits for: on a loaded 2-core machine (load
    7-8) a rebuild of 982,405 events in one process ran at 0.27 of a bare read's wall time and
    0.37 of its CPU, against 0.24 and 0.29 reading ahead (BENCHMARKS.md "Part 7").
    """
    if load is None:
        try:
            load = os.getloadavg()[0]
        except OSError:  # no load average on this system: assume the core is not free
            return False
    count = (os.cpu_count() or 1) if cores is None else cores
    return count > 1 and load < count - 1


Prepared = tuple[int, int, int, dict[str, Any]]
"""(first id, last id, events, what each read model's ``prepare`` computed, by name)."""


def prepared(names: Sequence[str], batch: Sequence[Any]) -> Prepared:
    """What every read model named computes from ``batch`` alone (decoded and grouped once)."""
    from projections.base import SharedBatch
    from projections.catalogue import REGISTRY

    shared = SharedBatch(batch)
    work = {name: REGISTRY[name](None).prepare(shared) for name in names}
    return shared.first_id, shared.last_id, len(shared), work


def _frames(
    target: StoreTarget, names: Sequence[str], start: int, until: int | None, size: int
) -> Iterator[tuple[str, Any]]:
    """What the child sends: prepared batches from ``start`` to ``until`` (or the head), then end."""
    from ledger.adapters.store import open_store
    from projections.base import read_page

    store = open_store(target)
    while until is None or start <= until:
        limit = size if until is None else min(size, until - start + 1)
        batch = read_page(store.recorder, start, limit)
        if not batch:
            break
        yield "batch", prepared(names, batch)
        start = batch[-1].id + 1
        del batch
        gc.collect()  # the collector is off while a batch is prepared (see ``child_main``)
    yield "end", None


def child_main() -> int:
    """The child (``python -m projections.readahead``): arguments on stdin, frames on stdout.

    Writing blocks while the parent applies the previous batch (the pipe is the queue), and
    fails with a broken pipe if the parent died, which ends the child.
    """
    from ledger import logs

    logs.configure("WARNING")
    gc.disable()  # a batch allocates ~10^5 short-lived objects: collected once per batch
    target, names, start, until, size = pickle.load(sys.stdin.buffer)
    return _serve(sys.stdout.buffer, target, names, start, until, size)


def _serve(
    out: Any, target: StoreTarget, names: Sequence[str], start: int, until: int | None, size: int
) -> int:
    """Send the frames to ``out``; the exit code of the child."""
    try:
        for frame in _frames(target, names, start, until, size):
            _write(out, frame)
    except BrokenPipeError:
        return 0
    except Exception as exc:  # reported to the parent, which raises it
        _write(out, ("error", f"{type(exc).__name__}: {exc}"))
        return 1
    return 0


def _write(out: Any, frame: tuple[str, Any]) -> None:
    """One frame: its length, then ``m`` + marshal (plain data, ~2x cheaper) or ``p`` + pickle."""
    try:
        data = b"m" + marshal.dumps(frame)
    except ValueError:  # a type marshal does not know (e.g. a date): pickle it
        data = b"p" + pickle.dumps(frame, protocol=pickle.HIGHEST_PROTOCOL)
    out.write(len(data).to_bytes(8, "big"))
    out.write(data)
    out.flush()


def _read(data: bytes) -> Any:
    """A frame written by :func:`_write`."""
    return marshal.loads(data[1:]) if data[:1] == b"m" else pickle.loads(data[1:])


class ReadAhead:
    """Batches of the log from ``start`` to ``until`` (or the head), read by a child process."""

    def __init__(
        self, target: StoreTarget, names: Sequence[str], start: int, until: int | None, size: int
    ) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "projections.readahead"], stdin=subprocess.PIPE, stdout=subprocess.PIPE
        )
        assert self.process.stdin is not None and self.process.stdout is not None
        self.stdout = self.process.stdout
        pickle.dump((target, list(names), start, until, size), self.process.stdin)
        self.process.stdin.close()
        log.info("projections.read_ahead.started", start=start, until=until, batch=size)

    def next(self) -> Prepared | None:
        """The next prepared batch, or None at the end."""
        header = self.stdout.read(8)
        if len(header) < 8:
            code = self.process.wait(timeout=30)
            raise ReadAheadFailed(f"the read-ahead process ended early (exit code {code})")
        kind, payload = _read(self.stdout.read(int.from_bytes(header, "big")))
        if kind == "error":
            raise ReadAheadFailed(f"the read-ahead process failed: {payload}")
        result: Prepared | None = None if kind == "end" else payload
        return result

    def close(self) -> None:
        """Stop the child (if it is still reading) and reap it."""
        if self.process.poll() is None:
            self.process.terminate()
        self.stdout.close()
        self.process.wait(timeout=30)


if __name__ == "__main__":
    sys.exit(child_main())
