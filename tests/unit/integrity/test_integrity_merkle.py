"""MerkleLog generation and RFC 9162 verification: reference checks and properties."""

from __future__ import annotations

import math
from collections.abc import Sequence

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ledger.integrity import (
    EMPTY_ROOT,
    LogError,
    MemoryNodeStore,
    MerkleLog,
    NodeKey,
    NodeStore,
    ProofError,
    leaf_hash,
    node_hash,
    verify_consistency,
    verify_inclusion,
)
from ledger.integrity.merkle import consistency_proof_length, inclusion_proof_length

from ._support import flip_bit, leaves_for, ref_path, ref_root, ref_subproof

MAX_LEAVES = 10_000
PROPERTY = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])


class CountingStore:
    """A NodeStore wrapper recording every get_many call."""

    def __init__(self, inner: NodeStore) -> None:
        self.inner = inner
        self.calls: list[int] = []
        self.writes = 0

    def leaf_count(self) -> int:
        return self.inner.leaf_count()

    def get_many(self, keys: Sequence[NodeKey]) -> dict[NodeKey, bytes]:
        self.calls.append(len(keys))
        return self.inner.get_many(keys)

    def put_many(self, nodes: Sequence[tuple[int, int, bytes]]) -> None:
        self.writes += len(nodes)
        self.inner.put_many(nodes)


def build(hashes: list[bytes], batches: Sequence[int] = ()) -> MerkleLog:
    """Build a log appending ``hashes`` in batches of the given sizes (rest at once)."""
    log = MerkleLog(MemoryNodeStore())
    position = 0
    for count in batches:
        log.append(hashes[position : position + count])
        position += count
    log.append(hashes[position:])
    return log


# ------------------------------------------------------------------ basic behaviour


def test_hashes_are_rfc6962() -> None:
    assert leaf_hash(b"").hex().startswith("6e340b9cffb37a98")
    assert node_hash(b"a" * 32, b"b" * 32) != node_hash(b"b" * 32, b"a" * 32)
    assert MerkleLog(MemoryNodeStore()).root() == EMPTY_ROOT


def test_exhaustive_small_trees_match_rfc_reference() -> None:
    hashes = leaves_for(1, 40)
    log = build(hashes, [1, 2, 3, 5, 8])
    assert isinstance(log.store, NodeStore)
    for n in range(1, 41):
        assert log.root(n) == ref_root(hashes[:n])
        for m in range(n):
            assert log.inclusion_proof(m, n) == ref_path(m, hashes[:n])
        for m in range(1, n + 1):
            assert log.consistency_proof(m, n) == ref_subproof(m, hashes[:n], True)
            assert len(log.consistency_proof(m, n)) == (consistency_proof_length(m, n) if m < n else 0)


def test_append_writes_only_complete_nodes() -> None:
    store = CountingStore(MemoryNodeStore())
    log = MerkleLog(store)
    hashes = leaves_for(2, 1000)
    for start in range(0, 1000, 37):
        log.append(hashes[start : start + 37])
    assert log.size == 1000
    assert store.writes == 2 * 1000 - bin(1000).count("1")
    assert all(count <= 10 for count in store.calls)  # one right-border read per batch


def test_proofs_read_log_n_nodes_in_one_query() -> None:
    store = CountingStore(MemoryNodeStore())
    log = MerkleLog(store)
    n = 5000
    log.append(leaves_for(3, n))
    bound = 2 * math.ceil(math.log2(n)) + 2
    for index, size in [(0, n), (4999, n), (1234, 3001), (77, 78)]:
        store.calls.clear()
        log.inclusion_proof(index, size)
        assert len(store.calls) == 1 and store.calls[0] <= bound
    for size1, size2 in [(1, n), (1234, 4321), (4095, 4097), (3, 4)]:
        store.calls.clear()
        log.consistency_proof(size1, size2)
        assert len(store.calls) == 1 and store.calls[0] <= bound
    store.calls.clear()
    log.root(3333)
    assert len(store.calls) == 1 and store.calls[0] <= math.ceil(math.log2(n))


@pytest.mark.parametrize(
    ("call", "args"),
    [
        ("inclusion_proof", (5, 5)),
        ("inclusion_proof", (-1, 5)),
        ("inclusion_proof", (0, 11)),
        ("consistency_proof", (0, 5)),
        ("consistency_proof", (6, 5)),
        ("consistency_proof", (1, 11)),
        ("root", (11,)),
        ("root", (-1,)),
        ("leaf", (10,)),
    ],
)
def test_invalid_requests_raise_log_error(call: str, args: tuple[int, ...]) -> None:
    log = build(leaves_for(4, 10))
    with pytest.raises(LogError):
        getattr(log, call)(*args)


def test_append_rejects_bad_leaf_hashes_and_overwrites() -> None:
    log = build(leaves_for(5, 3))
    with pytest.raises(LogError):
        log.append([b"short"])
    assert log.size == 3
    assert log.append([]) == 3
    with pytest.raises(LogError):
        log.store.put_many([(0, 1, b"x" * 32)])


def test_missing_nodes_are_reported() -> None:
    store = MemoryNodeStore()
    store.put_many([(0, 0, b"a" * 32), (0, 1, b"b" * 32)])  # parent (1, 0) missing
    with pytest.raises(LogError, match="missing"):
        MerkleLog(store).root()


