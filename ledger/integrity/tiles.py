"""c2sp.org/tlog-tiles: tile coordinates, paths, entry bundles, and a tree read from tiles.

A tiled log serves its Merkle tree as *tiles* of height 8: the tile ``(L, N)`` holds the
hashes of the complete subtrees at Merkle level ``8·L`` with indices ``[N·256, N·256 + W)``
— level-0 tiles hold leaf hashes, a level-``L`` hash is the root of a full tile below.
A *full* tile has 256 hashes (8,192 bytes); the rightmost tile of a level is *partial*
(``.p/<W>``, 1 ≤ W ≤ 255) and the tree of size ``s`` has, at level ``L``, a partial tile of
width ``floor(s / 256**L) mod 256`` (none when that is 0: empty tiles do not exist).
Entry bundles (``tile/entries/N``) hold the leaves of the level-0 tile ``N``, each as a
big-endian uint16 length followed by the entry's bytes.

Paths: ``tile/<L>/<N>[.p/<W>]`` and ``tile/entries/<N>[.p/<W>]`` where ``<N>`` is written in
zero-padded 3-digit elements, all but the last prefixed with ``x``: 1234067 is
``x001/x234/067``. :func:`parse_tile_path` accepts only the canonical spelling.

:class:`TileHashStore` is a read-only :class:`ledger.integrity.merkle.NodeStore` over the
tiles of one tree size, so :class:`~ledger.integrity.merkle.MerkleLog` computes roots and
consistency proofs from tiles fetched over HTTP or read from a directory (a monitor's view).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Protocol

from ledger.integrity.errors import LogError, TileError
from ledger.integrity.merkle import HASH_SIZE, NodeKey, node_hash

__all__ = [
    "ENTRIES",
    "MAX_ENTRY_SIZE",
    "TILE_HEIGHT",
    "TILE_WIDTH",
    "RangeReader",
    "TileHashStore",
    "TileRef",
    "decode_entry_bundle",
    "encode_entry_bundle",
    "format_tile_index",
    "full_tiles_between",
    "parse_tile_path",
    "partial_tiles",
    "read_tile",
    "split_tile",
    "tile_available",
]

TILE_HEIGHT = 8
"""Tile height: a tile spans 8 Merkle levels."""

TILE_WIDTH = 1 << TILE_HEIGHT
"""Hashes in a full tile (256)."""

ENTRIES = -1
"""The ``level`` of an entry bundle in a :class:`TileRef`."""

MAX_ENTRY_SIZE = 0xFFFF
"""Longest entry an entry bundle can hold (uint16 length prefix)."""

MAX_LEVEL = 63
_LEVEL = re.compile(r"0|[1-9][0-9]?")
_WIDTH = re.compile(r"[1-9][0-9]{0,2}")
_ELEMENT = re.compile(r"x?[0-9]{3}")


@dataclass(frozen=True, order=True)
class TileRef:
    """A tile (``level`` 0..63) or an entry bundle (``level`` = :data:`ENTRIES`)."""

    level: int
    index: int
    width: int = TILE_WIDTH

    def __post_init__(self) -> None:
        if not (self.level == ENTRIES or 0 <= self.level <= MAX_LEVEL):
            raise TileError(f"tile level {self.level} is outside 0..{MAX_LEVEL}")
        if self.index < 0:
            raise TileError("tile index must be 0 or more")
        if not 1 <= self.width <= TILE_WIDTH:
            raise TileError(f"tile width {self.width} is outside 1..{TILE_WIDTH}")

    @property
    def is_full(self) -> bool:
        """Whether the tile holds 256 hashes (or entries)."""
        return self.width == TILE_WIDTH

    @property
    def is_entries(self) -> bool:
        """Whether this is an entry bundle."""
        return self.level == ENTRIES

    @property
    def node_level(self) -> int:
        """The Merkle level of the tile's hashes (0 for an entry bundle's leaves)."""
        return 0 if self.is_entries else TILE_HEIGHT * self.level

    @property
    def first_node(self) -> int:
        """Index, at :attr:`node_level`, of the tile's first hash."""
        return self.index * TILE_WIDTH

    def path(self) -> str:
        """The tile's path under the log prefix (``tile/0/x001/067.p/5``)."""
        level = "entries" if self.is_entries else str(self.level)
        partial = "" if self.is_full else f".p/{self.width}"
        return f"tile/{level}/{format_tile_index(self.index)}{partial}"

    def full(self) -> TileRef:
        """The full tile this tile is a prefix of."""
        return TileRef(self.level, self.index)


