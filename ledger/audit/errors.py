"""The integrity log's error tree, written out in one place.

::

    LedgerError (ledger.domain.errors)
    └── AuditError                 a request the integrity log cannot answer: a position beyond
        │                          the log, a proof that does not prove what it claims (exit 2)
        ├── LeafMismatch           the stored event no longer matches its logged leaf: the store
        │                          was tampered with (the verbs that check it exit 4)
        ├── TileNotFound           no such tile, entry bundle or checkpoint (yet): HTTP 404
        ├── MonitorUnavailable     a monitored log could not be read: nothing concluded (exit 1)
        └── LogMisbehaviour        a log serves data contradicting its own checkpoint (exit 4)
            └── SplitView          two signed checkpoints that cannot both be true (exit 4)

Malformed proofs, notes and checkpoints are :class:`ledger.integrity.IntegrityError`; unknown
events and bad arguments are the domain's ``UnknownEntity`` and ``InvalidCommand``. The CLI
maps errors once, through ``EXIT_CODES`` in ``ledger/cli/common.py``.
"""

from __future__ import annotations

from ledger.domain.errors import LedgerError

__all__ = [
    "AuditError",
    "LeafMismatch",
    "LogMisbehaviour",
    "MonitorUnavailable",
    "SplitView",
    "TileNotFound",
]


class AuditError(LedgerError):
    """A request the integrity log cannot answer (position beyond the log, rebuild…)."""

    code = "audit"


class LeafMismatch(AuditError):
    """The stored event no longer matches its logged leaf: the store was tampered with."""

    code = "tampered"


class MonitorUnavailable(AuditError):
    """The log (or its directory) could not be read: nothing was concluded."""

    code = "unavailable"


class LogMisbehaviour(AuditError):
    """The log serves data that contradicts its own signed checkpoint."""

    code = "tampered"


class SplitView(LogMisbehaviour):
    """Two signed checkpoints of one log that cannot both be true (fork, rollback)."""

    code = "split-view"

    def __init__(self, reason: str, seen: bytes, new: bytes) -> None:
        super().__init__(reason)
        self.seen = seen
        self.new = new


class TileNotFound(AuditError):
    """No such tile, bundle or checkpoint (yet): HTTP 404."""

    code = "not-found"
