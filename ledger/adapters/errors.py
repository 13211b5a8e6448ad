"""The adapters' error tree, written out in one place.

::

    LedgerError (ledger.domain.errors)
    ├── StoreUnavailable           the event store could not be opened (exit 1, HTTP 503)
    └── KeyStoreError              no signing key, an unreadable or malformed key file (exit 2)

The messages never show a password: store URLs are redacted before they are raised.
"""

from __future__ import annotations

from ledger.domain.errors import LedgerError

__all__ = ["KeyStoreError", "StoreUnavailable"]


class StoreUnavailable(LedgerError):
    """The store could not be opened (exit 1, HTTP 503; the URL's password is hidden)."""

    code = "store-unavailable"


class KeyStoreError(LedgerError):
    """No signing key, an unreadable or malformed key file, or an invalid key name."""

    code = "key-store"
