"""The consumers' error tree, written out in one place.

::

    LedgerError (ledger.domain.errors)
    └── ConsumerError              base of everything the relay and the consumers raise on purpose
        ├── ContractError          a stored event has no wire mapping, a message does not fit its
        │                          contract, or a schema change is breaking (exit 2)
        ├── ReleasedSchemasUnavailable  the released schemas cannot be read (git revision unknown,
        │                          no history): consumers.released, exit 2
        ├── RelayBusy              another relay holds the lock for this store and prefix (exit 2)
        ├── Poison                 a received record that cannot be applied; the message is the
        │                          dead-letter reason (caught by the runner, never user-facing)
        └── PublishFailed          the broker did not acknowledge every record of a batch; the
                                   position did not move (also a ServiceFailure: exit 1, HTTP 503;
                                   the relay catches it and retries with back-off)

The CLI maps them once, through ``EXIT_CODES`` in ``ledger/cli/common.py`` (a ``LedgerError``
is exit 2 unless a more specific row says otherwise).
"""

from __future__ import annotations

from ledger.adapters.errors import ServiceFailure
from ledger.domain.errors import LedgerError

__all__ = [
    "ConsumerError",
    "ContractError",
    "Poison",
    "PublishFailed",
    "RelayBusy",
    "ReleasedSchemasUnavailable",
]


class ConsumerError(LedgerError):
    """Base of every deliberate error of the relay and the consumers."""

    code = "consumer-error"


class ContractError(ConsumerError):
    """A stored event has no wire mapping, or a message does not fit its contract."""

    code = "contract-error"


class RelayBusy(ConsumerError):
    """Another relay holds the lock for this store and prefix."""

    code = "relay-busy"


class Poison(ConsumerError):
    """A record that cannot be applied; the message is the dead-letter reason."""

    code = "poison"


class PublishFailed(ConsumerError, ServiceFailure):
    """The broker did not acknowledge every record of a batch (the position did not move)."""

    code = "publish-failed"


class ReleasedSchemasUnavailable(ConsumerError):
    """The released schemas cannot be read (no git checkout, unknown revision)."""

    code = "released-schemas-unavailable"
