"""Open Badges 3.0 credentials issued from the ledger: keys, issuers, status list, recording proof.

Choices (documented here because verifiers depend on them):

* **Issuer identifiers.** The ledger signs on behalf of the deciding bodies. Its root DID is
  a did:web-style identifier (``$LEDGER_ISSUER_DID``, default
  ``did:web:certificates.ledger.example``) whose DID document lists every credential key,
  old and new (``GET /.well-known/did.json``). Each body gets its own profile id under it:
  ``<root>:issuers:fase-209:jury_qualification`` (its ``parentOrg`` is the school,
  ``<root>:issuers:fase-209``), ``<root>:issuers:certifpro``, ``<root>:issuers:branch-<code>``.
  Proofs name ``<root>#<multikey>``; a verifier trusts the root's keys and requires the
  issuer id to lie under the root. did:key was not chosen: it cannot rotate keys or say
  which body issued the certificate.
* **Keys** live in ``<key dir>/credentials`` where the key dir is the integrity log's
  (``$LEDGER_KEY_DIR``, else ``.ledger/keys`` beside a SQLite store), one JSON file per key,
  mode 0600. The newest key signs; every key stays listed so old credentials keep
  verifying. ``ledger credential keys generate`` rotates.
* **The learner** is identified by the random id of the events only (``urn:uuid:<id>``),
  plus, when the identity store knows the holder, a salted SHA-256 hash of
  ``"<given name> <family name>"`` (an OB 3.0 ``IdentityObject`` of type ``name``): an
  employer holding the salt from the credential can check the name on an ID card, nobody
  can read it from the credential. ``include_name_hash=False`` leaves it out.
* **Revocation**: a ``BitstringStatusListEntry`` with a random index per certificate, kept in
  the ``credential_status`` table of the ledger database; the status list credential is
  built from the revoked certificates (revoked ⇒ bit set) and signed; a server keeps it in a
  :class:`StatusListCache` and signs it again only when its bits or the signing key change.
* **Proof of recording**: an ``evidence`` entry carrying the integrity log's
  ``c2sp.org/tlog-proof@v1`` text (:meth:`ledger.audit.AuditLog.inclusion_proof`) for the
  certificate's issuance event: the signed checkpoint, the inclusion path, and in its
  ``extra`` line the leaf and the stored event; covered by both proofs.

Every credential carries a proof set: ``eddsa-jcs-2022`` and ``eddsa-rdfc-2022``.
"""

from __future__ import annotations

import hashlib
import json
import os
import secrets
import threading
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any, Protocol
from uuid import UUID

import structlog

from ledger.credentials.dataintegrity import EDDSA_JCS_2022, EDDSA_RDFC_2022, add_proof
from ledger.credentials.errors import CredentialError, KeyFormatError
from ledger.credentials.keys import KeyPair, PublicKey, did_document, jwks
from ledger.credentials.loader import CREDENTIALS_V2, OPEN_BADGES_V3
from ledger.credentials.statuslist import (
    MIN_SIZE,
    BitstringStatusList,
    RandomIndexAllocator,
    status_list_credential,
    status_list_entry,
)
from ledger.domain.errors import InvalidCommand, UnknownEntity

log = structlog.get_logger("ledger.credentials")

DEFAULT_ISSUER_DID = "did:web:certificates.ledger.example"
DEFAULT_PUBLIC_URL = "https://certificates.ledger.example"
DEFAULT_KEY_DIR = ".ledger/keys"
KEY_SUBDIR = "credentials"
STATUS_LIST_ID = "1"
RECORDING_GENRE = "c2sp.org/tlog-proof@v1"
PROOF_SUITES = (EDDSA_JCS_2022, EDDSA_RDFC_2022)

STATUS_DDL = ("CREATE TABLE IF NOT EXISTS credential_status ("
              "certificate_id TEXT PRIMARY KEY, list_id TEXT NOT NULL, "
              "status_index INTEGER NOT NULL, allocated_at TEXT NOT NULL, "
              "UNIQUE (list_id, status_index))")


class IssuanceError(InvalidCommand):
    """A credential cannot be issued (no key, bad key file, unknown certificate…): exit 2."""


