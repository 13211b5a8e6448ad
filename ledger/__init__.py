"""The certification ledger: an event-sourced system of record for CPU and CléA decisions.

Nothing happens at import time. Entry points are :mod:`ledger.cli` (the ``ledger``
command) and, later, the HTTP API.
"""

__version__ = "0.1.0"
