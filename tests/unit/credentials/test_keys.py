"""Multikey, did:key, DID document and JWKS."""

from __future__ import annotations

import base64

import pytest

from ledger.credentials.errors import CredentialKeyFormatError, EncodingError
from ledger.credentials.keys import (
    KeyPair,
    PublicKey,
    did_document,
    did_key_resolver,
    jwks,
    key_resolver,
)
from ledger.credentials.multibase import (
    decode_base58btc,
    decode_base64url,
    decode_varint,
    encode_base64url,
    encode_varint,
)

VECTOR_PUB = "z6MkrJVnaZkeFzdQyMZu1cgjg7k1pZZ6pvBQ7XJPt4swbTQ2"


def test_multikey_prefix_and_round_trip() -> None:
    key = PublicKey.from_multibase(VECTOR_PUB)
    assert decode_base58btc(VECTOR_PUB)[:2] == b"\xed\x01"
    assert key.multibase == VECTOR_PUB
    assert key.did == f"did:key:{VECTOR_PUB}"
    assert key.verification_method() == f"did:key:{VECTOR_PUB}#{VECTOR_PUB}"
    assert PublicKey.from_did_key(key.verification_method()) == key


def test_generated_pairs_round_trip() -> None:
    pair = KeyPair.generate()
    assert pair.public.multibase.startswith("z6Mk")
    assert pair.private_multibase.startswith("z3u2")
    again = KeyPair.from_multibase(pair.private_multibase, pair.public.multibase)
    assert again.public == pair.public
    assert pair.public.verify(pair.sign(b"m"), b"m")
    assert not pair.public.verify(pair.sign(b"m"), b"n")
    assert "_private" not in repr(pair)


@pytest.mark.parametrize(
    "bad",
    [
        "",
        "z",
        "6MkrJVnaZ",
        "z0OIl",
        "zQmYwAPJzv5CZsnA625s3Xf2nemtYgPpHdWEz79ojWnPbdG",
        VECTOR_PUB + "1",
    ],
)
def test_bad_multikeys(bad: str) -> None:
    with pytest.raises(CredentialKeyFormatError):
        PublicKey.from_multibase(bad)


def test_did_key_errors() -> None:
    with pytest.raises(CredentialKeyFormatError):
        PublicKey.from_did_key("did:web:example.org")
    other = KeyPair.generate().public.multibase
    with pytest.raises(CredentialKeyFormatError):
        PublicKey.from_did_key(f"did:key:{VECTOR_PUB}#{other}")
    with pytest.raises(CredentialKeyFormatError):
        KeyPair.from_multibase(KeyPair.generate().private_multibase, VECTOR_PUB)
    with pytest.raises(CredentialKeyFormatError):
        PublicKey(b"short")
    assert did_key_resolver("did:web:example.org#k") is None


def test_did_documents_and_jwks() -> None:
    keys = [KeyPair.generate().public for _ in range(2)]
    single = did_document(keys[:1])
    assert single["id"] == keys[0].did
    assert single["verificationMethod"][0]["publicKeyMultibase"] == keys[0].multibase
    assert single["assertionMethod"] == [keys[0].verification_method()]
    with pytest.raises(CredentialKeyFormatError):
        did_document(keys)
    doc = did_document(keys, controller="did:web:ledger.example")
    assert [m["id"] for m in doc["verificationMethod"]] == [
        f"did:web:ledger.example#{k.multibase}" for k in keys
    ]
    assert all(m["type"] == "Multikey" for m in doc["verificationMethod"])
    jwk_set = jwks(keys, controller="did:web:ledger.example")
    for jwk, key in zip(jwk_set["keys"], keys, strict=True):
        assert (jwk["kty"], jwk["crv"], jwk["alg"]) == ("OKP", "Ed25519", "EdDSA")
        assert base64.urlsafe_b64decode(jwk["x"] + "=") == key.raw
        assert jwk["kid"] == key.verification_method("did:web:ledger.example")
    resolve = key_resolver(keys, controller="did:web:ledger.example")
    assert resolve(doc["verificationMethod"][1]["id"]) == keys[1]
    assert resolve(keys[0].verification_method()) == keys[0]
    assert resolve(KeyPair.generate().public.verification_method()) is None


def test_multibase_helpers() -> None:
    assert encode_base64url(b"\xfb\xff") == "u-_8"
    assert decode_base64url("u-_8") == b"\xfb\xff"
    for bad in ("-_8", "u-_8=", "u***"):
        with pytest.raises(EncodingError):
            decode_base64url(bad)
    for value in (0, 1, 127, 128, 0xED, 0x1300, 2**40):
        assert decode_varint(encode_varint(value)) == (value, len(encode_varint(value)))
    with pytest.raises(EncodingError):
        decode_varint(b"\x80\x80")
