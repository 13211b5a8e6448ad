"""Errors raised by :mod:`ledger.integrity`.

Every error of the package derives from :class:`IntegrityError`, so an application can
catch the whole family with one ``except`` clause::

    IntegrityError                 base of everything raised on purpose by this package
    ├── ProofError                 a Merkle inclusion/consistency proof is malformed or
    │                              does not verify (RFC 9162 §2.1.3.2, §2.1.4.2)
    ├── LogError                   invalid request to a MerkleLog (size, index out of
    │                              range, leaf hash not 32 bytes) or a NodeStore that is
    │                              inconsistent (missing or duplicate node)
    ├── NoteError                  a signed note (c2sp.org/signed-note) is malformed
    │   ├── KeyFormatError         a signer (skey) or verifier (vkey) key string is invalid
    │   └── SignatureError         a known key's signature fails, or no known key signed
    ├── CheckpointError            a checkpoint body (c2sp.org/tlog-checkpoint) is
    │                              malformed or has an unexpected origin
    ├── TlogProofError             a c2sp.org/tlog-proof@v1 text is malformed
    ├── TileError                  a c2sp.org/tlog-tiles path, tile or entry bundle is
    │                              malformed, or a tile does not match the tree
    ├── PolicyError                a witness policy text is malformed
    ├── QuorumError                a checkpoint's (co)signatures do not meet the policy
    └── WitnessError               a c2sp.org/tlog-witness request is refused; carries
                                   the HTTP status of the protocol (403, 404, 409, 422…)

Errors carry a human-readable message only; none of them wraps secret material.
"""

from __future__ import annotations

__all__ = [
    "CheckpointError",
    "IntegrityError",
    "KeyFormatError",
    "LogError",
    "NoteError",
    "PolicyError",
    "ProofError",
    "QuorumError",
    "SignatureError",
    "TileError",
    "TlogProofError",
    "WitnessError",
]


class IntegrityError(Exception):
    """Base class of all errors raised by :mod:`ledger.integrity`."""


class ProofError(IntegrityError):
    """A Merkle proof is malformed or does not verify against the given root(s)."""


class LogError(IntegrityError):
    """A MerkleLog request is invalid or its NodeStore is inconsistent."""


class NoteError(IntegrityError):
    """A signed note is malformed."""


class KeyFormatError(NoteError):
    """A signer key (``PRIVATE+KEY+...``) or verifier key (``name+id+key``) is invalid."""


class SignatureError(NoteError):
    """A signature by a known key is invalid, or no known key signed the note."""


class CheckpointError(IntegrityError):
    """A checkpoint body is malformed or does not match the expected origin."""


class TlogProofError(IntegrityError):
    """A ``c2sp.org/tlog-proof@v1`` text is malformed."""


class TileError(IntegrityError):
    """A tlog-tiles path, tile or entry bundle is malformed or does not match the tree."""


class PolicyError(IntegrityError):
    """A witness policy (``log`` / ``witness`` / ``group`` / ``quorum`` lines) is malformed."""


class QuorumError(IntegrityError):
    """A checkpoint's signatures and cosignatures do not satisfy the witness policy."""


class WitnessError(IntegrityError):
    """A c2sp.org/tlog-witness ``add-checkpoint`` request is refused.

    ``status`` is the HTTP status the protocol prescribes (400 malformed or old size beyond
    the checkpoint, 403 no valid signature by a trusted key, 404 unknown origin, 409 old
    size differs from the witness's, 422 the consistency proof or the empty-tree root does
    not verify); ``known_size`` is the witness's size for a 409.
    """

    def __init__(self, status: int, message: str, known_size: int | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.known_size = known_size
