"""The identity store: personal data kept apart from the immutable log, erasable per learner.

Events refer to learners by a random id only. Name, birth date, national number and the
legal representatives' contacts live here, each learner's record encrypted (AES-256-GCM)
under its own data key. Data keys are wrapped by a key-encryption key kept outside the
database (``$LEDGER_KEY_DIR/identity/kek``, mode 0600), so a database copy alone reveals
nothing. Erasure deletes the record and destroys the learner's key (crypto-shredding); on
SQLite ``secure_delete`` overwrites the freed pages and the WAL is checkpointed.
"""

from __future__ import annotations

import os
import secrets
from datetime import date
from pathlib import Path
from typing import Any, Protocol
from uuid import UUID

from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from pydantic import BaseModel, ConfigDict, Field

DEFAULT_KEY_DIR = ".ledger/keys"


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
        years = on.year - self.birth_date.year - ((on.month, on.day) <
                                                   (self.birth_date.month, self.birth_date.day))
        return years < 18


class IdentityStore(Protocol):
    """Port: where identities live."""

    def put(self, learner_id: UUID, identity: Identity) -> None:
        """Store (or replace) an identity."""

    def get(self, learner_id: UUID) -> Identity | None:
        """The identity of a learner, if known."""

    def erase(self, learner_id: UUID) -> bool:
        """Destroy the identity and its key; True if there was one."""


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

    def erase(self, learner_id: UUID) -> bool:
        """Forget an identity."""
        return self._rows.pop(learner_id, None) is not None


def key_encryption_key(key_dir: Path | None = None) -> bytes:
    """The identity KEK from ``$LEDGER_KEY_DIR/identity/kek``, created (0600) if absent."""
    root = key_dir or Path(os.environ.get("LEDGER_KEY_DIR", DEFAULT_KEY_DIR))
    path = root / "identity" / "kek"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as handle:
            handle.write(secrets.token_bytes(32))
    return path.read_bytes()


class SqlIdentityStore:
    """Encrypted identity store in the ledger database (SQLite or PostgreSQL), own tables."""

    def __init__(self, conn: Any, placeholder: str, kek: bytes | None = None) -> None:
        self._conn = conn
        self._p = placeholder
        self._kek = AESGCM(kek or key_encryption_key())
        self._sqlite = placeholder == "?"
        blob = "BLOB" if self._sqlite else "BYTEA"
        if self._sqlite:
            conn.execute("PRAGMA secure_delete = ON")
        conn.execute(f"CREATE TABLE IF NOT EXISTS learner_key (learner_id TEXT PRIMARY KEY, "
                     f"wrapped {blob} NOT NULL)")
        conn.execute(f"CREATE TABLE IF NOT EXISTS learner_identity (learner_id TEXT PRIMARY KEY, "
                     f"nonce {blob} NOT NULL, sealed {blob} NOT NULL)")

    def _key(self, learner_id: UUID, create: bool) -> bytes | None:
        row = self._conn.execute(f"SELECT wrapped FROM learner_key WHERE learner_id = {self._p}",
                                 (str(learner_id),)).fetchone()
        aad = f"key:{learner_id}".encode()
        if row:
            wrapped = bytes(row[0])
            return self._kek.decrypt(wrapped[:12], wrapped[12:], aad)
        if not create:
            return None
        key, nonce = AESGCM.generate_key(bit_length=256), secrets.token_bytes(12)
        self._conn.execute(f"INSERT INTO learner_key VALUES ({self._p}, {self._p})",
                           (str(learner_id), nonce + self._kek.encrypt(nonce, key, aad)))
        return key

    def put(self, learner_id: UUID, identity: Identity) -> None:
        """Encrypt and store (or replace) an identity under the learner's own key."""
        key = self._key(learner_id, create=True)
        assert key is not None
        nonce = secrets.token_bytes(12)
        sealed = AESGCM(key).encrypt(nonce, identity.model_dump_json().encode(),
                                     str(learner_id).encode())
        self._conn.execute(f"DELETE FROM learner_identity WHERE learner_id = {self._p}",
                           (str(learner_id),))
        self._conn.execute(f"INSERT INTO learner_identity VALUES ({self._p}, {self._p}, {self._p})",
                           (str(learner_id), nonce, sealed))

    def get(self, learner_id: UUID) -> Identity | None:
        """Decrypt an identity (None if unknown or erased)."""
        row = self._conn.execute(
            f"SELECT nonce, sealed FROM learner_identity WHERE learner_id = {self._p}",
            (str(learner_id),)).fetchone()
        key = self._key(learner_id, create=False)
        if not row or key is None:
            return None
        plain = AESGCM(key).decrypt(bytes(row[0]), bytes(row[1]), str(learner_id).encode())
        return Identity.model_validate_json(plain)

    def erase(self, learner_id: UUID) -> bool:
        """Delete the record and destroy the learner's key; flush freed pages on SQLite."""
        found = self._conn.execute(f"SELECT 1 FROM learner_key WHERE learner_id = {self._p}",
                                   (str(learner_id),)).fetchone() is not None
        for table in ("learner_identity", "learner_key"):
            self._conn.execute(f"DELETE FROM {table} WHERE learner_id = {self._p}",
                               (str(learner_id),))
        if self._sqlite:
            self._conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        else:
            self._conn.execute("VACUUM learner_identity")
            self._conn.execute("VACUUM learner_key")
        return found
