"""The read models by name (``dossier``, ``stats``, ``history``, ``law``).

The runner and the read-ahead child both build them; this module sits apart from both so
neither imports the other.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ledger.adapters.store import EventStoreApp
from projections.dossier import DossierProjection
from projections.history import HistoryProjection
from projections.law_facts import LawFactsProjection
from projections.stats import StatsProjection

REGISTRY: dict[str, Callable[[EventStoreApp | None], Any]] = {
    "dossier": DossierProjection,
    "stats": StatsProjection,
    "history": HistoryProjection,
    "law": LawFactsProjection,
}
"""Each read model's class by name; called with the store (or ``None`` in the read-ahead)."""
