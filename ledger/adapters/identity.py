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

import hashlib
import hmac
import os
import secrets
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any
from uuid import UUID

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

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
    "SealedIdentity",
    "SqlIdentityStore",
    "index_key",
    "key_encryption_key",
    "write_sealed",
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

    def national_number_matches(self, learner_id: UUID, presented: str) -> bool:
        """True if ``presented`` is the learner's national register number."""
        known = self._rows.get(learner_id)
        number = known.national_number if known else None
        return number is not None and hmac.compare_digest(number, presented)


def private_dir(path: Path) -> Path:
    """Create ``path`` (and missing parents) as 0700 whatever the umask; tighten it if it exists."""
    path.mkdir(parents=True, exist_ok=True)
    os.chmod(path, 0o700)
    return path


def nrn_mac_key(kek: bytes) -> bytes:
    """The key of the national-number keyed hash, derived from the identity KEK (HKDF-SHA256)."""
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=b"ledger nrn hmac v1").derive(kek)


def nrn_mac(mac_key: bytes, number: str) -> str:
    """HMAC-SHA256 of a national register number (digits only): matchable, not reversible."""
    digits = "".join(ch for ch in number if ch.isdigit())
    return hmac.new(mac_key, digits.encode(), hashlib.sha256).hexdigest()


def key_encryption_key(key_dir: Path) -> bytes:
    """The identity KEK from ``<key_dir>/identity/kek``, created (0600, folder 0700) if absent."""
    return _secret(key_dir / "identity" / "kek")


def index_key(key_dir: Path) -> bytes:
    """The blind index's HMAC key from ``<key_dir>/identity/index-key``, created (0600) if absent."""
    return _secret(key_dir / "identity" / "index-key")


def _secret(path: Path) -> bytes:
    private_dir(path.parent)
    if not path.exists():
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as handle:
            handle.write(secrets.token_bytes(32))
    return path.read_bytes()


@dataclass(frozen=True)
class SealedIdentity:
    """One learner's encrypted identity rows, ready to be written in a caller's transaction.

    ``wrapped_key`` is the new data key wrapped by the KEK, or None when the learner already
    has a key (a replaced identity keeps its key). ``lookup`` holds the learner's blind-index
    digests (``learner_lookup``), replacing any previous ones in the same transaction.
    """

    learner_id: str
    wrapped_key: bytes | None
    nonce: bytes
    sealed: bytes
    nrn_mac: str | None
    lookup: tuple[str, ...] = ()


def write_sealed(cursor: Any, placeholder: str, prefix: str, rows: Sequence[SealedIdentity]) -> None:
    """Write sealed identities with ``cursor`` (inside the caller's transaction, if any).

    ``prefix`` qualifies the tables (a PostgreSQL schema: ``'"s".'``; empty on SQLite or
    when the connection's search path names the schema).
    """
    p = placeholder
    for row in rows:
        if row.wrapped_key is not None:
            cursor.execute(
                f"INSERT INTO {prefix}learner_key (learner_id, wrapped) VALUES ({p}, {p})",
                (row.learner_id, row.wrapped_key),
            )
        cursor.execute(f"DELETE FROM {prefix}learner_identity WHERE learner_id = {p}", (row.learner_id,))
        cursor.execute(
            f"INSERT INTO {prefix}learner_identity (learner_id, nonce, sealed, nrn_mac) "
            f"VALUES ({p}, {p}, {p}, {p})",
            (row.learner_id, row.nonce, row.sealed, row.nrn_mac),
        )
        cursor.execute(f"DELETE FROM {prefix}learner_lookup WHERE learner_id = {p}", (row.learner_id,))
        for digest in row.lookup:
            cursor.execute(
                f"INSERT INTO {prefix}learner_lookup (digest, learner_id) VALUES ({p}, {p})",
                (digest, row.learner_id),
            )


