"""The application layer: the :class:`Ledger`, the regimes' commands and handlers, queries.

Modules: :mod:`~ledger.application.ledger` (decide / execute), :mod:`~ledger.application.base`
(the plumbing both regimes share), :mod:`~ledger.application.cpu` and
:mod:`~ledger.application.clea` (one module per regime: commands + handlers),
:mod:`~ledger.application.registry` (the command registry built from the regimes),
:mod:`~ledger.application.queries`, :mod:`~ledger.application.dossiers`,
:mod:`~ledger.application.asof`, :mod:`~ledger.application.deadlines`,
:mod:`~ledger.application.clock` and :mod:`~ledger.application.identity` (ports).
It imports the domain and the reference data, never an adapter or an entry point.
"""

from ledger.application.base import Outcome
from ledger.application.clock import Clock, FixedClock, SystemClock
from ledger.application.ledger import Ledger
from ledger.application.registry import CommandRegistry, default_registry, parse_command

__all__ = [
    "Clock",
    "CommandRegistry",
    "FixedClock",
    "Ledger",
    "Outcome",
    "SystemClock",
    "default_registry",
    "parse_command",
]
