"""A minimal progress bar on stderr, shown only on a terminal."""

from __future__ import annotations

import sys
import time


class Progress:
    """Counts work done and redraws a bar at most ten times a second."""

    def __init__(self, label: str, total: int) -> None:
        self.label = label
        self.total = max(total, 1)
        self.done = 0
        self._shown = 0.0
        self._tty = sys.stderr.isatty()

    def advance(self, amount: int = 1) -> None:
        """Add ``amount`` to the work done."""
        self.done += amount
        now = time.monotonic()
        if self._tty and (now - self._shown > 0.1 or self.done >= self.total):
            self._shown = now
            width = 30
            filled = int(width * min(self.done / self.total, 1.0))
            sys.stderr.write(f"\r{self.label} [{'#' * filled}{'.' * (width - filled)}] "
                             f"{self.done}/{self.total}")
            sys.stderr.flush()

    def close(self) -> None:
        """End the bar's line."""
        if self._tty:
            sys.stderr.write("\n")
