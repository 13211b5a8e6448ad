"""The ledger application: every command decided by its regime's handler, rules checked first.

``Ledger.execute`` decides one command and saves its events in one transaction.
``Ledger.execute_all`` decides every command first (so a refusal anywhere writes nothing)
and then saves, one transaction per command or in batches.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, get_args
from uuid import UUID

import structlog
from eventsourcing.application import AggregateNotFoundError, Application, Cache, LRUCache
from eventsourcing.persistence import IntegrityError
from eventsourcing.utils import get_topic
from pydantic import BaseModel

from ledger.application.base import Handler, Outcome, command_name
from ledger.application.clock import Clock, SystemClock
from ledger.application.collector import collector_paused
from ledger.application.identity import Identity, IdentityStore
from ledger.application.queries import iter_notifications
from ledger.application.registry import CommandRegistry, default_registry
from ledger.domain.errors import ConcurrencyConflict, LedgerError, UnknownEntity
from ledger.domain.kernel import Decision, LedgerAggregate, event_id, event_ids

log = structlog.get_logger("ledger")


PIPELINE_MIN_BATCH = 10
"""Commands per transaction from which a writer thread commits while the next chunk is mapped."""

_UNREAD = object()
"""An identity not read yet (``None`` is a read that found none)."""

_PUT_AFTER = "put identities after"
"""Marks a save whose identities the store could not seal into the events' transaction."""


@dataclass
class _Pending:
    outcome: Outcome
    events: list[Any]
    identity: tuple[UUID, Identity] | None = None
    effects: list[Callable[[], object]] = field(default_factory=list)

    def name_events(self) -> None:
        """The outcome's event ids (``<aggregate id>/<version>``), from the events collected.

        Left out of deciding (a handler's outcome names its aggregate only): the ledger names
        them where the main thread would otherwise wait, while a writer thread commits.
        """
        events = self.events
        if events and not self.outcome.events:
            self.outcome.events = event_ids(
                events[0].originator_id, events[0].originator_version - 1, events[-1].originator_version
            )


_UUID_FIELDS: dict[type[BaseModel], tuple[str, ...]] = {}


def _holds_uuid(annotation: Any) -> bool:
    return annotation is UUID or annotation is Any or any(_holds_uuid(arg) for arg in get_args(annotation))


def _uuid_fields(command: type[BaseModel]) -> tuple[str, ...]:
    """The fields of a command class whose declared type can hold a UUID (one of its values)."""
    found = _UUID_FIELDS.get(command)
    if found is None:
        found = _UUID_FIELDS[command] = tuple(
            name for name, info in command.model_fields.items() if _holds_uuid(info.annotation)
        )
    return found


