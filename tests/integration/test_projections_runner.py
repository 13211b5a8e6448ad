"""``ledger projections run`` as users run it: killed at random points and restarted it loses
nothing and applies nothing twice; in live mode a new event is reflected promptly."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from ledger.adapters.store import StoreTarget, open_store
from projections.registry import export as export_all
from projections.registry import followers
from tests.builders import admit, open_option
from tests.conftest import make_ledger


def cli(*args: str) -> list[str]:
    return [sys.executable, "-m", "ledger.cli", *args]


def env() -> dict[str, str]:
    return {**os.environ, "LEDGER_LOG_LEVEL": "WARNING", "LEDGER_LANG": "en"}


def current(db: Path) -> list[int]:
    """Every follower's position in the store ``db`` now."""
    target = StoreTarget.parse(str(db))
    store = open_store(target)
    fols = followers(store, target)
    try:
        return [f.position() for f in fols]
    finally:
        for f in fols:
            f.close()
        store.close()


def test_sigkill_at_random_points_loses_nothing_and_applies_nothing_twice(tmp_path: Path) -> None:
    """Several SIGKILLs during a long catch-up in small batches (one batch at a time, and
    reading ahead in a second process), then a restart to the end: every rm_ table equals a
    clean rebuild, and every follower stands at the head."""
    db = tmp_path / "demo.db"
    made = subprocess.run(
        cli("demo", "--db", str(db), "--learners", "400", "--seed", "5"),
        env=env(),
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert made.returncode == 0, made.stderr
    rng = random.Random(11)
    positions: list[list[int]] = []
    for kill in range(6):
        ahead = {"LEDGER_READ_AHEAD_MIN_LAG": "1"} if kill % 2 else {}  # half read ahead
        before = positions[-1][0] if positions else 0
        proc = subprocess.Popen(
            cli("projections", "run", "--db", str(db), "--batch", "1"),
            env={**env(), **ahead},
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        # killed once this run has applied something (however slow the machine is to start
        # it), at a random point shortly after
        deadline = time.monotonic() + 120
        while proc.poll() is None and time.monotonic() < deadline and current(db)[0] <= before:
            time.sleep(0.05)
        time.sleep(rng.uniform(0.0, 0.4))
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
        positions.append(current(db))
    done = subprocess.run(
        cli("projections", "run", "--db", str(db), "--once", "--batch", "7"),
        env=env(),
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    target = StoreTarget.parse(str(db))
    store = open_store(target)
    head = store.recorder.max_notification_id()
    fols = followers(store, target, batch_size=1000)
    assert [f.position() for f in fols] == [head] * len(fols)
    assert sum(any(0 < p < head for p in row) for row in positions) >= 3, positions  # mid-way
    read_ahead_moved = [positions[k][0] > positions[k - 1][0] for k in (1, 3, 5)]
    assert any(read_ahead_moved), positions  # a run reading ahead was killed mid-way too
    incremental = export_all(fols)
    for fol in fols:
        fol.rebuild()
    assert export_all(fols) == incremental
    for f in fols:
        f.close()


def test_live_mode_reflects_a_new_event_promptly(tmp_path: Path) -> None:
    """With ``projections run`` following live, a newly admitted learner's dossier appears."""
    location = str(tmp_path / "live.db")
    ledger = make_ledger(location)
    open_option(ledger)
    proc = subprocess.Popen(
        cli("projections", "run", "dossier", "--db", location),
        env=env(),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        target = StoreTarget.parse(location)
        [fol] = followers(ledger.store, target, "dossier")
        _wait(lambda: fol.position() == 1)
        learner = admit(ledger)
        _wait(
            lambda: (
                fol.db.execute(
                    "SELECT COUNT(*) FROM rm_dossier WHERE learner_id = ?", (str(learner),)
                ).fetchone()[0]
                == 1
            )
        )
        fol.close()
    finally:
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=30) == 0


def _wait(condition: Any, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.05)
    raise AssertionError("condition not met in time")