def format_tile_index(index: int) -> str:
    """``1234067`` → ``x001/x234/067``."""
    if index < 0:
        raise TileError("tile index must be 0 or more")
    parts = [f"{index % 1000:03d}"]
    index //= 1000
    while index:
        parts.append(f"x{index % 1000:03d}")
        index //= 1000
    return "/".join(reversed(parts))


def parse_tile_path(path: str) -> TileRef:
    """Parse ``tile/<L>/<N>[.p/<W>]`` or ``tile/entries/<N>[.p/<W>]`` (canonical form only)."""
    parts = path.split("/")
    if len(parts) < 3 or parts[0] != "tile":
        raise TileError(f"not a tile path: {path!r}")
    level_text, rest = parts[1], parts[2:]
    width = TILE_WIDTH
    if len(rest) >= 2 and rest[-2].endswith(".p"):
        if not _WIDTH.fullmatch(rest[-1]) or int(rest[-1]) >= TILE_WIDTH:
            raise TileError(f"bad partial tile width in {path!r}")
        width = int(rest[-1])
        rest = [*rest[:-2], rest[-2][:-2]]
    if level_text == "entries":
        level = ENTRIES
    elif _LEVEL.fullmatch(level_text) and int(level_text) <= MAX_LEVEL:
        level = int(level_text)
    else:
        raise TileError(f"bad tile level in {path!r}")
    if not rest or not all(_ELEMENT.fullmatch(e) for e in rest):
        raise TileError(f"bad tile index in {path!r}")
    index = int("".join(e.lstrip("x") for e in rest))
    tile = TileRef(level, index, width)
    if tile.path() != path:
        raise TileError(f"non-canonical tile path {path!r} (want {tile.path()!r})")
    return tile


def _nodes_at(size: int, tile: TileRef) -> int:
    """Complete subtrees of a tree of ``size`` leaves at the tile's Merkle level."""
    return size >> tile.node_level


def tile_available(tile: TileRef, size: int) -> bool:
    """Whether the tree of ``size`` leaves holds every hash (or entry) of ``tile``."""
    return tile.first_node + tile.width <= _nodes_at(size, tile)


