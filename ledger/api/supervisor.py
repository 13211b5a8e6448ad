"""``ledger up``: the server, the projections and (with Kafka) the relay as one supervised group.

For a single machine. Each child is a ``ledger`` verb in its own process; a child that exits
is restarted with exponential backoff (1 s doubling to 30 s, reset after a minute of
uptime). SIGTERM or SIGINT is forwarded to every child; the group exits once they have
stopped (SIGKILL after a grace period).
"""

from __future__ import annotations

import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from types import FrameType

import structlog

log = structlog.get_logger("ledger.up")
LAUNCH = "from ledger.console import run; run()"


@dataclass
class Child:
    """One supervised verb."""

    name: str
    argv: list[str]
    process: subprocess.Popen[bytes] | None = None
    started: float = 0.0
    backoff: float = 1.0
    restarts: int = 0
    next_start: float = field(default=0.0)

    def start(self) -> None:
        """Start (or restart) the child process."""
        self.process = subprocess.Popen([sys.executable, "-c", LAUNCH, *self.argv])
        self.started = time.monotonic()
        log.info("up.child_started", child=self.name, pid=self.process.pid, restarts=self.restarts)

    def check(self, now: float) -> None:
        """Restart the child with backoff if it has exited."""
        if self.process is None:
            if now >= self.next_start:
                self.start()
            return
        code = self.process.poll()
        if code is None:
            return
        if now - self.started > 60:
            self.backoff = 1.0
        log.warning("up.child_exited", child=self.name, code=code, retry_in=self.backoff)
        self.process = None
        self.restarts += 1
        self.next_start = now + self.backoff
        self.backoff = min(self.backoff * 2, 30.0)

    def terminate(self) -> None:
        """Forward SIGTERM."""
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()

    def wait(self, deadline: float) -> None:
        """Wait until ``deadline`` (monotonic), then kill."""
        if self.process is None:
            return
        try:
            self.process.wait(timeout=max(deadline - time.monotonic(), 0.1))
        except subprocess.TimeoutExpired:
            log.warning("up.child_killed", child=self.name)
            self.process.kill()
            self.process.wait()


class Supervisor:
    """Runs children until told to stop."""

    def __init__(self, children: list[Child], grace: float = 15.0) -> None:
        self.children = children
        self.grace = grace
        self.stop = threading.Event()

    def _on_signal(self, signum: int, frame: FrameType | None) -> None:
        log.info("up.stopping", signal=signal.Signals(signum).name)
        self.stop.set()

    def run(self) -> int:
        """Supervise until SIGTERM/SIGINT; returns 0 after a clean stop."""
        previous = {s: signal.signal(s, self._on_signal) for s in (signal.SIGTERM, signal.SIGINT)}
        try:
            while not self.stop.is_set():
                now = time.monotonic()
                for child in self.children:
                    child.check(now)
                self.stop.wait(0.5)
        finally:
            for child in self.children:
                child.terminate()
            deadline = time.monotonic() + self.grace
            for child in self.children:
                child.wait(deadline)
            for sig, handler in previous.items():
                signal.signal(sig, handler)
        log.info("up.stopped")
        return 0
