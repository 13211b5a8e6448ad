"""Exceptions raised by :mod:`ledger.credentials`.

Error tree::

    CredentialError                      base of everything raised by this package
    ├── EncodingError                    bad multibase / base58 / base64url / varint input
    │   └── CredentialKeyFormatError               not an Ed25519 Multikey, did:key or raw key
    ├── CanonicalizationError            JCS or RDF canonicalisation failed
    │   ├── UnknownContextError          JSON-LD context URL not bundled (never fetched)
    │   └── CanonicalizationLimitError   hostile-input guard tripped (size, depth,
    │                                    statement count, blank-node work or time)
    ├── ProofGenerationError             add_proof() options are invalid (suite, date,
    │                                    previousProof not found, missing @context)
    └── StatusListError                  bitstring status list misuse or bad encoding

Verification never raises for a merely invalid credential: ``verify_proofs`` reports a
per-proof verdict instead. Exceptions from verification mean a programming error
(``TypeError`` for a non-mapping document, or whatever the caller's key resolver raises).
"""

from __future__ import annotations


class CredentialError(Exception):
    """Base class of every error raised by :mod:`ledger.credentials`."""


class EncodingError(CredentialError):
    """Malformed multibase, base58btc, base64url or multicodec input."""


class CredentialKeyFormatError(EncodingError):
    """Input is not an Ed25519 Multikey, did:key identifier or raw Ed25519 key."""


class CanonicalizationError(CredentialError):
    """A document could not be canonicalised (JCS or RDFC-1.0)."""


class UnknownContextError(CanonicalizationError):
    """A JSON-LD context URL is not among the bundled, offline contexts."""


class CanonicalizationLimitError(CanonicalizationError):
    """A hostile-input limit (size, depth, statements, work, time) was exceeded."""


class ProofGenerationError(CredentialError):
    """A Data Integrity proof cannot be created from the given options."""


class StatusListError(CredentialError):
    """Bitstring status list misuse: index out of range, list full, bad encoding."""
