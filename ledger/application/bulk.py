"""Bulk import of a historical registry: the same rules as ``ledger record``, fewer costs.

A certification body moving onto the ledger brings years of decisions as JSON command lines
(the format of ``ledger record``). :func:`import_commands` checks every line exactly as
``ledger record`` does — the same registry parses it, the same handlers decide it, so the same
rules refuse it — and writes nothing unless every line is accepted. What it saves differently:
each command is parsed and decided as it is read (no list of parsed commands), its events are
mapped to their stored form at once (compact bytes instead of pydantic objects), no outcome
(ids and positions) is kept, and the stored events go to the recorder directly, ``batch``
commands per transaction.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

import orjson
from eventsourcing.persistence import IntegrityError, StoredEvent

from ledger.application.ledger import Ledger
from ledger.application.registry import malformed_json
from ledger.domain.errors import ConcurrencyConflict, LedgerError

DEFAULT_IMPORT_BATCH = 1000
"""Commands per transaction of an import."""


@dataclass(frozen=True)
class ImportSummary:
    """What an import wrote."""

    commands: int
    events: int
    seconds: float

    def to_dict(self) -> dict[str, Any]:
        """JSON-friendly form."""
        return {"commands": self.commands, "events": self.events, "seconds": self.seconds}


@dataclass
class _Decided:
    stored: list[StoredEvent]
    identity: tuple[Any, Any] | None
    effects: list[Callable[[], object]]


def decide_lines(ledger: Ledger, lines: Iterable[tuple[int, str]]) -> list[_Decided]:
    """Parse and decide every numbered line; a bad or refused line raises naming its number."""
    registry = ledger.registry
    mapper = ledger.store.mapper
    decided: list[_Decided] = []
    for number, line in lines:
        try:
            raw = orjson.loads(line)
        except orjson.JSONDecodeError as exc:
            raise malformed_json(number, exc, line) from None
        try:
            pending = ledger.decide(registry.parse(raw))
        except LedgerError as exc:
            exc.args = (f"line {number}: {exc}",)
            exc.index = number - 1  # type: ignore[attr-defined]
            raise
        stored = [mapper.to_stored_event(e) for e in pending.events]
        decided.append(_Decided(stored, pending.identity, pending.effects))
    return decided


def _save(ledger: Ledger, chunk: list[_Decided]) -> int:
    stored = [s for d in chunk for s in d.stored]
    # identities sealed and written in the events' transaction when the store can
    sealed = ledger.sealed_identities(d.identity for d in chunk if d.identity)
    try:
        ledger.store.recorder.insert_events(stored, **({"identities": sealed} if sealed else {}))
    except IntegrityError as exc:
        raise ConcurrencyConflict("another writer changed these records meanwhile; retry the import") from exc
    for d in chunk:
        if d.identity and sealed is None:
            ledger.identities.put(*d.identity)
        for effect in d.effects:
            effect()
    return len(stored)


def import_commands(
    ledger: Ledger,
    lines: Iterable[tuple[int, str]],
    batch: int = DEFAULT_IMPORT_BATCH,
    progress: Callable[[int], None] | None = None,
) -> ImportSummary:
    """Import numbered JSON command lines: all decided first (a refusal writes nothing), then saved.

    ``batch`` commands per transaction; ``progress`` is called with the commands of each saved
    transaction.
    """
    started = time.perf_counter()
    size = max(batch, 1)
    events = 0
    try:
        decided = decide_lines(ledger, lines)
        for start in range(0, len(decided), size):
            chunk = decided[start : start + size]
            events += _save(ledger, chunk)
            if progress:
                progress(len(chunk))
    finally:
        ledger.forget_cache()
    return ImportSummary(len(decided), events, time.perf_counter() - started)
