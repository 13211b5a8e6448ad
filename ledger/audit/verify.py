"""``audit verify`` in one streaming pass: memory bounded whatever the size of the log.

The store's events and the logged leaves are read side by side in position order, page by
page. Each event's leaf is recomputed and compared with the logged one; a position without
an event must hold the gap leaf. The logged leaves are folded into the tree as they stream
(one pending node per level, RFC 9162 shapes): every interior node the fold completes is
compared with the stored node at the same place, and when the fold reaches a checkpoint's
size the root of that prefix is compared with the signed root. What is kept is O(log n)
hashes, the checkpoints, and at most ``MATCH_LIMIT`` differing events (beyond that,
events moved from one position to another are reported as altered and removed).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from eventsourcing.persistence import Notification

from ledger.adapters.follower import Db
from ledger.integrity import EMPTY_ROOT, node_hash

HOLE = bytes(32)
"""Stands for a node missing from the stored log."""
MATCH_LIMIT = 2000
"""Differences beyond which moved and altered events are not told apart."""
PAGE = 20_000


def stored_nodes(db: Db, table: str, level: int) -> Iterator[tuple[int, bytes]]:
    """(index, hash) of one level of the stored tree in index order, page by page."""
    after = -1
    while True:
        rows = db.execute(
            f"SELECT idx, hash FROM {table} WHERE level = ? AND idx > ? ORDER BY idx LIMIT {PAGE}",
            (level, after),
        ).fetchall()
        for idx, value in rows:
            yield int(idx), bytes(value)
        if len(rows) < PAGE:
            return
        after = int(rows[-1][0])


class Level:
    """One level of the stored tree, read forward: the node at an index (``HOLE`` if absent)."""

    def __init__(self, nodes: Iterator[tuple[int, bytes]]) -> None:
        self.nodes = nodes
        self.head: tuple[int, bytes] | None = next(nodes, None)

    def at(self, index: int) -> bytes:
        """The stored node at ``index`` (indexes asked for only increase)."""
        while self.head is not None and self.head[0] < index:
            self.head = next(self.nodes, None)
        if self.head is not None and self.head[0] == index:
            return self.head[1]
        return HOLE


class TreeCheck:
    """Folds the logged leaves into the tree, checking stored nodes and checkpoint roots."""

    def __init__(self, db: Db, table: str, counts: dict[int, int], sizes: Sequence[int]) -> None:
        self.db, self.table, self.counts = db, table, counts
        self.pending: list[bytes] = []  # the left node waiting for its sibling, per level
        self.levels: dict[int, Level] = {}
        self.node_problems: list[tuple[int, int]] = []  # (level, index) differing
        self.sizes = sorted(set(sizes))
        self.roots: dict[int, bytes] = {0: EMPTY_ROOT} if 0 in self.sizes else {}
        self.leaves = 0

    def add_leaf(self, value: bytes) -> None:
        """Fold the next logged leaf (``HOLE`` if missing) into the tree."""
        self._add(0, self.leaves, value)
        self.leaves += 1
        if self.sizes and self.sizes[0] == self.leaves:
            self.roots[self.leaves] = self.root()
            self.sizes.pop(0)

    def _add(self, level: int, index: int, value: bytes) -> None:
        while True:
            if level and index < self.counts.get(level, 0) and self._stored(level, index) != value:
                self.node_problems.append((level, index))
            if len(self.pending) <= level:
                self.pending.append(value)
            if index % 2 == 0:
                self.pending[level] = value
                return
            value, level, index = node_hash(self.pending[level], value), level + 1, index // 2

    def _stored(self, level: int, index: int) -> bytes:
        found = self.levels.get(level)
        if found is None:
            found = self.levels[level] = Level(stored_nodes(self.db, self.table, level))
        return found.at(index)

    def root(self) -> bytes:
        """The root of the leaves folded so far (RFC 9162: fold the pending subtrees)."""
        root: bytes | None = None
        for level in range(len(self.pending)):
            if self.leaves >> level & 1:
                node = self.pending[level]
                root = node if root is None else node_hash(node, root)
        return root if root is not None else EMPTY_ROOT


class LeafCheck:
    """Compares the store's events with the logged leaves, position by position."""

    def __init__(self) -> None:
        self.checked = 0
        self.pending = 0
        self.mismatched: list[tuple[int, str, int]] = []  # (position, aggregate, version)
        self.events: dict[int, Notification] = {}  # the first differing events, to match moves
        self.unlogged: list[Notification] = []
        self.missing: list[int] = []  # logged positions whose event left the store
        self.holes: list[int] = []  # positions whose leaf is missing from the log

    def event(self, n: Notification, logged: bytes, leaf: bytes) -> None:
        """An event at a logged position: ``leaf`` recomputed, ``logged`` stored."""
        self.checked += 1
        if leaf != logged:
            position = n.id - 1
            self.mismatched.append((position, str(n.originator_id), int(n.originator_version)))
            if len(self.events) <= MATCH_LIMIT:
                self.events[position] = n

    def beyond(self, n: Notification) -> None:
        """An event past the logged size (pending; kept only to tell moves apart)."""
        self.pending += 1
        if len(self.unlogged) < MATCH_LIMIT:
            self.unlogged.append(n)

    def gap(self, position: int, logged: bytes, gap_leaf: bytes) -> None:
        """A logged position with no event in the store."""
        if logged != gap_leaf:
            self.missing.append(position)


