"""RFC 8785 vectors from cyberphone/json-canonicalization: input -> exact output bytes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ledger.credentials.errors import CanonicalizationError
from ledger.credentials.jcs import canonicalize, canonicalize_reference, orjson_safe

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


@pytest.mark.parametrize("path", INPUTS, ids=lambda p: p.stem)
def test_reference_encoder_output_bytes(path: Path) -> None:
    """The fallback (rfc8785) alone also gives the official bytes."""
    value = json.loads(path.read_text(encoding="utf-8"))
    assert canonicalize_reference(value) == (JCS / "output" / path.name).read_bytes()


@pytest.mark.parametrize(
    "value",
    [
        {"\U0001f600": 1, "\ue000": 2, "a": 3},  # astral key: UTF-16 order differs from code points
        {"n": 1.0, "m": 1e21, "k": 0.1},  # floats: ES6 number formatting
        {"t": (1, 2)},  # a tuple
        {"big": 2**53 - 1, "neg": -(2**53 - 1)},
        {"ctl": "".join(chr(c) for c in range(0x80)), "bmp": "\u2028\u2029\ufeff\uffff é"},
        {"astral value": "\U0001f600", "z": [True, False, None, {"b": [], "a": {}}]},
    ],
)
def test_same_bytes_as_the_reference_encoder(value: object) -> None:
    assert canonicalize(value) == canonicalize_reference(value)


@pytest.mark.parametrize(
    ("value", "safe"),
    [
        ({"a": ["x", 1, True, None]}, True),
        ({"é": "\U0001f600"}, True),
        ({"\U0001f600": 1}, False),
        ([1.5], False),
        ([2**53], False),
        (("a",), False),
    ],
)
def test_orjson_path_only_where_provably_identical(value: object, safe: bool) -> None:
    assert orjson_safe(value) is safe