class Ledger:
    """The ledger application: one handler per command of every regime of ``registry``."""

    def __init__(
        self,
        store: Application[UUID],
        identities: IdentityStore,
        clock: Clock | None = None,
        registry: CommandRegistry | None = None,
    ) -> None:
        self.store = store
        self.identities = identities
        self.clock = clock or SystemClock()
        self.registry = registry or default_registry()
        self._working: dict[UUID, LedgerAggregate] = {}
        # Ids the store was asked for and does not hold, within the current working set
        # (a profile never published is looked up by every decision of a batch).
        self._absent: set[UUID] = set()
        self._effects: list[Callable[[], object]] = []
        self._staged: dict[UUID, Identity] = {}
        # Identities read from the store within the current working set (a learner's tests
        # are authorised several times a batch; each read is a round trip and a decryption).
        self._identities: dict[UUID, Identity | None] = {}
        self._handlers: dict[str, tuple[Handler, str, str]] = {}
        self._created: dict[str, tuple[int, list[UUID]]] = {}
        # within the working set: topics whose log head was read, aggregates created per class
        self._created_checked: set[str] = set()
        self._new: dict[str, list[UUID]] = {}
        for regime in self.registry.regimes:
            handlers = regime.handlers(self)
            for route in regime.routes:
                self._handlers[command_name(route.command)] = (
                    getattr(handlers, route.handler),
                    route.basis,
                    regime.ruleset,
                )

    # ------------------------------------------------------------------ what handlers see
    def national_number_matches(self, learner_id: UUID, presented: str) -> bool:
        """True if ``presented`` is the learner's national register number.

        Identities decided in the current batch (not yet saved) count, then the store's keyed hash.
        """
        staged = self._staged.get(learner_id)
        if staged is not None:
            return staged.national_number is not None and staged.national_number == presented
        return self.identities.national_number_matches(learner_id, presented)

    def identity(self, learner_id: UUID) -> Identity | None:
        """The learner's identity: decided in this batch (not saved yet), else the store's.

        A learner admitted earlier in the same batch has no stored identity yet: reading only
        the store would take them for unknown (hence minor) and make the recorded events depend
        on where the batch boundaries fall. Store reads are kept for the working set.
        """
        staged = self._staged.get(learner_id)
        if staged is not None:
            return staged
        known = self._identities.get(learner_id, _UNREAD)
        if known is _UNREAD:
            known = self._identities[learner_id] = self.identities.get(learner_id)
        return known  # type: ignore[return-value]

    def get(self, aggregate_id: UUID, kind: str = "learner") -> Any:
        """An aggregate from the working set or the store, or :class:`UnknownEntity`."""
        agg = self._working.get(aggregate_id)
        if agg is not None:
            return agg
        if aggregate_id in self._absent:
            raise UnknownEntity(kind, aggregate_id)
        try:
            agg = self.store.repository.get(aggregate_id)
        except AggregateNotFoundError:
            self._absent.add(aggregate_id)
            raise UnknownEntity(kind, aggregate_id) from None
        self._working[aggregate_id] = agg
        return agg

    def exists(self, aggregate_id: UUID) -> bool:
        """True if the aggregate is in the working set or the store."""
        if aggregate_id in self._working:
            return True
        if aggregate_id in self._absent:
            return False
        try:
            self.get(aggregate_id)
        except UnknownEntity:
            return False
        return True

    def created_ids(self, created: type[Any]) -> list[UUID]:
        """Ids of every aggregate started by a ``created`` event, stored or in the working set.

        The stored ones are found by the event's topic in the notification log, read once and
        then only after the log's head at the last call (publications are rare, admissions many:
        resuming from the last *match* would scan the whole log again at every admission).
        Both stores commit notification ids in order, so nothing can appear below the head.
        """
        topic = get_topic(created)
        position, found = self._created.get(topic, (0, []))
        if topic not in self._created_checked:
            # the log's head once per working set (a batch decides on one view of the log)
            head = int(self.store.recorder.max_notification_id() or 0)
            if head > position:
                for notification in iter_notifications(self.store, position + 1, topics=(topic,)):
                    if notification.id > head:
                        break
                    found.append(UUID(str(notification.originator_id)))
                position = head
            self._created[topic] = (position, found)
            self._created_checked.add(topic)
        owner = created.__qualname__.rsplit(".", 1)[0]
        pending = [i for i in self._new.get(owner, ()) if i not in found]
        return [*found, *pending]

    def after_save(self, effect: Callable[[], object]) -> None:
        """Run ``effect`` once the command being decided is saved (never if it is refused)."""
        self._effects.append(effect)

    # ------------------------------------------------------------------ decide and save
    def _decision(self, cmd: Any, basis: str, ruleset: str, recorded_at: datetime) -> Decision:
        # Every field comes from an already validated command, the clock or the handler
        # table: construct without validating again (hot path of ledger record).
        fields = vars(cmd)  # a pydantic model's fields; "corrects" is not on every command
        return Decision.from_trusted(
            {
                "actor_id": fields["actor_id"],
                "actor_role": fields["actor_role"],
                "body": fields["body"],
                "effective_date": fields["effective_date"],
                "recorded_at": recorded_at,
                "legal_basis": basis,
                "ruleset_version": ruleset,
                "corrects": fields.get("corrects"),
                "reason": fields["reason"],
            }
        )

    def decide(self, cmd: BaseModel) -> _Pending:
        """Check every rule and apply the command to in-memory aggregates (nothing saved)."""
        name = cmd.command  # type: ignore[attr-defined]
        handler, basis, ruleset = self._handlers[name]
        decision = self._decision(cmd, basis, ruleset, self.clock.now())
        agg, outcome = handler(cmd, decision)
        if agg.id not in self._working:
            if agg.version == len(agg.pending_events):  # created by this command
                self._new.setdefault(type(agg).__qualname__, []).append(agg.id)
            self._working[agg.id] = agg
        identity = vars(cmd).get("identity")
        if identity is not None:
            self._staged[agg.id] = identity
        events = list(agg.collect_events())
        effects, self._effects = self._effects, []
        return _Pending(outcome, events, (agg.id, identity) if identity else None, effects)

    def _probe(self, cmds: Iterable[BaseModel]) -> None:
        """Learn in one query per few hundred ids which ids named by ``cmds`` the store lacks.

        A command creating an aggregate first asks whether its id is taken: one read (a round
        trip on PostgreSQL) per admission. The ids a list of commands names (its UUID fields)
        are probed together; those without stored events join the working set's absent ids,
        as a read of each would have found. Streams (generators) are left to the lazy reads:
        their later commands may depend on the earlier ones' decisions.
        """
        probe = getattr(self.store.recorder, "select_stored_ids", None)
        if probe is None or not isinstance(cmds, Sequence) or len(cmds) < 2:
            return
        named = {
            value
            for cmd in cmds
            for value in map(vars(cmd).get, _uuid_fields(type(cmd)))
            if type(value) is UUID
        }
        unknown = named.difference(self._working, self._absent)
        if unknown:
            self._absent.update(unknown.difference(probe(list(unknown))))

    def forget_cache(self) -> None:
        """Drop cached aggregates (between chunks of a very large import)."""
        self._discard()

    def _discard(self) -> None:
        self._release()
        self._effects.clear()
        self._staged.clear()
        repository: Any = self.store.repository
        cache = repository.cache
        if isinstance(cache, LRUCache):
            # LRUCache.clear() (eventsourcing 9.5) resets its recency list but keeps every
            # entry: stale or unsaved aggregates would be served again. Start a new cache.
            repository.cache = LRUCache(maxsize=cache.maxsize)
        elif cache is not None:
            repository.cache = Cache()

    def _release(self) -> None:
        """End the working set (aggregates decided on, ids known to be absent)."""
        self._working.clear()
        self._absent.clear()
        self._identities.clear()
        self._new.clear()
        self._created_checked.clear()

    def sealed_identities(self, identities: Iterable[tuple[UUID, Identity]]) -> list[object] | None:
        """The identities sealed for the events' transaction, or None if the store cannot.

        A SQL identity store seals (encrypts) them and the store's recorder writes them with
        the events (``writes_identities``), so an admission and its identity commit together;
        otherwise (in-memory stores) they are put after the events are saved.
        """
        seal = getattr(self.identities, "seal", None)
        if seal is None or not getattr(self.store.recorder, "writes_identities", False):
            return None
        return [seal(learner_id, identity) for learner_id, identity in identities]

    def _save(self, pendings: Sequence[_Pending], receipt: object | None = None) -> None:
        extra = self._extra(pendings, receipt)
        events = [e for p in pendings for e in p.events]
        stored = [self.store.mapper.to_stored_event(e) for e in events]
        self._settle(pendings, events, extra, lambda: self._insert(stored, extra))

    def _extra(self, pendings: Sequence[_Pending], receipt: object | None) -> dict[str, object]:
        """What the recorder writes in the events' transaction: a receipt, sealed identities."""
        extra: dict[str, object] = {} if receipt is None else {"receipt": receipt}
        sealed = self.sealed_identities(p.identity for p in pendings if p.identity)
        if sealed is None:  # this store cannot: identities are put once the events are saved
            extra[_PUT_AFTER] = True
        elif sealed:
            extra["identities"] = sealed
        return extra

    def _insert(self, stored: Sequence[Any], extra: dict[str, object]) -> Sequence[int] | None:
        # The recorder directly (what EventStore.put does once events are mapped): Application.save
        # would re-check every event against runtime Protocols (~10% of the write path) and we
        # keep our own working set. ``receipt`` (an idempotency record) and sealed identities are
        # inserted by the recorder in the events' transaction (ledger.adapters.recorders).
        kwargs = {k: v for k, v in extra.items() if k != _PUT_AFTER}
        ids: Sequence[int] | None = self.store.recorder.insert_events(list(stored), **kwargs)
        return ids

    def _settle(
        self,
        pendings: Sequence[_Pending],
        events: Sequence[Any],
        extra: dict[str, object],
        written: Callable[[], Sequence[int] | None],
    ) -> None:
        """Wait for ``written`` (the insert), then positions, identities, effects, in order."""
        try:
            ids = written()
        except IntegrityError as exc:
            self._discard()
            raise ConcurrencyConflict(
                "another writer changed these records meanwhile; retry the command"
            ) from exc
        for p in pendings:  # named already on the usual paths; any other is named here
            p.name_events()
        self._place(pendings, events, ids or [])
        for p in pendings:
            if p.identity and _PUT_AFTER in extra:
                self.identities.put(*p.identity)
            for effect in p.effects:
                effect()
        self._staged.clear()

    def _save_chunks(
        self, pendings: Sequence[_Pending], batch: int, progress: Callable[[int], None] | None
    ) -> None:
        """Save ``pendings``, ``batch`` per transaction, one transaction after the other.

        With several transactions, one writer thread inserts and commits a chunk while this
        thread maps the next one's events (the commit mostly waits on the disk or the server,
        out of the GIL); below :data:`PIPELINE_MIN_BATCH` commands per transaction there is
        too little to map for the hand-over between threads to pay. Transactions still commit
        in order, one at a time; a chunk's identities are sealed, and the previous chunk's
        effects run, before it is written; a failed chunk stops the ones after it, as when
        saving one by one.
        """
        size = max(batch, 1)
        chunks = [pendings[start : start + size] for start in range(0, len(pendings), size)]
        if len(chunks) < 2 or size < PIPELINE_MIN_BATCH:
            for chunk in chunks:
                for p in chunk:
                    p.name_events()
                self._save(chunk)
                if progress:
                    progress(len(chunk))
            return
        from concurrent.futures import Future, ThreadPoolExecutor

        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="ledger-writer") as writer:
            previous: tuple[Sequence[_Pending], list[Any], dict[str, object], Future[Any]] | None = None
            for chunk in chunks:
                events = [e for p in chunk for e in p.events]
                stored = [self.store.mapper.to_stored_event(e) for e in events]
                for p in chunk:  # while the previous chunk commits
                    p.name_events()
                if previous is not None:
                    self._settle(*previous[:3], previous[3].result)
                    if progress:
                        progress(len(previous[0]))
                extra = self._extra(chunk, None)
                previous = (chunk, events, extra, writer.submit(self._insert, stored, extra))
            assert previous is not None
            self._settle(*previous[:3], previous[3].result)
            if progress:
                progress(len(previous[0]))

    @staticmethod
    def _place(pendings: Sequence[_Pending], events: Sequence[Any], ids: Sequence[int]) -> None:
        """Each outcome's log positions, from the notification ids of its events.

        The ids come in the order of the events put, and a pending's events are its outcome's
        events in version order: take them in turn (no id strings to build and look up). Any
        other shape (a recorder that returned fewer) falls back to matching by event id.
        """
        if len(ids) == len(events) and all(len(p.events) == len(p.outcome.events) for p in pendings):
            taken = iter(ids)
            for p in pendings:
                p.outcome.positions = [next(taken) - 1 for _ in p.events]
            return
        by_event = {
            event_id(e.originator_id, e.originator_version): n - 1 for e, n in zip(events, ids, strict=False)
        }
        for p in pendings:
            p.outcome.positions = [by_event[e] for e in p.outcome.events if e in by_event]

    def execute(self, cmd: BaseModel, receipt: Callable[[Outcome], object] | None = None) -> Outcome:
        """Decide and save one command in one transaction.

        ``receipt`` builds, from the outcome (before its positions are known), a record the
        store commits in the same transaction as the events (an idempotency receipt).
        """
        try:
            pending = self.decide(cmd)
            pending.name_events()
            self._save([pending], None if receipt is None else receipt(pending.outcome))
        except LedgerError:
            self._discard()
            raise
        self._release()
        log.info(
            "command.recorded",
            command=pending.outcome.command,
            aggregate=str(pending.outcome.aggregate_id),
            events=len(pending.outcome.events),
        )
        return pending.outcome

    def execute_all(
        self, cmds: Iterable[BaseModel], batch: int = 1, progress: Callable[[int], None] | None = None
    ) -> list[Outcome]:
        """Decide every command, then save (``batch`` commands per transaction).

        A refused command raises before anything is written; its index is in the error.
        The cyclic garbage collector is paused meanwhile (:mod:`ledger.application.collector`).
        """
        with collector_paused():
            return self._execute_all(cmds, batch, progress)

    def _execute_all(
        self, cmds: Iterable[BaseModel], batch: int, progress: Callable[[int], None] | None
    ) -> list[Outcome]:
        pendings: list[_Pending] = []
        try:
            self._probe(cmds)
            for index, cmd in enumerate(cmds):
                try:
                    pendings.append(self.decide(cmd))
                except LedgerError as exc:
                    exc.args = (f"command {index + 1}: {exc}",)
                    exc.index = index  # type: ignore[attr-defined]
                    raise
            self._save_chunks(pendings, batch, progress)
        except LedgerError:
            self._discard()
            raise
        self._release()
        return [p.outcome for p in pendings]

    def execute_each(
        self, cmds: Iterable[BaseModel], batch: int = 1, progress: Callable[[int], None] | None = None
    ) -> tuple[list[Outcome], list[tuple[int, LedgerError]]]:
        """Decide every command, skipping the refused ones, then save the others.

        A refused decision writes nothing (rules are checked before an aggregate records); the
        commands after it are still decided. Returns the outcomes of the recorded commands and
        ``(index, error)`` for each refusal, its message prefixed ``command N:`` (1-based).
        The cyclic garbage collector is paused meanwhile (:mod:`ledger.application.collector`).
        """
        with collector_paused():
            return self._execute_each(cmds, batch, progress)

    def _execute_each(
        self, cmds: Iterable[BaseModel], batch: int, progress: Callable[[int], None] | None
    ) -> tuple[list[Outcome], list[tuple[int, LedgerError]]]:
        pendings: list[_Pending] = []
        refused: list[tuple[int, LedgerError]] = []
        try:
            self._probe(cmds)
            for index, cmd in enumerate(cmds):
                try:
                    pendings.append(self.decide(cmd))
                except LedgerError as exc:
                    exc.args = (f"command {index + 1}: {exc}",)
                    refused.append((index, exc))
            self._save_chunks(pendings, batch, progress)
        except LedgerError:
            self._discard()
            raise
        self._release()
        return [p.outcome for p in pendings], refused

    def record(self, raw: Any) -> Outcome:
        """Parse one raw command (a JSON object) with this ledger's registry and execute it."""
        return self.execute(self.registry.parse(raw))
