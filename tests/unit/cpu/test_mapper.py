"""Stored events round-trip through the pydantic mapper; old class versions are upcast."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any, ClassVar
from uuid import uuid4

from eventsourcing.persistence import StoredEvent

from ledger.adapters.store import OrjsonTranscoder, PydanticMapper
from ledger.domain.cpu.aggregates import Learner
from ledger.domain.cpu.values import ValidationVia
from ledger.domain.kernel import ActorRole, Body, Decision, LedgerAggregate

NOW = datetime(2026, 11, 1, tzinfo=UTC)
DECISION = Decision(
    actor_id="t",
    actor_role=ActorRole.TEACHER,
    body=Body.JURY_DELEGATE,
    effective_date=date(2020, 1, 1),
    recorded_at=NOW,
    legal_basis="x",
    ruleset_version="v",
)


class Sample(LedgerAggregate):
    """A test aggregate whose event gained a field in version 2."""

    class Noted(LedgerAggregate.Event):
        """A sample fact, version 2 (adds ``weight``)."""

        class_version: ClassVar[int] = 2
        label: str
        weight: int

        @staticmethod
        def upcast_v1_v2(state: dict[str, Any]) -> None:
            """Version 1 had no weight: old facts weigh 1."""
            state["weight"] = 1


def test_round_trip_keeps_every_field() -> None:
    """A decision event comes back equal, decision metadata included."""
    mapper = PydanticMapper(transcoder=OrjsonTranscoder())
    event = Learner.UnitValidated(
        originator_id=uuid4(),
        originator_version=4,
        timestamp=NOW,
        decision=DECISION,
        uaa="UAA1",
        via=ValidationVia.SPIRAL,
        during_test_of="UAA2",
    )
    assert mapper.to_domain_event(mapper.to_stored_event(event)) == event


def test_old_stored_form_is_upcast() -> None:
    """A version-1 record (no class_version, no weight) replays as version 2."""
    mapper = PydanticMapper(transcoder=OrjsonTranscoder())
    ident = uuid4()
    old = StoredEvent(
        originator_id=ident,
        originator_version=2,
        topic=f"{__name__}:Sample.Noted",
        state=b'{"timestamp": "2026-11-01T00:00:00Z", "label": "old"}',
    )
    event = mapper.to_domain_event(old)
    assert (event.label, event.weight) == ("old", 1)
    stored = mapper.to_stored_event(event)
    assert b'"class_version":2' in stored.state
    assert mapper.to_domain_event(stored) == event
