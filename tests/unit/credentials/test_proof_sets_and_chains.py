"""proof-set-chain/ vectors: reproduce proof sets and chains, verify every signed document."""

from __future__ import annotations

import copy
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
from ledger.credentials.errors import ProofGenerationError
from ledger.credentials.keys import KeyPair, did_key_resolver, key_resolver
from ledger.credentials.multibase import encode_base58btc

from .conftest import EDDSA, load_json

FOLDER = EDDSA / "proof-set-chain"
SIGNED = ["signedProofSet1", "signedProofSet2", "signedProofChain1", "signedProofChain2"]
SUITE = "eddsa-rdfc-2022"


def _keys() -> dict[str, KeyPair]:
    pairs = load_json(FOLDER / "multiKeyPairs.json")
    return {
        name: KeyPair.from_multibase(p["privateKeyMultibase"], p["publicKeyMultibase"])
        for name, p in pairs.items()
    }


def _add(document: Any, key: KeyPair, config_name: str) -> dict[str, Any]:
    config = load_json(FOLDER / f"{config_name}.json")
    return add_proof(
        document,
        key,
        config["cryptosuite"],
        config["created"],
        config["proofPurpose"],
        config.get("previousProof"),
        proof_id=config.get("id"),
    )


def _build_all() -> dict[str, dict[str, Any]]:
    keys = _keys()
    docs: dict[str, dict[str, Any]] = {}
    docs["signedProofSet1"] = _add(load_json(FOLDER / "unsigned.json"), keys["keyPair1"], "proofSetConfig1")
    docs["signedProofSet2"] = _add(docs["signedProofSet1"], keys["keyPair2"], "proofSetConfig2")
    docs["signedProofChain1"] = _add(docs["signedProofSet2"], keys["keyPair3"], "proofChainConfig1")
    docs["signedProofChain2"] = _add(docs["signedProofChain1"], keys["keyPair4"], "proofChainConfig2")
    return docs


@pytest.fixture(scope="module")
def built() -> dict[str, dict[str, Any]]:
    return _build_all()


@pytest.mark.parametrize("name", SIGNED)
def test_reproduces_signed_document(name: str, built: dict[str, Any]) -> None:
    assert built[name] == load_json(FOLDER / f"{name}.json")


@pytest.mark.parametrize("name", SIGNED)
def test_verifies_signed_document(name: str) -> None:
    document = load_json(FOLDER / f"{name}.json")
    before = copy.deepcopy(document)
    results = verify_proofs(document, did_key_resolver)
    assert all_verified(results), results
    assert document == before
    assert len(results) == (len(document["proof"]) if isinstance(document["proof"], list) else 1)


@pytest.mark.parametrize(
    ("signed_config", "temp_doc", "key_name"),
    [
        ("proofSetConfigSigned1", "unsigned", "keyPair1"),
        ("proofSetConfigSigned2", "unsigned", "keyPair2"),
        ("proofChainConfigSigned1", "proofChainTempDoc1", "keyPair3"),
        ("proofChainConfigSigned2", "proofChainTempDoc2", "keyPair4"),
    ],
)
def test_signed_proof_from_temp_document(signed_config: str, temp_doc: str, key_name: str) -> None:
    """Each proof signs the document plus exactly its previousProof targets (tempDoc*)."""
    expected = load_json(FOLDER / f"{signed_config}.json")
    document = load_json(FOLDER / f"{temp_doc}.json")
    options = {k: v for k, v in expected.items() if k != "proofValue"}
    data = hash_data(document, proof_configuration(document, options))
    assert encode_base58btc(_keys()[key_name].sign(data.combined)) == expected["proofValue"]


def test_unsigned_configs_match_signed(built: dict[str, Any]) -> None:
    proofs = built["signedProofChain2"]["proof"]
    for proof, name in zip(
        proofs,
        [
            "proofSetConfigSigned1",
            "proofSetConfigSigned2",
            "proofChainConfigSigned1",
            "proofChainConfigSigned2",
        ],
        strict=True,
    ):
        assert proof == load_json(FOLDER / f"{name}.json")


def test_broken_link_fails_dependants() -> None:
    document = load_json(FOLDER / "signedProofChain2.json")
    document["proof"][0]["proofValue"] = document["proof"][1]["proofValue"]
    results = verify_proofs(document, did_key_resolver)
    # proof 3 signs over proof 1 (with its proofValue); proof 4 only over proof 3
    assert [r.reason for r in results] == [
        Failure.BAD_SIGNATURE,
        None,
        Failure.BAD_SIGNATURE,
        Failure.BROKEN_CHAIN,
    ]


def test_unverifiable_link_fails_dependants() -> None:
    keys = _keys()
    trusted = key_resolver([keys[name].public for name in ("keyPair1", "keyPair2", "keyPair4")])
    results = verify_proofs(load_json(FOLDER / "signedProofChain2.json"), trusted)
    assert [r.reason for r in results] == [None, None, Failure.UNKNOWN_KEY, Failure.BROKEN_CHAIN]


def test_missing_previous_proof_is_malformed() -> None:
    document = load_json(FOLDER / "signedProofChain1.json")
    del document["proof"][1]
    results = verify_proofs(document, did_key_resolver)
    assert results[0].verified
    assert results[1].reason is Failure.MALFORMED
    assert "previousProof not found" in results[1].detail


def test_add_proof_rejects_unknown_previous_proof() -> None:
    document = load_json(FOLDER / "signedProofSet1.json")
    with pytest.raises(ProofGenerationError, match="previousProof not found"):
        add_proof(document, _keys()["keyPair3"], SUITE, "2023-02-26T22:06:38Z", previous_proof="urn:x")


def test_jcs_chain_round_trip() -> None:
    keys = _keys()
    document = load_json(FOLDER / "unsigned.json")
    first = add_proof(document, keys["keyPair1"], "eddsa-jcs-2022", "2024-01-01T00:00:00Z", proof_id="urn:p1")
    second = add_proof(
        first, keys["keyPair2"], "eddsa-jcs-2022", "2024-01-02T00:00:00Z", previous_proof="urn:p1"
    )
    assert all_verified(verify_proofs(second, did_key_resolver))
    second["proof"][0]["created"] = "2024-01-01T00:00:01Z"
    reasons = [r.reason for r in verify_proofs(second, did_key_resolver)]
    assert reasons == [Failure.BAD_SIGNATURE, Failure.BAD_SIGNATURE]
