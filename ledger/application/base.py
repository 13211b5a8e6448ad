"""What both regimes share: the decision command fields, the outcome, the handler plumbing.

A regime (:mod:`ledger.application.cpu`, :mod:`ledger.application.clea`) is a set of command
classes and one :class:`Handlers` subclass with a method per command, declared by a
:class:`Regime` (its routes: command class → handler method, legal basis). The
:class:`~ledger.application.registry.CommandRegistry` is built from the regimes; the
:class:`~ledger.application.ledger.Ledger` calls a handler with the validated command and the
:class:`~ledger.domain.kernel.Decision` it stands for.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Protocol, TypeVar
from uuid import UUID

from pydantic import BaseModel, ConfigDict

from ledger.application.identity import Identity, IdentityStore
from ledger.domain.errors import InvalidCommand, UnknownEntity
from ledger.domain.kernel import ActorId, ActorRole, Body, Decision, LedgerAggregate

A = TypeVar("A", bound=LedgerAggregate)


class DecisionCommand(BaseModel):
    """Fields every decision command carries: who, as what, for which body, when, why."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    actor_id: ActorId
    actor_role: ActorRole
    body: Body
    effective_date: date


@dataclass
class Outcome:
    """What a command recorded: the aggregate, the event ids, the global positions."""

    command: str
    aggregate_id: UUID
    events: list[str] = field(default_factory=list)
    positions: list[int] = field(default_factory=list)
    certificate_id: UUID | None = None

    def to_dict(self) -> dict[str, Any]:
        """JSON-friendly form (positions are zero-based log indexes)."""
        out: dict[str, Any] = {
            "command": self.command,
            "aggregate_id": str(self.aggregate_id),
            "events": self.events,
            "positions": self.positions,
        }
        if self.certificate_id:
            out["certificate_id"] = str(self.certificate_id)
        return out


Result = tuple[LedgerAggregate, Outcome]
"""What a handler returns: the aggregate it changed (or created) and the outcome."""


class Workspace(Protocol):
    """What handlers see of the ledger: aggregates, identities, effects run after the save."""

    identities: IdentityStore

    def get(self, aggregate_id: UUID, kind: str = "learner") -> Any:
        """An aggregate from the working set or the store, or :class:`UnknownEntity`."""

    def exists(self, aggregate_id: UUID) -> bool:
        """True if the aggregate is in the working set or the store."""

    def after_save(self, effect: Callable[[], object]) -> None:
        """Run ``effect`` once the command's events are saved (never if it is refused)."""

    def national_number_matches(self, learner_id: UUID, presented: str) -> bool:
        """True if ``presented`` is the learner's national register number (keyed hash)."""

    def identity(self, learner_id: UUID) -> Identity | None:
        """The learner's identity: decided in this batch, else the store's (None if unknown)."""

    def created_ids(self, created: type[Any]) -> list[UUID]:
        """Ids of every aggregate started by a ``created`` event, stored or in the working set."""


class Handlers:
    """Base of a regime's handlers: load aggregates and reference data, call the domain.

    Subclasses add one method per command, ``(command, decision) -> Result``, and use the
    plumbing here: :meth:`_typed` (an aggregate of the expected class), :meth:`_new` (create
    one that must not exist), :meth:`_step` (apply a change to one), :meth:`_outcome`.
    """

    def __init__(self, ledger: Workspace) -> None:
        self.ledger = ledger

    def _outcome(self, cmd: Any, agg: LedgerAggregate, before: int) -> Outcome:
        # The event ids (versions ``before + 1`` to ``agg.version``) are named by the ledger
        # from the events it collects (Ledger.decide's _Pending.name_events), off the
        # deciding path: while a writer thread commits, or before a receipt is built.
        del before
        return Outcome(cmd.command, agg.id)

    def _typed(self, ident: UUID, kind: str, cls: type[A]) -> A:
        """The aggregate ``ident`` if it is a ``cls``, else :class:`UnknownEntity` ``kind``."""
        agg = self.ledger.get(ident, kind)
        if not isinstance(agg, cls):
            raise UnknownEntity(kind, ident)
        return agg

    def _new(
        self, cmd: Any, ident: UUID, kind: str, make: Callable[[], LedgerAggregate], taken: str | None = None
    ) -> Result:
        """Create an aggregate; ``taken`` (default "<kind> <id> already exists") if it exists."""
        if self.ledger.exists(ident):
            raise InvalidCommand(taken or f"{kind} {ident} already exists")
        agg = make()
        return agg, self._outcome(cmd, agg, 0)

    def _step(self, cmd: Any, agg: A, act: Callable[[A], object]) -> Result:
        """Apply ``act`` to ``agg``; a UUID it returns is the outcome's certificate id."""
        before = agg.version
        result = act(agg)
        outcome = self._outcome(cmd, agg, before)
        if isinstance(result, UUID):
            outcome.certificate_id = result
        return agg, outcome


Handler = Callable[[Any, Decision], Result]


@dataclass(frozen=True)
class CommandRoute:
    """One command of a regime: its class, the handler method's name, its legal basis."""

    command: type[BaseModel]
    handler: str
    basis: str


@dataclass(frozen=True)
class Regime:
    """A certification regime: its handlers class, rule-set version and command routes."""

    name: str
    handlers: type[Handlers]
    ruleset: str
    routes: tuple[CommandRoute, ...]


def command_name(cls: type[BaseModel]) -> str:
    """The ``command`` literal of a command class."""
    return str(cls.model_fields["command"].annotation.__args__[0])  # type: ignore[union-attr]