# ---------------------------------------------------------------------------- keys
@dataclass(frozen=True)
class StoredKey:
    """A credential signing key with its creation time."""

    created: str
    pair: KeyPair


class KeyStore:
    """Credential issuer keys in ``<key dir>/credentials``: JSON files, 0600, never deleted."""

    def __init__(self, key_dir: Path) -> None:
        """Use ``key_dir`` (the ``LEDGER_KEY_DIR`` root)."""
        self.directory = Path(key_dir) / KEY_SUBDIR

    @classmethod
    def for_target(cls, target: Any = None) -> KeyStore:
        """The credential keys in the integrity log's key directory.

        That is :func:`ledger.adapters.keys.default_key_dir`: ``$LEDGER_KEY_DIR``, else ``.ledger/keys``
        beside a SQLite store or in the cwd.
        """
        if target is None:
            return cls(Path(DEFAULT_KEY_DIR))
        from ledger.adapters.keys import default_key_dir

        return cls(default_key_dir(target))

    def generate(self, now: datetime | None = None) -> StoredKey:
        """Create a new signing key (it becomes the current one); return it."""
        stamp = (now or datetime.now(UTC)).astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        pair = KeyPair.generate()
        self.directory.mkdir(parents=True, exist_ok=True, mode=0o700)
        name = f"{stamp.replace(':', '')}-{pair.public.multibase[-12:]}.json"
        path = self.directory / name
        doc = {"type": "Ed25519", "created": stamp, "publicKeyMultibase": pair.public.multibase,
               "secretKeyMultibase": pair.private_multibase}
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump(doc, handle, indent=2)
        log.info("credential.key_generated", key=pair.public.multibase)
        return StoredKey(stamp, pair)

    def keys(self) -> list[StoredKey]:
        """Every key, oldest first."""
        if not self.directory.is_dir():
            return []
        found = [self._read(path) for path in sorted(self.directory.glob("*.json"))]
        return sorted(found, key=lambda k: (k.created, k.pair.public.multibase))

    def _read(self, path: Path) -> StoredKey:
        try:
            doc = json.loads(path.read_text(encoding="utf-8"))
            pair = KeyPair.from_multibase(doc["secretKeyMultibase"], doc["publicKeyMultibase"])
            return StoredKey(str(doc["created"]), pair)
        except (OSError, ValueError, KeyError, TypeError, KeyFormatError) as exc:
            raise IssuanceError(f"unreadable credential key file {path.name}: {exc}") from exc

    def current(self) -> KeyPair:
        """The newest key; :class:`IssuanceError` when there is none."""
        keys = self.keys()
        if not keys:
            raise IssuanceError("no credential issuer key: run `ledger credential keys generate`")
        return keys[-1].pair

    def public_keys(self) -> list[PublicKey]:
        """Every public key (old ones verify old credentials)."""
        return [k.pair.public for k in self.keys()]


# ---------------------------------------------------------------------------- proof of recording
class RecordingLog(Protocol):
    """Port: the integrity log as the issuer needs it (:class:`ledger.audit.AuditLog` is one).

    ``inclusion_proof(position)`` returns a ``c2sp.org/tlog-proof@v1`` text for the event at
    zero-based ``position`` whose ``extra`` carries the leaf and the stored event (see
    :mod:`ledger.audit`); ``verifiers()`` the log's C2SP vkeys.
    """

    def inclusion_proof(self, position: int) -> str:
        """The tlog-proof text of the event at ``position``."""

    def verifiers(self) -> list[str]:
        """The log's verifier keys (C2SP vkey strings)."""


def audit_recording_log(target: Any, store: Any, key_dir: Path | None = None) -> RecordingLog | None:
    """The integrity log (:class:`ledger.audit.AuditLog`) of the store, if it can be opened.

    ``key_dir``: the settings' key directory (the log's keys); default beside the store.
    """
    try:
        from ledger.adapters.keys import LogKeyStore
        from ledger.audit.log import AuditLog
    except ImportError:  # the integrity log is optional for issuance
        return None
    return AuditLog(target, store, keys=LogKeyStore(key_dir) if key_dir is not None else None)


