"""Legal deadlines passed without their decision (PSSA, C2D decision, competence report).

:func:`check_deadlines` lists them for every CPU learner as of a date and, when asked, records
each one as missed, once (``ledger deadlines check [--record]``).
"""

from __future__ import annotations

from datetime import date
from typing import Any, cast
from uuid import UUID

from eventsourcing.utils import get_topic

from ledger.application.cpu import RecordMissedDeadline
from ledger.application.ledger import Ledger
from ledger.application.queries import iter_notifications
from ledger.domain.cpu.aggregates import Learner
from ledger.domain.kernel import ActorRole, Body

WATCH_ACTOR = "ledger-deadline-watch"
"""The actor id missed deadlines are recorded under."""


def check_deadlines(ledger: Ledger, as_of: date, record: bool = False) -> list[dict[str, Any]]:
    """Every deadline passed by ``as_of`` without its decision; ``record`` records them."""
    rows, commands = [], []
    for n in iter_notifications(ledger.store, topics=(get_topic(Learner.Admitted),)):
        learner: Learner = ledger.store.repository.get(cast(UUID, n.originator_id))
        recorded = {(d.kind, d.due_by) for d in learner.of_type(Learner.DeadlineMissed)}
        for kind, due_by, school_year in learner.overdue(as_of):
            done = (kind, due_by) in recorded
            rows.append(
                {
                    "learner_id": str(learner.id),
                    "fase": learner.fase,
                    "kind": kind.value,
                    "due_by": due_by.isoformat(),
                    "school_year": school_year,
                    "recorded": done,
                }
            )
            if not done:
                commands.append(
                    RecordMissedDeadline(
                        command="RecordMissedDeadline",
                        learner_id=learner.id,
                        kind=kind,
                        actor_id=WATCH_ACTOR,
                        actor_role=ActorRole.SYSTEM,
                        body=Body.ADMINISTRATION,
                        effective_date=as_of,
                        fase=learner.fase,
                    )
                )
    if record and commands:
        ledger.execute_all(commands, batch=200)
        for row in rows:
            row["recorded"] = True
    return rows
