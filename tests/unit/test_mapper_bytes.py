"""The mapper's stored bytes are exactly orjson over the event's JSON-mode dump (hashed by the audit log).

``PydanticMapper.to_stored_event`` lets pydantic write the JSON directly when the transcoder is
orjson; the reference is the former path (``model_dump(mode="json")`` then ``orjson.dumps``,
``class_version`` appended past version 1), for every event type a demo cohort records (both
regimes), and the generic path (any other transcoder) must give the same bytes too.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import orjson
import pytest

from ledger.adapters.store import OrjsonTranscoder, PydanticMapper
from ledger.application import FixedClock
from ledger.application.queries import iter_notifications
from ledger.bootstrap import bootstrap_memory
from ledger.demo.run import record_demo

NOT_STATE = {"originator_id", "originator_version"}


class _OtherTranscoder(OrjsonTranscoder):
    """Same encoding, another class: takes the mapper's generic (dict, then transcoder) path."""


def _reference(event: Any) -> bytes:
    state = event.model_dump(mode="json", exclude=NOT_STATE)
    version = getattr(type(event), "class_version", 1)
    if version > 1:
        state["class_version"] = version
    return orjson.dumps(state)


@pytest.fixture(scope="module")
def demo_events() -> list[Any]:
    services = bootstrap_memory(FixedClock(datetime(2026, 6, 1, 12, 0, 0, 123456, tzinfo=UTC)))
    try:
        record_demo(services.ledger, 7, 60, 30, date(2026, 6, 1))
        store = services.ledger.store
        return [store.mapper.to_domain_event(n) for n in iter_notifications(store)]
    finally:
        services.close()


def test_demo_covers_both_regimes_and_versioned_events(demo_events: list[Any]) -> None:
    """The sample is wide enough to mean something: many types, both regimes, a version-2 class."""
    types = {type(e) for e in demo_events}
    assert len(types) >= 20
    assert {t.__module__.split(".")[2] for t in types} >= {"cpu", "clea"}
    assert any(getattr(t, "class_version", 1) > 1 for t in types)


def test_stored_bytes_equal_reference_for_every_event(demo_events: list[Any]) -> None:
    """Fast path and generic path write the reference bytes, event by event."""
    fast = PydanticMapper(transcoder=OrjsonTranscoder())
    generic = PydanticMapper(transcoder=_OtherTranscoder())
    for event in demo_events:
        expected = _reference(event)
        assert fast.to_stored_event(event).state == expected, type(event).__name__
        assert generic.to_stored_event(event).state == expected, type(event).__name__


def test_round_trip_keeps_the_event(demo_events: list[Any]) -> None:
    """What is written reads back as the same event (id, version, topic, fields)."""
    mapper = PydanticMapper(transcoder=OrjsonTranscoder())
    for event in demo_events[:300]:
        assert mapper.to_domain_event(mapper.to_stored_event(event)) == event