def recording_evidence(log_: RecordingLog, position: int, event_id: str) -> dict[str, Any] | None:
    """The ``evidence`` entry proving the issuance event at ``position`` is logged, if it is."""
    try:
        proof = log_.inclusion_proof(position)
    except Exception as exc:  # the log may not have reached the event yet
        log.warning("credential.recording_unavailable", position=position, error=type(exc).__name__)
        return None
    return {
        "id": f"urn:ledger:event:{event_id}",
        "type": ["Evidence"],
        "name": "Recorded in the ledger's integrity log",
        "genre": RECORDING_GENRE,
        "description": "Inclusion proof of the issuance event, with the logged event and the "
                       "signed checkpoint covering it (c2sp.org/tlog-proof@v1).",
        "logPosition": position,
        "tlogProof": proof,
    }


# ---------------------------------------------------------------------------- configuration
@dataclass
class IssuerConfig:
    """Where credentials point to and who signs them."""

    keys: KeyStore
    issuer_did: str = DEFAULT_ISSUER_DID
    public_url: str = DEFAULT_PUBLIC_URL
    recording: RecordingLog | None = None
    clock: Any = None

    @classmethod
    def from_env(cls, target: Any = None, recording: RecordingLog | None = None, *,
                 key_dir: Path | None = None, issuer_did: str | None = None,
                 public_url: str | None = None) -> IssuerConfig:
        """The configuration from the settings the entry point passes (defaults when ``None``).

        The key directory is ``key_dir``, else the one of :meth:`KeyStore.for_target`.
        """
        keys = KeyStore(key_dir) if key_dir is not None else KeyStore.for_target(target)
        return cls(keys, issuer_did or DEFAULT_ISSUER_DID,
                   (public_url or DEFAULT_PUBLIC_URL).rstrip("/"), recording)

    def now(self) -> datetime:
        """The current time (from the clock when one is given)."""
        return self.clock.now() if self.clock is not None else datetime.now(UTC)

    def status_list_url(self, list_id: str) -> str:
        """The URL (and id) of a status list credential."""
        return f"{self.public_url}/status/{list_id}"

    def verify_url(self, certificate_id: str) -> str:
        """The verification page opening one credential."""
        return f"{self.public_url}/verify?id={certificate_id}"

    def trust_bundle(self) -> dict[str, Any]:
        """What a verifier needs offline: DID document, JWKS, log verifier keys."""
        keys = self.keys.public_keys()
        return {
            "issuer": self.issuer_did,
            "didDocument": did_document(keys, self.issuer_did) if keys else None,
            "jwks": jwks(keys, self.issuer_did),
            "logVerifiers": self.recording.verifiers() if self.recording is not None else [],
            "statusLists": f"{self.public_url}/status/",
        }


# ---------------------------------------------------------------------------- status allocation
class StatusTable:
    """The persisted allocation of status-list indexes (``credential_status`` table)."""

    def __init__(self, db: Any) -> None:
        """Use a :class:`ledger.adapters.follower.Db`; the table is created when missing."""
        self.db = db
        with db.transaction():
            db.execute(STATUS_DDL)

    def lookup(self, certificate_id: str) -> tuple[str, int] | None:
        """The (list id, index) of a certificate, if allocated."""
        row = self.db.execute("SELECT list_id, status_index FROM credential_status "
                              "WHERE certificate_id = ?", (certificate_id,)).fetchone()
        return (str(row[0]), int(row[1])) if row else None

    def allocate(self, certificate_id: str, now: datetime) -> tuple[str, int]:
        """Return the certificate's index, allocating a random free one the first time."""
        for _ in range(8):
            found = self.lookup(certificate_id)
            if found is not None:
                return found
            with self.db.transaction() as db:
                used = [int(r[0]) for r in db.execute(
                    "SELECT status_index FROM credential_status WHERE list_id = ?",
                    (STATUS_LIST_ID,)).fetchall()]
                index = RandomIndexAllocator(MIN_SIZE, used).allocate()
                inserted = self._insert(db, certificate_id, index, now)
            if inserted:
                log.info("credential.status_allocated", certificate_id=certificate_id)
                return STATUS_LIST_ID, index
        raise CredentialError("could not allocate a status index (contention)")

    @staticmethod
    def _insert(db: Any, certificate_id: str, index: int, now: datetime) -> bool:
        conflict = " ON CONFLICT DO NOTHING"
        cur = db.execute("INSERT INTO credential_status (certificate_id, list_id, status_index, "
                         "allocated_at) VALUES (?, ?, ?, ?)" + conflict,
                         (certificate_id, STATUS_LIST_ID, index, now.isoformat()))
        return bool(getattr(cur, "rowcount", 1))

    def entries(self, list_id: str) -> dict[str, int]:
        """Certificate id → index of every allocation in a list."""
        rows = self.db.execute("SELECT certificate_id, status_index FROM credential_status "
                               "WHERE list_id = ?", (list_id,)).fetchall()
        return {str(r[0]): int(r[1]) for r in rows}


