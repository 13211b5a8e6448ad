"""Offline-verifiable inclusion proofs in the c2sp.org/tlog-proof@v1 text format.

::

    c2sp.org/tlog-proof@v1
    extra <base64 opaque data>        (optional line; NOT authenticated)
    index <decimal, no leading zeroes>
    <base64 hash>                     (zero or more: RFC 6962 inclusion proof, leaf
    ...                                sibling first, up to the root's child)
    <empty line>
    <signed checkpoint note, verbatim>

:func:`verify_tlog_proof` opens the checkpoint with the trusted verifiers and checks the
inclusion proof against the checkpoint's size and root hash.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from ledger.integrity.errors import LogError, TlogProofError
from ledger.integrity.merkle import HASH_SIZE, MerkleLog, leaf_hash, verify_inclusion
from ledger.integrity.note import Checkpoint, Verifier, open_checkpoint

__all__ = [
    "TLOG_PROOF_HEADER",
    "TlogProof",
    "VerifiedTlogProof",
    "build_tlog_proof",
    "parse_tlog_proof",
    "verify_tlog_proof",
]

TLOG_PROOF_HEADER = "c2sp.org/tlog-proof@v1"
"""First line of every proof."""

_INDEX = re.compile(r"index (0|[1-9][0-9]*)")


def _b64decode(text: str, what: str) -> bytes:
    try:
        raw = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise TlogProofError(f"{what} is not base64") from exc
    if base64.b64encode(raw).decode("ascii") != text:
        raise TlogProofError(f"{what} is not canonical base64")
    return raw


@dataclass(frozen=True)
class TlogProof:
    """A parsed tlog-proof: index, inclusion hashes, signed checkpoint, optional extra."""

    index: int
    hashes: tuple[bytes, ...]
    checkpoint: bytes
    extra: bytes | None = None

    def __post_init__(self) -> None:
        if isinstance(self.index, bool) or not 0 <= self.index < 2**64:
            raise TlogProofError("index must be an unsigned 64-bit integer")
        if any(len(h) != HASH_SIZE for h in self.hashes):
            raise TlogProofError(f"every proof hash must be {HASH_SIZE} bytes")
        if not self.checkpoint.endswith(b"\n"):
            raise TlogProofError("the checkpoint note must end with a newline")

    def to_text(self) -> str:
        """Encode the proof in the c2sp.org/tlog-proof@v1 text format."""
        lines = [TLOG_PROOF_HEADER]
        if self.extra is not None:
            lines.append("extra " + base64.b64encode(self.extra).decode("ascii"))
        lines.append(f"index {self.index}")
        lines.extend(base64.b64encode(h).decode("ascii") for h in self.hashes)
        head = "".join(line + "\n" for line in lines)
        return head + "\n" + self.checkpoint.decode("utf-8")


def _parse_head(lines: Sequence[str]) -> tuple[bytes | None, int, tuple[bytes, ...]]:
    if not lines or lines[0] != TLOG_PROOF_HEADER:
        raise TlogProofError(f"missing {TLOG_PROOF_HEADER} header")
    position, extra = 1, None
    if position < len(lines) and lines[position].startswith("extra "):
        extra = _b64decode(lines[position][len("extra ") :], "extra data")
        position += 1
    match = _INDEX.fullmatch(lines[position]) if position < len(lines) else None
    if match is None:
        raise TlogProofError("missing or malformed index line")
    hashes = tuple(_b64decode(line, "proof hash") for line in lines[position + 1 :])
    return extra, int(match.group(1)), hashes


def parse_tlog_proof(data: str | bytes) -> TlogProof:
    """Parse a c2sp.org/tlog-proof@v1 text (the checkpoint is not verified here)."""
    if isinstance(data, bytes | bytearray):
        try:
            data = bytes(data).decode("utf-8")
        except UnicodeDecodeError as exc:
            raise TlogProofError("proof is not valid UTF-8") from exc
    head, separator, checkpoint = data.partition("\n\n")
    if not separator or not checkpoint:
        raise TlogProofError("missing empty line before the checkpoint")
    extra, index, hashes = _parse_head(head.split("\n"))
    return TlogProof(index, hashes, checkpoint.encode("utf-8"), extra)


@dataclass(frozen=True)
class VerifiedTlogProof:
    """Result of :func:`verify_tlog_proof`: the proof, its checkpoint and signers."""

    proof: TlogProof
    checkpoint: Checkpoint
    signers: tuple[str, ...]


def verify_tlog_proof(
    text: str | bytes,
    verifiers: Iterable[Verifier],
    leaf: bytes,
    *,
    leaf_is_hash: bool = False,
    origin: str | None = None,
) -> VerifiedTlogProof:
    """Verify a tlog-proof offline and return what it proves.

    ``leaf`` is the logged entry (hashed with :func:`leaf_hash`) or, with
    ``leaf_is_hash=True``, its 32-byte leaf hash. The checkpoint must carry a valid
    signature from one of ``verifiers`` (and have origin ``origin`` if given), and the
    inclusion proof must lead from the leaf at the proof's index to the checkpoint's
    root. Raises :class:`TlogProofError`, :class:`NoteError`, :class:`CheckpointError`
    or :class:`ProofError` (all :class:`IntegrityError`) on failure. The ``extra``
    data is returned as is and is not authenticated.
    """
    proof = parse_tlog_proof(text)
    checkpoint, signers = open_checkpoint(proof.checkpoint, verifiers, origin)
    hashed = bytes(leaf) if leaf_is_hash else leaf_hash(leaf)
    verify_inclusion(hashed, proof.index, checkpoint.size, proof.hashes, checkpoint.root_hash)
    return VerifiedTlogProof(proof, checkpoint, signers)


def build_tlog_proof(
    log: MerkleLog,
    index: int,
    checkpoint: Checkpoint,
    checkpoint_note: bytes,
    extra: bytes | None = None,
) -> str:
    """Build the tlog-proof text for leaf ``index`` against a signed ``checkpoint``.

    ``checkpoint_note`` is the signed note of ``checkpoint`` (e.g. from
    :func:`ledger.integrity.note.sign_checkpoint`); the proof is generated for the
    checkpoint's tree size, which must not exceed the log's size, and the checkpoint's
    root must be the log's root at that size (else :class:`LogError`).
    """
    if log.root(checkpoint.size) != checkpoint.root_hash:
        raise LogError("the checkpoint's root is not the log's root at that size")
    hashes = tuple(log.inclusion_proof(index, checkpoint.size))
    return TlogProof(index, hashes, checkpoint_note, extra).to_text()
