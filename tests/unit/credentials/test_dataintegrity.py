"""Proof sets over an Open Badges 3.0 credential: tamper, unknown key, malformed, limits."""

from __future__ import annotations

import copy
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest

from ledger.credentials.dataintegrity import (
    Failure,
    add_proof,
    all_verified,
    format_created,
    verify_proofs,
)
from ledger.credentials.errors import (
    CanonicalizationLimitError,
    ProofGenerationError,
    UnknownContextError,
)
from ledger.credentials.keys import KeyPair, key_resolver
from ledger.credentials.loader import (
    CanonicalizationLimits,
    OfflineDocumentLoader,
    canonicalize_rdf,
)
from tests.bench.credentials import bench_verify, sample_open_badge

CREATED = "2025-06-01T12:00:00Z"
KEY_JCS = KeyPair.from_seed(bytes(range(32)))
KEY_RDFC = KeyPair.from_seed(bytes(range(32, 64)))
RESOLVE = key_resolver([KEY_JCS.public, KEY_RDFC.public])


def _signed() -> dict[str, Any]:
    document = sample_open_badge(KEY_JCS.public.did)
    once = add_proof(document, KEY_JCS, "eddsa-jcs-2022", CREATED, proof_id="urn:proof:jcs")
    return add_proof(once, KEY_RDFC, "eddsa-rdfc-2022", CREATED, proof_id="urn:proof:rdfc")


SIGNED = _signed()


def _string_paths(value: Any, path: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    if isinstance(value, str):
        yield path
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _string_paths(item, (*path, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _string_paths(item, (*path, index))


def _mutated(document: dict[str, Any], path: tuple[Any, ...]) -> dict[str, Any]:
    copy_ = copy.deepcopy(document)
    parent = copy_
    for step in path[:-1]:
        parent = parent[step]
    text = parent[path[-1]]
    parent[path[-1]] = text[:-1] + ("x" if text[-1] != "x" else "y")
    return copy_


CREDENTIAL_PATHS = [p for p in _string_paths(SIGNED) if p[0] != "proof"]
PROOF_PATHS = [p for p in _string_paths(SIGNED) if p[0] == "proof"]


def test_proof_set_verifies_and_is_a_list() -> None:
    assert isinstance(SIGNED["proof"], list)
    assert "@context" in SIGNED["proof"][0] and "@context" not in SIGNED["proof"][1]
    results = verify_proofs(SIGNED, RESOLVE, expected_proof_purpose="assertionMethod")
    assert all_verified(results)
    assert [r.proof_id for r in results] == ["urn:proof:jcs", "urn:proof:rdfc"]


def test_each_proof_of_a_set_verifies_alone() -> None:
    for proof in SIGNED["proof"]:
        alone = {**SIGNED, "proof": proof}
        assert all_verified(verify_proofs(alone, RESOLVE))


@pytest.mark.parametrize("path", CREDENTIAL_PATHS, ids=lambda p: ".".join(map(str, p)))
def test_tampered_credential_string_fails_both_proofs(path: tuple[Any, ...]) -> None:
    results = verify_proofs(_mutated(SIGNED, path), RESOLVE)
    assert len(results) == 2
    assert not any(r.verified for r in results)
    assert all(r.reason is not None and r.detail for r in results)


@pytest.mark.parametrize("path", PROOF_PATHS, ids=lambda p: ".".join(map(str, p)))
def test_tampered_proof_string_fails_that_proof(path: tuple[Any, ...]) -> None:
    results = verify_proofs(_mutated(SIGNED, path), RESOLVE)
    index = path[1]
    assert not results[index].verified and results[index].reason is not None
    assert results[1 - index].verified


def test_unknown_key_is_refused() -> None:
    stranger = KeyPair.generate()
    signed = add_proof(SIGNED, stranger, "eddsa-rdfc-2022", CREATED)
    results = verify_proofs(signed, RESOLVE)
    assert [r.verified for r in results] == [True, True, False]
    assert results[2].reason is Failure.UNKNOWN_KEY
    assert str(results[2].reason) == "unknown key"
    assert not all_verified(results)


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"type": "Ed25519Signature2020"}, Failure.UNSUPPORTED_SUITE),
        ({"cryptosuite": "ecdsa-rdfc-2019"}, Failure.UNSUPPORTED_SUITE),
        ({"proofValue": "not-multibase"}, Failure.MALFORMED),
        ({"proofValue": "z3"}, Failure.MALFORMED),
        ({"proofValue": None}, Failure.MALFORMED),
        ({"created": "yesterday"}, Failure.MALFORMED),
        ({"previousProof": "urn:nope"}, Failure.MALFORMED),
        ({"proofPurpose": "authentication"}, Failure.WRONG_PURPOSE),
    ],
)
def test_malformed_proofs(change: dict[str, Any], reason: Failure) -> None:
    document = copy.deepcopy(SIGNED)
    document["proof"][1].update(change)
    results = verify_proofs(document, RESOLVE, expected_proof_purpose="assertionMethod")
    assert results[0].verified
    assert results[1].reason is reason


def test_non_object_proofs_and_no_proof() -> None:
    results = verify_proofs({**SIGNED, "proof": ["x", 3]}, RESOLVE)
    assert [r.reason for r in results] == [Failure.MALFORMED, Failure.MALFORMED]
    assert verify_proofs({"@context": []}, RESOLVE) == []
    assert not all_verified([])
    with pytest.raises(TypeError):
        verify_proofs([], RESOLVE)  # type: ignore[arg-type]