class SqlIdentityStore:
    """Encrypted identity store in the ledger database (SQLite or PostgreSQL), own tables."""

    def __init__(self, conn: Any, placeholder: str, kek: bytes, index: bytes | None = None) -> None:
        self._conn = conn
        self._p = placeholder
        from ledger.adapters.migrations import migrate

        self._kek = AESGCM(kek)
        self._index = index
        self._mac_key = nrn_mac_key(kek)
        self._sqlite = placeholder == "?"
        if self._sqlite:
            conn.execute("PRAGMA secure_delete = ON")
        migrate(conn, placeholder)

    def _existing_key(self, learner_id: UUID) -> bytes | None:
        row = self._conn.execute(
            f"SELECT wrapped FROM learner_key WHERE learner_id = {self._p}", (str(learner_id),)
        ).fetchone()
        return None if not row else self._unwrap(learner_id, bytes(row[0]))

    def _unwrap(self, learner_id: UUID, wrapped: bytes) -> bytes:
        return self._kek.decrypt(wrapped[:12], wrapped[12:], f"key:{learner_id}".encode())

    def _key(self, learner_id: UUID) -> tuple[bytes, bytes | None]:
        """The learner's data key and, when it does not exist yet, its new wrapped form."""
        existing = self._existing_key(learner_id)
        if existing is not None:
            return existing, None
        key, nonce = AESGCM.generate_key(bit_length=256), secrets.token_bytes(12)
        return key, nonce + self._kek.encrypt(nonce, key, f"key:{learner_id}".encode())

    def seal(self, learner_id: UUID, identity: Identity) -> SealedIdentity:
        """Encrypt an identity into the rows :func:`write_sealed` stores (nothing written here).

        The event recorders write these rows in the events' transaction
        (:mod:`ledger.adapters.recorders`), so an admission and its identity commit together.
        """
        key, wrapped = self._key(learner_id)
        nonce = secrets.token_bytes(12)
        sealed = AESGCM(key).encrypt(nonce, identity.model_dump_json().encode(), str(learner_id).encode())
        mac = nrn_mac(self._mac_key, identity.national_number) if identity.national_number else None
        lookup = tuple(sorted({blind(self._index, t) for t in index_terms(identity)})) if self._index else ()
        return SealedIdentity(str(learner_id), wrapped, nonce, sealed, mac, lookup)

    def put(self, learner_id: UUID, identity: Identity) -> None:
        """Encrypt and store (or replace) an identity under the learner's own key (one transaction)."""
        rows = [self.seal(learner_id, identity)]
        if self._sqlite and not self._conn.in_transaction:
            self._conn.execute("BEGIN IMMEDIATE")
            try:
                write_sealed(self._conn, self._p, "", rows)
            except BaseException:
                self._conn.execute("ROLLBACK")
                raise
            self._conn.execute("COMMIT")
        elif self._sqlite:
            write_sealed(self._conn, self._p, "", rows)
        else:
            with self._conn.transaction():
                write_sealed(self._conn, self._p, "", rows)

    def national_number_matches(self, learner_id: UUID, presented: str) -> bool:
        """True if ``presented`` is the learner's national register number (keyed hash).

        Records written before the keyed hash existed are matched on the decrypted identity.
        """
        row = self._conn.execute(
            f"SELECT nrn_mac FROM learner_identity WHERE learner_id = {self._p}", (str(learner_id),)
        ).fetchone()
        if row is None:
            return False
        if row[0] is not None:
            return hmac.compare_digest(str(row[0]), nrn_mac(self._mac_key, presented))
        known = self.get(learner_id)
        number = known.national_number if known else None
        return number is not None and hmac.compare_digest(
            nrn_mac(self._mac_key, number), nrn_mac(self._mac_key, presented)
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

    def count(self) -> int:
        """How many identities are stored."""
        return int(self._conn.execute("SELECT COUNT(*) FROM learner_identity").fetchone()[0])

    def reindex(self, progress: Callable[[int, int], None] | None = None) -> int:
        """Rebuild the blind index of every stored identity; the number of identities indexed.

        For identities recorded before the index existed (or before its key changed): each one
        is decrypted and its digests replace its ``learner_lookup`` rows, one transaction per
        identity. ``progress(done, total)`` is called after each. Needs the index key.
        """
        if self._index is None:
            raise ValueError("the blind index has no key")
        ids = [UUID(r[0]) for r in self._conn.execute("SELECT learner_id FROM learner_identity").fetchall()]
        done = 0
        for position, learner_id in enumerate(sorted(ids), start=1):
            identity = self.get(learner_id)
            if identity is not None:
                self._replace_lookup(learner_id, identity)
                done += 1
            if progress is not None:
                progress(position, len(ids))
        return done

    def _replace_lookup(self, learner_id: UUID, identity: Identity) -> None:
        assert self._index is not None
        digests = sorted({blind(self._index, t) for t in index_terms(identity)})
        p, ident = self._p, str(learner_id)
        statements: list[tuple[str, tuple[str, ...]]] = [
            (f"DELETE FROM learner_lookup WHERE learner_id = {p}", (ident,))
        ]
        statements += [
            (f"INSERT INTO learner_lookup (digest, learner_id) VALUES ({p}, {p})", (d, ident))
            for d in digests
        ]
        if self._sqlite:
            if not self._conn.in_transaction:
                self._conn.execute("BEGIN IMMEDIATE")
            try:
                for sql, args in statements:
                    self._conn.execute(sql, args)
            except BaseException:
                self._conn.execute("ROLLBACK")
                raise
            self._conn.execute("COMMIT")
        else:
            with self._conn.transaction():
                for sql, args in statements:
                    self._conn.execute(sql, args)

    def get(self, learner_id: UUID) -> Identity | None:
        """Decrypt an identity (None if unknown or erased)."""
        # one round trip: the sealed record and the learner's wrapped key together
        row = self._conn.execute(
            "SELECT i.nonce, i.sealed, k.wrapped FROM learner_identity i"
            f" JOIN learner_key k ON k.learner_id = i.learner_id WHERE i.learner_id = {self._p}",
            (str(learner_id),),
        ).fetchone()
        if not row:
            return None
        key = self._unwrap(learner_id, bytes(row[2]))
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
