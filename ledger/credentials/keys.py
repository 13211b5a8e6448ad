"""Ed25519 key pairs, Multikey encoding, did:key identifiers, DID documents and JWKS.

A Multikey is the multibase base58btc (``z``) encoding of a multicodec-prefixed key:
``0xed 0x01`` + 32 public-key bytes (``z6Mk…``) or ``0x80 0x26`` (``ed25519-priv``,
0x1300) + 32 seed bytes (``z3u2…``). ``did:key:<multikey>`` names the public key and
``did:key:<multikey>#<multikey>`` is its verification method.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519

from ledger.credentials.errors import CredentialKeyFormatError, EncodingError
from ledger.credentials.multibase import (
    b64url_nopad,
    decode_base58btc,
    decode_varint,
    encode_base58btc,
    encode_varint,
)

ED25519_PUB_CODEC = 0xED
ED25519_PRIV_CODEC = 0x1300
KEY_LENGTH = 32
DID_KEY_PREFIX = "did:key:"
DID_CONTEXTS = ("https://www.w3.org/ns/did/v1", "https://w3id.org/security/multikey/v1")

KeyResolver = Callable[[str], "PublicKey | None"]
"""Maps a verification method id to a trusted public key, or ``None`` if unknown."""


def _encode_multikey(codec: int, raw: bytes) -> str:
    return encode_base58btc(encode_varint(codec) + raw)


def _decode_multikey(value: str, codec: int) -> bytes:
    try:
        data = decode_base58btc(value)
        found, used = decode_varint(data)
    except EncodingError as exc:
        raise CredentialKeyFormatError(f"not a Multikey: {exc}") from exc
    if found != codec or len(data) - used != KEY_LENGTH:
        raise CredentialKeyFormatError(f"expected multicodec 0x{codec:x} with a 32-byte key")
    return data[used:]


@dataclass(frozen=True)
class PublicKey:
    """An Ed25519 public key (32 raw bytes) with its Multikey and did:key names."""

    raw: bytes

    def __post_init__(self) -> None:
        """Reject keys that are not 32 bytes."""
        if not isinstance(self.raw, bytes) or len(self.raw) != KEY_LENGTH:
            raise CredentialKeyFormatError("an Ed25519 public key is 32 bytes")

    @classmethod
    def from_multibase(cls, value: str) -> PublicKey:
        """Decode a ``z6Mk…`` Multikey."""
        return cls(_decode_multikey(value, ED25519_PUB_CODEC))

    @classmethod
    def from_did_key(cls, did_or_vm: str) -> PublicKey:
        """Decode a ``did:key:z6Mk…`` identifier or its ``#fragment`` verification method."""
        if not isinstance(did_or_vm, str) or not did_or_vm.startswith(DID_KEY_PREFIX):
            raise CredentialKeyFormatError("not a did:key identifier")
        did, _, fragment = did_or_vm.partition("#")
        multikey = did[len(DID_KEY_PREFIX) :]
        if fragment and fragment != multikey:
            raise CredentialKeyFormatError("did:key fragment does not match the key")
        return cls.from_multibase(multikey)

    @property
    def multibase(self) -> str:
        """The Multikey ``publicKeyMultibase`` value (``z6Mk…``)."""
        return _encode_multikey(ED25519_PUB_CODEC, self.raw)

    @property
    def did(self) -> str:
        """The ``did:key`` identifier of this key."""
        return DID_KEY_PREFIX + self.multibase

    def verification_method(self, controller: str | None = None) -> str:
        """Return ``<controller>#<multikey>``; the controller defaults to the did:key."""
        return f"{controller or self.did}#{self.multibase}"

    def verify(self, signature: bytes, data: bytes) -> bool:
        """Return whether ``signature`` is a valid Ed25519 signature of ``data``."""
        try:
            _public_key(self.raw).verify(signature, data)
        except (InvalidSignature, ValueError):
            return False
        return True

    def multikey_document(self, controller: str | None = None) -> dict[str, Any]:
        """Return the Multikey verification-method object for a DID document."""
        return {
            "id": self.verification_method(controller),
            "type": "Multikey",
            "controller": controller or self.did,
            "publicKeyMultibase": self.multibase,
        }

    def jwk(self, kid: str | None = None) -> dict[str, str]:
        """Return the key as an OKP/Ed25519 public JWK (RFC 8037)."""
        return {
            "kty": "OKP",
            "crv": "Ed25519",
            "x": b64url_nopad(self.raw),
            "kid": kid or self.verification_method(),
            "alg": "EdDSA",
            "use": "sig",
        }


