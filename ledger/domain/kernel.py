"""Shared kernel of both regimes: ids, decision metadata, the base aggregate and event.

Events are frozen pydantic models (``extra="forbid"``) on eventsourcing aggregates. Every
decision event carries a :class:`Decision`: who decided, as what, for which body, when it
takes effect, when it was recorded, on which legal basis and under which rule-set version.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime
from enum import StrEnum
from functools import lru_cache
from typing import Annotated, Any, ClassVar, Self, TypeVar
from uuid import UUID

from eventsourcing.domain import BaseAggregate, CanInitAggregate, CanMutateAggregate
from pydantic import AfterValidator, AwareDatetime, BaseModel, ConfigDict, Field

AggT = TypeVar("AggT", bound="LedgerAggregate")


def _strip_nonempty(value: str) -> str:
    value = value.strip()
    if not value:
        raise ValueError("must not be empty")
    return value


NonEmptyStr = Annotated[str, AfterValidator(_strip_nonempty), Field(max_length=2000)]
ActorId = Annotated[str, Field(min_length=1, max_length=128, pattern=r"^[A-Za-z0-9_.:@-]+$")]


class ActorRole(StrEnum):
    """The role in which a person acts when recording a decision."""

    HEAD_OF_SCHOOL = "head_of_school"
    TEACHER = "teacher"
    EXTERNAL_JURY_MEMBER = "external_jury_member"
    SECRETARIAT = "secretariat"
    ADMINISTRATION = "administration"
    EVALUATOR = "evaluator"
    TRAINER = "trainer"
    JURY_PRESIDENT = "jury_president"
    CERTIFIER = "certifier"
    SYSTEM = "system"


class Body(StrEnum):
    """A deciding body (organe) with legal powers."""

    JURY_QUALIFICATION = "jury_qualification"
    JURY_DELEGATE = "jury_delegate"
    CONSEIL_CLASSE = "conseil_classe"
    CONSEIL_ADMISSION = "conseil_admission"
    DIRECTION = "direction"
    ADMINISTRATION = "administration"
    PEDAGOGICAL_TEAM = "pedagogical_team"
    CERTIFPRO = "certifpro"
    BRANCH_JURY = "branch_jury"
    JURY_PARITAIRE = "jury_paritaire"
    EVALUATOR_ORG = "evaluator_org"
    TRAINING_ORG = "training_org"


class Decision(BaseModel):
    """Who decided what, as what, for which body, when, and on which legal basis."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    actor_id: ActorId
    actor_role: ActorRole
    body: Body
    effective_date: date
    recorded_at: AwareDatetime
    legal_basis: NonEmptyStr
    ruleset_version: NonEmptyStr
    corrects: int | None = Field(
        default=None, ge=1, description="Aggregate version of the decision this one corrects"
    )
    reason: str | None = Field(default=None, max_length=2000)

    @classmethod
    def trusted(
        cls,
        *,
        actor_id: str,
        actor_role: ActorRole,
        body: Body,
        effective_date: date,
        recorded_at: datetime,
        legal_basis: str,
        ruleset_version: str,
        corrects: int | None,
        reason: str | None,
    ) -> Decision:
        """A decision from already validated parts, every field given (no validation).

        The same instance as ``model_construct`` with every field, without its per-field alias
        and default lookups: the hot path of ``ledger record`` builds one per command.
        """
        return cls.from_trusted(
            {
                "actor_id": actor_id,
                "actor_role": actor_role,
                "body": body,
                "effective_date": effective_date,
                "recorded_at": recorded_at,
                "legal_basis": legal_basis,
                "ruleset_version": ruleset_version,
                "corrects": corrects,
                "reason": reason,
            }
        )

    @classmethod
    def from_trusted(cls, values: dict[str, Any]) -> Decision:
        """:meth:`trusted` from a dict of every field, in field order, that becomes its state.

        The caller gives a fresh dict holding exactly :attr:`model_fields` (no validation, no
        copy: the write path builds one per command).
        """
        decision = cls.__new__(cls)
        object.__setattr__(decision, "__dict__", values)
        object.__setattr__(decision, "__pydantic_fields_set__", set(values))
        object.__setattr__(decision, "__pydantic_extra__", None)
        object.__setattr__(decision, "__pydantic_private__", None)
        return decision


