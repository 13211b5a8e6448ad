"""Personal data kept apart from the immutable log: the identity value and its store's port.

Events refer to learners by a random id only; name, birth date, national number and the legal
representatives' contacts live in an :class:`IdentityStore`, erasable per learner. The adapters
(:mod:`ledger.adapters.identity`) hold the encrypted SQL store and an in-memory fake.
"""

from __future__ import annotations

from datetime import date
from typing import Protocol
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field


class Representative(BaseModel):
    """A legal representative's contact (for minors)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str = Field(min_length=1, max_length=200)
    email: str | None = Field(default=None, max_length=320)
    phone: str | None = Field(default=None, max_length=40)


class Identity(BaseModel):
    """A learner's personal data (never written into events)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    given_name: str = Field(min_length=1, max_length=200)
    family_name: str = Field(min_length=1, max_length=200)
    birth_date: date
    national_number: str | None = Field(default=None, pattern=r"^[0-9]{11}$|^[0-9]{13,15}$")
    representatives: tuple[Representative, ...] = ()

    def is_minor_on(self, on: date) -> bool:
        """True if the person is under 18 on ``on``."""
        years = (
            on.year
            - self.birth_date.year
            - ((on.month, on.day) < (self.birth_date.month, self.birth_date.day))
        )
        return years < 18


class IdentityStore(Protocol):
    """Port: where identities live."""

    def put(self, learner_id: UUID, identity: Identity) -> None:
        """Store (or replace) an identity."""

    def get(self, learner_id: UUID) -> Identity | None:
        """The identity of a learner, if known."""

    def erase(self, learner_id: UUID) -> bool:
        """Destroy the identity and its key; True if there was one."""