# ---------------------------------------------------------------------------- certificate facts
@dataclass
class CertificateFacts:
    """What a credential states about one certificate, gathered from the events."""

    certificate_id: str
    learner_id: str
    event_id: str
    position: int
    status: str
    effective_date: date
    issuer: dict[str, Any]
    achievement: dict[str, Any]
    results: list[dict[str, Any]]
    title: str
    person_id: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)


def _iso_day(day: date) -> str:
    return f"{day.isoformat()}T00:00:00Z"


def _body_label(body: str) -> str:
    labels = {"jury_qualification": "Jury de qualification", "conseil_classe": "Conseil de classe",
              "direction": "Direction", "branch_jury": "Jury de branche",
              "certifpro": "Certif'Pro", "jury_paritaire": "Jury paritaire"}
    return labels.get(body, body.replace("_", " ").capitalize())


def _fase_at(learner: Any, version: int) -> int:
    """The learner's school (FASE) when the event at ``version`` was recorded."""
    fase = int(learner.fase)
    for ver in sorted(learner.log):
        if ver > version:
            break
        ev = learner.log[ver]
        fase = int(getattr(ev, "to_fase", None) or getattr(ev, "fase", None) or fase)
    return fase


def _school_profile(root: str, fase: int) -> dict[str, Any]:
    from ledger.reference import cpu as ref

    school = ref.school(fase)
    return {
        "id": f"{root}:issuers:fase-{fase}", "type": ["Profile"], "name": school.name,
        "otherIdentifier": [{"type": ["IdentifierEntry"], "identifier": str(fase),
                             "identifierType": "identifier"}],
        "address": {"type": ["Address"], "addressLocality": school.locality,
                    "postalCode": school.postal_code, "addressCountryCode": "BE"},
    }


def _cpu_facts(root: str, learner: Any, ev: Any, position: int, status: str) -> CertificateFacts:
    from ledger.reference import cpu as ref

    profile = ref.profile_version(ev.profile_version)
    option = ref.option(profile.option_code)
    fase = _fase_at(learner, ev.originator_version)
    body = ev.decision.body.value
    school = _school_profile(root, fase)
    issuer = {"id": f"{school['id']}:{body}", "type": ["Profile"],
              "name": f"{_body_label(body)} — {school['name']}",
              "otherIdentifier": school["otherIdentifier"], "parentOrg": school}
    kind = ev.kind.value
    names = {"CQ": "Certificat de qualification", "CE6P": "Certificat d'études de 6e professionnelle"}
    title = f"{names.get(kind, kind)} — {option.name_masculine}"
    achievement_id = f"urn:ledger:achievement:cpu:{kind.lower()}:{profile.version}"
    descriptions = [{"id": f"{achievement_id}#{u.code}", "type": ["ResultDescription"],
                     "name": f"{u.code} — {u.title}", "resultType": "Status"} for u in profile.uaa]
    achievement: dict[str, Any] = {
        "id": achievement_id, "type": ["Achievement"], "achievementType": "Certificate",
        "name": title, "humanCode": kind, "inLanguage": "fr", "fieldOfStudy": option.name_masculine,
        "version": profile.version,
        "description": f"{names.get(kind, kind)} (Fédération Wallonie-Bruxelles, CPU), "
                       f"profil de certification {profile.version}.",
        "criteria": {"narrative": "Toutes les unités d'acquis d'apprentissage (UAA) du profil "
                                  "validées, ou décision souveraine motivée du jury de qualification "
                                  "(AGCF 2018-08-29)."},
        "resultDescription": descriptions,
    }
    if profile.eqf_level is not None:
        achievement["alignment"] = [{
            "type": ["Alignment"], "targetType": "ext:EQFLevel", "targetCode": str(profile.eqf_level),
            "targetName": f"EQF level {profile.eqf_level}",
            "targetFramework": "European Qualifications Framework",
            "targetUrl": "https://europass.europa.eu/en/description-eight-eqf-levels"}]
    results = [{"type": ["Result"], "resultDescription": f"{achievement_id}#{code}",
                "status": "Completed"} for code in ev.validated_uaa]
    return CertificateFacts(str(ev.certificate_id), str(learner.id),
                            f"{learner.id}/{ev.originator_version}", position, status,
                            ev.decision.effective_date, issuer, achievement, results, title,
                            extra={"basis": ev.basis.value})


