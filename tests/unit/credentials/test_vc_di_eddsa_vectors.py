"""Every W3C vc-di-eddsa test vector: intermediate values, signatures, signed documents."""

from __future__ import annotations

import hashlib
from typing import Any

import pytest

from ledger.credentials.dataintegrity import (
    Failure,
    add_proof,
    all_verified,
    hash_data,
    proof_configuration,
    verify_proofs,
)
from ledger.credentials.keys import KeyPair, did_key_resolver
from ledger.credentials.multibase import decode_base58btc, encode_base58btc

from .conftest import EDDSA, load_json

SUITES = [
    pytest.param("eddsa-jcs-2022", "eddsa-jcs-2022", "JCS", id="jcs"),
    pytest.param("eddsa-rdfc-2022", "eddsa-rdfc-2022", "DataInt", id="rdfc"),
]
CREATED = "2023-02-24T23:36:38Z"


def _text(folder: str, name: str) -> str:
    return (EDDSA / folder / name).read_text(encoding="utf-8")


def _options(suite: str, key: KeyPair) -> dict[str, Any]:
    return {
        "type": "DataIntegrityProof",
        "cryptosuite": suite,
        "created": CREATED,
        "verificationMethod": key.public.verification_method(),
        "proofPurpose": "assertionMethod",
    }


def test_key_pair_vector(key: KeyPair) -> None:
    pair = load_json(EDDSA / "keyPair.json")
    assert key.public.multibase == pair["publicKeyMultibase"]
    assert key.private_multibase == pair["privateKeyMultibase"]
    assert key.public.did == "did:key:" + pair["publicKeyMultibase"]


@pytest.mark.parametrize(("suite", "folder", "sfx"), SUITES)
def test_proof_configuration(suite: str, folder: str, sfx: str, unsigned: Any, key: Any) -> None:
    config = proof_configuration(unsigned, _options(suite, key))
    assert config == load_json(EDDSA / folder / f"proofConfig{sfx}.json")


@pytest.mark.parametrize(("suite", "folder", "sfx"), SUITES)
def test_intermediate_values(suite: str, folder: str, sfx: str, unsigned: Any, key: Any) -> None:
    data = hash_data(unsigned, proof_configuration(unsigned, _options(suite, key)))
    assert data.canonical_document.decode() == _text(folder, f"canonDoc{sfx}.txt")
    assert data.canonical_proof_config.decode() == _text(folder, f"proofCanon{sfx}.txt")
    assert data.document_hash.hex() == _text(folder, f"docHash{sfx}.txt").strip()
    assert data.proof_config_hash.hex() == _text(folder, f"proofHash{sfx}.txt").strip()
    assert data.combined.hex() == _text(folder, f"combinedHash{sfx}.txt").strip()
    signature = key.sign(data.combined)
    assert signature.hex() == _text(folder, f"sigHex{sfx}.txt").strip()
    assert encode_base58btc(signature) == _text(folder, f"sigBTC58{sfx}.txt").strip()


@pytest.mark.parametrize(("suite", "folder", "sfx"), SUITES)
def test_signed_document(suite: str, folder: str, sfx: str, unsigned: Any, key: Any) -> None:
    expected = load_json(EDDSA / folder / f"signed{sfx}.json")
    assert add_proof(unsigned, key, suite, CREATED) == expected
    results = verify_proofs(expected, did_key_resolver, expected_proof_purpose="assertionMethod")
    assert all_verified(results)
    assert [r.cryptosuite for r in results] == [suite]


def test_employ_intermediate_values(key: KeyPair) -> None:
    """employ/ uses an unbundled context: check hashes and signature from its canon text."""
    folder = "eddsa-rdfc-2022/employ"
    canon_doc = _text(folder, "canonDocDataInt.txt").encode()
    canon_proof = _text(folder, "proofCanonDataInt.txt").encode()
    doc_hash = hashlib.sha256(canon_doc).digest()
    proof_hash = hashlib.sha256(canon_proof).digest()
    assert doc_hash.hex() == _text(folder, "docHashDataInt.txt").strip()
    assert proof_hash.hex() == _text(folder, "proofHashDataInt.txt").strip()
    combined = proof_hash + doc_hash
    assert combined.hex() == _text(folder, "combinedHashDataInt.txt").strip()
    assert key.sign(combined).hex() == _text(folder, "sigHexDataInt.txt").strip()
    signed = load_json(EDDSA / folder / "signedDataInt.json")
    assert signed["proof"]["proofValue"] == _text(folder, "sigBTC58DataInt.txt").strip()
    assert key.public.verify(decode_base58btc(signed["proof"]["proofValue"]), combined)


def test_employ_unbundled_context_is_refused_offline() -> None:
    signed = load_json(EDDSA / "eddsa-rdfc-2022" / "employ" / "signedDataInt.json")
    [result] = verify_proofs(signed, did_key_resolver)
    assert not result.verified
    assert result.reason is Failure.MALFORMED
    assert "UnknownContextError" in result.detail
    assert "citizenship" in result.detail


def test_employ_proof_configuration(key: KeyPair) -> None:
    signed = load_json(EDDSA / "eddsa-rdfc-2022" / "employ" / "signedDataInt.json")
    config = proof_configuration(signed, _options("eddsa-rdfc-2022", key))
    assert config == load_json(EDDSA / "eddsa-rdfc-2022" / "employ" / "proofConfigDataInt.json")
