"""Fixtures of the interop tests: the Go oracles, built by ``tests/interop/go/setup.sh``."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

SETUP = Path(__file__).resolve().parent / "go" / "setup.sh"


@pytest.fixture(scope="session")
def go_bin() -> Path:
    """Directory of tlogcheck, litewitness and witnessctl (built once, cached in .ledger/go)."""
    done = subprocess.run(["bash", str(SETUP)], capture_output=True, text=True, timeout=1200, check=False)
    if done.returncode != 0:
        message = f"the Go interop tools did not build ({SETUP}): {done.stderr[-2000:]}"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    return Path(done.stdout.strip().splitlines()[-1])