CERTIFPRO = {"name": "Certif'Pro — Association nationale pour la certification paritaire "
                     "interprofessionnelle et l'évolution professionnelle",
             "addressCountryCode": "FR"}


def _clea_issuer(root: str, ev: Any) -> dict[str, Any]:
    certifpro = {"id": f"{root}:issuers:certifpro", "type": ["Profile"], "name": CERTIFPRO["name"],
                 "address": {"type": ["Address"], "addressCountryCode": "FR"}}
    if ev.branch_code is None:
        return certifpro
    return {"id": f"{root}:issuers:branch-{ev.branch_code}", "type": ["Profile"],
            "name": f"Jury de branche {ev.branch_code}",
            "otherIdentifier": [{"type": ["IdentifierEntry"], "identifier": ev.branch_code,
                                 "identifierType": "identifier"}],
            "parentOrg": certifpro}


def _clea_facts(root: str, cand: Any, ev: Any, position: int, status: str) -> CertificateFacts:
    from ledger.reference import clea as ref

    doc = ref.referential(ev.certificate)
    code = ev.certificate.value
    achievement_id = f"urn:ledger:achievement:clea:{code}"
    domains = {d.code: d.label for d in doc.domains}
    achievement = {
        "id": achievement_id, "type": ["Achievement"], "achievementType": "Certificate",
        "name": doc.name, "humanCode": code.replace("_", "-").upper(), "inLanguage": "fr",
        "version": ", ".join(ev.referential_versions),
        "description": f"{doc.name} (France, Code du travail D6113-30), délivré par Certif'Pro "
                       "ou un jury de branche.",
        "criteria": {"narrative": "Tous les domaines du référentiel acquis (évaluation préalable "
                                  "et finale), décision favorable du jury."},
        "resultDescription": [{"id": f"{achievement_id}#{c}", "type": ["ResultDescription"],
                               "name": f"{c} — {label}", "resultType": "Status"}
                              for c, label in domains.items()],
    }
    results = [{"type": ["Result"], "resultDescription": f"{achievement_id}#{c}",
                "status": "Completed"} for c in ev.domains]
    return CertificateFacts(str(ev.certificate_id), str(cand.id),
                            f"{cand.id}/{ev.originator_version}", position, status, ev.issued_on,
                            _clea_issuer(root, ev), achievement, results, doc.name,
                            person_id=str(cand.person_id))


def certificate_facts(store: Any, certificate_id: str, root: str) -> CertificateFacts:
    """Gather the facts of one certificate (CPU or CléA), or :class:`UnknownEntity`."""
    from ledger.application.queries import certificate
    from ledger.domain.clea.aggregates import Candidate
    from ledger.domain.cpu.aggregates import Learner

    row = certificate(store, certificate_id)  # UnknownEntity when unknown
    agg: Any = store.repository.get(UUID(row["learner_id"]))
    for ev in agg.log.values():
        if str(getattr(ev, "certificate_id", "")) != certificate_id:
            continue
        if isinstance(ev, Learner.CertificateIssued):
            return _cpu_facts(root, agg, ev, row["position"], row["status"])
        if isinstance(ev, Candidate.CertificateIssued):
            return _clea_facts(root, agg, ev, row["position"], row["status"])
    raise UnknownEntity("certificate issuance event", certificate_id)


