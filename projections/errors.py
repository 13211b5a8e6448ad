"""The projections' error tree, written out in one place.

::

    LedgerError (ledger.domain.errors)
    └── ProjectionError            base of everything the read models raise on purpose
        ├── ReadModelStale         a read model is missing state it needs: rebuild it (exit 2)
        ├── ReadAheadFailed        the read-ahead child process ended early or failed (also a
        │                          ServiceFailure: exit 1)
        └── RebuildWorkerFailed    a partitioned rebuild's worker process died or failed; the
                                   read models stay empty at position 0 (ServiceFailure: exit 1)

An unknown projection name is the domain's ``InvalidCommand`` and an unknown certificate its
``UnknownEntity`` (exit 2, HTTP 4xx): they are the same user mistakes as on the write side.
The CLI maps errors once, through ``EXIT_CODES`` in ``ledger/cli/common.py``.
"""

from __future__ import annotations

from ledger.adapters.errors import ServiceFailure
from ledger.domain.errors import LedgerError

__all__ = ["ProjectionError", "ReadAheadFailed", "ReadModelStale", "RebuildWorkerFailed"]


class ProjectionError(LedgerError):
    """Base of every deliberate error of the read models."""

    code = "projection-error"


class ReadModelStale(ProjectionError):
    """A read model lacks state it needs (written by an older version): rebuild it."""

    code = "read-model-stale"


class ReadAheadFailed(ProjectionError, ServiceFailure):
    """The read-ahead child process ended early or reported a failure."""

    code = "read-ahead-failed"


class RebuildWorkerFailed(ProjectionError, ServiceFailure):
    """A worker process of a partitioned rebuild died or failed: nothing was merged."""

    code = "rebuild-worker-failed"
