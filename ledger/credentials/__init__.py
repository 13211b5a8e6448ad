"""Verifiable credentials for the ledger: Data Integrity EdDSA proofs, keys, status lists.

The primitives exported here are a pure library (no I/O beyond reading the bundled JSON-LD
contexts). Issuing is split by concern: :mod:`~ledger.credentials.issuers` (keys, issuer
DIDs), :mod:`~ledger.credentials.statusstore` (numbers, status lists),
:mod:`~ledger.credentials.building` (what a credential states), :mod:`~ledger.credentials.holder`
(the holder's identity hash), :mod:`~ledger.credentials.recording` (proof of recording),
:mod:`~ledger.credentials.issuing` (signing), :mod:`~ledger.credentials.html` (printable page);
:mod:`~ledger.credentials.verify` is the offline verifier. See :mod:`ledger.credentials.errors`
for the exception tree.
"""

from ledger.credentials.dataintegrity import (
    CRYPTOSUITES,
    EDDSA_JCS_2022,
    EDDSA_RDFC_2022,
    Failure,
    HashData,
    ProofResult,
    add_proof,
    all_verified,
    hash_data,
    proof_configuration,
    verify_proofs,
)
from ledger.credentials.errors import (
    CanonicalizationError,
    CanonicalizationLimitError,
    CredentialError,
    CredentialKeyFormatError,
    EncodingError,
    ProofGenerationError,
    StatusListError,
    UnknownContextError,
)
from ledger.credentials.jcs import canonicalize
from ledger.credentials.keys import (
    KeyPair,
    KeyResolver,
    PublicKey,
    did_document,
    did_key_resolver,
    jwks,
    key_resolver,
)
from ledger.credentials.loader import (
    CREDENTIALS_V2,
    OPEN_BADGES_V3,
    CanonicalizationLimits,
    OfflineDocumentLoader,
    canonicalize_rdf,
)
from ledger.credentials.statuslist import (
    BitstringStatusList,
    RandomIndexAllocator,
    status_list_credential,
    status_list_entry,
)

__all__ = [
    "CREDENTIALS_V2",
    "CRYPTOSUITES",
    "EDDSA_JCS_2022",
    "EDDSA_RDFC_2022",
    "OPEN_BADGES_V3",
    "BitstringStatusList",
    "CanonicalizationError",
    "CanonicalizationLimitError",
    "CanonicalizationLimits",
    "CredentialError",
    "CredentialKeyFormatError",
    "EncodingError",
    "Failure",
    "HashData",
    "KeyPair",
    "KeyResolver",
    "OfflineDocumentLoader",
    "ProofGenerationError",
    "ProofResult",
    "PublicKey",
    "RandomIndexAllocator",
    "StatusListError",
    "UnknownContextError",
    "add_proof",
    "all_verified",
    "canonicalize",
    "canonicalize_rdf",
    "did_document",
    "did_key_resolver",
    "hash_data",
    "jwks",
    "key_resolver",
    "proof_configuration",
    "status_list_credential",
    "status_list_entry",
    "verify_proofs",
]
