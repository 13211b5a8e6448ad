"""Which certification profile a CPU learner is admitted under (Art. 2 3°, Art. 3).

The administration publishes profile versions (``PublishProfile``); an admission uses the
latest published version of the option in force on the admission date, and the shipped reference
profiles (``ledger/reference/data/profiles``) only when none is published for that date. The
learner's admission records the version; every later decision and the dossier resolve that
version the same way: the published document if the store holds one, else the shipped file.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date
from typing import Any
from uuid import UUID

from ledger.domain.cpu.aggregates import CertificationProfile, profile_id
from ledger.reference import cpu as ref

PUBLISHED = "published by the administration"
SHIPPED = "shipped reference profile"

Lookup = Callable[[UUID], Any]
"""An aggregate by id, or ``None`` when the store does not hold it."""


@dataclass(frozen=True)
class ProfileUsed:
    """A profile and where it comes from (:data:`PUBLISHED` or :data:`SHIPPED`)."""

    profile: ref.Profile
    source: str


def from_publication(agg: Any) -> ref.Profile | None:
    """The profile a publication carries, or ``None`` (not a publication, or one without document)."""
    if not isinstance(agg, CertificationProfile) or agg.document is None:
        return None
    return ref.Profile.model_validate(agg.document)


def profile_of(lookup: Lookup, version: str) -> ref.Profile:
    """:func:`resolve`'s profile without its source (the write path asks for it per decision)."""
    published = from_publication(lookup(profile_id(version)))
    return published if published is not None else ref.profile_version(version)


def resolve(lookup: Lookup, version: str) -> ProfileUsed:
    """The profile of an exact version: published if stored with its document, else shipped."""
    published = from_publication(lookup(profile_id(version)))
    if published is not None:
        return ProfileUsed(published, PUBLISHED)
    return ProfileUsed(ref.profile_version(version), SHIPPED)


def in_force(publications: Iterable[Any], option_code: str, on: date) -> ProfileUsed:
    """The profile an admission on ``on`` uses: the latest published one in force, else shipped."""
    candidates = [
        p
        for p in (from_publication(agg) for agg in publications)
        if p is not None and p.option_code == option_code and p.in_force_from <= on
    ]
    if candidates:
        latest = max(candidates, key=lambda p: (p.in_force_from, p.approved_on))
        return ProfileUsed(latest, PUBLISHED)
    return ProfileUsed(ref.profile_in_force(option_code, on), SHIPPED)
