"""A rebuild from zero split by learner between processes (issue 22, item 5).

One process rebuilding every read model is bound by Python's work per event; a second core
only helps if nothing is handed over per event (pickling or marshalling a batch costs about
what decoding it does). So each worker reads the log itself, with its own connection, and
SQLite selects its part of the rows in C (:class:`projections.base.PageFilter`): the events
of the aggregates (learners, candidates, options…) whose id starts with one of its
hexadecimal digits (:func:`part`). Every read
model keeps its rows per aggregate and reads nothing of another aggregate from the log (the
statistics read profile publications and CléA candidates from the event store itself, as in
one process), so each worker runs the read models' ordinary code on its part, into a
temporary SQLite file of its own, and the parent copies the rows of every worker into the
read models in ONE transaction (``INSERT … SELECT``, in SQLite's C code) that also sets
every position to the last event: until it commits the read models stay empty at position 0
(a killed rebuild is simply run again). Memory per process is that of a one-process rebuild.

The workers are ``os.fork()`` children (no interpreter start-up, no imports). No SQLite
connection may cross ``fork()``: SQLite's in-process lock state would make the child's new
connection believe it holds WAL read locks it does not hold. So the parent closes every
connection it has to the store file first (the followers' and the store's pooled ones),
checks with ``/proc/self/fd`` that no file descriptor on the store, its ``-wal`` or its
``-shm`` is left, forks, and only then do parent and children open new connections; a child
leaves with ``os._exit``. Where this cannot be checked or another connection is open, or on
PostgreSQL, the rebuild runs in one process.
"""

from __future__ import annotations

import os
import shutil
import signal
import sys
import tempfile
import traceback
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import structlog
from eventsourcing.sqlite import SQLiteApplicationRecorder

from ledger.adapters.follower import Follower, record_position
from ledger.adapters.store import open_store
from ledger.adapters.target import StoreTarget
from projections.base import PageFilter
from projections.errors import RebuildWorkerFailed

log = structlog.get_logger("projections.partition")

__all__ = ["MIN_EVENTS", "PROCESSES", "part", "plan", "rebuild"]

PROCESSES = 2
"""Workers of a partitioned rebuild by default (the parent is worker 0)."""
MIN_EVENTS = 20_000
"""Below this many events a rebuild runs in one process: the split's fixed costs (fork, the
merge transaction, ~0.1 s CPU at 98,000 events) would be a large share of a short rebuild.
Chosen, not measured below 98,000 events."""
HEX = "0123456789abcdef"
MERGE_SHARE = 0.06
"""The merge's cost as a share of a worker's part (~1 s of CPU for ~9 s per worker at 982,000
events): worker 0, the parent, which merges, gets that much less of the log, so that with a
core each both end at about the same time."""


def part(index: int, count: int, upto: int) -> PageFilter:
    """The events worker ``index`` of ``count`` reads, up to position ``upto``.

    Every aggregate's events go to one worker, by the first two hexadecimal digits of its id
    as the SQLite recorder stores it (32 lower-case digits, text): a plain text comparison,
    the cheapest test SQLite can make per row. Ids are random (learners: UUID 4) or
    name-based (UUID 5: candidates, options, schools…), so the digits are uniform. Every read
    model's row belongs to one aggregate (an option's key names its one aggregate,
    ``option_id``), so the workers' rows never collide (the merge would fail on a duplicate
    key, not overwrite). Worker 0 gets :data:`MERGE_SHARE` less than the others.
    """
    starts = _starts(count)
    where, params = [], []
    if index > 0:
        where.append("originator_id >= ?")
        params.append(starts[index - 1])
    if index < count - 1:
        where.append("originator_id < ?")
        params.append(starts[index])
    return PageFilter(" AND ".join(where) or "1", tuple(params), upto)


def _starts(count: int) -> list[str]:
    """The first two digits of the ids of workers 1… (distinct, increasing)."""
    weights = [1 - MERGE_SHARE] + [1.0] * (count - 1)
    total, reached = sum(weights), 0.0
    out: list[str] = []
    for weight in weights[:-1]:
        reached += weight
        step = max(round(reached / total * 256), int(out[-1], 16) + 1 if out else 1)
        out.append(f"{min(step, 255):02x}")
    return out


def plan(fols: Sequence[Follower], upto: int, processes: int | None = None) -> int:
    """How many processes rebuild ``fols`` up to ``upto`` (1: the ordinary rebuild).

    ``processes`` None: :data:`PROCESSES` on a SQLite store with more than one core and at
    least :data:`MIN_EVENTS` events (a rebuild is an operator's explicit action: the load
    average does not decide); a number forces it (1 to 16), where the store allows a split.
    """
    if processes == 1 or not fols or not hasattr(os, "fork") or _store_file(fols) is None:
        return 1
    if processes is None:
        cpus = os.cpu_count() or 1
        return PROCESSES if cpus > 1 and upto >= MIN_EVENTS else 1
    return max(1, min(processes, len(HEX)))


