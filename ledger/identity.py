"""The identity store: personal data kept apart from the immutable log.

Events refer to learners by a random id only. Name, birth date and national number live
here, in a table that can be erased (issue: erasure makes it per-learner encrypted).
"""

from __future__ import annotations

from datetime import date
from typing import Any, Protocol
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field


class Identity(BaseModel):
    """A learner's personal data (never written into events)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    given_name: str = Field(min_length=1, max_length=200)
    family_name: str = Field(min_length=1, max_length=200)
    birth_date: date
    national_number: str | None = Field(default=None, pattern=r"^[0-9]{11}$|^[0-9]{13,15}$")

    def is_minor_on(self, on: date) -> bool:
        """True if the person is under 18 on ``on``."""
        years = on.year - self.birth_date.year - ((on.month, on.day) <
                                                   (self.birth_date.month, self.birth_date.day))
        return years < 18


class IdentityStore(Protocol):
    """Port: where identities live."""

    def put(self, learner_id: UUID, identity: Identity) -> None:
        """Store (or replace) an identity."""

    def get(self, learner_id: UUID) -> Identity | None:
        """The identity of a learner, if known."""

    def delete(self, learner_id: UUID) -> None:
        """Erase an identity."""


class MemoryIdentityStore:
    """Fake identity store for unit tests."""

    def __init__(self) -> None:
        self._rows: dict[UUID, Identity] = {}

    def put(self, learner_id: UUID, identity: Identity) -> None:
        """Store an identity."""
        self._rows[learner_id] = identity

    def get(self, learner_id: UUID) -> Identity | None:
        """Return an identity."""
        return self._rows.get(learner_id)

    def delete(self, learner_id: UUID) -> None:
        """Forget an identity."""
        self._rows.pop(learner_id, None)


class SqlIdentityStore:
    """Identity store in the ledger database (SQLite or PostgreSQL), own table."""

    def __init__(self, conn: Any, placeholder: str) -> None:
        self._conn = conn
        self._p = placeholder
        self._conn.execute(
            "CREATE TABLE IF NOT EXISTS learner_identity (learner_id TEXT PRIMARY KEY, "
            "doc TEXT NOT NULL)"
        )

    def put(self, learner_id: UUID, identity: Identity) -> None:
        """Insert or replace an identity."""
        p = self._p
        self._conn.execute(f"DELETE FROM learner_identity WHERE learner_id = {p}",
                           (str(learner_id),))
        self._conn.execute(f"INSERT INTO learner_identity VALUES ({p}, {p})",
                           (str(learner_id), identity.model_dump_json()))

    def get(self, learner_id: UUID) -> Identity | None:
        """Read an identity."""
        row = self._conn.execute(
            f"SELECT doc FROM learner_identity WHERE learner_id = {self._p}", (str(learner_id),)
        ).fetchone()
        return Identity.model_validate_json(row[0]) if row else None

    def delete(self, learner_id: UUID) -> None:
        """Delete an identity."""
        self._conn.execute(f"DELETE FROM learner_identity WHERE learner_id = {self._p}",
                           (str(learner_id),))
