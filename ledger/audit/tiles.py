"""The integrity log as c2sp.org/tlog-tiles resources: checkpoint, hash tiles, entry bundles.

Everything is read from what the log already stores — no tree is rebuilt:

* a hash tile ``(L, N)`` is one primary-key range scan of ``integrity_nodes`` (the stored
  complete subtrees at Merkle level ``8·L`` are exactly the tile's hashes);
* an entry bundle is one range scan of the events table: each entry is the leaf's JCS bytes
  (:func:`ledger.audit.log.leaf_bytes`: position, event id, topic, SHA-256 of the stored
  state — no personal data), checked against the stored leaf hashes before it is served;
* the checkpoint is the latest signed one, with the witnesses' cosignatures when obtained.

Only what the served checkpoint covers exists: a tile or bundle beyond its size is
:class:`TileNotFound`. Partial tiles of every size up to it are served (they are prefixes
of stored data), so the partial tiles of every checkpointed size remain available.
"""

from __future__ import annotations

from dataclasses import dataclass

from ledger.adapters.follower import Db
from ledger.adapters.sql import EventTable
from ledger.audit.errors import AuditError, LeafMismatch, TileNotFound
from ledger.audit.log import (
    StoredRow,
    gap_record,
    leaf_bytes,
    node_store,
    served_checkpoint,
)
from ledger.integrity import Checkpoint, LogError, leaf_hash
from ledger.integrity.tiles import TileRef, encode_entry_bundle, read_tile, tile_available

__all__ = ["LogTiles", "ServedCheckpoint", "TileNotFound"]


@dataclass(frozen=True)
class ServedCheckpoint:
    """The checkpoint a tiled log shows: its note (with cosignatures) and parsed body."""

    seq: int
    note: bytes
    checkpoint: Checkpoint


class LogTiles:
    """Read the tlog-tiles resources of the integrity log on one connection (never writes)."""

    def __init__(self, db: Db) -> None:
        self.db = db

    def checkpoint(self) -> ServedCheckpoint:
        """The latest checkpoint with its cosignatures (:class:`TileNotFound` if none yet)."""
        found = served_checkpoint(self.db)
        if found is None:
            raise TileNotFound("no checkpoint yet: run `ledger audit checkpoint`")
        return ServedCheckpoint(*found)

    def resource(self, tile: TileRef, size: int | None = None) -> bytes:
        """A hash tile or an entry bundle of the tree at ``size`` (default: the served one)."""
        bound = self.checkpoint().checkpoint.size if size is None else size
        if not tile_available(tile, bound):
            raise TileNotFound(f"{tile.path()} is not part of the log at size {bound}")
        return self.entry_bundle(tile) if tile.is_entries else self.hash_tile(tile)

    def hash_tile(self, tile: TileRef) -> bytes:
        """A hash tile from the stored nodes (the caller checked it is covered)."""
        try:
            return read_tile(node_store(self.db), tile)
        except LogError as exc:
            raise AuditError(f"the stored tree lacks {tile.path()}: {exc}") from None

    def entry_bundle(self, tile: TileRef) -> bytes:
        """An entry bundle, every entry checked against its stored leaf hash."""
        start = tile.first_node
        entries = self.entries(start, start + tile.width)
        try:
            stored = node_store(self.db).get_range(0, start, start + tile.width)
        except LogError as exc:
            raise AuditError(f"the stored tree lacks the leaves of {tile.path()}: {exc}") from None
        for offset, (entry, logged) in enumerate(zip(entries, stored, strict=True)):
            if leaf_hash(entry) != logged:
                raise LeafMismatch(
                    f"the stored event at position {start + offset} does not match "
                    "the log (run `ledger audit verify`)"
                )
        return encode_entry_bundle(entries)

    def entries(self, start: int, end: int) -> list[bytes]:
        """The leaf bytes of positions ``start..end-1`` (gap leaves for unused positions)."""
        rows = {row.position: row for row in EventTable(self.db, StoredRow).between(start, end)}
        return [leaf_bytes(rows[p].record() if p in rows else gap_record(p)) for p in range(start, end)]