@dataclass(frozen=True)
class KeyPair:
    """An Ed25519 signing key with its :class:`PublicKey`; the seed never appears in repr."""

    public: PublicKey
    _private: ed25519.Ed25519PrivateKey = field(repr=False, compare=False)

    @classmethod
    def generate(cls) -> KeyPair:
        """Generate a new key pair from the OS CSPRNG."""
        return cls._from_private(ed25519.Ed25519PrivateKey.generate())

    @classmethod
    def from_seed(cls, seed: bytes) -> KeyPair:
        """Build a key pair from a 32-byte Ed25519 seed."""
        if len(seed) != KEY_LENGTH:
            raise CredentialKeyFormatError("an Ed25519 seed is 32 bytes")
        return cls._from_private(ed25519.Ed25519PrivateKey.from_private_bytes(seed))

    @classmethod
    def from_multibase(cls, private_multibase: str, public_multibase: str | None = None) -> KeyPair:
        """Decode a ``z3u2…`` private Multikey, checking the public Multikey if given."""
        pair = cls.from_seed(_decode_multikey(private_multibase, ED25519_PRIV_CODEC))
        expected = None if public_multibase is None else PublicKey.from_multibase(public_multibase)
        if expected is not None and expected != pair.public:
            raise CredentialKeyFormatError("public Multikey does not match the private key")
        return pair

    @classmethod
    def _from_private(cls, private: ed25519.Ed25519PrivateKey) -> KeyPair:
        raw = private.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
        return cls(PublicKey(raw), private)

    @property
    def private_multibase(self) -> str:
        """The ``secretKeyMultibase``-style private Multikey (``z3u2…``). Handle with care."""
        seed = self._private.private_bytes(
            serialization.Encoding.Raw,
            serialization.PrivateFormat.Raw,
            serialization.NoEncryption(),
        )
        return _encode_multikey(ED25519_PRIV_CODEC, seed)

    def sign(self, data: bytes) -> bytes:
        """Return the 64-byte Ed25519 (pure EdDSA) signature of ``data``."""
        return self._private.sign(data)


def did_document(keys: Iterable[PublicKey], controller: str | None = None) -> dict[str, Any]:
    """Return a DID document listing ``keys`` as Multikey assertion/authentication methods.

    Without ``controller`` exactly one key is allowed and the document is its did:key
    document; with a controller (e.g. ``did:web:issuer.example``) every key becomes
    ``<controller>#<multikey>``.
    """
    key_list = list(keys)
    if controller is None and len(key_list) != 1:
        raise CredentialKeyFormatError("a did:key document has exactly one key; pass a controller")
    subject = controller or key_list[0].did
    methods = [key.multikey_document(subject) for key in key_list]
    ids = [method["id"] for method in methods]
    return {
        "@context": list(DID_CONTEXTS),
        "id": subject,
        "verificationMethod": methods,
        "assertionMethod": ids,
        "authentication": ids,
    }


def jwks(keys: Iterable[PublicKey], controller: str | None = None) -> dict[str, Any]:
    """Return a JWK Set of OKP/Ed25519 keys whose ``kid`` is the verification method id."""
    return {"keys": [key.jwk(key.verification_method(controller)) for key in keys]}


def key_resolver(keys: Iterable[PublicKey], controller: str | None = None) -> KeyResolver:
    """Return a resolver that knows only ``keys`` (by did:key and by controller ids)."""
    table: dict[str, PublicKey] = {}
    for key in keys:
        table[key.verification_method()] = key
        if controller is not None:
            table[key.verification_method(controller)] = key
    return _table_resolver(table)


def _table_resolver(table: Mapping[str, PublicKey]) -> KeyResolver:
    def resolve(verification_method: str) -> PublicKey | None:
        return table.get(verification_method)

    return resolve


def did_key_resolver(verification_method: str) -> PublicKey | None:
    """Resolve any well-formed did:key verification method (no trust decision!)."""
    try:
        return PublicKey.from_did_key(verification_method)
    except CredentialKeyFormatError:
        return None


@functools.lru_cache(maxsize=256)
def _public_key(raw: bytes) -> ed25519.Ed25519PublicKey:
    """The parsed key of ``raw`` bytes, kept: a server checks the same few keys again and again."""
    return ed25519.Ed25519PublicKey.from_public_bytes(raw)