# ---------------------------------------------------------------------------- building, signing
def name_identity(given_name: str, family_name: str, salt: str | None = None) -> dict[str, Any]:
    """An OB 3.0 ``IdentityObject``: salted SHA-256 of ``"<given> <family>"`` (never the name)."""
    salt = salt or secrets.token_hex(16)
    digest = hashlib.sha256(f"{given_name} {family_name}{salt}".encode()).hexdigest()
    return {"type": "IdentityObject", "identityHash": f"sha256${digest}",
            "identityType": "name", "hashed": True, "salt": salt}


def unsigned_credential(facts: CertificateFacts, status: dict[str, Any] | None,
                        identity: dict[str, Any] | None,
                        evidence: dict[str, Any] | None) -> dict[str, Any]:
    """The ``OpenBadgeCredential`` of a certificate, before its proofs."""
    subject: dict[str, Any] = {"id": f"urn:uuid:{facts.learner_id}", "type": ["AchievementSubject"]}
    if identity is not None:
        subject["identifier"] = [identity]
    subject["achievement"] = facts.achievement
    if facts.results:
        subject["result"] = facts.results
    credential: dict[str, Any] = {
        "@context": [CREDENTIALS_V2, OPEN_BADGES_V3],
        "id": f"urn:uuid:{facts.certificate_id}",
        "type": ["VerifiableCredential", "OpenBadgeCredential"],
        "name": facts.title,
        "issuer": facts.issuer,
        "validFrom": _iso_day(facts.effective_date),
        "awardedDate": _iso_day(facts.effective_date),
        "credentialSubject": subject,
    }
    if status is not None:
        credential["credentialStatus"] = status
    if evidence is not None:
        credential["evidence"] = [evidence]
    return credential


def sign(document: dict[str, Any], key: KeyPair, controller: str, created: datetime) -> dict[str, Any]:
    """Add the proof set (``eddsa-jcs-2022`` then ``eddsa-rdfc-2022``) by ``<controller>#key``."""
    method = key.public.verification_method(controller)
    signed = document
    for suite in PROOF_SUITES:
        signed = add_proof(signed, key, suite, created, verification_method=method,
                           proof_id=f"urn:uuid:{_proof_uuid()}")
    return signed


def _proof_uuid() -> str:
    import uuid

    return str(uuid.uuid4())


class CredentialIssuer:
    """Issues certificate credentials and status list credentials from one store."""

    def __init__(self, store: Any, db: Any, config: IssuerConfig, identities: Any = None,
                 status_cache: StatusListCache | None = None) -> None:
        """Use the event ``store``, a ``Db`` for the status table, and the issuer config.

        ``status_cache`` (shared by the issuers of a server) keeps signed status lists
        between calls; without one every call rebuilds and signs the list.
        """
        self.store = store
        self.config = config
        self.identities = identities
        self.status = StatusTable(db)
        self.status_cache = status_cache

    def credential(self, certificate_id: str, include_name_hash: bool = True) -> dict[str, Any]:
        """The signed ``OpenBadgeCredential`` of a certificate (revoked ones too: status says so)."""
        certificate_id = _normalise_id(certificate_id)
        facts = certificate_facts(self.store, certificate_id, self.config.issuer_did)
        key = self.config.keys.current()
        now = self.config.now()
        list_id, index = self.status.allocate(certificate_id, now)
        status = status_list_entry(self.config.status_list_url(list_id), index)
        evidence = None
        if self.config.recording is not None:
            evidence = recording_evidence(self.config.recording, facts.position, facts.event_id)
        identity = self._identity(facts) if include_name_hash else None
        signed = sign(unsigned_credential(facts, status, identity, evidence), key,
                      self.config.issuer_did, now)
        log.info("credential.issued", certificate_id=certificate_id,
                 recorded=evidence is not None)
        return signed

    def _identity(self, facts: CertificateFacts) -> dict[str, Any] | None:
        if self.identities is None:
            return None
        for ident in (facts.learner_id, facts.person_id):
            try:
                found = self.identities.get(UUID(ident)) if ident else None
            except Exception as exc:  # erased key, another key directory: leave the hash out
                log.warning("credential.identity_unavailable", certificate_id=facts.certificate_id,
                            error=type(exc).__name__)
                return None
            if found is not None:
                return name_identity(found.given_name, found.family_name)
        return None

    def status_list(self, list_id: str = STATUS_LIST_ID) -> dict[str, Any]:
        """The signed ``BitstringStatusListCredential``: revoked certificates have their bit set."""
        cache = self.status_cache or StatusListCache(self.store)
        return cache.signed(list_id, self.config)


