"""c2sp.org/tlog-tiles: paths, tile contents against the spec's formula, trees read from tiles."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ledger.integrity import MemoryNodeStore, MerkleLog, TileError, verify_consistency
from ledger.integrity.tiles import (
    ENTRIES,
    TileHashStore,
    TileRef,
    decode_entry_bundle,
    encode_entry_bundle,
    full_tiles_between,
    parse_tile_path,
    partial_tiles,
    read_tile,
    split_tile,
    tile_available,
)
from tests.unit.integrity._support import leaves_for, ref_root


def test_paths_follow_the_spec_grammar() -> None:
    """The spec's example index 1234067 is x001/x234/067; partial tiles end in .p/<W>."""
    assert TileRef(0, 1234067).path() == "tile/0/x001/x234/067"
    assert TileRef(2, 5, 17).path() == "tile/2/005.p/17"
    assert TileRef(ENTRIES, 1000, 3).path() == "tile/entries/x001/000.p/3"
    for path in ["tile/0/x001/x234/067", "tile/63/000", "tile/entries/x001/000.p/255"]:
        assert parse_tile_path(path).path() == path


@pytest.mark.parametrize(
    "path",
    [
        "tile/0/1",
        "tile/0/0001",
        "tile/00/000",
        "tile/64/000",
        "tile/0/x000/001",
        "tile/0/001/x234",
        "tile/0/000.p/0",
        "tile/0/000.p/256",
        "tile/0/000.p/07",
        "tile/0/000.p/",
        "tile/data/000",
        "tiles/0/000",
        "tile/0/-01",
        "tile/entries",
        "tile/0/x01/234",
    ],
)
def test_non_canonical_or_malformed_paths_are_refused(path: str) -> None:
    """Only the canonical spelling of a tile exists: anything else is a TileError (404)."""
    with pytest.raises(TileError):
        parse_tile_path(path)


def test_partial_tiles_match_the_spec_examples() -> None:
    """Size 70,000: partials of width 112 (L0), 17 (L1), 1 (L2); size 256: only L1 width 1."""
    partial = {(t.level, t.width) for t in partial_tiles(70_000)}
    assert partial == {(0, 112), (ENTRIES, 112), (1, 17), (2, 1)}
    full = list(full_tiles_between(0, 70_000))
    assert sum(1 for t in full if t.level == 0) == 273
    assert sum(1 for t in full if t.level == ENTRIES) == 273
    assert sum(1 for t in full if t.level == 1) == 1
    assert {(t.level, t.width) for t in partial_tiles(256)} == {(1, 1)}
    assert partial_tiles(0) == []


def _tree(size: int) -> tuple[list[bytes], MerkleLog]:
    leaves = leaves_for(9, size)
    log = MerkleLog(MemoryNodeStore())
    log.append(leaves)
    return leaves, log


@pytest.mark.parametrize("size", [1, 255, 256, 257, 513, 65_536 + 300])
def test_tiles_hold_the_merkle_tree_hashes_of_the_spec_formula(size: int) -> None:
    """Hash i of tile (l, n) is MTH(D[(n·256+i)·256^l : (n·256+i+1)·256^l])."""
    leaves, log = _tree(size)
    for tile in [*partial_tiles(size), *full_tiles_between(0, size)]:
        if tile.is_entries or (tile.level == 0 and tile.index > 2):
            continue
        hashes = split_tile(read_tile(log.store, tile), tile)  # type: ignore[arg-type]
        span = 256**tile.level
        for i in [0, tile.width - 1]:
            start = (tile.index * 256 + i) * span
            assert hashes[i] == ref_root(leaves[start : start + span])


def test_a_tile_is_available_only_when_the_tree_covers_it() -> None:
    """No tile beyond the tree: full tile 0 needs 256 leaves, a .p/5 tile needs 5."""
    assert tile_available(TileRef(0, 0, 5), 5) and not tile_available(TileRef(0, 0, 6), 5)
    assert not tile_available(TileRef(0, 0), 255) and tile_available(TileRef(0, 0), 256)
    assert tile_available(TileRef(1, 0, 1), 256) and not tile_available(TileRef(1, 0, 2), 511)
    assert tile_available(TileRef(ENTRIES, 1, 3), 259) and not tile_available(TileRef(ENTRIES, 1, 4), 259)


@settings(max_examples=40, deadline=None)
@given(st.integers(1, 3000), st.data())
def test_a_tree_read_from_tiles_gives_the_roots_and_proofs_of_the_stored_tree(
    size: int, data: st.DataObject
) -> None:
    """Roots of every past size and consistency proofs computed from tiles verify."""
    _, log = _tree(size)
    fetched: list[TileRef] = []

    def fetch(tile: TileRef) -> bytes:
        fetched.append(tile)
        return read_tile(log.store, tile)  # type: ignore[arg-type]

    tiles = MerkleLog(TileHashStore(size, fetch))
    old = data.draw(st.integers(1, size))
    assert tiles.root(old) == log.root(old)
    proof = tiles.consistency_proof(old, size)
    verify_consistency(old, size, proof, log.root(old), log.root(size))
    assert len(fetched) == len(set(fetched)), "each tile is fetched once"
    assert all(tile_available(t, size) for t in fetched)


def test_a_short_or_long_tile_is_refused() -> None:
    """A tile of the wrong length never yields hashes."""
    with pytest.raises(TileError):
        split_tile(b"\x00" * 31, TileRef(0, 0, 1))
    store = TileHashStore(3, lambda tile: b"\x00" * 32 * 4)
    with pytest.raises(TileError):
        MerkleLog(store).root(3)


def test_entry_bundles_are_uint16_length_prefixed() -> None:
    """Each entry is its big-endian uint16 length then its bytes; truncation is refused."""
    entries = [b"", b"a", bytes(300), "é".encode()]
    bundle = encode_entry_bundle(entries)
    assert bundle[:2] == b"\x00\x00" and bundle[2:5] == b"\x00\x01a" and bundle[5:7] == b"\x01\x2c"
    assert decode_entry_bundle(bundle) == entries
    for cut in (1, 4, len(bundle) - 1):
        with pytest.raises(TileError):
            decode_entry_bundle(bundle[:cut])
    with pytest.raises(TileError):
        encode_entry_bundle([bytes(70_000)])
