"""Shared helpers for the integrity tests: vector location and RFC 9162 reference code."""

from __future__ import annotations

import hashlib
from pathlib import Path

from ledger.integrity.merkle import leaf_hash, node_hash

# tests/unit/integrity/<file> -> parents[3] is the project root; shared/ sits beside it.
VECTORS = Path(__file__).resolve().parents[3] / ".." / "shared" / "vectors"
MERKLE_VECTORS = VECTORS / "rfc9162-merkle" / "testdata"

# The RFC 6962 test leaves used by transparency-dev/merkle to generate the vectors.
RFC6962_LEAVES = [
    bytes.fromhex(h)
    for h in [
        "",
        "00",
        "10",
        "2021",
        "3031",
        "40414243",
        "5051525354555657",
        "606162636465666768696a6b6c6d6e6f",
    ]
]


def leaves_for(seed: int, count: int) -> list[bytes]:
    """Deterministic pseudo-random leaf hashes."""
    return [leaf_hash(hashlib.sha256(f"{seed}:{i}".encode()).digest()) for i in range(count)]


def _split(n: int) -> int:
    k = 1
    while k << 1 < n:
        k <<= 1
    return k


def ref_root(hashes: list[bytes]) -> bytes:
    """MTH(D[n]) over leaf hashes, straight from RFC 9162 §2.1.1 (recursive)."""
    if not hashes:
        return hashlib.sha256(b"").digest()
    if len(hashes) == 1:
        return hashes[0]
    k = _split(len(hashes))
    return node_hash(ref_root(hashes[:k]), ref_root(hashes[k:]))


def ref_path(m: int, hashes: list[bytes]) -> list[bytes]:
    """PATH(m, D[n]) from RFC 9162 §2.1.3.1."""
    n = len(hashes)
    if n == 1:
        return []
    k = _split(n)
    if m < k:
        return [*ref_path(m, hashes[:k]), ref_root(hashes[k:])]
    return [*ref_path(m - k, hashes[k:]), ref_root(hashes[:k])]


def ref_subproof(m: int, hashes: list[bytes], complete: bool) -> list[bytes]:
    """SUBPROOF(m, D[n], b) from RFC 9162 §2.1.4.1."""
    n = len(hashes)
    if m == n:
        return [] if complete else [ref_root(hashes)]
    k = _split(n)
    if m <= k:
        return [*ref_subproof(m, hashes[:k], complete), ref_root(hashes[k:])]
    return [*ref_subproof(m - k, hashes[k:], False), ref_root(hashes[:k])]


def flip_bit(value: bytes, bit: int) -> bytes:
    """Return ``value`` with bit number ``bit`` (mod its length in bits) flipped."""
    bit %= len(value) * 8
    out = bytearray(value)
    out[bit // 8] ^= 1 << (bit % 8)
    return bytes(out)
