"""Cheap change detection for the key folders a server reads on every request.

Listing a folder and stat-ing each file costs a dozen system calls; a verification needs to
know whether the credential keys or the integrity log keys changed several times per request.
:class:`FolderListing` answers from one ``stat`` of the folder itself: adding, removing or
renaming a file (how every key is written: ``O_EXCL`` creation, or a temporary file renamed
into place) changes the folder's modification time, and the full listing is taken again then,
and at least every ``recheck`` seconds in case a file was rewritten in place.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable
from pathlib import Path

Listing = tuple[tuple[str, int], ...]
"""File names with their modification times (ns), sorted."""


class FolderListing:
    """The listing of one folder's matching files, taken again only when the folder changed."""

    def __init__(self, directory: Path, keep: Callable[[str], bool], recheck: float = 2.0) -> None:
        """Watch ``directory``, listing the files whose name ``keep`` accepts."""
        self.directory = directory
        self.keep = keep
        self.recheck = recheck
        self._lock = threading.Lock()
        self._stamp: tuple[int, int] | None = None
        self._taken = float("-inf")
        self._listing: Listing = ()

    def listing(self) -> Listing:
        """Names and modification times of the matching files (``()`` when there is no folder)."""
        try:
            st = os.stat(self.directory)
        except OSError:
            return ()
        stamp = (st.st_mtime_ns, st.st_ino)
        now = time.monotonic()
        with self._lock:
            if stamp == self._stamp and now - self._taken < self.recheck:
                return self._listing
        found = self._full()
        with self._lock:
            self._stamp, self._taken, self._listing = stamp, now, found
        return found

    def _full(self) -> Listing:
        try:
            entries = list(os.scandir(self.directory))
        except OSError:
            return ()
        return tuple(
            sorted((e.name, e.stat().st_mtime_ns) for e in entries if e.is_file() and self.keep(e.name))
        )
