"""One principal per role, scoped to real records of a (demo) store: for ``ledger tokens demo``."""

from __future__ import annotations

from typing import Any

import orjson

from ledger.adapters.store import EventStoreApp, iter_notifications
from ledger.api.roles import Principal
from ledger.application.queries import certificates

_TOPICS = {
    "ledger.domain.clea.aggregates:EvaluatorOrganisation.Registered": "evaluator",
    "ledger.domain.clea.aggregates:TrainingOrganisation.Registered": "training_org",
    "ledger.domain.clea.aggregates:BranchJury.Registered": "branch_jury",
}


def demo_principals(store: EventStoreApp) -> list[Principal]:
    """Principals for every role; school roles at the school of a certified learner."""
    certs = certificates(store)
    learner = next((c.learner_id for c in certs if c.kind in {"CQ", "CE6P"}), None)
    found = _first_registrations(store)
    out: list[Principal] = []
    if learner is not None:
        fase = int(store.repository.get(_uuid(learner)).fase)
        out += [
            Principal(role, str(fase), f"{role}-{fase}")
            for role in ("jury", "conseil_classe", "conseil_admission", "direction")
        ]
        out.append(Principal("learner", learner, "learner"))
    out.append(Principal("administration", "fwb", "administration-1"))
    out.append(Principal("certifpro", "national", "certifpro-1"))
    for role in ("evaluator", "training_org", "branch_jury"):
        if role in found:
            out.append(Principal(role, found[role], f"{role}-1"))
    out += [
        Principal("inspector", "all", "inspector-1"),
        Principal("certification_body", "all", "certification-body-1"),
    ]
    return out


def _first_registrations(store: EventStoreApp) -> dict[str, str]:
    found: dict[str, str] = {}
    for n in iter_notifications(store, topics=tuple(_TOPICS)):
        role = _TOPICS[n.topic]
        state: dict[str, Any] = orjson.loads(n.state)
        found.setdefault(role, str(state.get("siret") or state.get("branch_code")))
    return found


def _uuid(value: str) -> Any:
    from uuid import UUID

    return UUID(value)
