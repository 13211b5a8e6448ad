"""Ctrl-C on the installed ``ledger`` console script: a quiet exit 130 at any moment, never a traceback.

A secretary who presses Ctrl-C right after Enter interrupts Python while it is still importing
the CLI; before ``ledger.console`` that printed a ``KeyboardInterrupt`` traceback (and exit -2).
Oracle: the process's own exit status and stderr, through a real SIGINT at several moments of
start-up and of a long run, on a real SQLite file.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
from pathlib import Path

import pytest

from tests.e2e.test_french_secretary import SCRIPT, ledger

MOMENTS = (0.1, 0.2, 0.35, 0.6, 1.0, 1.6)  # seconds after start: imports, settings, app, serving


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    base = tmp_path_factory.mktemp("interrupt")
    done = ledger("demo", "--learners", "5", "--seed", "2", "--db", "demo.db", cwd=base)
    assert done.returncode == 0, done.stderr
    return base


def _foreground() -> None:
    """Ctrl-C's default disposition, as a terminal's foreground job has it.

    A suite started in the background by a shell without job control (``make test &`` in a
    script) runs with SIGINT ignored, and an ignored signal stays ignored across ``exec``: the
    script would then rightly not stop, and these tests would say nothing of Ctrl-C.
    """
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def _interrupted(argv: list[str], cwd: Path, after: float) -> tuple[int, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("LEDGER_")}
    proc = subprocess.Popen(
        [SCRIPT, *argv],
        cwd=cwd,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        preexec_fn=_foreground,  # noqa: PLW1509 (one signal() call between fork and exec)
    )
    time.sleep(after)
    proc.send_signal(signal.SIGINT)
    try:
        _out, err = proc.communicate(timeout=30)
    except subprocess.TimeoutExpired:
        proc.kill()
        pytest.fail(f"{argv[0]} still running 30 s after Ctrl-C at {after} s")
    return proc.returncode, err


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.mark.parametrize("after", MOMENTS)
def test_ctrl_c_during_serve_start_up_is_quiet(store: Path, after: float) -> None:
    """``ledger serve`` stops on Ctrl-C whenever it comes: exit 130 (or 0 once serving), no traceback."""
    code, err = _interrupted(["serve", "--db", "demo.db", "--port", str(_port())], store, after)
    assert "Traceback" not in err and "KeyboardInterrupt" not in err, err
    assert code in (130, 0), (code, err)


@pytest.mark.parametrize("after", (0.15, 1.5))
def test_ctrl_c_during_a_long_recording_is_quiet(tmp_path: Path, after: float) -> None:
    """``ledger demo`` of a large cohort stopped at start-up or while recording: exit 130, no traceback."""
    code, err = _interrupted(["demo", "--learners", "5000", "--db", "big.db"], tmp_path, after)
    assert "Traceback" not in err and "KeyboardInterrupt" not in err, err
    assert code == 130, (code, err)
