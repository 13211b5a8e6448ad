"""A partitioned rebuild whose PARENT is killed mid-way (SIGKILL: no clean-up runs) leaves every
read model empty at position 0 and no worker running on; a second rebuild removes the
abandoned scratch files and gives the tables of the live follower."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from ledger.adapters.store import StoreTarget, open_store
from projections.registry import close, followers, split_rebuild
from projections.registry import export as export_all
from tests.integration.test_projections_partition import _built

SLOW_PARENT = """
import sys, time
from ledger import logs
from ledger.adapters.store import StoreTarget, open_store
from projections import registry, stats
logs.configure("WARNING")
write, parent = stats.StatsProjection.write, __import__("os").getpid()
def slow(self, db, work):
    if __import__("os").getpid() == parent:
        print("writing", flush=True)
        time.sleep(60)  # killed here, the child at work
    write(self, db, work)
stats.StatsProjection.write = slow
target = StoreTarget.parse(sys.argv[1])
registry.rebuild(registry.followers(open_store(target), target, batch_size=37), processes=2)
"""


def _children(pid: int) -> list[int]:
    found = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    return [int(p) for p in found]


def test_a_killed_parent_leaves_positions_at_zero_and_no_worker(tmp_path: Path) -> None:
    location = str(tmp_path / "ledger.db")
    fols, live, _head = _built(location)
    fols[0].store.close()
    close(fols)
    proc = subprocess.Popen(
        [sys.executable, "-c", SLOW_PARENT, location], stdout=subprocess.PIPE, text=True, cwd=os.getcwd()
    )
    assert proc.stdout is not None and proc.stdout.readline().strip() == "writing"
    workers = _children(proc.pid)
    assert workers  # the worker was forked
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    deadline = time.monotonic() + 10
    while any(Path(f"/proc/{w}").exists() for w in workers) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not any(Path(f"/proc/{w}").exists() for w in workers)  # died with its parent
    target = StoreTarget.parse(location)
    fols = followers(open_store(target), target, batch_size=37)
    assert [f.position() for f in fols] == [0] * len(fols)
    assert not any(export_all(fols).values())
    abandoned = [p for p in os.listdir(tmp_path) if p.startswith(".rebuild-")]
    assert abandoned  # the killed parent could not clean up…
    assert split_rebuild(fols, processes=2) is not None
    assert not [p for p in os.listdir(tmp_path) if p.startswith(".rebuild-")]  # …the next run did
    assert export_all(fols) == live
    fols[0].store.close()
    close(fols)