def test_unknown_context_is_an_error_not_a_fetch() -> None:
    document = {**SIGNED, "@context": [*SIGNED["@context"], "https://evil.example/ctx"]}
    results = verify_proofs(document, RESOLVE)
    assert results[1].reason is Failure.MALFORMED
    assert "UnknownContextError" in results[1].detail
    with pytest.raises(UnknownContextError, match=r"evil\.example"):
        OfflineDocumentLoader()("https://evil.example/ctx", {})
    unsigned = sample_open_badge("did:example:x")
    unsigned["@context"].append("https://evil.example/ctx")
    with pytest.raises(UnknownContextError):
        add_proof(unsigned, KEY_RDFC, "eddsa-rdfc-2022", CREATED)


def test_add_proof_option_errors() -> None:
    document = sample_open_badge("did:example:x")
    with pytest.raises(ProofGenerationError):
        add_proof(document, KEY_JCS, "eddsa-2099", CREATED)
    with pytest.raises(ProofGenerationError):
        add_proof(document, KEY_JCS, "eddsa-jcs-2022", "01/06/2025")
    with pytest.raises(ProofGenerationError):
        add_proof(document, KEY_JCS, "eddsa-jcs-2022", datetime(2025, 1, 1))
    with pytest.raises(ProofGenerationError, match="@context"):
        add_proof({"id": "urn:x"}, KEY_JCS, "eddsa-rdfc-2022", CREATED)
    plain = add_proof({"id": "urn:x"}, KEY_JCS, "eddsa-jcs-2022", CREATED)
    assert all_verified(verify_proofs(plain, RESOLVE))


def test_created_datetime_formatting_and_no_mutation() -> None:
    paris = timezone(timedelta(hours=2))
    assert format_created(datetime(2025, 6, 1, 14, 0, 0, 123, tzinfo=paris)) == CREATED
    document = sample_open_badge("did:example:x")
    before = copy.deepcopy(document)
    signed = add_proof(document, KEY_JCS, "eddsa-jcs-2022", datetime.now(UTC))
    assert document == before
    assert all_verified(verify_proofs(signed, RESOLVE))


def _poisoned(n: int) -> dict[str, Any]:
    """A clique of blank nodes that are indistinguishable by first-degree hashes."""
    nodes: list[dict[str, Any]] = [{"@id": f"_:b{i}"} for i in range(n)]
    for i, node in enumerate(nodes):
        node["http://example.org/p"] = [{"@id": f"_:b{j}"} for j in range(n) if j != i]
    return {"@graph": nodes}


def test_hostile_dataset_hits_work_limit_fast() -> None:
    limits = CanonicalizationLimits(max_n_degree_calls=200, timeout_seconds=2.0)
    start = datetime.now(UTC)
    with pytest.raises(CanonicalizationLimitError):
        canonicalize_rdf(_poisoned(10), limits)
    assert datetime.now(UTC) - start < timedelta(seconds=5)


def test_timeout_and_size_limits() -> None:
    with pytest.raises(CanonicalizationLimitError, match="timed out"):
        canonicalize_rdf(_poisoned(10), CanonicalizationLimits(timeout_seconds=0.0))
    with pytest.raises(CanonicalizationLimitError):
        canonicalize_rdf({"a": "x" * 100}, CanonicalizationLimits(max_string_chars=50))
    deep: dict[str, Any] = {}
    cursor = deep
    for _ in range(100):
        cursor["n"] = {}
        cursor = cursor["n"]
    with pytest.raises(CanonicalizationLimitError):
        canonicalize_rdf(deep)
    with pytest.raises(CanonicalizationLimitError, match="statements"):
        canonicalize_rdf(_poisoned(10), CanonicalizationLimits(max_statements=20))


def test_hostile_document_verdict_is_malformed() -> None:
    document = {**SIGNED, "evidence": [_poisoned(3)["@graph"]] * 5000}
    results = verify_proofs(document, RESOLVE)
    assert [r.reason for r in results] == [Failure.MALFORMED, Failure.MALFORMED]
    assert all("CanonicalizationLimitError" in r.detail for r in results)


def test_bench_smoke() -> None:
    report = bench_verify(n=2)
    assert set(report) == {"eddsa-jcs-2022", "eddsa-rdfc-2022"}
    assert all(entry["verify_ms"] > 0 for entry in report.values())


def test_proof_configuration_shortcut_gives_the_same_dataset() -> None:
    """With a known context list, the proof configuration canonicalised with VC 2.0 alone is the
    same N-Quads as with the full list (pyld, the reference, on the full form)."""
    from ledger.credentials.dataintegrity import _proof_config_for_rdf
    from ledger.credentials.loader import CREDENTIALS_V2, LEDGER_V1, OPEN_BADGES_V3, canonicalize_rdf_pyld

    for context in (
        [CREDENTIALS_V2],
        [CREDENTIALS_V2, OPEN_BADGES_V3],
        [CREDENTIALS_V2, OPEN_BADGES_V3, LEDGER_V1],
    ):
        config = {
            "@context": context,
            "type": "DataIntegrityProof",
            "id": "urn:uuid:1",
            "cryptosuite": "eddsa-rdfc-2022",
            "created": "2026-01-01T00:00:00Z",
            "verificationMethod": "did:web:x.example:issuers:a#z6Mk",
            "proofPurpose": "assertionMethod",
        }
        short = _proof_config_for_rdf(config)
        assert short["@context"] == [CREDENTIALS_V2]
        assert canonicalize_rdf(short) == canonicalize_rdf_pyld(config)
    odd = {
        "@context": [CREDENTIALS_V2, {"proofPurpose": "http://example.org/p"}],
        "type": "DataIntegrityProof",
    }
    assert _proof_config_for_rdf(odd) is odd