@pytest.mark.parametrize(
    ("index", "size", "proof_len"),
    [(0, 0, 0), (0, 1, 1), (1, 1, 0), (0, 2, 0), (0, 2, 2)],
)
def test_verify_inclusion_rejects_malformed(index: int, size: int, proof_len: int) -> None:
    with pytest.raises(ProofError):
        verify_inclusion(b"a" * 32, index, size, [b"b" * 32] * proof_len, b"c" * 32)


def test_verify_rejects_wrong_hash_lengths() -> None:
    log = build(leaves_for(6, 7))
    proof = log.inclusion_proof(2, 7)
    with pytest.raises(ProofError):
        verify_inclusion(log.leaf(2), 2, 7, [*proof[:-1], proof[-1] + b"\x00"], log.root())
    cproof = log.consistency_proof(3, 7)
    with pytest.raises(ProofError):
        verify_consistency(3, 7, cproof, log.root(3)[:31], log.root())
    with pytest.raises(ProofError):
        verify_consistency(3, 7, [*cproof, b"x" * 32], log.root(3), log.root())
    with pytest.raises(ProofError):
        verify_consistency(-1, 7, cproof, log.root(3), log.root())


def test_verify_consistency_equal_sizes() -> None:
    verify_consistency(5, 5, [], b"r" * 32, b"r" * 32)
    with pytest.raises(ProofError):
        verify_consistency(5, 5, [], b"r" * 32, b"s" * 32)
    with pytest.raises(ProofError):
        verify_consistency(5, 5, [b"p" * 32], b"r" * 32, b"r" * 32)


# ------------------------------------------------------------------------ properties


@st.composite
def trees(draw: st.DrawFn) -> tuple[MerkleLog, list[bytes]]:
    n = draw(st.integers(1, MAX_LEAVES))
    seed = draw(st.integers(0, 2**32))
    batches = draw(st.lists(st.integers(1, max(1, n // 3)), max_size=4))
    hashes = leaves_for(seed, n)
    return build(hashes, batches), hashes


@PROPERTY
@given(data=st.data(), tree=trees())
def test_root_matches_reference_at_past_sizes(
    data: st.DataObject, tree: tuple[MerkleLog, list[bytes]]
) -> None:
    log, hashes = tree
    assert log.root() == ref_root(hashes)
    size = data.draw(st.integers(0, log.size))
    assert log.root(size) == ref_root(hashes[:size])


@PROPERTY
@given(data=st.data(), tree=trees())
def test_inclusion_proofs_verify_and_tampering_is_rejected(
    data: st.DataObject, tree: tuple[MerkleLog, list[bytes]]
) -> None:
    log, _ = tree
    size = data.draw(st.integers(1, log.size), label="size")
    index = data.draw(st.integers(0, size - 1), label="index")
    leaf, root = log.leaf(index), log.root(size)
    proof = log.inclusion_proof(index, size)
    assert len(proof) == inclusion_proof_length(index, size)
    verify_inclusion(leaf, index, size, proof, root)

    bit = data.draw(st.integers(0, 255), label="bit")
    with pytest.raises(ProofError):
        verify_inclusion(flip_bit(leaf, bit), index, size, proof, root)
    with pytest.raises(ProofError):
        verify_inclusion(leaf, index, size, proof, flip_bit(root, bit))
    if proof:
        at = data.draw(st.integers(0, len(proof) - 1), label="element")
        bad = [*proof[:at], flip_bit(proof[at], bit), *proof[at + 1 :]]
        with pytest.raises(ProofError):
            verify_inclusion(leaf, index, size, bad, root)
    if size > 1:
        other = data.draw(st.integers(0, size - 1).filter(lambda i: i != index), label="idx'")
        with pytest.raises(ProofError):
            verify_inclusion(leaf, other, size, proof, root)
    # Another size, with that size's true root: the old proof must not verify.
    size2 = (
        data.draw(st.integers(index + 1, log.size).filter(lambda s: s != size), label="size'")
        if log.size > index + 1
        else None
    )
    if size2 is not None:
        with pytest.raises(ProofError):
            verify_inclusion(leaf, index, size2, proof, log.root(size2))


@PROPERTY
@given(data=st.data(), tree=trees())
def test_consistency_proofs_verify_and_tampering_is_rejected(
    data: st.DataObject, tree: tuple[MerkleLog, list[bytes]]
) -> None:
    log, _ = tree
    size2 = data.draw(st.integers(1, log.size), label="size2")
    size1 = data.draw(st.integers(1, size2), label="size1")
    root1, root2 = log.root(size1), log.root(size2)
    proof = log.consistency_proof(size1, size2)
    verify_consistency(size1, size2, proof, root1, root2)

    bit = data.draw(st.integers(0, 255), label="bit")
    with pytest.raises(ProofError):
        verify_consistency(size1, size2, proof, flip_bit(root1, bit), root2)
    with pytest.raises(ProofError):
        verify_consistency(size1, size2, proof, root1, flip_bit(root2, bit))
    if proof:
        at = data.draw(st.integers(0, len(proof) - 1), label="element")
        bad = [*proof[:at], flip_bit(proof[at], bit), *proof[at + 1 :]]
        with pytest.raises(ProofError):
            verify_consistency(size1, size2, bad, root1, root2)
    # Other sizes, each with its true root: the old proof must not verify.
    other1 = data.draw(st.integers(1, size2), label="size1'")
    if other1 != size1:
        with pytest.raises(ProofError):
            verify_consistency(other1, size2, proof, log.root(other1), root2)
    other2 = data.draw(st.integers(size1, log.size), label="size2'")
    if other2 != size2:
        with pytest.raises(ProofError):
            verify_consistency(size1, other2, proof, root1, log.root(other2))
