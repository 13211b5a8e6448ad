"""The statistics decode only the fields they read: the same values as the whole stored state.

Oracle: the stored events written by the release (``tests/unit/data/released_events.jsonl``,
35 topics, one at an older class version), decoded whole with orjson and upcast by the
store's own :func:`ledger.adapters.store.upcast`.
"""

from __future__ import annotations

from typing import Any

import orjson
import pytest
from eventsourcing.persistence import Notification
from eventsourcing.utils import resolve_topic

from ledger.adapters.store import upcast
from projections.stats import Slim, _learner_events, slim_state
from tests.unit.law.test_released_store import released

FIELDS = tuple(f for f in Slim.__struct_fields__ if f not in ("decision", "class_version"))


def _whole(topic: str, raw: bytes) -> dict[str, Any]:
    state: dict[str, Any] = orjson.loads(raw)
    if "class_version" in state:
        upcast(resolve_topic(topic), state)
    return state


def test_every_released_learner_event_gives_the_fields_of_its_whole_state() -> None:
    learner = [s for s in released() if ":Learner." in s.topic]
    assert len({s.topic for s in learner}) >= 15
    for record in learner:
        whole, slim = _whole(record.topic, record.state), slim_state(record.topic, record.state)
        assert slim.decision is not None, record.topic
        assert slim.decision.effective_date == whole["decision"]["effective_date"], record.topic
        assert slim.decision.corrects == whole["decision"]["corrects"], record.topic
        assert {f: getattr(slim, f) for f in FIELDS} == {f: whole.get(f) for f in FIELDS}, record.topic


def _notification(position: int, version: int, topic: str, state: dict[str, Any]) -> Notification:
    first = released()[0]
    return Notification(
        id=position,
        originator_id=first.originator_id,
        originator_version=version,
        topic=topic,
        state=orjson.dumps(state),
    )


@pytest.mark.parametrize("corrects", [None, 2])
def test_an_unread_event_counts_only_when_it_corrects_a_decision(corrects: int | None) -> None:
    """A correction is seen whatever the event's type; without one, an unread type is skipped."""
    topic = "ledger.domain.cpu.aggregates:Learner.RemediationAssigned"
    decision = {"effective_date": "2020-01-10", "corrects": corrects, "reason": None}
    events, may_void = _learner_events([_notification(7, 3, topic, {"decision": decision, "uaa": "UAA1"})])
    assert may_void is (corrects is not None)
    assert [(v, t, e.decision.corrects if e.decision else None) for v, t, e, _ in events] == (
        [] if corrects is None else [(3, "RemediationAssigned", 2)]
    )
