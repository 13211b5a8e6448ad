"""Certificate numbers, status-list allocations and signed status lists, per issuer.

* **Certificate numbers.** A credential is published under a random number (a UUID4,
  ``urn:uuid:<number>``), drawn the first time the certificate is exported and kept in the
  ``credential_entry`` table with its status-list index; the certificate ids of the events
  (derived from the learner's id) never leave the ledger.
* **One status list per issuer.** The status list credential and the credentials it covers
  have the same issuer (relying parties' status-list libraries require it): a certificate of
  ``<root>:issuers:fase-209:jury_qualification`` gets a random index in the list
  ``fase-209/jury_qualification/1`` (URL ``<public url>/status/fase-209/jury_qualification/1``),
  signed by that issuer.
* **Legacy list.** Credentials of the first release point at list ``1`` (table
  ``credential_status``, signed by the root DID); it is still served and still follows
  revocations, so those credentials keep verifying.
* :class:`StatusListCache` keeps each signed list and signs it again only when its set bits
  or the signing key change; it is safe to share between threads.
"""

from __future__ import annotations

import json
import threading
import time
import uuid
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

import structlog

from ledger.adapters.migrations import create_tables
from ledger.credentials.errors import CredentialError
from ledger.credentials.issuers import IssuerConfig, issuer_did
from ledger.credentials.keys import KeyPair
from ledger.credentials.signing import sign
from ledger.credentials.statuslist import (
    MIN_SIZE,
    BitstringStatusList,
    RandomIndexAllocator,
    status_list_credential,
)
from ledger.domain.errors import UnknownEntity

log = structlog.get_logger("ledger.credentials")

LEGACY_LIST_ID = "1"
ENTRY_DDL = (
    "CREATE TABLE IF NOT EXISTS credential_entry ("
    "number TEXT PRIMARY KEY, certificate_id TEXT NOT NULL UNIQUE, "
    "list_id TEXT NOT NULL, status_index INTEGER NOT NULL, allocated_at TEXT NOT NULL, "
    "UNIQUE (list_id, status_index))"
)
LEGACY_DDL = (
    "CREATE TABLE IF NOT EXISTS credential_status ("
    "certificate_id TEXT PRIMARY KEY, list_id TEXT NOT NULL, "
    "status_index INTEGER NOT NULL, allocated_at TEXT NOT NULL, "
    "UNIQUE (list_id, status_index))"
)

MIGRATIONS = (
    (1, "credential status entries as the first release wrote them", create_tables(LEGACY_DDL, ENTRY_DDL)),
)
"""The ``credentials`` migration chain (:mod:`ledger.adapters.migrations`), run by the entry points."""


def list_of_issuer(issuer_path: str) -> str:
    """The status list id of an issuer path (``fase-209:jury`` → ``fase-209/jury/1``)."""
    return issuer_path.replace(":", "/") + "/1"


def issuer_of_list(config: IssuerConfig, list_id: str) -> str:
    """The DID that issues status list ``list_id``."""
    if list_id == LEGACY_LIST_ID:
        return config.root_did
    if list_id.startswith("conformance/") and config.extra_issuers:
        return next(iter(config.extra_issuers))
    return issuer_did(config.root_did, list_id.rsplit("/", 1)[0].replace("/", ":"))


@dataclass(frozen=True)
class Entry:
    """A certificate's public number and its place in a status list."""

    number: str
    list_id: str
    index: int


class StatusTable:
    """The persisted numbers and status indexes (``credential_entry``, legacy ``credential_status``)."""

    def __init__(self, db: Any) -> None:
        """Use a :class:`ledger.adapters.follower.Db`; the tables are created when missing."""
        self.db = db
        with db.transaction():
            db.execute(ENTRY_DDL)
            db.execute(LEGACY_DDL)

    def lookup(self, certificate_id: str) -> Entry | None:
        """The entry of a certificate, if allocated."""
        row = self.db.execute(
            "SELECT number, list_id, status_index FROM credential_entry WHERE certificate_id = ?",
            (certificate_id,),
        ).fetchone()
        return Entry(str(row[0]), str(row[1]), int(row[2])) if row else None

    def certificate_of(self, number: str) -> str | None:
        """The certificate id published under ``number``."""
        row = self.db.execute(
            "SELECT certificate_id FROM credential_entry WHERE number = ?", (number,)
        ).fetchone()
        return str(row[0]) if row else None

    def allocate(self, certificate_id: str, list_id: str, now: datetime) -> Entry:
        """Return the certificate's entry, drawing a number and a free random index the first time."""
        for _ in range(8):
            found = self.lookup(certificate_id)
            if found is not None:
                return found
            with self.db.transaction() as db:
                used = [
                    int(r[0])
                    for r in db.execute(
                        "SELECT status_index FROM credential_entry WHERE list_id = ?", (list_id,)
                    ).fetchall()
                ]
                entry = Entry(str(uuid.uuid4()), list_id, RandomIndexAllocator(MIN_SIZE, used).allocate())
                cur = db.execute(
                    "INSERT INTO credential_entry (number, certificate_id, list_id, "
                    "status_index, allocated_at) VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
                    (entry.number, certificate_id, list_id, entry.index, now.isoformat()),
                )
                inserted = bool(getattr(cur, "rowcount", 1))
            if inserted:
                log.info("credential.status_allocated", list_id=list_id)
                return entry
        raise CredentialError("could not allocate a status index (contention)")


