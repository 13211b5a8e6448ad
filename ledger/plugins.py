"""Reader plug-ins: how ``projections`` and ``consumers`` add verbs, routes and readers.

The write side never imports its readers. A reader package declares entry points in
``pyproject.toml``; the CLI and the API discover them at start-up:

- group ``ledger.cli``: ``register(app: typer.Typer, readers: Readers) -> None`` adds verb
  groups (``app.add_typer``) or verbs (``app.command``), and may fill :class:`Readers`;
- group ``ledger.api``: ``register(app: fastapi.FastAPI, services: Services, readers: Readers)
  -> None`` includes routers (``app.include_router``), and may fill :class:`Readers`.

:class:`Readers` holds what a read model can answer faster than a replay of the log; the
write side asks it first and falls back on the log when it is absent or behind.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from importlib.metadata import entry_points
from typing import TYPE_CHECKING, Any
from uuid import UUID

if TYPE_CHECKING:
    from eventsourcing.application import Application

    from ledger.application.queries import CertificateIndex

CLI_GROUP = "ledger.cli"
"""Entry-point group of CLI plug-ins."""
API_GROUP = "ledger.api"
"""Entry-point group of API plug-ins."""

StoredDossier = Callable[[Any, UUID, date], "dict[str, Any] | None"]
"""``(services, learner id, today) -> dossier``: a read model's current dossier, or ``None``."""


@dataclass
class Readers:
    """What reader plug-ins offer the write side's queries (each optional)."""

    certificate_index: Callable[[Application[UUID]], CertificateIndex] | None = None
    stored_dossier: StoredDossier | None = None

    def certificates_of(self, store: Application[UUID]) -> CertificateIndex | None:
        """The certificate index over ``store``, when a plug-in offers one."""
        return self.certificate_index(store) if self.certificate_index is not None else None


def discover(group: str) -> list[tuple[str, Callable[..., None]]]:
    """Every plug-in registered under ``group``: (entry point name, its ``register``)."""
    found = []
    for point in sorted(entry_points(group=group), key=lambda p: p.name):
        try:
            found.append((point.name, point.load()))
        except Exception as exc:  # a broken plug-in must not take the write side down
            import structlog

            structlog.get_logger("ledger.plugins").warning(
                "plugin.unavailable", group=group, plugin=point.name, error=f"{type(exc).__name__}: {exc}"
            )
    return found
