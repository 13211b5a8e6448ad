"""Shared fixtures: vector locations (read in place, never copied) and keys."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from ledger.credentials.keys import KeyPair

VECTORS = Path(__file__).resolve().parents[3] / ".." / "shared" / "vectors"
EDDSA = VECTORS / "vc-di-eddsa" / "TestVectors"
JCS = VECTORS / "jcs" / "testdata"


def load_json(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8"))


def vector_key() -> KeyPair:
    pair = load_json(EDDSA / "keyPair.json")
    return KeyPair.from_multibase(pair["privateKeyMultibase"], pair["publicKeyMultibase"])


@pytest.fixture(scope="session")
def unsigned() -> Any:
    return load_json(EDDSA / "unsigned.json")


@pytest.fixture(scope="session")
def key() -> KeyPair:
    return vector_key()