def partial_tiles(size: int) -> list[TileRef]:
    """The partial tiles of the tree of ``size`` leaves, entry bundle included (none empty)."""
    out: list[TileRef] = []
    level = 0
    while level <= MAX_LEVEL and size >> (TILE_HEIGHT * level):
        count = size >> (TILE_HEIGHT * level)
        if count % TILE_WIDTH:
            out.append(TileRef(level, count // TILE_WIDTH, count % TILE_WIDTH))
            if level == 0:
                out.append(TileRef(ENTRIES, count // TILE_WIDTH, count % TILE_WIDTH))
        level += 1
    return out


def full_tiles_between(old: int, new: int) -> Iterator[TileRef]:
    """Full tiles (and entry bundles) that exist at size ``new`` but not at size ``old``."""
    if not 0 <= old <= new:
        raise TileError(f"need 0 <= old <= new, got {old}, {new}")
    level = 0
    while level <= MAX_LEVEL and new >> (TILE_HEIGHT * level) >= TILE_WIDTH:
        before = (old >> (TILE_HEIGHT * level)) // TILE_WIDTH
        after = (new >> (TILE_HEIGHT * level)) // TILE_WIDTH
        for index in range(before, after):
            if level == 0:
                yield TileRef(ENTRIES, index)
            yield TileRef(level, index)
        level += 1


def split_tile(data: bytes, tile: TileRef) -> list[bytes]:
    """The hashes of a hash tile's bytes (exactly ``width`` × 32 bytes)."""
    if tile.is_entries:
        raise TileError("an entry bundle holds entries, not hashes")
    if len(data) != tile.width * HASH_SIZE:
        raise TileError(f"{tile.path()} has {len(data)} bytes, want {tile.width * HASH_SIZE}")
    return [bytes(data[i : i + HASH_SIZE]) for i in range(0, len(data), HASH_SIZE)]


def encode_entry_bundle(entries: Sequence[bytes]) -> bytes:
    """Entries as a bundle: each a big-endian uint16 length then its bytes."""
    out = bytearray()
    for position, entry in enumerate(entries):
        if len(entry) > MAX_ENTRY_SIZE:
            raise TileError(f"entry {position} is longer than {MAX_ENTRY_SIZE} bytes")
        out += len(entry).to_bytes(2, "big") + entry
    return bytes(out)


def decode_entry_bundle(data: bytes) -> list[bytes]:
    """The entries of a bundle (raises :class:`TileError` on a truncated bundle)."""
    entries: list[bytes] = []
    offset = 0
    while offset < len(data):
        if offset + 2 > len(data):
            raise TileError("entry bundle ends inside a length prefix")
        length = int.from_bytes(data[offset : offset + 2], "big")
        if offset + 2 + length > len(data):
            raise TileError("entry bundle ends inside an entry")
        entries.append(bytes(data[offset + 2 : offset + 2 + length]))
        offset += 2 + length
    return entries


def _fold_perfect(hashes: Sequence[bytes]) -> bytes:
    """Root of a perfect subtree given its bottom row (a power-of-two count)."""
    row = list(hashes)
    while len(row) > 1:
        row = [node_hash(row[i], row[i + 1]) for i in range(0, len(row), 2)]
    return row[0]


class TileHashStore:
    """A read-only NodeStore of the tree of ``size`` leaves, read from its tiles.

    ``fetch(tile)`` returns a tile's bytes (the right partial tile of each level, else the
    full one); each tile is fetched once. A complete node ``(level, index)`` is a hash of
    the tile at level ``level // 8`` or the root of ``2**(level % 8)`` consecutive hashes
    of it. Nothing here is trusted: compare the root it yields with a signed checkpoint.
    """

    def __init__(self, size: int, fetch: Callable[[TileRef], bytes]) -> None:
        if size < 0:
            raise TileError("tree size must be 0 or more")
        self._size = size
        self._fetch = fetch
        self._tiles: dict[TileRef, list[bytes]] = {}

    def leaf_count(self) -> int:
        """The tree size the tiles are read for."""
        return self._size

    def tile_for(self, level: int, index: int) -> TileRef:
        """The tile of this tree that holds the node at Merkle ``level`` (multiple of 8)."""
        tile_level = level // TILE_HEIGHT
        count = self._size >> (TILE_HEIGHT * tile_level)
        number = index // TILE_WIDTH
        width = min(TILE_WIDTH, count - number * TILE_WIDTH)
        return TileRef(tile_level, number, width)

    def hashes(self, tile: TileRef) -> list[bytes]:
        """The hashes of ``tile`` (fetched once, length-checked)."""
        if tile not in self._tiles:
            self._tiles[tile] = split_tile(self._fetch(tile), tile)
        return self._tiles[tile]

    def get_many(self, keys: Sequence[NodeKey]) -> dict[NodeKey, bytes]:
        """The hashes of complete nodes ``keys`` (nodes outside the tree are absent)."""
        found: dict[NodeKey, bytes] = {}
        for level, index in keys:
            base = level - level % TILE_HEIGHT
            span = 1 << (level % TILE_HEIGHT)
            first = index * span
            if index < 0 or first + span > self._size >> base:
                continue
            tile = self.tile_for(base, first)
            offset = first - tile.first_node
            found[(level, index)] = _fold_perfect(self.hashes(tile)[offset : offset + span])
        return found

    def put_many(self, nodes: Sequence[tuple[int, int, bytes]]) -> None:
        """Refuse: tiles are read-only."""
        raise LogError("a tree read from tiles is read-only")

    def get_range(self, level: int, start: int, end: int) -> list[bytes]:
        """Hashes of nodes ``start..end-1`` at Merkle ``level`` (a multiple of 8)."""
        keys = [(level, i) for i in range(start, end)]
        found = self.get_many(keys)
        if len(found) != len(keys):
            raise TileError(f"nodes {start}..{end} of level {level} are not in the tree")
        return [found[key] for key in keys]


class RangeReader(Protocol):
    """A node store that reads consecutive nodes of one level at once (the SQL stores)."""

    def get_range(self, level: int, start: int, end: int) -> list[bytes]:
        """Hashes of nodes ``start..end-1`` of ``level``."""
        ...


def read_tile(store: RangeReader, tile: TileRef) -> bytes:
    """A hash tile's bytes from a node store: one range read of ``width`` stored nodes."""
    if tile.is_entries:
        raise TileError("entry bundles are built from the log's entries, not its nodes")
    start = tile.first_node
    return b"".join(store.get_range(tile.node_level, start, start + tile.width))
