"""The registry of read models and the runner that feeds them with followers.

Every read model is a :class:`ledger.adapters.follower.BatchHandler` with its own ``rm_`` tables in the
ledger's database and its own follower position (``follower_position.name`` =
``projection:<name>``), written in the same transaction as its rows: a killed runner resumes
where its last committed batch ended, nothing lost and nothing applied twice. Several read
models run together (:func:`catch_up`, :func:`run`, :func:`rebuild`) as a :class:`Group`: each
batch is read and decoded once and applied to all of them in one transaction. A read model
whose stored ``schema_version`` differs is dropped and rebuilt from zero when it is opened.
A rebuild from zero on SQLite is split by learner between processes (:mod:`projections.partition`).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import structlog

from ledger.adapters.follower import Follower, record_position
from ledger.adapters.store import EventStoreApp, StoreTarget
from ledger.adapters.target import DEFAULT_BATCH
from ledger.application.collector import collector_paused
from ledger.domain.errors import InvalidCommand
from projections import readahead
from projections.base import PageFilter, SharedBatch, ensure_schema, export_tables, read_page
from projections.catalogue import REGISTRY

log = structlog.get_logger("projections.runner")

__all__ = ["REGISTRY", "Group", "catch_up", "export", "followers", "names", "rebuild", "reset", "run"]


def names(name: str | None = None) -> list[str]:
    """The read models named (all when ``name`` is None), or :class:`InvalidCommand`."""
    if name is None:
        return list(REGISTRY)
    if name not in REGISTRY:
        raise InvalidCommand(f"unknown projection {name!r}: choose one of {', '.join(REGISTRY)}")
    return [name]


class _Named:
    """Gives a handler its follower name (``projection:<name>``) without changing its tables."""

    def __init__(self, handler: Any) -> None:
        self.inner = handler
        self.name = f"projection:{handler.name}"
        self.tables: tuple[str, ...] = handler.tables

    def setup(self, db: Any) -> None:
        """Create the tables; a read model whose schema changed is dropped and rebuilt from zero."""
        if ensure_schema(db, self.inner.name, self.inner.schema_version, self.tables):
            db.execute("DELETE FROM follower_position WHERE name = ?", (self.name,))
        self.inner.setup(db)

    def reset(self, db: Any) -> None:
        self.inner.reset(db)

    def apply(self, db: Any, batch: Any) -> None:
        self.inner.apply(db, batch)


def follower(
    store: EventStoreApp, target: StoreTarget, name: str, batch_size: int = DEFAULT_BATCH
) -> Follower:
    """A follower feeding the read model ``name``."""
    handler = _Named(REGISTRY[names(name)[0]](store))
    return Follower(store, target, handler, batch_size=batch_size)


def followers(
    store: EventStoreApp, target: StoreTarget, name: str | None = None, batch_size: int = DEFAULT_BATCH
) -> list[Follower]:
    """Followers for every read model named."""
    return [follower(store, target, n, batch_size) for n in names(name)]


class Group:
    """Feeds several read models from ONE read of the log, in ONE transaction per batch.

    Each read model keeps its own position; a batch is read from the lowest of them and each
    read model gets the part of it past its own position, so read models that stand at
    different positions (one was just rebuilt) still get every event exactly once. Every
    position is recorded in the transaction holding the rows.
    """

    def __init__(
        self, fols: Sequence[Follower], min_lag: int = readahead.MIN_LAG, only: PageFilter | None = None
    ) -> None:
        self.fols = list(fols)
        self.min_lag = min_lag
        self.only = only  # a partitioned rebuild's worker reads only its part of the log
        self.store = self.fols[0].store
        self.db = self.fols[0].db
        self.batch_size = max(f.batch_size for f in self.fols)

    def _positions(self) -> dict[str, int]:
        rows = self.db.execute("SELECT name, position FROM follower_position").fetchall()
        return {str(r[0]): int(r[1]) for r in rows}

    def step(self) -> int:
        """Apply at most one batch to every read model; returns the events applied in all."""
        with collector_paused():
            before = self._positions()
            low = min(before.get(f.handler.name, 0) for f in self.fols)
            recorder = self.store.recorder
            # bounded by bytes too (CléA events are ~3x a CPU event's: readahead.BATCH_STATE_BYTES)
            only = self.only
            batch = readahead.bounded_page(
                lambda at, n: read_page(recorder, at, n, only), low + 1, self.batch_size
            )
            applied = self._apply(SharedBatch(batch), before) if batch else 0
            # freed now, by reference counting: alive when the collector is back, the batch's
            # objects would be scanned by it (~6% of a rebuild's CPU at 100k events)
            del batch
        return applied

    def _apply(self, whole: SharedBatch, before: dict[str, int]) -> int:
        """Apply ``whole`` to every read model that still stands where ``before`` says."""
        applied = 0
        with self.db.transaction() as db:
            now = self._positions()
            for fol in self.fols:
                name = fol.handler.name
                position = now.get(name, 0)
                if position != before.get(name, 0):
                    continue  # another runner moved it meanwhile: it applies this part
                part = (
                    whole
                    if position < whole.first_id
                    else SharedBatch([n for n in whole if n.id > position], whole.states, whole.ids)
                )
                if part:
                    fol.handler.apply(db, part)
                    record_position(db, name, part.last_id)
                    applied += len(part)
        log.debug("projections.applied", upto=whole.last_id, count=len(whole), applied=applied)
        return applied

    def catch_up(
        self,
        until: int | None = None,
        read_ahead: bool | None = None,
        on_progress: Callable[[int], None] | None = None,
    ) -> int:
        """Apply batches until every read model is at the head (or ``until``).

        Far behind (``min_lag`` events, or ``read_ahead=True``), with every read
        model at the same position, the log is read ahead in a second process
        (:mod:`projections.readahead`); the rest is applied one batch at a time.
        ``on_progress`` is called after each batch with the log position every read model
        has reached (for a progress bar).
        """
        report = on_progress or (lambda _position: None)
        applied = self._catch_up_ahead(until, report) if self._reads_ahead(until, read_ahead) else 0
        while until is None or self._lowest() < until:
            count = self.step()
            if not count:
                break
            applied += count
            report(self._lowest())
        return applied

    def _lowest(self) -> int:
        """The log position every read model of the group has reached."""
        return min(self._positions().get(f.handler.name, 0) for f in self.fols)

    def _reads_ahead(self, until: int | None, read_ahead: bool | None) -> bool:
        if read_ahead is False or self.only is not None:
            return False
        positions = {self._positions().get(f.handler.name, 0) for f in self.fols}
        if len(positions) != 1:
            return False
        target = until if until is not None else int(self.store.recorder.max_notification_id() or 0)
        lag = target - positions.pop()
        return lag > 0 and (bool(read_ahead) or lag >= self.min_lag)

    def _catch_up_ahead(self, until: int | None, report: Callable[[int], None]) -> int:
        start = self._positions().get(self.fols[0].handler.name, 0) + 1
        names = [f.handler.inner.name for f in self.fols]  # type: ignore[attr-defined]
        ahead = readahead.ReadAhead(self.db.target, names, start, until, self.batch_size)
        applied = 0
        try:
            while True:
                with collector_paused():
                    got = ahead.next()
                    count = self._write(got) if got is not None else 0
                    last = got[1] if got is not None else 0
                    del got  # freed before the collector is back (see :meth:`step`)
                applied += count
                if not count:
                    break  # the end, or another runner moved a read model: one batch at a time
                report(last)
        finally:
            ahead.close()
        return applied

    def _write(self, got: readahead.Prepared) -> int:
        """Write a prepared batch to every read model if all still stand just before it."""
        first, last, count, work = got
        with self.db.transaction() as db:
            now = self._positions()
            if any(now.get(f.handler.name, 0) != first - 1 for f in self.fols):
                return 0
            for fol in self.fols:
                handler: Any = fol.handler
                handler.inner.write(db, work[handler.inner.name])
                record_position(db, handler.name, last)
        log.debug("projections.written", upto=last, count=count)
        return count * len(self.fols)


REBUILD_CACHE_KIB = 65_536
"""SQLite page cache of the connection writing a rebuild (the default is 2 MiB): the B-tree
pages of the tables being filled stay cached between batches (~5% less CPU at 100k events).
Durability is unchanged: rows and positions still commit together, synchronously."""


@contextmanager
def _larger_cache(db: Any) -> Iterator[None]:
    """A larger SQLite page cache on ``db`` for the duration (nothing on other backends)."""
    if db is None or db.kind != "sqlite":
        yield
        return
    before = int(db.execute("PRAGMA cache_size").fetchone()[0])
    db.execute(f"PRAGMA cache_size = -{REBUILD_CACHE_KIB}")
    try:
        yield
    finally:
        db.execute(f"PRAGMA cache_size = {before}")


def catch_up(fols: Sequence[Follower], min_lag: int = readahead.MIN_LAG) -> int:
    """Bring every follower to the head of the log (one shared read per batch).

    Returns the events applied, summed over the read models; ``min_lag`` events behind or
    more, the log is read ahead in a second process.
    """
    total = Group(fols, min_lag).catch_up() if fols else 0
    for fol in fols:
        log.info("projection.caught_up", projection=fol.handler.name, position=fol.position())
    return total


def rebuild(
    fols: Sequence[Follower],
    until: int | None = None,
    read_ahead: bool | None = None,
    min_lag: int = readahead.MIN_LAG,
    on_progress: Callable[[int], None] | None = None,
    processes: int | None = None,
    only: PageFilter | None = None,
) -> int:
    """Forget the read models and apply the log again from zero, all in one pass.

    On a SQLite store with more than one core the log is split by learner between
    ``processes`` (default 2) that each build their part into a file of their own, merged in
    one transaction (:mod:`projections.partition`); ``processes=1`` forces one process.
    ``only`` (a partition's worker) applies only the events it selects.

    ``read_ahead`` None reads ahead in a second process only ``min_lag`` events or more from
    the end and with a core free for it (:func:`projections.readahead.free_core`); True or
    False forces the choice. ``on_progress(position)`` is called after each batch (see
    :meth:`Group.catch_up`).
    Read models that can (``begin_rebuild``) keep what they carry from batch to batch in
    memory for the duration (the statistics' learner walks), instead of reading it back.
    """
    if only is None and read_ahead is not True and fols:
        split = split_rebuild(fols, until, processes, on_progress)
        if split is not None:
            return split
    reset(fols)
    inner = [getattr(fol.handler, "inner", fol.handler) for fol in fols]
    for handler in inner:
        if hasattr(handler, "begin_rebuild"):
            handler.begin_rebuild()
    if read_ahead is None and not readahead.free_core():
        read_ahead = False  # the child would only add its own work to the busy cores
    try:
        with _larger_cache(fols[0].db if fols else None):
            return Group(fols, min_lag, only).catch_up(until, read_ahead, on_progress) if fols else 0
    finally:
        for handler in inner:
            if hasattr(handler, "end_rebuild"):
                handler.end_rebuild()


def split_rebuild(
    fols: Sequence[Follower],
    until: int | None = None,
    processes: int | None = None,
    on_progress: Callable[[int], None] | None = None,
) -> int | None:
    """A rebuild from zero split between processes (:func:`projections.partition.rebuild`).

    None when it does not split (then nothing was done: rebuild in one process).
    """
    from projections import partition

    ops = partition.Ops(follower=follower, rebuild=rebuild, reset=reset)
    return partition.rebuild(fols, until, processes, on_progress, ops=ops)


def reset(fols: Sequence[Follower]) -> None:
    """Empty every read model's tables and set its position to 0 (each in its transaction)."""
    for fol in fols:
        with fol.db.transaction() as db:
            fol.handler.reset(db)
            record_position(db, fol.handler.name, 0)


def export(fols: Sequence[Follower]) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every read model's tables, sorted (a rebuild must give exactly these)."""
    out: dict[str, list[tuple[Any, ...]]] = {}
    for fol in fols:
        handler: Any = fol.handler
        out.update(export_tables(fol.db, handler.tables))
    return out


def close(fols: Sequence[Follower]) -> None:
    """Close every follower's connection."""
    for fol in fols:
        fol.close()


def run(
    fols: Sequence[Follower], stop: threading.Event, poll: float = 0.2, min_lag: int = readahead.MIN_LAG
) -> None:
    """Catch up, then follow live (new events applied within ``poll`` seconds) until stopped."""
    group = Group(fols, min_lag)
    while not stop.is_set():
        if not group.step():
            stop.wait(poll)
