"""Issuing a certificate's credential: number, status entry, recording proof, holder, proofs.

Every credential carries a proof set, ``eddsa-jcs-2022`` then ``eddsa-rdfc-2022``, by the
verification method ``<issuer DID>#<multikey>``: the issuer of the credential controls the
key (see :mod:`ledger.credentials.issuers`).
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

import structlog

from ledger.credentials.building import CertificateFacts, certificate_facts, unsigned_credential
from ledger.credentials.holder import identity_object
from ledger.credentials.issuers import IssuanceError, IssuerConfig, issuer_path
from ledger.credentials.recording import recording_evidence
from ledger.credentials.signing import sign
from ledger.credentials.statuslist import status_list_entry
from ledger.credentials.statusstore import (
    LEGACY_LIST_ID,
    StatusListCache,
    StatusTable,
    list_of_issuer,
)
from ledger.domain.errors import UnknownEntity

log = structlog.get_logger("ledger.credentials")


class CredentialIssuer:
    """Issues certificate credentials and status list credentials from one store."""

    def __init__(
        self,
        store: Any,
        db: Any,
        config: IssuerConfig,
        identities: Any = None,
        status_cache: StatusListCache | None = None,
        certificates: Any = None,
    ) -> None:
        """Use the event ``store``, a ``Db`` for the status table, and the issuer config.

        ``status_cache`` (shared by the issuers of a server) keeps signed status lists
        between calls; without one every call rebuilds and signs the list.
        """
        self.store = store
        self.config = config
        self.identities = identities
        self.status = StatusTable(db)
        self.status_cache = status_cache
        self.certificates = certificates

    def certificate_id(self, reference: str) -> str:
        """The certificate behind a public number (or an internal certificate id, for the CLI)."""
        normalised = normalise_id(reference)
        return self.status.certificate_of(normalised) or normalised

    def credential(self, reference: str, include_holder: bool = True) -> dict[str, Any]:
        """The signed ``OpenBadgeCredential`` of a certificate (revoked ones too: status says so).

        ``reference`` is the certificate id (``ledger credential export``) or its public number.
        """
        certificate_id = self.certificate_id(reference)
        facts = certificate_facts(self.store, certificate_id, self.config.root_did, self.certificates)
        now = self.config.now()
        path = issuer_path(self.config.root_did, facts.issuer_id)
        if path is None:
            raise IssuanceError(f"issuer {facts.issuer_id} is not under {self.config.root_did}")
        key, method = self.config.signer(facts.issuer_id)
        entry = self.status.allocate(certificate_id, list_of_issuer(path), now)
        if self.status_cache is not None:
            self.status_cache.invalidate(entry.list_id)  # a revoked certificate may have just joined it
        status = status_list_entry(self.config.status_list_url(entry.list_id), entry.index)
        evidence = None
        if self.config.recording is not None:
            evidence = recording_evidence(self.config.recording, facts.position)
        identity = self._identity(facts) if include_holder else None
        signed = sign(unsigned_credential(facts, entry.number, status, identity, evidence), key, method, now)
        log.info("credential.issued", number=entry.number, recorded=evidence is not None)
        return signed

    def credential_by_number(self, number: str) -> dict[str, Any]:
        """The credential published as ``number`` (:class:`UnknownEntity` for any other value).

        Public routes use this: the events' certificate ids (derived from the learner's id)
        are never accepted there.
        """
        normalised = normalise_id(number)
        if self.status.certificate_of(normalised) is None:
            raise UnknownEntity("certificate number", normalised)
        return self.credential(normalised)

    def revocation(self, number: str) -> dict[str, Any]:
        """``{"status", "revoked_on", "reason"}`` of the certificate published as ``number``."""
        normalised = normalise_id(number)
        certificate_id = self.status.certificate_of(normalised)
        if certificate_id is None:
            raise UnknownEntity("certificate number", normalised)
        facts = certificate_facts(self.store, certificate_id, self.config.root_did, self.certificates)
        return {
            "number": normalised,
            "status": facts.status,
            "revoked_on": facts.revoked_on,
            "reason": facts.revocation_reason,
        }

    def facts(self, reference: str) -> CertificateFacts:
        """The facts of a certificate (status, revocation date and reason included)."""
        return certificate_facts(self.store, self.certificate_id(reference), self.config.root_did)

    def _identity(self, facts: CertificateFacts) -> dict[str, Any] | None:
        if self.identities is None:
            return None
        for ident in (facts.learner_id, facts.person_id):
            try:
                found = self.identities.get(UUID(ident)) if ident else None
            except Exception as exc:  # erased key, another key directory: leave it out
                log.warning("credential.identity_unavailable", error=type(exc).__name__)
                return None
            if found is not None:
                return identity_object(
                    found.given_name, found.family_name, found.birth_date, found.national_number
                )
        return None

    def status_list(self, list_id: str = LEGACY_LIST_ID) -> dict[str, Any]:
        """The signed ``BitstringStatusListCredential`` ``list_id`` (revoked certificates' bits set)."""
        cache = self.status_cache or StatusListCache(self.store)
        return cache.signed(list_id, self.config)

    def status_list_of(self, credential: dict[str, Any]) -> dict[str, Any]:
        """The signed status list a credential of this ledger points at."""
        status = credential.get("credentialStatus")
        url = status.get("statusListCredential") if isinstance(status, dict) else None
        found = self.config.status_list_at(url) if isinstance(url, str) else None
        if found is None:
            raise UnknownEntity("status list", str(url))
        cache = self.status_cache or StatusListCache(self.store)
        return cache.signed(found[1], found[0])


def normalise_id(reference: str) -> str:
    """A certificate id or number as a canonical UUID string (:class:`IssuanceError` otherwise)."""
    raw = reference.strip().removeprefix("urn:uuid:")
    try:
        return str(UUID(raw))
    except ValueError:
        raise IssuanceError(f"not a certificate number (UUID): {reference!r}") from None
