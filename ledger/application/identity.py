"""Personal data kept apart from the immutable log: the identity value and its store's port.

Events refer to learners by a random id only; name, birth date, national number and the legal
representatives' contacts live in an :class:`IdentityStore`, erasable per learner. The adapters
(:mod:`ledger.adapters.identity`) hold the encrypted SQL store and an in-memory fake.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import unicodedata
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

    def find(
        self, name: str | None = None, birth_date: date | None = None, national_number: str | None = None
    ) -> list[UUID]:
        """The learners whose identity matches every criterion given (a keyed blind index)."""

    def national_number_matches(self, learner_id: UUID, presented: str) -> bool:
        """True if ``presented`` is the learner's national register number (keyed hash)."""


# ------------------------------------------------------------------ keyed blind index
def normalise_text(value: str) -> str:
    """Lower case, no accents nor punctuation, one space (``Éloïse  D'Arc`` → ``eloise d arc``)."""
    decomposed = unicodedata.normalize("NFKD", value.casefold())
    plain = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join(re.split(r"[^0-9a-z]+", plain)).strip()


def name_words(value: str) -> list[str]:
    """The normalised words of a name (each one is looked up on its own)."""
    return [w for w in normalise_text(value).split(" ") if w]


def national_digits(value: str) -> str:
    """A national number's digits only (``85.07.30-033.28`` → ``85073003328``)."""
    return re.sub(r"[^0-9]", "", value)


def index_terms(identity: Identity) -> set[str]:
    """The clear terms an identity is findable by (never stored: only their keyed digests are)."""
    terms = {f"name:{w}" for w in name_words(identity.given_name) + name_words(identity.family_name)}
    terms.add(f"birth:{identity.birth_date.isoformat()}")
    if identity.national_number:
        terms.add(f"nn:{national_digits(identity.national_number)}")
    return terms


def query_terms(name: str | None, birth_date: date | None, national_number: str | None) -> set[str]:
    """The terms of a search: every word of ``name``, the birth date, the national number."""
    terms = {f"name:{w}" for w in name_words(name or "")}
    if birth_date is not None:
        terms.add(f"birth:{birth_date.isoformat()}")
    if national_number:
        terms.add(f"nn:{national_digits(national_number)}")
    return terms


def blind(key: bytes, term: str) -> str:
    """The keyed digest of a term (HMAC-SHA-256, hex): equal terms match, nothing can be read back."""
    return hmac.new(key, term.encode(), hashlib.sha256).hexdigest()