def _store_file(fols: Sequence[Follower]) -> Path | None:
    """The SQLite file holding both the log and the read models, if it is one file."""
    db, recorder = fols[0].db, fols[0].store.recorder
    if db.kind != "sqlite" or not isinstance(recorder, SQLiteApplicationRecorder):
        return None
    if recorder.datastore.originator_id_type != "uuid" or db.target.sqlite_path is None:
        return None
    path = db.target.sqlite_path.resolve()
    same = all(Path(str(f.db.target.sqlite_path)).resolve() == path for f in fols)
    return path if same and Path(recorder.datastore.pool.db_name).resolve() == path else None


@dataclass(frozen=True)
class Ops:
    """What a split rebuild uses of :mod:`projections.registry`, passed in (no import cycle).

    ``follower(store, target, name, batch)``, ``rebuild(fols, until, read_ahead=, on_progress=,
    only=)`` (one process, the events ``only`` selects) and ``reset(fols)``.
    """

    follower: Callable[..., Follower]
    rebuild: Callable[..., int]
    reset: Callable[[Sequence[Follower]], None]


last: dict[str, int] = {"processes": 1}
"""``processes``: how many processes the last :func:`rebuild` of this process used (1: not split).
What the benchmark reports: from outside, a forked worker and a read-ahead child look alike."""


def rebuild(
    fols: Sequence[Follower],
    until: int | None = None,
    processes: int | None = None,
    on_progress: Callable[[int], None] | None = None,
    *,
    ops: Ops,
) -> int | None:
    """Rebuild ``fols`` from zero in several processes, or None (then: in one process).

    Returns the events applied, summed over the read models, as the one-process rebuild does.
    Raises :class:`RebuildWorkerFailed` when a worker dies (the read models are then left
    empty at position 0, as after the start of any rebuild).
    """
    last["processes"] = 1
    store = fols[0].store
    head = int(store.recorder.max_notification_id() or 0)
    upto = head if until is None else min(until, head)  # never a position past the log's end
    count = plan(fols, upto, processes)
    path = _store_file(fols)
    if count < 2 or path is None or not _release(fols, path):
        return None
    names = [f.handler.inner.name for f in fols]  # type: ignore[attr-defined]
    batch = max(f.batch_size for f in fols)
    _remove_abandoned(path.parent)
    work = Path(tempfile.mkdtemp(prefix=f".rebuild-{os.getpid()}-", dir=path.parent))
    children: dict[int, tuple[int, int]] = {}  # pid → (worker, read end of its pipe)
    connected = False
    try:
        parent = os.getpid()
        for index in range(1, count):
            read, write = os.pipe()
            pid = os.fork()
            if pid == 0:  # the child: never returns
                os.close(read)
                only = part(index, count, upto)
                _child(ops, StoreTarget.parse(str(path)), names, index, only, work, batch, write, parent)
            os.close(write)
            children[pid] = (index, read)
        _reconnect(fols)
        connected = True
        ops.reset(fols)  # positions 0 until the merge commits (while the children work)
        log.info("projections.partitioned", processes=count, until=upto)
        applied = _build(ops, store, names, 0, part(0, count, upto), work, batch, on_progress)
        applied += _wait(children)
        _merge(fols, [_file(work, i) for i in range(count)], upto)
        last["processes"] = count
        return applied
    finally:
        if not connected:
            _reconnect(fols)
        for pid, (_index, read) in children.items():
            os.close(read)
            _stop(pid)
        shutil.rmtree(work, ignore_errors=True)


def _remove_abandoned(directory: Path) -> None:
    """Remove the scratch directories of killed rebuilds (their process no longer runs)."""
    for found in directory.glob(".rebuild-*-*"):
        pid = found.name.split("-")[1]
        if pid.isdigit() and not Path(f"/proc/{pid}").exists():
            shutil.rmtree(found, ignore_errors=True)


def _file(work: Path, index: int) -> Path:
    return work / f"worker-{index}.db"


def _build(
    ops: Ops,
    store: Any,
    names: Sequence[str],
    index: int,
    only: PageFilter,
    work: Path,
    batch: int,
    on_progress: Callable[[int], None] | None = None,
) -> int:
    """One worker's part, built by the read models' own code into its own SQLite file."""
    target = StoreTarget.parse(str(_file(work, index)))
    mine = [ops.follower(store, target, name, batch) for name in names]
    for fol in mine[1:]:  # one connection writes every table (as a Group does): the others go
        fol.db.close()
        fol.db = mine[0].db
    scratch = mine[0].db
    # a scratch file, deleted whatever happens: no journal, no WAL (pages written once), no sync
    scratch.execute("PRAGMA journal_mode = OFF")
    scratch.execute("PRAGMA synchronous = OFF")
    try:
        return ops.rebuild(mine, only.upto, read_ahead=False, on_progress=on_progress, only=only)
    finally:
        scratch.close()


