"""Stored event topics and payload shapes stay as the released ones (new classes may be added).

``tests/unit/data/stored_event_shapes.json`` was taken from the release before the rule
catalogue work: every stored event class's topic, class version and fields in stored order (type,
bounds, default), plus the value models stored inside events. A changed shape must come with a new
``class_version`` and an upcaster (DESIGN.md), so an unchanged version with another shape fails.
"""

from __future__ import annotations

import inspect
import json
import re
from pathlib import Path
from typing import Any

from eventsourcing.utils import get_topic
from pydantic import BaseModel

from ledger.domain.clea import aggregates as clea
from ledger.domain.clea import values as clea_values
from ledger.domain.cpu import aggregates as cpu
from ledger.domain.kernel import Decision, LedgerAggregate

SNAPSHOT = Path(__file__).resolve().parents[1] / "data" / "stored_event_shapes.json"
BASES = {"Created", "Event", "Decided", "Revocation", "CertificateRevocation"}


def _shape(model: type[BaseModel]) -> dict[str, Any]:
    return {
        "class_version": getattr(model, "class_version", 1),
        "fields": [
            [n, re.sub(r" at 0x[0-9a-f]+", "", f"{f.annotation!r} {f.metadata!r} default={f.default!r}")]
            for n, f in model.model_fields.items()
        ],
    }


def stored_event_classes() -> list[type[LedgerAggregate.Event]]:
    """Every concrete event class of the CPU and CléA aggregates."""
    found = []
    for module in (cpu, clea):
        for _, agg in inspect.getmembers(module, inspect.isclass):
            if not (issubclass(agg, LedgerAggregate) and agg.__module__ == module.__name__):
                continue
            for _, ev in inspect.getmembers(agg, inspect.isclass):
                if (
                    issubclass(ev, LedgerAggregate.Event)
                    and ev.__name__ not in BASES
                    and ev.__qualname__.startswith(agg.__name__ + ".")
                ):
                    found.append(ev)
    return found


def current_shapes() -> dict[str, Any]:
    """Topic → shape of every stored event class and stored value model, as the code has them."""
    shapes = {get_topic(ev): _shape(ev) for ev in stored_event_classes()}
    for model in (Decision, clea_values.DomainResult, clea_values.SubDomainResult, clea_values.JuryMember):
        shapes[get_topic(model)] = _shape(model)
    return shapes


def test_released_topics_and_payloads_are_unchanged() -> None:
    """Every released topic still resolves, with the same fields, unless its class version moved."""
    released = json.loads(SNAPSHOT.read_text(encoding="utf-8"))
    now = current_shapes()
    missing = sorted(set(released) - set(now))
    assert not missing, f"stored topics no longer defined: {missing}"
    for topic, shape in released.items():
        if now[topic]["class_version"] == shape["class_version"]:
            assert now[topic] == shape, f"{topic} changed without a new class_version"
        else:
            event = next(e for e in stored_event_classes() if get_topic(e) == topic)
            for v in range(shape["class_version"], now[topic]["class_version"]):
                assert hasattr(event, f"upcast_v{v}_v{v + 1}"), f"{topic}: no upcaster v{v}"
