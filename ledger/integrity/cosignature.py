"""Ed25519 witness cosignatures (c2sp.org/tlog-cosignature, ``cosignature/v1``).

A cosignature is a signed-note signature line on a checkpoint by a *witness* key. Its key
id is ``SHA-256(name || 0x0A || 0x04 || public key)[:4]`` (signature type 0x04), and its
signature bytes are ``uint64 big-endian timestamp || Ed25519 signature`` over::

    cosignature/v1
    time <timestamp, decimal>
    <the checkpoint's note text, final newline included>

Key strings follow the signed-note encodings with type byte 0x04:

* verifier key (public): ``<name>+<hex key id>+<base64(0x04 || public key)>``
* signer key (secret, this project's file format, mirroring the note skey):
  ``PRIVATE+KEY+<name>+<hex key id>+<base64(0x04 || seed)>``

ML-DSA-44 cosignatures (type 0x06) are not supported: their vkeys are refused with a clear
:class:`KeyFormatError`.
"""

from __future__ import annotations

import base64
import binascii
import time
from dataclasses import dataclass, field

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from ledger.integrity.errors import KeyFormatError, NoteError
from ledger.integrity.note import is_valid_key_name, key_id, split_key

__all__ = [
    "SIG_TYPE_COSIGNATURE_V1",
    "CosignatureSigner",
    "CosignatureVerifier",
    "cosigned_message",
    "generate_cosignature_key",
    "parse_cosignature_skey",
    "parse_cosignature_vkey",
]

SIG_TYPE_COSIGNATURE_V1 = 0x04
"""Signature type byte of Ed25519 ``cosignature/v1`` keys."""

SIG_TYPE_ML_DSA_44 = 0x06
_MAX_TIMESTAMP = 2**63 - 1


def cosigned_message(text: bytes, timestamp: int) -> bytes:
    """The bytes an Ed25519 cosignature signs: header, time line, then the note text."""
    if not 0 <= timestamp <= _MAX_TIMESTAMP:
        raise NoteError("cosignature timestamp out of range")
    return b"cosignature/v1\ntime " + str(timestamp).encode("ascii") + b"\n" + text


@dataclass(frozen=True)
class CosignatureVerifier:
    """A witness's Ed25519 cosignature key: name and 32-byte public key (a NoteVerifier)."""

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
        object.__setattr__(self, "key_id", key_id(self.name, self.public_key, SIG_TYPE_COSIGNATURE_V1))
        object.__setattr__(self, "_key", public)

    @property
    def vkey(self) -> str:
        """The verifier key string ``<name>+<hex id>+<base64(0x04 || key)>``."""
        raw = bytes([SIG_TYPE_COSIGNATURE_V1]) + self.public_key
        return f"{self.name}+{self.key_id:08x}+{base64.b64encode(raw).decode('ascii')}"

    def verify(self, message: bytes, signature: bytes) -> bool:
        """Whether ``signature`` (timestamp || Ed25519 signature) cosigns note text ``message``."""
        if len(signature) != 8 + 64:
            return False
        timestamp = int.from_bytes(signature[:8], "big")
        if timestamp > _MAX_TIMESTAMP:
            return False
        try:
            self._key.verify(signature[8:], cosigned_message(message, timestamp))
        except InvalidSignature:
            return False
        return True

    @staticmethod
    def timestamp(signature: bytes) -> int:
        """The timestamp carried by a cosignature's bytes (after the key id)."""
        return int.from_bytes(signature[:8], "big")


class CosignatureSigner:
    """A witness's private cosignature key."""

    def __init__(self, name: str, private_key: Ed25519PrivateKey) -> None:
        public = private_key.public_key().public_bytes_raw()
        self._verifier = CosignatureVerifier(name, public)
        self._private_key = private_key

    def __repr__(self) -> str:
        return f"CosignatureSigner(name={self.name!r}, key_id={self.key_id:08x})"

    @property
    def name(self) -> str:
        """Witness (key) name."""
        return self._verifier.name

    @property
    def key_id(self) -> int:
        """Key id (uint32), computed with signature type 0x04."""
        return self._verifier.key_id

    @property
    def verifier(self) -> CosignatureVerifier:
        """The matching :class:`CosignatureVerifier`."""
        return self._verifier

    def cosign(self, text: bytes, timestamp: int | None = None) -> bytes:
        """The signature line (with its newline) cosigning note text ``text`` at ``timestamp``."""
        stamp = int(time.time()) if timestamp is None else timestamp
        signature = self._private_key.sign(cosigned_message(text, stamp))
        raw = self.key_id.to_bytes(4, "big") + stamp.to_bytes(8, "big") + signature
        line = f"— {self.name} {base64.b64encode(raw).decode('ascii')}\n"
        return line.encode("utf-8")

    def to_skey(self) -> str:
        """The secret key string ``PRIVATE+KEY+<name>+<id>+<base64(0x04 || seed)>``."""
        seed = bytes([SIG_TYPE_COSIGNATURE_V1]) + self._private_key.private_bytes_raw()
        return f"PRIVATE+KEY+{self.name}+{self.key_id:08x}+{base64.b64encode(seed).decode('ascii')}"


def generate_cosignature_key(name: str) -> tuple[str, str]:
    """Generate a witness key named ``name``; return ``(skey, vkey)`` strings."""
    signer = CosignatureSigner(name, Ed25519PrivateKey.generate())
    return signer.to_skey(), signer.verifier.vkey


def _split(name: str, hex_id: str, key64: str) -> tuple[int, bytes]:
    if _first_byte(key64) == SIG_TYPE_ML_DSA_44:
        raise KeyFormatError("ML-DSA-44 cosignature keys (type 0x06) are not supported")
    return split_key(name, hex_id, key64, SIG_TYPE_COSIGNATURE_V1, "cosignature key")


def _first_byte(key64: str) -> int | None:
    """The key type byte of a base64 key, if its first 4 characters decode."""
    try:
        return base64.b64decode(key64[:4], validate=True)[0]
    except (binascii.Error, ValueError, IndexError):
        return None


def parse_cosignature_vkey(vkey: str) -> CosignatureVerifier:
    """Parse a witness verifier key ``<name>+<hex id>+<base64(0x04 || public key)>``."""
    parts = vkey.split("+", 2)
    if len(parts) != 3:
        raise KeyFormatError("malformed cosignature verifier key")
    kid, public = _split(*parts)
    verifier = CosignatureVerifier(parts[0], public)
    if verifier.key_id != kid:
        raise KeyFormatError("cosignature key id does not match the key")
    return verifier


def parse_cosignature_skey(skey: str) -> CosignatureSigner:
    """Parse a witness signer key ``PRIVATE+KEY+<name>+<hex id>+<base64(0x04 || seed)>``."""
    parts = skey.split("+", 4)
    if len(parts) != 5 or parts[:2] != ["PRIVATE", "KEY"]:
        raise KeyFormatError("malformed cosignature signer key")
    kid, seed = _split(*parts[2:])
    signer = CosignatureSigner(parts[2], Ed25519PrivateKey.from_private_bytes(seed))
    if signer.key_id != kid:
        raise KeyFormatError("cosignature signer key id does not match the key")
    return signer