def _child(
    ops: Ops,
    target: StoreTarget,
    names: Sequence[str],
    index: int,
    only: PageFilter,
    work: Path,
    batch: int,
    write: int,
    parent: int,
) -> None:
    """A forked worker: its own connections, its part, the count to the parent, ``os._exit``."""
    status = 1
    _die_with(parent)
    # fresh standard streams: a thread of the parent (a progress bar's refresh) may have held
    # the inherited ones' locks at the fork, and only this thread was copied
    sys.stdout = open(1, "w", closefd=False)  # noqa: SIM115 - left open for os._exit
    sys.stderr = open(2, "w", closefd=False)  # noqa: SIM115
    try:
        signal.signal(signal.SIGINT, signal.SIG_DFL)
        store = open_store(target)
        applied = _build(ops, store, names, index, only, work, batch)
        os.write(write, str(applied).encode())
        status = 0
    except BaseException:  # reported to the parent through the exit status
        traceback.print_exc(file=sys.stderr)
    finally:
        os._exit(status)


def _die_with(parent: int) -> None:
    """Linux: be killed if ``parent`` dies (a killed rebuild leaves no worker running on)."""
    try:
        import ctypes

        ctypes.CDLL(None).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    except (OSError, AttributeError):
        return  # not Linux: the worker ends at the end of its part
    if os.getppid() != parent:  # the parent died before the request took effect
        os._exit(1)


PR_SET_PDEATHSIG = 1


def _wait(children: dict[int, tuple[int, int]]) -> int:
    """Wait for every child; the events they applied, or :class:`RebuildWorkerFailed`."""
    applied = 0
    for pid in list(children):
        index, read = children[pid]
        _, status = os.waitpid(pid, 0)
        got = os.read(read, 64)
        os.close(read)
        del children[pid]
        if os.WIFSIGNALED(status) or os.WEXITSTATUS(status) != 0 or not got:
            how = (
                f"killed by signal {os.WTERMSIG(status)}"
                if os.WIFSIGNALED(status)
                else f"exit status {os.WEXITSTATUS(status)}"
            )
            raise RebuildWorkerFailed(
                f"rebuild worker {index} failed ({how}): the read models stay empty at position 0; "
                "run the rebuild again"
            )
        applied += int(got)
    return applied


def _stop(pid: int) -> None:
    """End a child still running (the parent failed) and reap it."""
    try:
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
    except (ProcessLookupError, ChildProcessError):
        pass


def _merge(fols: Sequence[Follower], files: Sequence[Path], upto: int) -> None:
    """Every worker's rows into the read models and every position to ``upto``: one transaction."""
    db = fols[0].db
    for i, file in enumerate(files):
        db.execute(f"ATTACH DATABASE ? AS w{i}", (str(file),))
    try:
        with db.transaction():
            for fol in fols:
                handler: Any = fol.handler
                handler.reset(db)  # another runner may have written since the reset
                for table in handler.tables:
                    for i in range(len(files)):
                        db.execute(f"INSERT INTO main.{table} SELECT * FROM w{i}.{table}")
                record_position(db, handler.name, upto)
    finally:
        for i in range(len(files)):
            db.execute(f"DETACH DATABASE w{i}")
    log.info("projections.merged", processes=len(files), until=upto)


def _release(fols: Sequence[Follower], path: Path) -> bool:
    """Close every connection of this process to ``path``; False (reconnected) if one is left."""
    recorder: Any = fols[0].store.recorder
    pool = recorder.datastore.pool
    with pool._put_condition:  # the pool's idle connections, closed as its own max_age does
        if pool._in_use:
            return False
        while pool._pool:
            pool._pool.popleft().close()
    for fol in fols:
        fol.db.conn.close()
    if not _no_descriptor_on(path):
        _reconnect(fols)
        return False
    return True


def _reconnect(fols: Sequence[Follower]) -> None:
    for fol in fols:
        fol.db.conn = fol.db.target.connect()


def _no_descriptor_on(path: Path) -> bool:
    """Whether no file descriptor of this process is open on ``path``, its -wal or -shm."""
    proc = Path("/proc/self/fd")
    if not proc.is_dir():
        return False  # cannot check: do not fork
    names = {str(path), f"{path}-wal", f"{path}-shm", f"{path}-journal"}
    for fd in os.listdir(proc):
        try:
            if os.readlink(proc / fd) in names:
                return False
        except OSError:
            continue
    return True
