"""The c2sp.org/tlog-witness ``add-checkpoint`` exchange, without I/O.

Request body (``POST <submission prefix>/add-checkpoint``)::

    old <size the witness last cosigned, 0 the first time>
    <base64 consistency proof hash>      (zero to 63 lines)
    <empty line>
    <signed checkpoint note>

Response: 200 with one or more cosignature lines (``— <name> <base64>``), or the status
the protocol prescribes — 400 malformed / old size beyond the checkpoint, 403 no valid
signature by a key trusted for the origin, 404 unknown origin, 409 (body: the size, a newline;
``Content-Type: text/x.tlog.size``) the old size is not the witness's, 422 the
consistency proof (or the empty tree's root) does not verify.

:func:`check_add_checkpoint` decides a request for a witness (raising :class:`WitnessError`
with that status); :class:`AddCheckpoint` builds and parses bodies for both sides;
:func:`merge_signatures` adds returned cosignatures to a note.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from ledger.integrity.errors import (
    CheckpointError,
    NoteError,
    ProofError,
    SignatureError,
    WitnessError,
)
from ledger.integrity.merkle import EMPTY_ROOT, HASH_SIZE, verify_consistency
from ledger.integrity.note import Checkpoint, NoteVerifier, note_signature_lines, verify_note

__all__ = [
    "MAX_PROOF_LINES",
    "SIZE_CONTENT_TYPE",
    "AddCheckpoint",
    "check_add_checkpoint",
    "merge_signatures",
    "parse_size_body",
]

MAX_PROOF_LINES = 63
"""Most consistency proof lines a request may carry."""

SIZE_CONTENT_TYPE = "text/x.tlog.size"
"""Content type of a 409 response's body."""

_OLD = re.compile(r"old (0|[1-9][0-9]*)")
_SIZE = re.compile(r"(0|[1-9][0-9]*)\n")


@dataclass(frozen=True)
class AddCheckpoint:
    """An ``add-checkpoint`` request: old size, consistency proof, signed checkpoint."""

    old_size: int
    proof: tuple[bytes, ...]
    checkpoint: bytes

    def to_body(self) -> bytes:
        """The request body."""
        lines = [f"old {self.old_size}", *(base64.b64encode(h).decode("ascii") for h in self.proof)]
        return ("".join(line + "\n" for line in lines) + "\n").encode("ascii") + self.checkpoint

    @classmethod
    def parse(cls, body: bytes) -> AddCheckpoint:
        """Parse a request body (:class:`WitnessError` 400 when malformed)."""
        head, separator, note = bytes(body).partition(b"\n\n")
        if not separator or not note:
            raise WitnessError(400, "the body needs an old size line, a blank line, a checkpoint")
        try:
            lines = head.decode("ascii").split("\n")
        except UnicodeDecodeError:
            raise WitnessError(400, "the old size and proof lines must be ASCII") from None
        match = _OLD.fullmatch(lines[0])
        if match is None:
            raise WitnessError(400, "the first line must be 'old <size>' (decimal, no leading 0)")
        if len(lines) - 1 > MAX_PROOF_LINES:
            raise WitnessError(400, f"more than {MAX_PROOF_LINES} consistency proof lines")
        return cls(int(match.group(1)), tuple(_proof_hash(line) for line in lines[1:]), note)


def _proof_hash(line: str) -> bytes:
    try:
        raw = base64.b64decode(line, validate=True)
    except (binascii.Error, ValueError):
        raise WitnessError(400, "a consistency proof line is not base64") from None
    if len(raw) != HASH_SIZE or base64.b64encode(raw).decode("ascii") != line:
        raise WitnessError(400, "a consistency proof line is not a canonical 32-byte hash")
    return raw


def parse_size_body(body: bytes) -> int:
    """The size in a 409 response body (decimal and newline); :class:`WitnessError` otherwise."""
    match = _SIZE.fullmatch(bytes(body).decode("ascii", "replace"))
    if match is None:
        raise WitnessError(409, "the witness's 409 body is not a tree size")
    return int(match.group(1))


def _origin(note: bytes) -> str:
    first = note.split(b"\n", 1)[0]
    try:
        return first.decode("utf-8")
    except UnicodeDecodeError:
        raise WitnessError(400, "the checkpoint is not UTF-8") from None


def _open(note: bytes, verifiers: Sequence[NoteVerifier]) -> Checkpoint:
    try:
        text, verified = verify_note(note, verifiers)
    except SignatureError as exc:
        raise WitnessError(403, f"invalid signature by a trusted key: {exc}") from None
    except NoteError as exc:
        raise WitnessError(400, f"malformed note: {exc}") from None
    if not verified:
        raise WitnessError(403, "no signature by a key trusted for this origin")
    try:
        return Checkpoint.parse(text)
    except CheckpointError as exc:
        raise WitnessError(400, f"malformed checkpoint: {exc}") from None


def check_add_checkpoint(
    request: AddCheckpoint, verifiers: Sequence[NoteVerifier] | None, known: tuple[int, bytes] | None
) -> Checkpoint:
    """Decide an ``add-checkpoint`` request; return the checkpoint to cosign.

    ``verifiers`` are the log keys the witness trusts for the note's origin (``None``: the
    origin is unknown → 404); ``known`` is the ``(size, root)`` it last cosigned for that
    origin (``None`` when it never did). Raises :class:`WitnessError` with the protocol's
    status. The caller must persist the new size atomically with the check of the old one.
    """
    if verifiers is None:
        raise WitnessError(404, f"unknown log origin {_origin(request.checkpoint)!r}")
    checkpoint = _open(request.checkpoint, verifiers)
    old = request.old_size
    if old > checkpoint.size:
        raise WitnessError(400, f"old size {old} is beyond the checkpoint's size {checkpoint.size}")
    known_size, known_root = known if known is not None else (0, EMPTY_ROOT)
    if old != known_size:
        raise WitnessError(409, f"the witness holds size {known_size}, not {old}", known_size)
    if checkpoint.size == 0 and checkpoint.root_hash != EMPTY_ROOT:
        raise WitnessError(422, "a checkpoint of size 0 must have the empty tree's root")
    if old == 0:
        if request.proof:
            raise WitnessError(422, "no consistency proof is needed from size 0")
        return checkpoint
    try:
        verify_consistency(old, checkpoint.size, request.proof, known_root, checkpoint.root_hash)
    except ProofError as exc:
        raise WitnessError(422, f"not consistent with the cosigned size {old}: {exc}") from None
    return checkpoint


def merge_signatures(note: bytes, lines: Iterable[str]) -> bytes:
    """``note`` with the signature ``lines`` appended; a key (name, key id) signs once.

    A line from a key the note already carries replaces the older line (a witness's newer
    cosignature). Lines are not verified here: verify the result with the keys you trust.
    """
    text, existing = note_signature_lines(note)
    merged: dict[tuple[str, bytes], str] = {}
    for line in [*existing, *lines]:
        merged[_line_key(line)] = line
    return (text + "\n" + "".join(line + "\n" for line in merged.values())).encode("utf-8")


def _line_key(line: str) -> tuple[str, bytes]:
    if not line.startswith("— ") or " " not in line[2:]:
        raise NoteError("malformed signature line")
    name, _, b64 = line[2:].partition(" ")
    try:
        raw = base64.b64decode(b64, validate=True)
    except (binascii.Error, ValueError):
        raise NoteError("signature is not base64") from None
    return name, raw[:4]
