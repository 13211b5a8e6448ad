"""The identity store: encrypted per learner, apart from the log, erasable for good."""

from __future__ import annotations

import secrets
import uuid
from datetime import date
from pathlib import Path

import pytest
from cryptography.exceptions import InvalidTag

from ledger.adapters.identity import Identity, Representative, SqlIdentityStore, key_encryption_key
from ledger.settings import Settings

PERSON = Identity(
    given_name="Zéphyrine",
    family_name="Vandersmissen",
    birth_date=date(2004, 2, 29),
    national_number="04022912345",
    representatives=(Representative(name="Ghislaine Vandersmissen", email="g.vdsm@example.org"),),
)


def store(location: str, kek: bytes | None = None) -> SqlIdentityStore:
    """The identity store at ``location``; its key from the settings' key directory by default."""
    settings = Settings.load(db=location)
    target = settings.target()
    key = kek if kek is not None else key_encryption_key(settings.key_directory())
    return SqlIdentityStore(target.connect(), target.placeholder, key)


def test_round_trip_and_erasure(store_location: str) -> None:
    """Stored, read back, then erased: record and key are gone on both backends."""
    ids = store(store_location)
    learner = uuid.uuid4()
    ids.put(learner, PERSON)
    assert ids.get(learner) == PERSON
    assert ids.get(uuid.uuid4()) is None
    assert ids.erase(learner) is True
    assert ids.get(learner) is None and ids.erase(learner) is False


def test_nothing_in_clear_in_the_sqlite_file(tmp_path: Path) -> None:
    """Neither the file nor its WAL holds a name, date or number in clear, before or after."""
    db = tmp_path / "i.db"
    ids = store(str(db))
    learner = uuid.uuid4()
    ids.put(learner, PERSON)
    ids.erase(learner)
    raw = b"".join(p.read_bytes() for p in tmp_path.glob("i.db*"))  # the file and its WAL
    for value in ("Vandersmissen", "Zéphyrine", "2004-02-29", "04022912345", "g.vdsm@example.org"):
        assert value.encode() not in raw


def test_database_copy_without_the_key_reveals_nothing(tmp_path: Path) -> None:
    """Data keys are wrapped by a KEK outside the database: another KEK cannot decrypt."""
    db = str(tmp_path / "i.db")
    learner = uuid.uuid4()
    store(db, secrets.token_bytes(32)).put(learner, PERSON)
    with pytest.raises(InvalidTag):
        store(db, secrets.token_bytes(32)).get(learner)


def test_minor_on_a_date() -> None:
    """Age is computed on the decision date (birthday included)."""
    assert PERSON.is_minor_on(date(2022, 2, 27))
    assert not PERSON.is_minor_on(date(2022, 3, 1))