class DomainEvent(BaseModel):
    """Base of every stored event: frozen, closed, typed."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    originator_id: UUID
    originator_version: int
    timestamp: AwareDatetime


class LedgerAggregate(BaseAggregate[UUID]):
    """Base aggregate whose events are pydantic models."""

    class Event(DomainEvent, CanMutateAggregate[UUID]):
        """Any event of a ledger aggregate."""

        def apply(self, aggregate: Any) -> None:
            """Evolve the aggregate; overridden per event."""

    class Created(Event, CanInitAggregate[UUID]):
        """The first event of an aggregate."""

        originator_topic: str

    @classmethod
    def _start(cls, event_class: type[LedgerAggregate.Created], ident: UUID, **kw: Any) -> Self:
        return cls._create(event_class, id=ident, **kw)

    @classmethod
    def _start_decided(
        cls, event_class: type[LedgerAggregate.Created], ident: UUID, decision: Decision, **kw: Any
    ) -> Self:
        """Create the aggregate with its first decision, stamped at the decision's recording."""
        return cls._start(event_class, ident, timestamp=decision.recorded_at, decision=decision, **kw)

    def _record(self, event_class: type[LedgerAggregate.Event], at: datetime, **kw: Any) -> None:
        """Trigger the next event at ``at``: what ``trigger_event`` does, without its per-call work.

        ``trigger_event`` copies the arguments twice and checks explicitly registered topics
        (ledger aggregates have none); the event is still validated, checked against the
        aggregate's id and version by ``mutate``, applied, then pending. It is validated by the
        class's own validator, as ``model_validate`` does (``__init__`` wraps the same call:
        ~0.8 µs more per event).
        """
        kw["timestamp"] = at
        self._trigger(event_class, kw)

    def _trigger(self, event_class: type[LedgerAggregate.Event], fields: dict[str, Any]) -> None:
        """:meth:`_record` from the event's fields (``timestamp`` included) in a fresh dict."""
        fields["originator_id"] = self.id
        fields["originator_version"] = self.version + 1
        new_event = event_class.__pydantic_validator__.validate_python(fields)
        new_event.mutate(self)
        self._pending_events.append(new_event)

    DECISION_EVENTS: ClassVar[frozenset[str]] = frozenset()


Void = frozenset[int]
NO_VOID: Void = frozenset()


class DecisionLog(LedgerAggregate):
    """An aggregate whose state is derived from its decisions still in effect.

    Every event is kept in ``log`` by version; revoked or corrected decisions are ``voided``
    and stop counting, but stay in the log. ``void`` arguments let a command evaluate the
    state as if a decision it corrects were already voided.
    """

    class Decided(LedgerAggregate.Event):
        """Base of decision events: logged, and voiding the decision they correct."""

        decision: Decision

        def apply(self, aggregate: Any) -> None:
            """Log the decision (and void the one it corrects)."""
            aggregate.log[self.originator_version] = self
            if self.decision.corrects is not None:
                aggregate.voided.add(self.decision.corrects)
            self.place(aggregate)

        def place(self, aggregate: Any) -> None:
            """Further state change (overridden by placement and revocation events)."""

    def _init_log(self) -> None:
        self.log: EventLog = EventLog()
        self.voided: set[int] = set()

    def effective(self, void: Void = NO_VOID) -> Iterator[Any]:
        """Decisions still in effect, oldest first."""
        for version, ev in self.log.items():
            if version not in self.voided and version not in void:
                yield ev

    def of_type(self, cls: type[Any], void: Void = NO_VOID) -> list[Any]:
        """Effective decisions of one event class (from the log's index by class)."""
        found = self.log.by_type.get(cls, ())
        voided = self.voided
        if not voided and not void:  # nothing voided (most logs): every decision of the class
            return [ev for _, ev in found]
        return [ev for version, ev in found if version not in voided and version not in void]


class EventLog(dict[int, Any]):
    """An aggregate's decisions by version, with an index by event class kept as it grows.

    Equal to a plain dict of the same items (the index is derived state).
    """

    def __init__(self) -> None:
        super().__init__()
        self.by_type: dict[type[Any], list[tuple[int, Any]]] = {}

    def __setitem__(self, version: int, event: Any) -> None:
        index: dict[type[Any], list[tuple[int, Any]]] = self.__dict__.setdefault("by_type", {})
        if version in self:  # replaced: drop the old entry from its class's list
            old = index[type(self[version])]
            old[:] = [pair for pair in old if pair[0] != version]
        dict.__setitem__(self, version, event)
        same = index.get(type(event))
        if same is None:
            index[type(event)] = [(version, event)]
            return
        same.append((version, event))
        if same[-2][0] > version:  # keep version order, as the log iterates
            same.sort(key=lambda pair: pair[0])


def event_id(aggregate_id: UUID, version: int) -> str:
    """The stable identity of a stored event: ``<aggregate id>/<version>``."""
    return f"{aggregate_id}/{version}"


@lru_cache(maxsize=4096)
def _id_text(aggregate_id: UUID) -> str:
    return str(aggregate_id)


def event_ids(aggregate_id: UUID, after: int, last: int) -> list[str]:
    """:func:`event_id` of versions ``after + 1`` to ``last`` of one aggregate.

    The aggregate id's text is kept for the last few thousand aggregates (a learner's
    decisions follow one another in a file; ``UUID.__str__`` is pure Python).
    """
    text = _id_text(aggregate_id)
    return [f"{text}/{version}" for version in range(after + 1, last + 1)]
