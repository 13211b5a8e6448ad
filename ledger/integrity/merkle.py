"""RFC 9162 §2.1 Merkle tree hashing, proof verification and an append-only log.

* :func:`leaf_hash` / :func:`node_hash` are the RFC 6962/9162 SHA-256 hashes
  (``H(0x00 || leaf)``, ``H(0x01 || left || right)``).
* :func:`verify_inclusion` and :func:`verify_consistency` follow RFC 9162 §2.1.3.2 and
  §2.1.4.2 exactly and add the rejection rules of the reference verifier
  (transparency-dev/merkle): hashes must be 32 bytes, the proof must have exactly the
  expected length, size 0 and ``index >= size`` are rejected, and equal sizes require an
  empty proof and identical roots. They raise :class:`ProofError` and return ``None``.
* :class:`MerkleLog` keeps the hashes of all *complete* subtrees in a :class:`NodeStore`
  keyed by ``(level, index)`` (node ``(l, i)`` covers leaves ``[i·2^l, (i+1)·2^l)``).
  Appending writes only the new complete nodes; the root and proofs of any past tree
  size read ``O(log n)`` stored nodes with one :meth:`NodeStore.get_many` call.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterable, Sequence
from typing import Protocol, runtime_checkable

from ledger.integrity.errors import LogError, ProofError

__all__ = [
    "EMPTY_ROOT",
    "HASH_SIZE",
    "MemoryNodeStore",
    "MerkleLog",
    "NodeKey",
    "NodeStore",
    "consistency_proof_length",
    "inclusion_proof_length",
    "leaf_hash",
    "node_hash",
    "verify_consistency",
    "verify_inclusion",
]

HASH_SIZE = 32
"""Length in bytes of every hash (SHA-256)."""

EMPTY_ROOT = hashlib.sha256(b"").digest()
"""Root hash of the empty tree, ``MTH({}) = SHA-256()`` (RFC 9162 §2.1.1)."""

NodeKey = tuple[int, int]
"""``(level, index)`` of a complete subtree: it covers leaves ``[i·2^l, (i+1)·2^l)``."""


def leaf_hash(data: bytes) -> bytes:
    """Return the RFC 9162 leaf hash ``SHA-256(0x00 || data)``."""
    return hashlib.sha256(b"\x00" + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    """Return the RFC 9162 interior node hash ``SHA-256(0x01 || left || right)``."""
    return hashlib.sha256(b"\x01" + left + right).digest()


# --------------------------------------------------------------------------- shapes


def _popcount(value: int) -> int:
    return bin(value).count("1")


def _trailing_zeros(value: int) -> int:
    return (value & -value).bit_length() - 1


def inclusion_proof_length(index: int, size: int) -> int:
    """Return the number of hashes in the inclusion proof of leaf ``index`` in ``size``."""
    inner = (index ^ (size - 1)).bit_length()
    return inner + _popcount(index >> inner)


def consistency_proof_length(size1: int, size2: int) -> int:
    """Return the number of hashes in a consistency proof from ``size1`` to ``size2``.

    Requires ``0 < size1 < size2``.
    """
    level = _trailing_zeros(size1)
    index = (size1 - 1) >> level
    inner = (index ^ ((size2 - 1) >> level)).bit_length()
    return inner + _popcount(index >> inner) + (1 if index else 0)


# --------------------------------------------------------------------- verification


def _require_hash(name: str, value: bytes) -> None:
    if not isinstance(value, bytes | bytearray) or len(value) != HASH_SIZE:
        raise ProofError(f"{name} must be a {HASH_SIZE}-byte hash")


def _require_hashes(proof: Sequence[bytes]) -> None:
    for position, element in enumerate(proof):
        _require_hash(f"proof[{position}]", element)


def _require_size(name: str, value: int) -> None:
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise ProofError(f"{name} must be a non-negative integer")


def _match(calculated: bytes, expected: bytes, what: str) -> None:
    if not hmac.compare_digest(calculated, expected):
        raise ProofError(f"calculated {what} does not match the expected one")


def _shift_to_set_bit(fn: int, sn: int) -> tuple[int, int]:
    """Right-shift ``fn`` and ``sn`` until the LSB of ``fn`` is set or ``fn`` is 0."""
    while fn and not fn & 1:
        fn >>= 1
        sn >>= 1
    return fn, sn


def _root_from_inclusion(leaf: bytes, index: int, size: int, proof: Sequence[bytes]) -> bytes:
    """RFC 9162 §2.1.3.2 steps 2–5, returning the calculated root."""
    fn, sn, r = index, size - 1, bytes(leaf)
    for p in proof:
        if sn == 0:
            raise ProofError("inclusion proof is too long")
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            if not fn & 1:
                fn, sn = _shift_to_set_bit(fn, sn)
        else:
            r = node_hash(r, p)
        fn >>= 1
        sn >>= 1
    if sn != 0:
        raise ProofError("inclusion proof is too short")
    return r


def verify_inclusion(leaf_hash: bytes, index: int, size: int, proof: Sequence[bytes], root: bytes) -> None:
    """Verify that ``leaf_hash`` is the leaf at ``index`` of the tree ``(size, root)``.

    Implements RFC 9162 §2.1.3.2. Raises :class:`ProofError` if the proof is malformed
    (``size == 0``, ``index >= size``, a hash that is not 32 bytes, a proof of the wrong
    length) or if the calculated root differs from ``root``.
    """
    _require_size("index", index)
    _require_size("size", size)
    if index >= size:
        raise ProofError(f"index {index} is beyond tree size {size}")
    _require_hash("leaf hash", leaf_hash)
    _require_hash("root", root)
    _require_hashes(proof)
    expected = inclusion_proof_length(index, size)
    if len(proof) != expected:
        raise ProofError(f"inclusion proof has {len(proof)} hashes, want {expected}")
    _match(_root_from_inclusion(leaf_hash, index, size, proof), root, "root")


def _roots_from_consistency(
    size1: int, size2: int, proof: Sequence[bytes], root1: bytes
) -> tuple[bytes, bytes]:
    """RFC 9162 §2.1.4.2 steps 2–7, returning the calculated ``(root1, root2)``."""
    path = [bytes(root1), *proof] if size1 & (size1 - 1) == 0 else list(proof)
    fn, sn = size1 - 1, size2 - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    fr = sr = bytes(path[0])
    for c in path[1:]:
        if sn == 0:
            raise ProofError("consistency proof is too long")
        if fn & 1 or fn == sn:
            fr = node_hash(c, fr)
            sr = node_hash(c, sr)
            if not fn & 1:
                fn, sn = _shift_to_set_bit(fn, sn)
        else:
            sr = node_hash(sr, c)
        fn >>= 1
        sn >>= 1
    if sn != 0:
        raise ProofError("consistency proof is too short")
    return fr, sr


def _check_consistency_sizes(size1: int, size2: int, proof: Sequence[bytes]) -> None:
    _require_size("size1", size1)
    _require_size("size2", size2)
    if size2 < size1:
        raise ProofError(f"size2 ({size2}) < size1 ({size1})")
    if size1 == 0:
        raise ProofError("a consistency proof from the empty tree is meaningless")
    if size1 == size2 and proof:
        raise ProofError("size1 == size2 but the proof is not empty")


def verify_consistency(size1: int, size2: int, proof: Sequence[bytes], root1: bytes, root2: bytes) -> None:
    """Verify that tree ``(size2, root2)`` is an append-only extension of ``(size1, root1)``.

    Implements RFC 9162 §2.1.4.2 with the reference verifier's extra rules: ``size1``
    must satisfy ``0 < size1 <= size2``; equal sizes need an empty proof and identical
    roots (compared as given, without a length check, like the reference verifier);
    otherwise every hash must be 32 bytes and the proof must have the expected length.
    Raises :class:`ProofError` on any failure.
    """
    _check_consistency_sizes(size1, size2, proof)
    if size1 == size2:
        _match(bytes(root1), bytes(root2), "root2 (equal sizes)")
        return
    _require_hash("root1", root1)
    _require_hash("root2", root2)
    _require_hashes(proof)
    expected = consistency_proof_length(size1, size2)
    if len(proof) != expected:
        raise ProofError(f"consistency proof has {len(proof)} hashes, want {expected}")
    calc1, calc2 = _roots_from_consistency(size1, size2, proof, root1)
    _match(calc1, root1, "root1")
    _match(calc2, root2, "root2")


# -------------------------------------------------------------------------- storage


@runtime_checkable
class NodeStore(Protocol):
    """Storage of complete-subtree hashes keyed by ``(level, index)``.

    Nodes are immutable once written: ``put_many`` must refuse to overwrite a key.
    """

    def leaf_count(self) -> int:
        """Return the number of stored leaves (level-0 nodes), i.e. the tree size."""
        ...

    def get_many(self, keys: Sequence[NodeKey]) -> dict[NodeKey, bytes]:
        """Return the stored hashes of ``keys`` (missing keys are simply absent)."""
        ...

    def put_many(self, nodes: Sequence[tuple[int, int, bytes]]) -> None:
        """Store ``(level, index, hash)`` triples; raise if a key already exists."""
        ...


class MemoryNodeStore:
    """A :class:`NodeStore` held in a ``dict`` (tests, benchmarks, ephemeral logs)."""

    def __init__(self) -> None:
        self._nodes: dict[NodeKey, bytes] = {}
        self._leaves = 0

    def leaf_count(self) -> int:
        """Return the number of stored leaves."""
        return self._leaves

    def get_many(self, keys: Sequence[NodeKey]) -> dict[NodeKey, bytes]:
        """Return the stored hashes of ``keys``."""
        nodes = self._nodes
        return {key: nodes[key] for key in keys if key in nodes}

    def get_range(self, level: int, start: int, end: int) -> list[bytes]:
        """Hashes of nodes ``start..end-1`` of ``level`` (:class:`LogError` if one is missing)."""
        keys = [(level, index) for index in range(start, end)]
        found = self.get_many(keys)
        if len(found) != len(keys):
            raise LogError(f"node store lacks some of nodes {start}..{end - 1} of level {level}")
        return [found[key] for key in keys]

    def put_many(self, nodes: Sequence[tuple[int, int, bytes]]) -> None:
        """Store nodes, refusing to overwrite an existing one."""
        for level, index, _ in nodes:
            if (level, index) in self._nodes:
                raise LogError(f"node ({level}, {index}) already stored")
        for level, index, value in nodes:
            self._nodes[(level, index)] = bytes(value)
            if level == 0:
                self._leaves += 1


# ---------------------------------------------------------------------------- log


def _subtree_keys(level: int, index: int, size: int) -> list[NodeKey]:
    """Return the complete nodes, left to right, that make up node ``(level, index)``.

    The node is truncated to the first ``size`` leaves; a complete node is returned as
    itself, an incomplete one (on the right border) as at most ``level`` complete ones.
    """
    start = index << level
    end = min(start + (1 << level), size)
    keys: list[NodeKey] = []
    position = start
    for k in range(level, -1, -1):
        if position + (1 << k) <= end:
            keys.append((k, position >> k))
            position += 1 << k
    return keys


def _fold(hashes: Sequence[bytes]) -> bytes:
    """Hash complete subtrees (left to right, decreasing sizes) into their parent."""
    result = hashes[-1]
    for left in reversed(hashes[:-1]):
        result = node_hash(left, result)
    return result


def _path_nodes(level: int, index: int, size: int) -> list[NodeKey]:
    """Return the sibling nodes on the path from node ``(level, index)`` to the root.

    ``size`` is the tree size in leaves; siblings are ordered bottom-up (RFC 9162
    §2.1.3.1 order). Only the last "inner" sibling may be incomplete.
    """
    inner = (index ^ ((size - 1) >> level)).bit_length()
    nodes = [(level + j, (index >> j) ^ 1) for j in range(inner)]
    high = index >> inner
    for j in range(high.bit_length()):
        if (high >> j) & 1:
            nodes.append((level + inner + j, (high >> j) - 1))
    return nodes


class MerkleLog:
    """An append-only RFC 9162 Merkle tree over a :class:`NodeStore`.

    The log stores only complete subtrees; the root and proofs for any past size are
    computed from ``O(log n)`` stored nodes fetched with a single ``get_many``. The
    log holds no state of its own besides the store: the tree size is the store's
    leaf count, so several ``MerkleLog`` objects may share one store (SQL stores make
    concurrent appends fail on the primary key rather than fork the tree).
    """

    def __init__(self, store: NodeStore) -> None:
        self._store = store

    @property
    def store(self) -> NodeStore:
        """The underlying node store."""
        return self._store

    @property
    def size(self) -> int:
        """Current number of leaves."""
        return self._store.leaf_count()

    def append(self, leaf_hashes: Iterable[bytes]) -> int:
        """Append leaf hashes (each 32 bytes) and return the new tree size.

        Only the newly completed nodes are computed and written (amortised O(1) hashes
        per leaf, O(log n) nodes read once for the right border).
        """
        leaves = [bytes(h) for h in leaf_hashes]
        for position, value in enumerate(leaves):
            if len(value) != HASH_SIZE:
                raise LogError(f"leaf_hashes[{position}] is not a {HASH_SIZE}-byte hash")
        size = self.size
        if not leaves:
            return size
        frontier = self._frontier(size)
        new_nodes: list[tuple[int, int, bytes]] = []
        for value in leaves:
            _push_leaf(frontier, size, value, new_nodes)
            size += 1
        self._store.put_many(new_nodes)
        return size

    def append_data(self, entries: Iterable[bytes]) -> int:
        """Append raw entries (hashed with :func:`leaf_hash`) and return the new size."""
        return self.append(leaf_hash(entry) for entry in entries)

    def leaf(self, index: int) -> bytes:
        """Return the stored leaf hash at ``index``."""
        self._check_index(index, self.size)
        return self._fetch([(0, index)])[(0, index)]

    def root(self, size: int | None = None) -> bytes:
        """Return the root hash of the tree at ``size`` (default: current size)."""
        size = self._check_size(size)
        if size == 0:
            return EMPTY_ROOT
        keys = _subtree_keys((size - 1).bit_length(), 0, size)
        found = self._fetch(keys)
        return _fold([found[key] for key in keys])

    def inclusion_proof(self, index: int, size: int | None = None) -> list[bytes]:
        """Return the RFC 9162 inclusion proof of leaf ``index`` in the tree at ``size``."""
        size = self._check_size(size)
        self._check_index(index, size)
        return self._resolve(_path_nodes(0, index, size), size)

    def proof_bundle(self, index: int, size: int) -> tuple[bytes, bytes, list[bytes]]:
        """``(leaf, root at size, inclusion proof)`` of leaf ``index`` with ONE store read.

        ``size`` is not checked against the store's leaf count (that would be one more
        read): a size past the stored tree needs nodes the store lacks, and :class:`LogError`
        says so. Callers compare the root with a signed one before trusting the proof.
        """
        return bundle_from(index, size, self._fetch(bundle_keys(index, size)))

    def consistency_proof(self, size1: int, size2: int | None = None) -> list[bytes]:
        """Return the RFC 9162 consistency proof from ``size1`` to ``size2``.

        Requires ``0 < size1 <= size2 <= self.size``; equal sizes give an empty proof.
        """
        size2 = self._check_size(size2)
        if not 0 < size1 <= size2:
            raise LogError(f"need 0 < size1 <= size2, got {size1}, {size2}")
        if size1 == size2:
            return []
        level = _trailing_zeros(size1)
        index = (size1 - 1) >> level
        nodes = [(level, index)] if index else []
        return self._resolve(nodes + _path_nodes(level, index, size2), size2)

    # ----------------------------------------------------------------- internals

    def _check_size(self, size: int | None) -> int:
        current = self.size
        if size is None:
            return current
        if isinstance(size, bool) or not 0 <= size <= current:
            raise LogError(f"tree size {size} is outside [0, {current}]")
        return size

    @staticmethod
    def _check_index(index: int, size: int) -> None:
        if isinstance(index, bool) or not 0 <= index < size:
            raise LogError(f"leaf index {index} is outside [0, {size})")

    def _fetch(self, keys: Sequence[NodeKey]) -> dict[NodeKey, bytes]:
        found = self._store.get_many(keys)
        missing = [key for key in keys if key not in found]
        if missing:
            raise LogError(f"node store is missing nodes {missing[:4]}")
        return found

    def _frontier(self, size: int) -> dict[int, bytes]:
        """Return ``{level: hash}`` of the complete nodes on the right border of ``size``."""
        keys = [(k, (size >> k) - 1) for k in range(size.bit_length()) if (size >> k) & 1]
        found = self._fetch(keys)
        return {level: found[(level, index)] for level, index in keys}

    def _resolve(self, nodes: Sequence[NodeKey], size: int) -> list[bytes]:
        """Return the hashes of possibly incomplete ``nodes`` of the tree at ``size``."""
        parts = [_subtree_keys(level, index, size) for level, index in nodes]
        found = self._fetch([key for keys in parts for key in keys])
        return [_fold([found[key] for key in keys]) for keys in parts]


def _push_leaf(
    frontier: dict[int, bytes], size: int, value: bytes, out: list[tuple[int, int, bytes]]
) -> None:
    """Add leaf number ``size`` to ``frontier`` and record the completed nodes in ``out``."""
    level, index, current = 0, size, value
    out.append((0, index, current))
    while index & 1:
        current = node_hash(frontier.pop(level), current)
        level += 1
        index >>= 1
        out.append((level, index, current))
    frontier[level] = current


def bundle_keys(index: int, size: int) -> list[NodeKey]:
    """Every stored node :func:`bundle_from` needs for leaf ``index`` at tree ``size``.

    A caller fetching them in the same round trip as other rows (one query per proof) hands
    the found nodes to :func:`bundle_from`.
    """
    MerkleLog._check_index(index, size)
    root_keys = _subtree_keys((size - 1).bit_length(), 0, size)
    path = [key for level, i in _path_nodes(0, index, size) for key in _subtree_keys(level, i, size)]
    return [(0, index), *root_keys, *path]


def bundle_from(index: int, size: int, found: dict[NodeKey, bytes]) -> tuple[bytes, bytes, list[bytes]]:
    """``(leaf, root at size, inclusion proof)`` from the nodes of :func:`bundle_keys`.

    Raises :class:`LogError` naming the missing nodes when ``found`` lacks some.
    """
    root_keys = _subtree_keys((size - 1).bit_length(), 0, size)
    parts = [_subtree_keys(level, i, size) for level, i in _path_nodes(0, index, size)]
    try:
        return (
            found[(0, index)],
            _fold([found[key] for key in root_keys]),
            [_fold([found[key] for key in keys]) for keys in parts],
        )
    except KeyError:
        missing = [key for key in bundle_keys(index, size) if key not in found]
        raise LogError(f"node store is missing nodes {missing[:4]}") from None
