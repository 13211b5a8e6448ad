"""Who signs the ledger's credentials: issuer keys, issuer DIDs and their DID documents.

* **The root DID** (``did:web:certificates.ledger.example`` by default, a setting) names the
  ledger. Each deciding body gets an issuer DID under it:
  ``<root>:issuers:fase-209:jury_qualification`` (its ``parentOrg`` is the school,
  ``<root>:issuers:fase-209``), ``<root>:issuers:certifpro``, ``<root>:issuers:branch-<code>``.
* **Every issuer DID resolves** (did:web): ``did:web:host:issuers:fase-209:jury_qualification``
  is the document at ``https://host/issuers/fase-209/jury_qualification/did.json``; the root's
  is ``https://host/.well-known/did.json``. ``ledger serve`` serves them and ``ledger credential
  keys show --did-dir`` writes them. Each document lists every credential key of the ledger
  (old and new) as ``<issuer DID>#<multikey>``, controlled by that issuer: the issuer of a
  credential is the controller of its verification method, as relying parties require, and
  key rotation keeps old credentials verifiable.
* **Keys** live in ``<key dir>/credentials`` (one JSON file per key, mode 0600, in a 0700
  folder); the newest signs. :class:`IssuerKeyStore` re-reads the folder only when it changes.
"""

from __future__ import annotations

import json
import os
import re
import threading
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol

import structlog

from ledger.credentials.errors import CredentialKeyFormatError
from ledger.credentials.folders import FolderListing
from ledger.credentials.keys import KeyPair, PublicKey, did_document, jwks
from ledger.domain.errors import InvalidCommand
from ledger.i18n import N_

log = structlog.get_logger("ledger.credentials")

DEFAULT_ISSUER_DID = "did:web:certificates.ledger.example"
DEFAULT_PUBLIC_URL = "https://certificates.ledger.example"
DEFAULT_KEY_DIR = Path(".ledger/keys")
KEY_SUBDIR = "credentials"
ISSUERS = "issuers"
_ISSUER_PATH = re.compile(r"(fase-[0-9]{1,6}(:[a-z_]{1,40})?|certifpro|branch-[A-Za-z0-9_.-]{1,40})")


class IssuanceError(InvalidCommand):
    """A credential cannot be issued (no key, bad key file, unknown certificate…): exit 2."""


# ---------------------------------------------------------------------------- keys
@dataclass(frozen=True)
class StoredKey:
    """A credential signing key with its creation time."""

    created: str
    pair: KeyPair


