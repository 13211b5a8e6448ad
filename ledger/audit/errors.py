"""The integrity log's error tree, written out in one place.

::

    LedgerError (ledger.domain.errors)
    └── AuditError                 a request the integrity log cannot answer: a position beyond
        │                          the log, a proof that does not prove what it claims (exit 2)
        └── LeafMismatch           the stored event no longer matches its logged leaf: the store
                                   was tampered with (the verbs that check it exit 4)

Malformed proofs, notes and checkpoints are :class:`ledger.integrity.IntegrityError`; unknown
events and bad arguments are the domain's ``UnknownEntity`` and ``InvalidCommand``. The CLI
maps errors once, through ``EXIT_CODES`` in ``ledger/cli/common.py``.
"""

from __future__ import annotations

from ledger.domain.errors import LedgerError

__all__ = ["AuditError", "LeafMismatch"]


class AuditError(LedgerError):
    """A request the integrity log cannot answer (position beyond the log, rebuild…)."""

    code = "audit"


class LeafMismatch(AuditError):
    """The stored event no longer matches its logged leaf: the store was tampered with."""

    code = "tampered"
