"""RFC 9162 conformance: every transparency-dev/merkle vector in ../shared/vectors."""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

import pytest

from ledger.integrity import MemoryNodeStore, MerkleLog, ProofError
from ledger.integrity.merkle import verify_consistency, verify_inclusion

from ._support import MERKLE_VECTORS, RFC6962_LEAVES


def _load(kind: str) -> list[tuple[str, dict[str, Any]]]:
    folder = MERKLE_VECTORS / kind
    files = sorted(folder.rglob("*.json"))
    return [(str(p.relative_to(folder)), json.loads(p.read_text())) for p in files]


INCLUSION = _load("inclusion")
CONSISTENCY = _load("consistency")


def _b64(value: str | None) -> bytes:
    return base64.b64decode(value or "")


def _proof(vector: dict[str, Any]) -> list[bytes]:
    return [_b64(h) for h in vector["proof"] or []]


def test_all_vectors_are_present() -> None:
    assert Path(MERKLE_VECTORS).is_dir(), f"vectors not found at {MERKLE_VECTORS}"
    assert len(INCLUSION) + len(CONSISTENCY) == 196
    assert any(name.startswith("additional/") for name, _ in INCLUSION)
    assert any(name.startswith("additional/") for name, _ in CONSISTENCY)


@pytest.mark.parametrize(("name", "vector"), INCLUSION, ids=[n for n, _ in INCLUSION])
def test_inclusion_vector(name: str, vector: dict[str, Any]) -> None:
    def run() -> None:
        verify_inclusion(
            _b64(vector["leafHash"]),
            vector["leafIdx"],
            vector["treeSize"],
            _proof(vector),
            _b64(vector["root"]),
        )

    if vector["wantErr"]:
        with pytest.raises(ProofError):
            run()
    else:
        run()


@pytest.mark.parametrize(("name", "vector"), CONSISTENCY, ids=[n for n, _ in CONSISTENCY])
def test_consistency_vector(name: str, vector: dict[str, Any]) -> None:
    def run() -> None:
        verify_consistency(
            vector["size1"],
            vector["size2"],
            _proof(vector),
            _b64(vector["root1"]),
            _b64(vector["root2"]),
        )

    if vector["wantErr"]:
        with pytest.raises(ProofError):
            run()
    else:
        run()


@pytest.fixture(scope="module")
def rfc6962_log() -> MerkleLog:
    log = MerkleLog(MemoryNodeStore())
    log.append_data(RFC6962_LEAVES)
    return log


def _happy(vectors: list[tuple[str, dict[str, Any]]]) -> list[dict[str, Any]]:
    return [v for n, v in vectors if n.endswith("happy-path.json") and "/" in n]


@pytest.mark.parametrize("vector", _happy(INCLUSION))
def test_generated_inclusion_matches_vector(rfc6962_log: MerkleLog, vector: dict[str, Any]) -> None:
    size, index = vector["treeSize"], vector["leafIdx"]
    assert rfc6962_log.leaf(index) == _b64(vector["leafHash"])
    assert rfc6962_log.root(size) == _b64(vector["root"])
    assert rfc6962_log.inclusion_proof(index, size) == _proof(vector)


@pytest.mark.parametrize("vector", _happy(CONSISTENCY))
def test_generated_consistency_matches_vector(rfc6962_log: MerkleLog, vector: dict[str, Any]) -> None:
    size1, size2 = vector["size1"], vector["size2"]
    assert rfc6962_log.root(size1) == _b64(vector["root1"])
    assert rfc6962_log.root(size2) == _b64(vector["root2"])
    assert rfc6962_log.consistency_proof(size1, size2) == _proof(vector)
