"""RFC 8785 vectors from cyberphone/json-canonicalization: input -> exact output bytes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ledger.credentials.errors import CanonicalizationError
from ledger.credentials.jcs import canonicalize

from .conftest import JCS

INPUTS = sorted((JCS / "input").glob("*.json"))


def test_vectors_present() -> None:
    assert len(INPUTS) >= 6


@pytest.mark.parametrize("path", INPUTS, ids=lambda p: p.stem)
def test_jcs_output_bytes(path: Path) -> None:
    value = json.loads(path.read_text(encoding="utf-8"))
    expected = (JCS / "output" / path.name).read_bytes()
    assert canonicalize(value) == expected


@pytest.mark.parametrize("path", INPUTS, ids=lambda p: p.stem)
def test_jcs_outhex(path: Path) -> None:
    value = json.loads(path.read_text(encoding="utf-8"))
    hex_text = (JCS / "outhex" / f"{path.stem}.txt").read_text(encoding="utf-8")
    assert canonicalize(value) == bytes.fromhex("".join(hex_text.split()))


@pytest.mark.parametrize("bad", [float("nan"), float("inf"), 2**53, {1: "x"}, "\ud800", object()])
def test_rejects_non_i_json(bad: object) -> None:
    with pytest.raises(CanonicalizationError):
        canonicalize(bad)
