"""``ledger audit monitor URL --key VKEY``: follow a remote tiled log and catch a split view.

Each run fetches ``<URL>/checkpoint``, verifies its signature (and, with a witness policy,
its cosignatures), then reads the tree through its tiles (c2sp.org/tlog-tiles) and checks:

* the tiles rebuild the checkpoint's root (a log serving tiles of another tree is caught);
* the new checkpoint is consistent with the last one this monitor saw — the consistency
  proof is computed from the new tree's tiles and verified against the *remembered* root
  (RFC 9162 §2.1.4.2), so a log that rewrote or forked its history, shrank, or signed two
  roots for one size is a :class:`SplitView` carrying both checkpoints;
* every new entry (entry bundles) hashes to its leaf in the tiles and is a ledger leaf
  whose ``position`` is its index.

The state (origin, size, root, checkpoint note) is a small JSON file, replaced atomically
and only after every check passed, so a detected split view is detected again on rerun.
``URL`` may also be a directory written by ``ledger audit publish``.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import httpx
import orjson
import structlog

from ledger.audit.errors import AuditError, LogMisbehaviour, MonitorUnavailable, SplitView
from ledger.integrity import (
    Checkpoint,
    IntegrityError,
    MerkleLog,
    Verifier,
    WitnessPolicy,
    leaf_hash,
    open_checkpoint,
    verify_checkpoint_policy,
    verify_consistency,
)
from ledger.integrity.tiles import ENTRIES, TILE_WIDTH, TileHashStore, TileRef, decode_entry_bundle

__all__ = [
    "LogMisbehaviour",
    "MonitorReport",
    "MonitorState",
    "MonitorUnavailable",
    "SplitView",
    "default_state_path",
    "monitor_once",
    "open_source",
]

log = structlog.get_logger("ledger.audit.monitor")


class Source(Protocol):
    """Where the log's resources are read: ``get("checkpoint")``, ``get("tile/0/000")``."""

    def get(self, path: str) -> bytes:
        """The resource's bytes (:class:`MonitorUnavailable` when it cannot be read)."""
        ...


class HttpSource:
    """A log served over HTTP(S) (keep-alive; a 429 is waited out, a few times)."""

    def __init__(self, url: str, timeout: float = 20.0) -> None:
        self.url = url.rstrip("/")
        self._client = httpx.Client(timeout=timeout, headers={"User-Agent": "ledger-monitor"})

    def get(self, path: str) -> bytes:
        """GET ``<url>/<path>``."""
        for _ in range(5):
            try:
                response = self._client.get(f"{self.url}/{path}")
            except httpx.HTTPError as exc:
                raise MonitorUnavailable(f"cannot reach {self.url}/{path}: {exc}") from None
            if response.status_code == 429:
                time.sleep(min(float(response.headers.get("retry-after", "1") or 1), 5.0))
                continue
            if response.status_code != 200:
                raise MonitorUnavailable(f"{self.url}/{path}: HTTP {response.status_code}")
            return response.content
        raise MonitorUnavailable(f"{self.url}/{path}: still rate limited")

    def close(self) -> None:
        """Close the connections."""
        self._client.close()


class DirSource:
    """A log published as static files (``ledger audit publish DIR``)."""

    def __init__(self, directory: Path) -> None:
        self.directory = Path(directory)

    def get(self, path: str) -> bytes:
        """Read ``DIR/<path>``."""
        try:
            return (self.directory / path).read_bytes()
        except OSError as exc:
            raise MonitorUnavailable(f"cannot read {self.directory / path}: {exc.strerror}") from None

    def close(self) -> None:
        """Nothing to release."""


def open_source(location: str) -> HttpSource | DirSource:
    """An HTTP(S) URL, or a directory (``file://`` or a path) of published tiles."""
    if location.startswith(("http://", "https://")):
        return HttpSource(location)
    path = Path(location.removeprefix("file://"))
    if not path.is_dir():
        raise AuditError(f"{location} is neither an http(s) URL nor a directory")
    return DirSource(path)


