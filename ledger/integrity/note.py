"""Ed25519 signed notes (c2sp.org/signed-note) and checkpoints (c2sp.org/tlog-checkpoint).

A signed note is a UTF-8 text ending in a newline, a blank line, then one or more
signature lines ``— <key name> <base64(key id || signature)>`` (em dash U+2014).
Key ids are ``SHA-256(name || 0x0A || 0x01 || public key)[:4]`` (big-endian uint32).

Key strings use the Go ``golang.org/x/mod/sumdb/note`` encodings:

* verifier key (public): ``<name>+<hex key id>+<base64(0x01 || public key)>``
* signer key (secret):   ``PRIVATE+KEY+<name>+<hex key id>+<base64(0x01 || seed)>``

:func:`open_note` ignores signatures from unknown keys, rejects the whole note when a
known key's signature is invalid, and rejects a note that no known key signed.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Protocol, runtime_checkable

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)

from ledger.integrity.errors import CheckpointError, KeyFormatError, NoteError, SignatureError
from ledger.integrity.merkle import HASH_SIZE

__all__ = [
    "MAX_SIGNATURES",
    "SIG_TYPE_ED25519",
    "Checkpoint",
    "NoteVerifier",
    "Signer",
    "Verifier",
    "generate_key",
    "is_valid_key_name",
    "key_id",
    "note_signature_lines",
    "open_checkpoint",
    "open_note",
    "parse_skey",
    "parse_vkey",
    "sign_checkpoint",
    "sign_note",
    "verify_note",
]

SIG_TYPE_ED25519 = 0x01
"""Signature type identifier byte of Ed25519 note signatures."""

MAX_SIGNATURES = 100
"""Notes with more signature lines are rejected (the spec requires accepting 16)."""

_SIG_PREFIX = "— "
_HEX8 = re.compile(r"[0-9a-fA-F]{8}")
_SIZE = re.compile(r"0|[1-9][0-9]*")


def _b64decode(text: str) -> bytes:
    """Strict standard base64 (RFC 4648 §4): alphabet, padding and canonical form."""
    try:
        raw = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise ValueError("invalid base64") from exc
    if base64.b64encode(raw).decode("ascii") != text:
        raise ValueError("non-canonical base64")
    return raw


def _b64encode(raw: bytes) -> str:
    return base64.b64encode(raw).decode("ascii")


def is_valid_key_name(name: str) -> bool:
    """Return whether ``name`` is a valid key name (non-empty, no spaces, no ``+``)."""
    return bool(name) and "+" not in name and not any(ch.isspace() for ch in name)


def key_id(name: str, public_key: bytes, sig_type: int = SIG_TYPE_ED25519) -> int:
    """Return the key id ``SHA-256(name || 0x0A || sig_type || public_key)[:4]``."""
    digest = hashlib.sha256(name.encode("utf-8") + b"\n" + bytes([sig_type]) + public_key)
    return int.from_bytes(digest.digest()[:4], "big")


# ---------------------------------------------------------------------------- keys


@runtime_checkable
class NoteVerifier(Protocol):
    """What :func:`open_note` needs of a key.

    A log key (:class:`Verifier`) or a witness's cosignature key
    (:class:`ledger.integrity.cosignature.CosignatureVerifier`).
    """

    @property
    def name(self) -> str:
        """The key name of its signature lines."""
        ...

    @property
    def key_id(self) -> int:
        """The uint32 key id of its signature lines."""
        ...

    @property
    def public_key(self) -> bytes:
        """The raw public key (two verifiers with one name and id must share it)."""
        ...

    def verify(self, message: bytes, signature: bytes) -> bool:
        """Whether ``signature`` (the bytes after the key id) signs the note text ``message``."""
        ...


@dataclass(frozen=True)
class Verifier:
    """An Ed25519 note verifier: a key name and a 32-byte public key."""

    name: str
    public_key: bytes
    key_id: int = field(init=False)
    _key: Ed25519PublicKey = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if not is_valid_key_name(self.name):
            raise KeyFormatError(f"invalid key name {self.name!r}")
        if len(self.public_key) != 32:
            raise KeyFormatError("an Ed25519 public key is 32 bytes")
        try:
            public = Ed25519PublicKey.from_public_bytes(bytes(self.public_key))
        except ValueError as exc:
            raise KeyFormatError("invalid Ed25519 public key") from exc
        object.__setattr__(self, "public_key", bytes(self.public_key))
        object.__setattr__(self, "key_id", key_id(self.name, self.public_key))
        object.__setattr__(self, "_key", public)

    @property
    def vkey(self) -> str:
        """The verifier key string ``<name>+<hex id>+<base64(0x01||key)>``."""
        raw = bytes([SIG_TYPE_ED25519]) + self.public_key
        return f"{self.name}+{self.key_id:08x}+{_b64encode(raw)}"

    def verify(self, message: bytes, signature: bytes) -> bool:
        """Return whether ``signature`` is a valid Ed25519 signature of ``message``."""
        try:
            self._key.verify(signature, message)
        except InvalidSignature:
            return False
        return True


class Signer:
    """An Ed25519 note signer: a key name and a private key."""

    def __init__(self, name: str, private_key: Ed25519PrivateKey) -> None:
        public = private_key.public_key().public_bytes_raw()
        self._verifier = Verifier(name, public)
        self._private_key = private_key

    def __repr__(self) -> str:
        return f"Signer(name={self.name!r}, key_id={self.key_id:08x})"

    @property
    def name(self) -> str:
        """Key name."""
        return self._verifier.name

    @property
    def key_id(self) -> int:
        """Key id (uint32) derived from the name and the public key."""
        return self._verifier.key_id

    @property
    def verifier(self) -> Verifier:
        """The matching :class:`Verifier`."""
        return self._verifier

    def sign(self, message: bytes) -> bytes:
        """Return the 64-byte Ed25519 signature of ``message``."""
        return self._private_key.sign(message)

    def to_skey(self) -> str:
        """Return the secret signer key string ``PRIVATE+KEY+<name>+<id>+<seed>``."""
        seed = bytes([SIG_TYPE_ED25519]) + self._private_key.private_bytes_raw()
        return f"PRIVATE+KEY+{self.name}+{self.key_id:08x}+{_b64encode(seed)}"


def generate_key(name: str) -> tuple[str, str]:
    """Generate an Ed25519 key named ``name``; return ``(skey, vkey)`` strings."""
    signer = Signer(name, Ed25519PrivateKey.generate())
    return signer.to_skey(), signer.verifier.vkey


def split_key(
    name: str, hex_id: str, key64: str, sig_type: int = SIG_TYPE_ED25519, what: str = "key"
) -> tuple[int, bytes]:
    """Validate the common ``name+id+base64(type || key)`` parts; return ``(key id, 32-byte key)``.

    Shared by log keys (type 0x01) and witness cosignature keys (type 0x04); ``what`` names the
    kind of key in the error.
    """
    if not is_valid_key_name(name) or not _HEX8.fullmatch(hex_id):
        raise KeyFormatError(f"malformed {what}")
    try:
        raw = base64.b64decode(key64, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise KeyFormatError(f"malformed {what} data") from exc
    if len(raw) != 33 or raw[0] != sig_type:
        raise KeyFormatError(f"unsupported {what} type or length (expected type 0x{sig_type:02x}, 32 bytes)")
    return int(hex_id, 16), raw[1:]


def parse_vkey(vkey: str) -> Verifier:
    """Parse a verifier key string ``<name>+<hex id>+<base64(0x01 || public key)>``."""
    parts = vkey.split("+", 2)
    if len(parts) != 3:
        raise KeyFormatError("malformed verifier key")
    kid, public = split_key(parts[0], parts[1], parts[2])
    verifier = Verifier(parts[0], public)
    if verifier.key_id != kid:
        raise KeyFormatError("verifier key id does not match the key")
    return verifier


def parse_skey(skey: str) -> Signer:
    """Parse a signer key string ``PRIVATE+KEY+<name>+<hex id>+<base64(0x01 || seed)>``."""
    parts = skey.split("+", 4)
    if len(parts) != 5 or parts[:2] != ["PRIVATE", "KEY"]:
        raise KeyFormatError("malformed signer key")
    kid, seed = split_key(parts[2], parts[3], parts[4])
    signer = Signer(parts[2], Ed25519PrivateKey.from_private_bytes(seed))
    if signer.key_id != kid:
        raise KeyFormatError("signer key id does not match the key")
    return signer


# --------------------------------------------------------------------------- notes


def sign_note(text: str, signers: Sequence[Signer]) -> bytes:
    """Sign ``text`` (which must end in a newline) with every signer; return the note."""
    _check_note_chars(text)
    if not text.endswith("\n"):
        raise NoteError("note text must end with a newline")
    if not signers:
        raise NoteError("at least one signer is required")
    message = text.encode("utf-8")
    lines = []
    for signer in signers:
        sig = signer.key_id.to_bytes(4, "big") + signer.sign(message)
        lines.append(f"{_SIG_PREFIX}{signer.name} {_b64encode(sig)}\n")
    return (text + "\n" + "".join(lines)).encode("utf-8")


def _check_note_chars(text: str) -> None:
    if any(ord(ch) < 0x20 and ch != "\n" for ch in text):
        raise NoteError("note contains ASCII control characters")


def _decode_note(note: bytes) -> tuple[str, list[str]]:
    """Split a note into its text and signature lines (without newlines)."""
    try:
        decoded = bytes(note).decode("utf-8")
    except UnicodeDecodeError as exc:
        raise NoteError("note is not valid UTF-8") from exc
    _check_note_chars(decoded)
    split = decoded.rfind("\n\n")
    if split < 0:
        raise NoteError("note has no signature block")
    text, sigs = decoded[: split + 1], decoded[split + 2 :]
    if not sigs.endswith("\n"):
        raise NoteError("signature block must end with a newline")
    lines = sigs[:-1].split("\n")
    if len(lines) > MAX_SIGNATURES:
        raise NoteError(f"note has more than {MAX_SIGNATURES} signatures")
    return text, lines


def _parse_sig_line(line: str) -> tuple[str, int, bytes]:
    if not line.startswith(_SIG_PREFIX):
        raise NoteError("malformed signature line")
    name, _, b64 = line[len(_SIG_PREFIX) :].partition(" ")
    try:
        raw = base64.b64decode(b64, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise NoteError("signature is not base64") from exc
    if not is_valid_key_name(name) or len(raw) < 5:
        raise NoteError("malformed signature line")
    return name, int.from_bytes(raw[:4], "big"), raw[4:]


def _verifier_map(verifiers: Iterable[NoteVerifier]) -> dict[tuple[str, int], NoteVerifier]:
    known: dict[tuple[str, int], NoteVerifier] = {}
    for verifier in verifiers:
        key = (verifier.name, verifier.key_id)
        if key in known and known[key].public_key != verifier.public_key:
            raise NoteError(f"ambiguous verifiers for {verifier.name}+{verifier.key_id:08x}")
        known[key] = verifier
    return known


def verify_note(note: bytes, verifiers: Iterable[NoteVerifier]) -> tuple[str, tuple[NoteVerifier, ...]]:
    """Verify every signature of a known key; return the text and the keys that signed.

    Signatures by keys not in ``verifiers`` are ignored (a note may carry cosignatures of
    witnesses the reader does not know). Raises :class:`NoteError` for a malformed note and
    :class:`SignatureError` if a known key's signature is invalid; unlike :func:`open_note`,
    a note no known key signed is not an error (the tuple is empty).
    """
    known = _verifier_map(verifiers)
    text, lines = _decode_note(note)
    message = text.encode("utf-8")
    verified: list[NoteVerifier] = []
    seen: set[tuple[str, int]] = set()
    for line in lines:
        name, kid, sig = _parse_sig_line(line)
        verifier = known.get((name, kid))
        if verifier is None or (name, kid) in seen:
            continue
        seen.add((name, kid))
        if not verifier.verify(message, sig):
            raise SignatureError(f"invalid signature by {name}+{kid:08x}")
        verified.append(verifier)
    return text, tuple(verified)


def open_note(note: bytes, verifiers: Iterable[NoteVerifier]) -> tuple[str, tuple[str, ...]]:
    """Verify a signed note; return its text and the names of the keys that verified.

    Signatures by keys not in ``verifiers`` are ignored. Raises :class:`NoteError` for a
    malformed note and :class:`SignatureError` if a known key's signature is invalid or
    if no known key signed the note.
    """
    text, verified = verify_note(note, verifiers)
    if not verified:
        raise SignatureError("note has no valid signature by a known key")
    return text, tuple(v.name for v in verified)


def note_signature_lines(note: bytes) -> tuple[str, list[str]]:
    """Split a (well-formed) note into its text and its signature lines (without newlines)."""
    return _decode_note(note)


# ---------------------------------------------------------------------- checkpoints


def _check_line(what: str, value: str) -> None:
    if not value or any(ord(ch) < 0x20 for ch in value):
        raise CheckpointError(f"{what} must be a non-empty line without control characters")


@dataclass(frozen=True)
class Checkpoint:
    """A c2sp.org/tlog-checkpoint note body: origin, tree size, root hash, extensions."""

    origin: str
    size: int
    root_hash: bytes
    extensions: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        _check_line("origin", self.origin)
        if isinstance(self.size, bool) or not isinstance(self.size, int) or self.size < 0:
            raise CheckpointError("tree size must be a non-negative integer")
        if len(self.root_hash) != HASH_SIZE:
            raise CheckpointError(f"root hash must be {HASH_SIZE} bytes")
        for extension in self.extensions:
            _check_line("extension line", extension)

    def to_body(self) -> str:
        """Return the note text: origin, size, base64 root, extension lines, each + LF."""
        lines = [self.origin, str(self.size), _b64encode(self.root_hash), *self.extensions]
        return "".join(line + "\n" for line in lines)

    @classmethod
    def parse(cls, text: str) -> Checkpoint:
        """Parse a checkpoint note text (as returned by :func:`open_note`)."""
        if not text.endswith("\n"):
            raise CheckpointError("checkpoint text must end with a newline")
        lines = text[:-1].split("\n")
        if len(lines) < 3:
            raise CheckpointError("checkpoint needs origin, size and root hash lines")
        origin, size, root, *extensions = lines
        if not _SIZE.fullmatch(size):
            raise CheckpointError("tree size must be decimal without leading zeroes")
        try:
            root_hash = _b64decode(root)
        except ValueError as exc:
            raise CheckpointError("root hash is not canonical base64") from exc
        return cls(origin, int(size), root_hash, tuple(extensions))


def sign_checkpoint(checkpoint: Checkpoint, signers: Sequence[Signer]) -> bytes:
    """Return ``checkpoint`` as a signed note."""
    return sign_note(checkpoint.to_body(), signers)


def open_checkpoint(
    note: bytes, verifiers: Iterable[NoteVerifier], origin: str | None = None
) -> tuple[Checkpoint, tuple[str, ...]]:
    """Verify a signed checkpoint; return it and the names of the keys that verified.

    If ``origin`` is given the checkpoint's origin must equal it.
    """
    text, names = open_note(note, verifiers)
    checkpoint = Checkpoint.parse(text)
    if origin is not None and checkpoint.origin != origin:
        raise CheckpointError(f"unexpected checkpoint origin {checkpoint.origin!r}")
    return checkpoint, names
