"""The registry of read models and the runner that feeds them with followers.

Every read model is a :class:`ledger.follower.BatchHandler` with its own ``rm_`` tables in the
ledger's database and its own follower position (``follower_position.name`` =
``projection:<name>``), written in the same transaction as its rows: a killed runner resumes
where its last committed batch ended, nothing lost and nothing applied twice.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from typing import Any

import structlog

from ledger.domain.errors import InvalidCommand
from ledger.follower import Follower
from ledger.store import EventStoreApp, StoreTarget
from projections.dossier import DossierProjection
from projections.history import HistoryProjection
from projections.stats import StatsProjection

log = structlog.get_logger("projections.runner")

REGISTRY: dict[str, Callable[[EventStoreApp], Any]] = {
    "dossier": DossierProjection,
    "stats": StatsProjection,
    "history": HistoryProjection,
}
DEFAULT_BATCH = 500


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
        self.inner.setup(db)

    def reset(self, db: Any) -> None:
        self.inner.reset(db)

    def apply(self, db: Any, batch: Any) -> None:
        self.inner.apply(db, batch)


def follower(store: EventStoreApp, target: StoreTarget, name: str,
             batch_size: int = DEFAULT_BATCH) -> Follower:
    """A follower feeding the read model ``name``."""
    handler = _Named(REGISTRY[names(name)[0]](store))
    return Follower(store, target, handler, batch_size=batch_size)


def followers(store: EventStoreApp, target: StoreTarget, name: str | None = None,
              batch_size: int = DEFAULT_BATCH) -> list[Follower]:
    """Followers for every read model named."""
    return [follower(store, target, n, batch_size) for n in names(name)]


def catch_up(fols: Sequence[Follower]) -> int:
    """Bring every follower to the head of the log; returns the events applied."""
    total = 0
    for fol in fols:
        applied = fol.catch_up()
        total += applied
        log.info("projection.caught_up", projection=fol.handler.name, applied=applied,
                 position=fol.position())
    return total


def run(fols: Sequence[Follower], stop: threading.Event, poll: float = 0.2) -> None:
    """Catch up, then follow live (new events applied within ``poll`` seconds) until stopped."""
    while not stop.is_set():
        applied = sum(fol.step() for fol in fols)
        if not applied:
            stop.wait(poll)