@dataclass(frozen=True)
class MonitorState:
    """What the monitor saw last."""

    origin: str
    size: int
    root: bytes
    note: bytes

    @classmethod
    def load(cls, path: Path) -> MonitorState | None:
        """The state in ``path`` (``None`` when the file does not exist)."""
        if not path.exists():
            return None
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            return cls(
                data["origin"],
                int(data["size"]),
                base64.b64decode(data["root"]),
                data["checkpoint"].encode("utf-8"),
            )
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise AuditError(f"unreadable monitor state {path}: {exc}") from None

    def save(self, path: Path) -> None:
        """Replace ``path`` atomically."""
        path.parent.mkdir(parents=True, exist_ok=True)
        data = {
            "origin": self.origin,
            "size": self.size,
            "root": base64.b64encode(self.root).decode("ascii"),
            "checkpoint": self.note.decode("utf-8"),
        }
        temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        temporary.write_text(json.dumps(data, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
        os.replace(temporary, path)


@dataclass(frozen=True)
class MonitorReport:
    """One monitoring step."""

    origin: str
    previous_size: int
    size: int
    new_entries: int
    witnesses: tuple[str, ...]

    def to_dict(self) -> dict[str, object]:
        """JSON-friendly form."""
        return {**self.__dict__, "witnesses": list(self.witnesses)}


def monitor_once(
    source: Source,
    verifiers: Sequence[Verifier],
    state_path: Path,
    *,
    policy: WitnessPolicy | None = None,
    origin: str | None = None,
) -> MonitorReport:
    """Fetch, verify and remember the log's latest checkpoint (see the module docstring).

    Raises :class:`SplitView` or :class:`LogMisbehaviour` (the log misbehaves),
    :class:`MonitorUnavailable` (cannot read it), :class:`AuditError` (bad state file,
    checkpoint not signed by ``verifiers`` or not meeting ``policy``).
    """
    note = source.get("checkpoint")
    checkpoint, witnesses = _verified(note, verifiers, policy, origin)
    seen = MonitorState.load(state_path)
    if seen is not None and seen.origin != checkpoint.origin:
        raise AuditError(f"{state_path} follows {seen.origin!r}, not {checkpoint.origin!r}")
    tree = MerkleLog(TileHashStore(checkpoint.size, lambda tile: source.get(tile.path())))
    _check_root(tree, checkpoint)
    if seen is not None:
        _check_consistency(tree, seen, checkpoint, note)
    start = 0 if seen is None else min(seen.size, checkpoint.size)
    try:
        _check_entries(source, tree, start, checkpoint.size)
    except IntegrityError as exc:
        raise LogMisbehaviour(f"the log's tiles or entry bundles are malformed: {exc}") from None
    MonitorState(checkpoint.origin, checkpoint.size, checkpoint.root_hash, note).save(state_path)
    report = MonitorReport(
        checkpoint.origin,
        0 if seen is None else seen.size,
        checkpoint.size,
        checkpoint.size - start,
        witnesses,
    )
    log.info("audit.monitor.checked", size=report.size, new_entries=report.new_entries)
    return report


def _verified(
    note: bytes, verifiers: Sequence[Verifier], policy: WitnessPolicy | None, origin: str | None
) -> tuple[Checkpoint, tuple[str, ...]]:
    try:
        if policy is not None:
            verdict = verify_checkpoint_policy(note, policy, log_verifiers=verifiers, origin=origin)
            return verdict.checkpoint, verdict.witnesses
        checkpoint, _ = open_checkpoint(note, verifiers, origin)
    except IntegrityError as exc:
        raise LogMisbehaviour(f"the log's checkpoint does not verify: {exc}") from None
    return checkpoint, ()


def _check_root(tree: MerkleLog, checkpoint: Checkpoint) -> None:
    try:
        root = tree.root(checkpoint.size)
    except IntegrityError as exc:
        raise LogMisbehaviour(f"the log's tiles are malformed: {exc}") from None
    if root != checkpoint.root_hash:
        raise LogMisbehaviour(
            f"the log's tiles do not rebuild the root of its checkpoint (size {checkpoint.size})"
        )


def _check_consistency(tree: MerkleLog, seen: MonitorState, checkpoint: Checkpoint, note: bytes) -> None:
    if checkpoint.size < seen.size:
        raise SplitView(f"the log shrank from size {seen.size} to {checkpoint.size}", seen.note, note)
    if checkpoint.size == seen.size:
        if checkpoint.root_hash != seen.root:
            raise SplitView(f"two different roots signed for size {seen.size}", seen.note, note)
        return
    if seen.size == 0:
        return
    try:
        proof = tree.consistency_proof(seen.size, checkpoint.size)
        verify_consistency(seen.size, checkpoint.size, proof, seen.root, checkpoint.root_hash)
    except IntegrityError as exc:
        raise SplitView(
            f"size {checkpoint.size} is not an extension of the size {seen.size} seen before ({exc})",
            seen.note,
            note,
        ) from None


def _check_entries(source: Source, tree: MerkleLog, start: int, size: int) -> None:
    """Every entry of ``start..size-1`` hashes to its leaf and is a ledger leaf at its index."""
    first = start - start % TILE_WIDTH
    for base in range(first, size, TILE_WIDTH):
        width = min(TILE_WIDTH, size - base)
        bundle = decode_entry_bundle(source.get(TileRef(ENTRIES, base // TILE_WIDTH, width).path()))
        if len(bundle) != width:
            raise LogMisbehaviour(f"entry bundle at {base} has {len(bundle)} entries, want {width}")
        leaves = tree.store.get_many([(0, base + i) for i in range(width)])
        for offset, entry in enumerate(bundle):
            position = base + offset
            if leaf_hash(entry) != leaves.get((0, position)):
                raise LogMisbehaviour(f"entry {position} does not hash to its leaf in the tiles")
            if position >= start:
                _check_leaf(entry, position)


def _check_leaf(entry: bytes, position: int) -> None:
    try:
        leaf = orjson.loads(entry)
    except orjson.JSONDecodeError:
        raise LogMisbehaviour(f"entry {position} is not a ledger leaf (not JSON)") from None
    if not isinstance(leaf, dict) or leaf.get("v") != 1 or leaf.get("position") != position:
        raise LogMisbehaviour(f"entry {position} is not a version-1 ledger leaf at its own position")


def default_state_path(origin: str) -> Path:
    """``.ledger/monitor/<first 16 hex of SHA-256(origin)>.json`` (relative to the cwd)."""
    return Path(".ledger") / "monitor" / f"{hashlib.sha256(origin.encode('utf-8')).hexdigest()[:16]}.json"
