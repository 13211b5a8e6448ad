"""The statistics decode only the fields they read: the same values as the whole stored state.

Oracle: the stored events written by the release (``tests/unit/data/released_events.jsonl``,
35 topics, one at an older class version), decoded whole with orjson and upcast by the
store's own :func:`ledger.adapters.store.upcast`.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

import orjson
import pytest
from eventsourcing.persistence import Notification
from eventsourcing.utils import resolve_topic

from ledger.adapters.store import upcast
from projections.base import SharedBatch
from projections.law_facts import LawFactsProjection
from projections.stats import Slim, StatsProjection, _learner_events, slim_state
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


def _notification(
    position: int, version: int, topic: str, state: dict[str, Any], of: UUID | str | None = None
) -> Notification:
    return Notification(
        id=position,
        originator_id=of or released()[0].originator_id,
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


def test_the_law_facts_read_the_same_events_after_the_statistics_as_alone() -> None:
    """The statistics tell the law facts which events correct (``SharedBatch.corrects``)."""
    topic = "ledger.domain.cpu.aggregates:Learner.RemediationAssigned"
    decision = {"effective_date": "2020-01-10", "corrects": 2, "reason": None}
    stored = released()
    batch = [
        Notification(
            id=i + 1,
            originator_id=s.originator_id,
            originator_version=s.originator_version,
            topic=s.topic,
            state=s.state,
        )
        for i, s in enumerate(stored)
    ]
    last = next(n for n in reversed(batch) if ":Learner." in n.topic)
    batch.append(
        _notification(
            len(batch) + 1, last.originator_version + 1, topic, {"decision": decision}, last.originator_id
        )
    )
    alone = LawFactsProjection(None).prepare(SharedBatch(batch))
    shared = SharedBatch(batch)
    StatsProjection(None).prepare(shared)
    assert len(shared.corrects) >= len([n for n in batch if ":Learner." in n.topic])
    after = LawFactsProjection(None).prepare(shared)
    assert [e[:3] for e in after] == [e[:3] for e in alone]
    assert (str(last.originator_id), last.originator_version + 1, "RemediationAssigned") in [
        e[:3] for e in after
    ]