# ---------------------------------------------------------------------------- revocations
REVOKED_TOPICS = (
    "ledger.domain.cpu.aggregates:Learner.CertificateRevoked",
    "ledger.domain.clea.aggregates:Candidate.CertificateRevoked",
)
_IN_CHUNK = 500


class RevocationWatch:
    """The ids of every revoked certificate, followed incrementally along the log (O(new events))."""

    def __init__(self) -> None:
        """Start before the first event."""
        self.upto = 0
        self.revoked: set[str] = set()

    def refresh(self, store: Any) -> frozenset[str]:
        """Catch up with the store; return the revoked certificate ids."""
        from ledger.adapters.store import iter_notifications

        head = int(store.recorder.max_notification_id() or 0)
        if head < self.upto:  # another store behind the same name: start again
            self.upto, self.revoked = 0, set()
        if head > self.upto:
            last = head
            for n in iter_notifications(store, start=self.upto + 1, topics=REVOKED_TOPICS):
                certificate_id = json.loads(n.state).get("certificate_id")
                if certificate_id is not None:
                    self.revoked.add(str(certificate_id))
                last = max(last, n.id)
            self.upto = last
        return frozenset(self.revoked)


@dataclass(frozen=True)
class _SignedList:
    bits: frozenset[int]
    key: str
    document: dict[str, Any]
    head: int
    checked_at: float


RECHECK_SECONDS = 5.0
"""A list is re-read at least this often even when no event was stored: an export by another
process may have placed an already-revoked certificate in it."""


class StatusListCache:
    """Signed status list credentials, per list, re-signed only when their content changes."""

    def __init__(self, store: Any) -> None:
        """Follow revocations in ``store``."""
        self.store = store
        self.watch = RevocationWatch()
        self._signed: dict[tuple[str, str], _SignedList] = {}  # by (public URL, list id)
        self._lock = threading.Lock()
        self._head_lock = threading.Lock()
        self._head_read = float("-inf")
        self._head_value = 0

    def signed(self, list_id: str, config: IssuerConfig) -> dict[str, Any]:
        """The signed list ``list_id`` (:class:`UnknownEntity` for a list never allocated)."""
        asked = time.monotonic()
        issuer = issuer_of_list(config, list_id)
        key, method = config.signer(issuer)
        head = self._head(asked)
        at = (config.public_url, list_id)
        cached = self._signed.get(at)
        if (
            cached is not None
            and cached.head == head
            and cached.key == method
            and asked - cached.checked_at < RECHECK_SECONDS
        ):
            return cached.document  # no event stored since: no new revocation
        with self._lock:
            cached = self._signed.get(at)
            bits = self.revoked_indices(list_id)
            if cached is not None and cached.bits == bits and cached.key == method:
                self._signed[at] = replace(cached, head=head, checked_at=time.monotonic())
                return cached.document
            document = sign_status_list(config, list_id, issuer, bits, key, method)
            self._signed[at] = _SignedList(bits, method, document, head, time.monotonic())
            log.info("credential.status_list_signed", list_id=list_id, revoked=len(bits))
            return document

    def _head(self, asked: float) -> int:
        """The store's last notification id, read anew unless a read began after ``asked``.

        Requests queued behind one read share it: a read that began after a request arrived
        has seen every event stored before that request.
        """
        with self._head_lock:
            if self._head_read <= asked:
                self._head_read = time.monotonic()
                self._head_value = int(self.store.recorder.max_notification_id() or 0)
            return self._head_value

    def invalidate(self, list_id: str) -> None:
        """Forget the signed list (a certificate was just placed in it)."""
        with self._lock:
            for at in [at for at in self._signed if at[1] == list_id]:
                del self._signed[at]

    def revoked_indices(self, list_id: str) -> frozenset[int]:
        """Status indexes of ``list_id`` held by revoked certificates."""
        table = "credential_status" if list_id == LEGACY_LIST_ID else "credential_entry"
        revoked = sorted(self.watch.refresh(self.store))
        if not self._allocated(table, list_id):
            raise UnknownEntity("status list", list_id)
        found: set[int] = set()
        for start in range(0, len(revoked), _IN_CHUNK):
            chunk = revoked[start : start + _IN_CHUNK]
            marks = ", ".join("?" for _ in chunk)
            rows = self._rows(
                f"SELECT status_index FROM {table} WHERE list_id = ? AND certificate_id IN ({marks})",
                (list_id, *chunk),
            )
            found.update(int(r["status_index"]) for r in rows)
        return frozenset(found)

    def _rows(self, sql: str, params: tuple[Any, ...]) -> list[Any]:
        from ledger.adapters.sql import store_rows

        try:
            return list(store_rows(self.store, sql, params))
        except Exception:  # no credential was ever issued from this database: no table yet
            return []

    def _allocated(self, table: str, list_id: str) -> bool:
        return bool(self._rows(f"SELECT 1 AS one FROM {table} WHERE list_id = ? LIMIT 1", (list_id,)))


def sign_status_list(
    config: IssuerConfig, list_id: str, issuer: str, bits: frozenset[int], key: KeyPair, method: str
) -> dict[str, Any]:
    """The signed ``BitstringStatusListCredential`` of ``list_id`` with ``bits`` set."""
    status = BitstringStatusList(MIN_SIZE)
    for index in bits:
        status.set(index)
    now = config.now()
    purpose = "suspension" if "/suspension/" in list_id else "revocation"
    doc = status_list_credential(config.status_list_url(list_id), issuer, status, now, purpose=purpose)
    return sign(doc, key, method, now)
