"""The monitor's verdicts on logs built in memory: consistent growth, and every kind of split view."""

from __future__ import annotations

from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from ledger.audit.errors import AuditError
from ledger.audit.log import gap_record, leaf_bytes
from ledger.audit.monitor import LogMisbehaviour, MonitorUnavailable, SplitView, monitor_once
from ledger.integrity import Checkpoint, MemoryNodeStore, MerkleLog, Signer, sign_checkpoint
from ledger.integrity.tiles import (
    TileRef,
    encode_entry_bundle,
    full_tiles_between,
    partial_tiles,
    read_tile,
)

ORIGIN = "registre.example/log"
KEY = Signer(ORIGIN, Ed25519PrivateKey.generate())


class Site:
    """A tiled log held in a dict: what a web server would serve."""

    def __init__(self, entries: list[bytes], signer: Signer = KEY) -> None:
        tree = MerkleLog(MemoryNodeStore())
        tree.append_data(entries)
        size = len(entries)
        self.files: dict[str, bytes] = {
            "checkpoint": sign_checkpoint(Checkpoint(ORIGIN, size, tree.root(size)), [signer])
        }
        for tile in [*full_tiles_between(0, size), *partial_tiles(size)]:
            if tile.is_entries:
                start = tile.first_node
                self.files[tile.path()] = encode_entry_bundle(entries[start : start + tile.width])
            else:
                self.files[tile.path()] = read_tile(tree.store, tile)  # type: ignore[arg-type]

    def get(self, path: str) -> bytes:
        if path not in self.files:
            raise MonitorUnavailable(f"404 {path}")
        return self.files[path]


def leaves(count: int, start: int = 0, mark: str = "") -> list[bytes]:
    return [
        leaf_bytes({**gap_record(i), "mark": mark} if mark else gap_record(i)) for i in range(start, count)
    ]


def test_growth_is_followed_and_remembered(tmp_path: Path) -> None:
    """Each run checks the new entries only and moves the state forward."""
    state = tmp_path / "state.json"
    first = monitor_once(Site(leaves(300)), [KEY.verifier], state)
    assert (first.previous_size, first.size, first.new_entries) == (0, 300, 300)
    second = monitor_once(Site(leaves(700)), [KEY.verifier], state)
    assert (second.previous_size, second.size, second.new_entries) == (300, 700, 400)
    assert monitor_once(Site(leaves(700)), [KEY.verifier], state).new_entries == 0


@pytest.mark.parametrize(
    ("later", "reason"),
    [
        (leaves(300, mark="x"), "two different roots"),
        (leaves(299), "shrank"),
        (leaves(100) + leaves(400, 100, mark="x"), "not an extension"),
    ],
)
def test_split_views_keep_both_checkpoints_and_the_old_state(
    tmp_path: Path, later: list[bytes], reason: str
) -> None:
    """Same size other root, a smaller tree, a rewritten past: SplitView with both notes."""
    state = tmp_path / "state.json"
    seen = Site(leaves(300))
    monitor_once(seen, [KEY.verifier], state)
    kept = state.read_bytes()
    forked = Site(later)
    with pytest.raises(SplitView, match=reason) as caught:
        monitor_once(forked, [KEY.verifier], state)
    assert (caught.value.seen, caught.value.new) == (seen.files["checkpoint"], forked.files["checkpoint"])
    assert state.read_bytes() == kept


def test_a_log_contradicting_its_own_checkpoint_is_misbehaviour(tmp_path: Path) -> None:
    """Tiles of another tree, an entry that is not its leaf, a checkpoint by another key."""
    site = Site(leaves(300))
    site.files["tile/0/001.p/44"] = Site(leaves(300, mark="y")).files["tile/0/001.p/44"]
    with pytest.raises(LogMisbehaviour, match="do not rebuild the root"):
        monitor_once(site, [KEY.verifier], tmp_path / "a.json")
    site = Site(leaves(300))
    site.files[TileRef(-1, 1, 44).path()] = encode_entry_bundle(leaves(300, 256, mark="z"))
    with pytest.raises(LogMisbehaviour, match="does not hash to its leaf"):
        monitor_once(site, [KEY.verifier], tmp_path / "b.json")
    stranger = Signer(ORIGIN, Ed25519PrivateKey.generate())
    with pytest.raises(LogMisbehaviour, match="does not verify"):
        monitor_once(Site(leaves(10), stranger), [KEY.verifier], tmp_path / "c.json")
    assert not any((tmp_path / name).exists() for name in ("a.json", "b.json", "c.json"))


def test_a_state_file_of_another_log_is_refused(tmp_path: Path) -> None:
    """One state file follows one origin."""
    state = tmp_path / "state.json"
    other = Signer("elsewhere.example/log", Ed25519PrivateKey.generate())
    site = Site(leaves(5))
    site.files["checkpoint"] = sign_checkpoint(Checkpoint("elsewhere.example/log", 0, bytes(32)), [other])
    monitor_once(Site(leaves(5)), [KEY.verifier], state)
    with pytest.raises(AuditError, match="follows"):
        monitor_once(site, [other.verifier], state)
