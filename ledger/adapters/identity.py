"""The identity store: personal data kept apart from the immutable log, erasable per learner.

Events refer to learners by a random id only. Name, birth date, national number and the
legal representatives' contacts live here, each learner's record encrypted (AES-256-GCM)
under its own data key. Data keys are wrapped by a key-encryption key kept outside the
database (``<key dir>/identity/kek``, mode 0600; the key directory comes from the settings),
so a database copy alone reveals nothing. Erasure deletes the record and destroys the
learner's key (crypto-shredding); on SQLite ``secure_delete`` overwrites the freed pages and
the WAL is checkpointed.
"""

from __future__ import annotations

import os
import secrets
from datetime import date
from pathlib import Path
from typing import Any
from uuid import UUID

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from ledger.application.identity import (
    Identity,
    IdentityStore,
    Representative,
    blind,
    index_terms,
    query_terms,
)

__all__ = [
    "Identity",
    "IdentityStore",
    "MemoryIdentityStore",
    "Representative",
    "SqlIdentityStore",
    "index_key",
    "key_encryption_key",
]


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

    def find(
        self, name: str | None = None, birth_date: date | None = None, national_number: str | None = None
    ) -> list[UUID]:
        """The learners whose identity holds every term of the search."""
        wanted = query_terms(name, birth_date, national_number)
        if not wanted:
            return []
        return sorted(i for i, identity in self._rows.items() if wanted <= index_terms(identity))


def key_encryption_key(key_dir: Path) -> bytes:
    """The identity KEK from ``<key_dir>/identity/kek``, created (0600) if absent."""
    return _secret(key_dir / "identity" / "kek")


def index_key(key_dir: Path) -> bytes:
    """The blind index's HMAC key from ``<key_dir>/identity/index-key``, created (0600) if absent."""
    return _secret(key_dir / "identity" / "index-key")


def _secret(path: Path) -> bytes:
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as handle:
            handle.write(secrets.token_bytes(32))
    return path.read_bytes()


class SqlIdentityStore:
    """Encrypted identity store in the ledger database (SQLite or PostgreSQL), own tables."""

    def __init__(self, conn: Any, placeholder: str, kek: bytes, index: bytes | None = None) -> None:
        self._conn = conn
        self._p = placeholder
        self._kek = AESGCM(kek)
        self._index = index
        self._sqlite = placeholder == "?"
        blob = "BLOB" if self._sqlite else "BYTEA"
        if self._sqlite:
            conn.execute("PRAGMA secure_delete = ON")
        conn.execute(
            f"CREATE TABLE IF NOT EXISTS learner_key (learner_id TEXT PRIMARY KEY, wrapped {blob} NOT NULL)"
        )
        conn.execute(
            f"CREATE TABLE IF NOT EXISTS learner_identity (learner_id TEXT PRIMARY KEY, "
            f"nonce {blob} NOT NULL, sealed {blob} NOT NULL)"
        )
        # The keyed blind index: HMAC digests of normalised name words, birth date and national
        # number (the key lives in the key directory, never in the database).
        conn.execute(
            "CREATE TABLE IF NOT EXISTS learner_lookup (digest TEXT NOT NULL, learner_id TEXT NOT NULL, "
            "PRIMARY KEY (digest, learner_id))"
        )

    def _key(self, learner_id: UUID, create: bool) -> bytes | None:
        row = self._conn.execute(
            f"SELECT wrapped FROM learner_key WHERE learner_id = {self._p}", (str(learner_id),)
        ).fetchone()
        aad = f"key:{learner_id}".encode()
        if row:
            wrapped = bytes(row[0])
            return self._kek.decrypt(wrapped[:12], wrapped[12:], aad)
        if not create:
            return None
        key, nonce = AESGCM.generate_key(bit_length=256), secrets.token_bytes(12)
        self._conn.execute(
            f"INSERT INTO learner_key VALUES ({self._p}, {self._p})",
            (str(learner_id), nonce + self._kek.encrypt(nonce, key, aad)),
        )
        return key

    def put(self, learner_id: UUID, identity: Identity) -> None:
        """Encrypt and store (or replace) an identity under the learner's own key."""
        key = self._key(learner_id, create=True)
        assert key is not None
        nonce = secrets.token_bytes(12)
        sealed = AESGCM(key).encrypt(nonce, identity.model_dump_json().encode(), str(learner_id).encode())
        self._conn.execute(f"DELETE FROM learner_identity WHERE learner_id = {self._p}", (str(learner_id),))
        self._conn.execute(
            f"INSERT INTO learner_identity VALUES ({self._p}, {self._p}, {self._p})",
            (str(learner_id), nonce, sealed),
        )
        self._conn.execute(f"DELETE FROM learner_lookup WHERE learner_id = {self._p}", (str(learner_id),))
        if self._index is not None:
            for digest in sorted({blind(self._index, t) for t in index_terms(identity)}):
                self._conn.execute(
                    f"INSERT INTO learner_lookup VALUES ({self._p}, {self._p})", (digest, str(learner_id))
                )

    def with_prefix(self, prefix: str, limit: int = 5) -> list[UUID]:
        """Learners (holding an identity) whose id starts with ``prefix`` (hex digits and dashes)."""
        if not prefix or any(c not in "0123456789abcdef-" for c in prefix.lower()):
            return []
        rows = self._conn.execute(
            f"SELECT learner_id FROM learner_key WHERE learner_id LIKE {self._p} "
            f"ORDER BY learner_id LIMIT {int(limit)}",
            (prefix.lower() + "%",),
        ).fetchall()
        return [UUID(r[0]) for r in rows]

    def find(
        self, name: str | None = None, birth_date: date | None = None, national_number: str | None = None
    ) -> list[UUID]:
        """The learners whose index holds every term of the search (empty without an index key)."""
        terms = query_terms(name, birth_date, national_number)
        if not terms or self._index is None:
            return []
        digests = sorted({blind(self._index, t) for t in terms})
        marks = ", ".join([self._p] * len(digests))
        rows = self._conn.execute(
            f"SELECT learner_id FROM learner_lookup WHERE digest IN ({marks}) "
            f"GROUP BY learner_id HAVING COUNT(*) = {self._p} ORDER BY learner_id",
            (*digests, len(digests)),
        ).fetchall()
        return [UUID(r[0]) for r in rows]

    def get(self, learner_id: UUID) -> Identity | None:
        """Decrypt an identity (None if unknown or erased)."""
        row = self._conn.execute(
            f"SELECT nonce, sealed FROM learner_identity WHERE learner_id = {self._p}", (str(learner_id),)
        ).fetchone()
        key = self._key(learner_id, create=False)
        if not row or key is None:
            return None
        plain = AESGCM(key).decrypt(bytes(row[0]), bytes(row[1]), str(learner_id).encode())
        return Identity.model_validate_json(plain)

    def erase(self, learner_id: UUID) -> bool:
        """Delete the record and destroy the learner's key; flush freed pages on SQLite."""
        found = (
            self._conn.execute(
                f"SELECT 1 FROM learner_key WHERE learner_id = {self._p}", (str(learner_id),)
            ).fetchone()
            is not None
        )
        for table in ("learner_identity", "learner_key", "learner_lookup"):
            self._conn.execute(f"DELETE FROM {table} WHERE learner_id = {self._p}", (str(learner_id),))
        if self._sqlite:
            self._conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        else:
            self._conn.execute("VACUUM learner_identity")
            self._conn.execute("VACUUM learner_key")
            self._conn.execute("VACUUM learner_lookup")
        return found
