"""Stored notification → CloudEvents Kafka record (binary content mode), via the wire contract.

Shared by the relay (:mod:`consumers.relay`) and its read-ahead child
(:mod:`consumers.readahead`); the record layout is described in :mod:`consumers.relay`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

import orjson
from eventsourcing.persistence import Notification
from eventsourcing.utils import resolve_topic

from consumers.contract import Contract
from consumers.topics import KafkaSettings
from ledger.adapters.store import EventStoreApp, upcast


@dataclass(frozen=True, slots=True)
class Record:
    """One Kafka record ready to send."""

    topic: str
    key: bytes
    value: bytes
    headers: list[tuple[str, bytes]]


def rfc3339(stamp: str) -> str:
    """A stored ISO timestamp in RFC 3339, UTC, ``Z`` (the stored form is usually UTC already)."""
    if stamp.endswith("Z") and "T" in stamp:
        return stamp  # the store's own form (UTC, ``Z``): nothing to convert
    if stamp.endswith("+00:00"):
        return stamp[:-6] + "Z"
    moment = datetime.fromisoformat(stamp)
    if moment.tzinfo is None:
        raise ValueError(f"naive timestamp in the store: {stamp}")
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


class RecordBuilder:
    """Stored notification → CloudEvents Kafka record (via the wire contract)."""

    def __init__(
        self, store: EventStoreApp | None, settings: KafkaSettings, contract: Contract | None = None
    ) -> None:
        self.settings = settings
        self.contract = contract or Contract()
        self.source = settings.source.encode()

    def build(self, n: Notification) -> Record:
        """The record of one stored event (ContractError if it has no wire mapping)."""
        state = orjson.loads(n.state)
        upcast(resolve_topic(n.topic), state)
        subject = str(n.originator_id)
        spec, value = self.contract.to_document(n.topic, subject, n.originator_version, state)
        key = subject.encode()
        headers = [
            ("content-type", b"application/json"),
            ("ce_specversion", b"1.0"),
            ("ce_id", b"%s/%d" % (key, n.originator_version)),
            ("ce_source", self.source),
            ("ce_type", spec.type.encode()),
            ("ce_subject", key),
            ("ce_time", rfc3339(state["timestamp"]).encode()),
            ("ce_dataschema", spec.dataschema.encode()),
            ("ce_ledgerposition", b"%d" % (n.id - 1)),
            ("ce_aggversion", b"%d" % n.originator_version),
        ]
        return Record(self.settings.topic_for(spec.regime), key, value, headers)
