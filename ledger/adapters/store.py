"""Event store adapter: eventsourcing application with a pydantic mapper, on SQLite or PostgreSQL.

The store location is a SQLite file path (the default, ``ledger.db``) or a ``postgresql://``
URL. Stored event topics are module paths: moving an event class needs ``register_topic``.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

import orjson
from eventsourcing.application import Application
from eventsourcing.persistence import Cipher, Compressor, Mapper, StoredEvent, Transcoder
from eventsourcing.utils import get_topic, resolve_topic

from ledger.adapters.target import DEFAULT_CACHE_SIZE, StoreTarget
from ledger.application.queries import iter_notifications

__all__ = [
    "DEFAULT_CACHE_SIZE",
    "EventStoreApp",
    "PydanticMapper",
    "StoreTarget",
    "iter_notifications",
    "open_store",
]


class OrjsonTranscoder(Transcoder):
    """Encodes event state as compact JSON with orjson."""

    def encode(self, obj: Any) -> bytes:
        """Encode a JSON-compatible object."""
        return orjson.dumps(obj)

    def decode(self, data: bytes) -> Any:
        """Decode bytes to a JSON-compatible object."""
        return orjson.loads(data)


_NOT_STATE = frozenset({"originator_id", "originator_version"})


class PydanticMapper(Mapper[UUID]):
    """Maps pydantic events to stored events and back, with class-version upcasting."""

    def __init__(
        self, transcoder: Transcoder, compressor: Compressor | None = None, cipher: Cipher | None = None
    ) -> None:
        super().__init__(transcoder, compressor, cipher)
        # per event class: its topic and class version (looked up once, not per event)
        self._classes: dict[type[Any], tuple[str, int]] = {}

    def _class_info(self, cls: type[Any]) -> tuple[str, int]:
        info = self._classes.get(cls)
        if info is None:
            info = self._classes[cls] = (get_topic(cls), getattr(cls, "class_version", 1))
        return info

    def to_stored_event(self, domain_event: Any) -> StoredEvent:
        """Serialise an event (JSON mode) without its id and version.

        With the :class:`OrjsonTranscoder`, pydantic writes the JSON itself (one pass instead
        of a dict then orjson): the same bytes, checked for every demo event type by
        ``tests/unit/test_mapper_bytes.py`` (the audit log hashes these bytes).
        """
        topic, class_version = self._class_info(type(domain_event))
        if type(self.transcoder) is OrjsonTranscoder:
            state = domain_event.__pydantic_serializer__.to_json(domain_event, exclude=_NOT_STATE)
            if class_version > 1:
                state = b'%s,"class_version":%d}' % (state[:-1], class_version)
        else:
            fields = domain_event.model_dump(mode="json", exclude=_NOT_STATE)
            if class_version > 1:
                fields["class_version"] = class_version
            state = self.transcoder.encode(fields)
        return StoredEvent(domain_event.originator_id, domain_event.originator_version, topic, state)

    def to_domain_event(self, stored_event: StoredEvent) -> Any:
        """Rebuild (and upcast) an event from its stored form."""
        cls = resolve_topic(stored_event.topic)
        state = self.transcoder.decode(stored_event.state)
        upcast(cls, state)
        return cls(
            originator_id=stored_event.originator_id,
            originator_version=stored_event.originator_version,
            **state,
        )


def upcast(cls: type[Any], state: dict[str, Any]) -> None:
    """Apply ``upcast_vN_vN+1`` static methods up to the class's ``class_version``."""
    target = getattr(cls, "class_version", 1)
    current = state.pop("class_version", 1)
    while current < target:
        getattr(cls, f"upcast_v{current}_v{current + 1}")(state)
        current += 1


class EventStoreApp(Application[UUID]):
    """The eventsourcing application holding every ledger aggregate."""

    name = "ledger"

    def construct_mapper(self) -> Mapper[UUID]:
        """Use the pydantic mapper with orjson."""
        return PydanticMapper(transcoder=OrjsonTranscoder())


def open_store(target: StoreTarget, cache_size: int = DEFAULT_CACHE_SIZE) -> EventStoreApp:
    """Open (and create if needed) the event store (and its PostgreSQL schema).

    On PostgreSQL, eventsourcing creates its table and replaces its insert function at every
    open, outside any lock: processes opening one store at the same moment failed with "tuple
    concurrently updated". Opens of one schema take turns under a session advisory lock,
    released when its connection closes.
    """
    if target.kind != "postgres":
        return EventStoreApp(env=target.env(cache_size))
    conn = target.connect()
    try:
        conn.execute("SELECT pg_advisory_lock(hashtext(%s))", (f"ledger-open:{target.schema or ''}",))
        return EventStoreApp(env=target.env(cache_size))
    finally:
        conn.close()