def merged(
    events: Iterator[Notification], leaves: Iterator[tuple[int, bytes]], size: int
) -> Iterator[tuple[int, Notification | None, bytes | None]]:
    """(position, event or None, logged leaf or None) for every position, in order.

    A logged leaf is None past ``size``; a position below ``size`` absent from the stored
    leaves reads as ``HOLE``.
    """
    leaf = next(leaves, None)
    event = next(events, None)
    position = 0
    while position < size or event is not None:
        logged: bytes | None = None
        if position < size:
            while leaf is not None and leaf[0] < position:
                leaf = next(leaves, None)
            logged = leaf[1] if leaf is not None and leaf[0] == position else HOLE
        here = event if event is not None and event.id - 1 == position else None
        if here is not None:
            event = next(events, None)
        if event is not None and here is None and position >= size:
            position = event.id - 1  # past the log: jump to the next event
            continue
        yield position, here, logged
        position += 1


def stored_leaves(db: Db, table: str) -> Iterator[tuple[int, bytes]]:
    """The logged leaves (level 0) in position order."""
    return stored_nodes(db, table, 0)


def level_counts(db: Db, table: str) -> dict[int, int]:
    """Nodes per level of the stored tree (the highest index + 1)."""
    rows = db.execute(f"SELECT level, MAX(idx) FROM {table} GROUP BY level").fetchall()
    return {int(level): int(top) + 1 for level, top in rows}


def leaves_at(db: Db, table: str, positions: Sequence[int]) -> dict[int, bytes]:
    """The logged leaves at some positions (at most ``MATCH_LIMIT`` of them)."""
    out: dict[int, bytes] = {}
    for start in range(0, len(positions), 500):
        part = positions[start : start + 500]
        marks = ", ".join("?" for _ in part)
        rows = db.execute(
            f"SELECT idx, hash FROM {table} WHERE level = 0 AND idx IN ({marks})", tuple(part)
        ).fetchall()
        out.update({int(idx): bytes(value) for idx, value in rows})
    return out


def count_problems(counts: dict[int, int], size: int) -> dict[int, tuple[int, int]]:
    """{level: (stored, wanted)} for each interior level whose node count is not the tree's."""
    out: dict[int, tuple[int, int]] = {}
    level = 1
    while size >> level:
        if counts.get(level, 0) != size >> level:
            out[level] = (counts.get(level, 0), size >> level)
        level += 1
    return out