class IssuerKeyStore:
    """Credential issuer keys in ``<key dir>/credentials``: JSON files, 0600, never deleted.

    The parsed keys are kept while the folder's listing (names and modification times) does
    not change, so a server does not re-read key files on every request; a rotation (a new
    file) is seen at the next call.
    """

    def __init__(self, key_dir: Path) -> None:
        """Use ``key_dir`` (the key folder shared with the integrity log)."""
        self.directory = Path(key_dir) / KEY_SUBDIR
        self._lock = threading.Lock()
        self._seen: tuple[tuple[str, int], ...] | None = None
        self._keys: list[StoredKey] = []
        self._folder = FolderListing(self.directory, lambda name: name.endswith(".json"))

    def generate(self, now: datetime | None = None) -> StoredKey:
        """Create a new signing key (it becomes the current one); return it."""
        stamp = (now or datetime.now(UTC)).astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        pair = KeyPair.generate()
        self.directory.mkdir(parents=True, exist_ok=True, mode=0o700)
        os.chmod(self.directory, 0o700)
        name = f"{stamp.replace(':', '')}-{pair.public.multibase[-12:]}.json"
        doc = {
            "type": "Ed25519",
            "created": stamp,
            "publicKeyMultibase": pair.public.multibase,
            "secretKeyMultibase": pair.private_multibase,
        }
        fd = os.open(self.directory / name, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump(doc, handle, indent=2)
        log.info("credential.key_generated", key=pair.public.multibase)
        return StoredKey(stamp, pair)

    def _listing(self) -> tuple[tuple[str, int], ...]:
        return self._folder.listing()

    def keys(self) -> list[StoredKey]:
        """Every key, oldest first."""
        listing = self._listing()
        with self._lock:
            if listing != self._seen:
                found = [self._read(self.directory / name) for name, _ in listing]
                self._keys = sorted(found, key=lambda k: (k.created, k.pair.public.multibase))
                self._seen = listing
            return list(self._keys)

    def _read(self, path: Path) -> StoredKey:
        try:
            doc = json.loads(path.read_text(encoding="utf-8"))
            pair = KeyPair.from_multibase(doc["secretKeyMultibase"], doc["publicKeyMultibase"])
            return StoredKey(str(doc["created"]), pair)
        except (OSError, ValueError, KeyError, TypeError, CredentialKeyFormatError) as exc:
            raise IssuanceError(f"unreadable credential key file {path.name}: {exc}") from exc

    def current(self) -> KeyPair:
        """The newest key; :class:`IssuanceError` when there is none."""
        keys = self.keys()
        if not keys:
            raise IssuanceError(N_("no credential issuer key: run `ledger credential keys generate`"))
        return keys[-1].pair

    def public_keys(self) -> list[PublicKey]:
        """Every public key (old ones verify old credentials)."""
        return [k.pair.public for k in self.keys()]


# ---------------------------------------------------------------------------- issuer DIDs
def issuer_did(root: str, path: str) -> str:
    """The DID of the issuer at ``path`` (``fase-209:jury_qualification``) under ``root``."""
    return f"{root}:{ISSUERS}:{path}"


def issuer_path(root: str, did: str) -> str | None:
    """The path of an issuer DID under ``root`` (``None`` when it is not one of ours)."""
    prefix = f"{root}:{ISSUERS}:"
    if not did.startswith(prefix):
        return None
    path = did[len(prefix) :]
    return path if _ISSUER_PATH.fullmatch(path) else None


def is_issuer_of(root: str, did: str) -> bool:
    """Whether ``did`` is the root or one of its issuer DIDs."""
    return did == root or issuer_path(root, did) is not None


def did_web_origin(did: str) -> str:
    """The web origin a did:web identifier names (``https://host``, an encoded port decoded)."""
    if not did.startswith("did:web:"):
        raise ValueError(f"not a did:web identifier: {did!r}")
    return "https://" + did.removeprefix("did:web:").split(":")[0].replace("%3A", ":")


def did_web_document_path(did: str) -> str:
    """Where a did:web document lives on its host (``.well-known/did.json`` for a bare host)."""
    if not did.startswith("did:web:"):
        raise ValueError(f"not a did:web identifier: {did!r}")
    parts = did.removeprefix("did:web:").split(":")
    return "/".join([*parts[1:], "did.json"]) if len(parts) > 1 else ".well-known/did.json"


def issuer_from_web_path(root: str, segments: str) -> str | None:
    """The issuer DID served at ``issuers/<segments>/did.json`` (``None`` when not one of ours)."""
    did = issuer_did(root, segments.strip("/").replace("/", ":"))
    return did if issuer_path(root, did) is not None else None


# ---------------------------------------------------------------------------- configuration
class RecordingLog(Protocol):
    """Port: the integrity log as the issuer needs it (:class:`ledger.audit.AuditLog` is one).

    ``inclusion_proof(position)`` returns a ``c2sp.org/tlog-proof@v1`` text for the event at
    zero-based ``position`` whose ``extra`` carries the leaf and the stored event;
    ``verifiers()`` the log's C2SP vkeys.
    """

    def inclusion_proof(self, position: int) -> str:
        """The tlog-proof text of the event at ``position``."""

    def verifiers(self) -> list[str]:
        """The log's verifier keys (C2SP vkey strings)."""


@dataclass
class IssuerConfig:
    """Where credentials point to and who signs them (plain values: no environment read)."""

    keys: IssuerKeyStore
    root_did: str = DEFAULT_ISSUER_DID
    public_url: str = DEFAULT_PUBLIC_URL
    recording: RecordingLog | None = None
    clock: Any = None
    extra_issuers: dict[str, KeyPair] = field(default_factory=dict)

    def __post_init__(self) -> None:
        """Normalise the public URL (no trailing slash)."""
        self.public_url = self.public_url.rstrip("/")

    @property
    def issuer_did(self) -> str:
        """The root DID (kept for callers of the first release)."""
        return self.root_did

    def now(self) -> datetime:
        """The current time (from the clock when one is given)."""
        return self.clock.now() if self.clock is not None else datetime.now(UTC)

    def status_list_url(self, list_id: str) -> str:
        """The URL (and id) of a status list credential."""
        return f"{self.public_url}/status/{list_id}"

    def list_id_of(self, url: str) -> str | None:
        """The list id of one of our status list URLs (``None`` for another server's)."""
        found = self.status_list_at(url)
        return found[1] if found is not None else None

    def status_list_at(self, url: str) -> tuple[IssuerConfig, str] | None:
        """The configuration signing the status list at ``url`` under that very URL, and its id.

        Ours are under the configured public URL, or under the root DID's own origin: a
        credential exported with the default public URL names its list there, and a server
        configured for another URL (``make demo``'s ``http://127.0.0.1:8080``) holds the same
        list, signed with the id the credential names (verifiers compare them).
        """
        bases = [self.public_url]
        if self.root_did.startswith("did:web:") and did_web_origin(self.root_did) != self.public_url:
            bases.append(did_web_origin(self.root_did))
        for base in bases:
            prefix = f"{base}/status/"
            if url.startswith(prefix) and len(url) > len(prefix):
                signing = self if base == self.public_url else replace(self, public_url=base)
                return signing, url[len(prefix) :]
        return None

    def verify_url(self, number: str) -> str:
        """The verification page opening one credential by its number."""
        return f"{self.public_url}/verify?id={number}"

    def signer(self, issuer: str) -> tuple[KeyPair, str]:
        """The key signing for ``issuer`` and its verification method id."""
        if issuer in self.extra_issuers:
            pair = self.extra_issuers[issuer]
            return pair, pair.public.verification_method()
        key = self.keys.current()
        return key, key.public.verification_method(issuer)

    def did_document(self, did: str) -> dict[str, Any] | None:
        """The DID document of the root or one of its issuers (``None`` when not ours)."""
        keys = self.keys.public_keys()
        if not keys or not is_issuer_of(self.root_did, did):
            return None
        return did_document(keys, did)

    def trust_bundle(self) -> dict[str, Any]:
        """What a verifier needs offline: root DID document, JWKS, log verifier keys."""
        keys = self.keys.public_keys()
        return {
            "issuer": self.root_did,
            "didDocument": did_document(keys, self.root_did) if keys else None,
            "jwks": jwks(keys, self.root_did),
            "logVerifiers": self.recording.verifiers() if self.recording is not None else [],
            "statusLists": f"{self.public_url}/status/",
        }


def write_did_documents(config: IssuerConfig, issuers: list[str], folder: Path) -> list[Path]:
    """Write the did:web documents of the root and of ``issuers`` under ``folder``.

    Each lands at its did:web path (``.well-known/did.json``,
    ``issuers/fase-209/jury_qualification/did.json``…), ready to be published as they are.
    """
    written = []
    for did in [config.root_did, *sorted(set(issuers))]:
        document = config.did_document(did)
        if document is None:
            continue
        path = Path(folder) / did_web_document_path(did)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")
        written.append(path)
    return written
