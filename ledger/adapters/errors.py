"""The adapters' error tree, written out in one place.

::

    LedgerError (ledger.domain.errors)
    ├── ServiceFailure             a part outside the process (event store, broker, a child
    │   │                          process) failed or could not be reached (exit 1, HTTP 503)
    │   └── StoreUnavailable       the event store could not be opened
    ├── StoreUnreachable       the PostgreSQL server did not accept a connection in time (exit 2)
    └── KeyStoreError              no signing key, an unreadable or malformed key file (exit 2)

Other packages derive their own failures of that kind from ``ServiceFailure`` too
(``consumers.errors.PublishFailed``, ``projections.errors.ReadAheadFailed``), so the CLI's
one table maps them without knowing them.

The messages never show a password: store URLs are redacted before they are raised.
"""

from __future__ import annotations

from ledger.domain.errors import LedgerError

__all__ = ["KeyStoreError", "ServiceFailure", "StoreUnavailable", "StoreUnreachable"]


class ServiceFailure(LedgerError):
    """A part outside the process failed or could not be reached (exit 1, HTTP 503)."""

    code = "service-failure"


class StoreUnavailable(ServiceFailure):
    """The store could not be opened (exit 1, HTTP 503; the URL's password is hidden)."""

    code = "store-unavailable"


class KeyStoreError(LedgerError):
    """No signing key, an unreadable or malformed key file, or an invalid key name."""

    code = "key-store"


class StoreUnreachable(LedgerError):
    """The PostgreSQL server did not accept a connection in time."""

    code = "store-unreachable"

    def __init__(self, where: str, timeout: float, reason: str) -> None:
        self.where, self.timeout, self.reason = where, timeout, reason
        super().__init__(f"PostgreSQL at {where} unreachable after {timeout:g} s: {reason}")