# ---------------------------------------------------------------------------- status list cache
REVOKED_TOPICS = ("ledger.domain.cpu.aggregates:Learner.CertificateRevoked",
                  "ledger.domain.clea.aggregates:Candidate.CertificateRevoked")
_IN_CHUNK = 500


class RevocationWatch:
    """The ids of every revoked certificate, followed incrementally along the log.

    Each :meth:`refresh` reads only the revocation events stored after the last one seen
    (a topic-filtered range of the global sequence), so it costs O(new events).
    """

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


class StatusListCache:
    """Signed status list credentials, per list, re-signed only when their content changes.

    A list is signed again when the set of its set bits (revoked certificates that have a
    status index in it) or the current signing key changes; otherwise the same signed
    document is served. Safe to share between threads.
    """

    def __init__(self, store: Any) -> None:
        """Follow revocations in ``store``."""
        self.store = store
        self.watch = RevocationWatch()
        self._signed: dict[str, _SignedList] = {}
        self._lock = threading.Lock()

    def signed(self, list_id: str, config: IssuerConfig) -> dict[str, Any]:
        """The signed list ``list_id`` (:class:`UnknownEntity` for a list never allocated)."""
        with self._lock:
            bits = self.revoked_indices(list_id)
            key = config.keys.current()
            cached = self._signed.get(list_id)
            if cached is not None and cached.bits == bits and cached.key == key.public.multibase:
                return cached.document
            document = _sign_status_list(config, list_id, bits, key)
            self._signed[list_id] = _SignedList(bits, key.public.multibase, document)
            log.info("credential.status_list_signed", list_id=list_id, revoked=len(bits))
            return document

    def revoked_indices(self, list_id: str) -> frozenset[int]:
        """Status indexes of ``list_id`` held by revoked certificates."""
        from ledger.adapters.sql import store_rows

        revoked = sorted(self.watch.refresh(self.store))
        if list_id != STATUS_LIST_ID and not self._allocated(list_id):
            raise UnknownEntity("status list", list_id)
        found: set[int] = set()
        for start in range(0, len(revoked), _IN_CHUNK):
            chunk = revoked[start:start + _IN_CHUNK]
            marks = ", ".join("?" for _ in chunk)
            try:
                rows = store_rows(self.store, "SELECT status_index FROM credential_status "
                                  f"WHERE list_id = ? AND certificate_id IN ({marks})",
                                  (list_id, *chunk))
            except Exception:  # no credential was ever issued from this database
                return frozenset()
            found.update(int(r["status_index"]) for r in rows)
        return frozenset(found)

    def _allocated(self, list_id: str) -> bool:
        from ledger.adapters.sql import store_rows

        try:
            return bool(store_rows(self.store, "SELECT 1 AS one FROM credential_status "
                                   "WHERE list_id = ? LIMIT 1", (list_id,)))
        except Exception:  # no status table yet
            return False


def _sign_status_list(config: IssuerConfig, list_id: str, bits: frozenset[int],
                      key: KeyPair) -> dict[str, Any]:
    status = BitstringStatusList(MIN_SIZE)
    for index in bits:
        status.set(index)
    now = config.now()
    doc = status_list_credential(config.status_list_url(list_id), config.issuer_did, status, now)
    return sign(doc, key, config.issuer_did, now)


def _normalise_id(certificate_id: str) -> str:
    raw = certificate_id.removeprefix("urn:uuid:")
    try:
        return str(UUID(raw))
    except ValueError:
        raise IssuanceError(f"not a certificate id (UUID): {certificate_id!r}") from None

