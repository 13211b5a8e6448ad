"""``ledger audit publish DIR``: the integrity log as static c2sp.org/tlog-tiles files.

The directory receives the same tree ``ledger serve`` exposes under ``/log``::

    DIR/checkpoint                      the latest checkpoint, with its cosignatures
    DIR/tile/<L>/<N>[.p/<W>]            hash tiles
    DIR/tile/entries/<N>[.p/<W>]        entry bundles

so any web server or object store can serve it (give ``checkpoint`` a short cache lifetime
and ``tile/`` a long one). Running it again into the same directory adds what the log
gained since: it reads ``DIR/checkpoint``, checks that it is this log's (signature, origin,
and the stored tree's root at that size), then writes the full tiles completed since, the
partial tiles of every checkpoint signed since (kept until their full tile exists; never
deleted), and the new checkpoint last. Files are written atomically (temporary file then
rename); an existing tile with other content is never overwritten (:class:`AuditError`).
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import structlog

from ledger.adapters.follower import Db
from ledger.audit.errors import AuditError
from ledger.audit.log import checkpoint_sizes, node_store
from ledger.audit.tiles import LogTiles, ServedCheckpoint
from ledger.integrity import IntegrityError, MerkleLog, Verifier, open_checkpoint
from ledger.integrity.tiles import TileRef, full_tiles_between, partial_tiles, tile_available

__all__ = ["PublishReport", "publish"]

log = structlog.get_logger("ledger.audit.publish")


@dataclass(frozen=True)
class PublishReport:
    """What a publication wrote."""

    directory: str
    size: int
    previous: int
    written: int
    unchanged: int

    def to_dict(self) -> dict[str, object]:
        """JSON-friendly form."""
        return dict(self.__dict__)


def publish(db: Db, directory: Path, verifiers: Sequence[Verifier]) -> PublishReport:
    """Write (or bring up to date) the static tlog-tiles tree of the log in ``directory``.

    ``verifiers`` are the log's public keys, to recognise a checkpoint published earlier.
    Raises :class:`AuditError` when there is no checkpoint yet, or when the directory holds
    another log's (or a forked) tree.
    """
    tiles = LogTiles(db)
    served = tiles.checkpoint()
    size = served.checkpoint.size
    previous = _published_size(db, directory, served, verifiers)
    wanted = _tiles_to_write(previous, size, checkpoint_sizes(db))
    written = unchanged = 0
    for tile in wanted:
        changed = _write(directory / tile.path(), tiles.resource(tile, size), immutable=True)
        written, unchanged = written + changed, unchanged + (not changed)
    changed = _write(directory / "checkpoint", served.note, immutable=False)
    report = PublishReport(str(directory), size, previous, written + changed, unchanged + (not changed))
    log.info("audit.published", size=size, previous=previous, written=report.written)
    return report


def _tiles_to_write(previous: int, size: int, signed: Sequence[int]) -> list[TileRef]:
    """Full tiles completed since ``previous``, and the partial tiles of each newer size."""
    wanted = set(full_tiles_between(previous, size))
    for checkpointed in {*(s for s in signed if previous < s <= size), size}:
        for tile in partial_tiles(checkpointed):
            if not tile_available(tile.full(), size):
                wanted.add(tile)
    return sorted(wanted)


def _published_size(db: Db, directory: Path, served: ServedCheckpoint, verifiers: Sequence[Verifier]) -> int:
    """The size of the checkpoint already in ``directory`` (0 if none), checked to be ours."""
    path = directory / "checkpoint"
    if not path.exists():
        return 0
    try:
        old, _ = open_checkpoint(path.read_bytes(), verifiers, served.checkpoint.origin)
    except IntegrityError as exc:
        raise AuditError(f"{path} is not a checkpoint of this log ({exc}): publish elsewhere") from None
    if old.size > served.checkpoint.size:
        raise AuditError(
            f"{path} is at size {old.size}, beyond this log's checkpoint ({served.checkpoint.size})"
        )
    if old.size and MerkleLog(node_store(db)).root(old.size) != old.root_hash:
        raise AuditError(
            f"{path} holds another tree at size {old.size} than this log: a fork; nothing written"
        )
    return old.size


def _write(path: Path, data: bytes, *, immutable: bool) -> bool:
    """Atomically write ``data`` to ``path``; return False when it already held it."""
    if path.exists():
        current = path.read_bytes()
        if current == data:
            return False
        if immutable:
            raise AuditError(f"{path} exists with other content; tiles never change: refusing")
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.replace(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
    return True
