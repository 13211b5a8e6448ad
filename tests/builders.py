"""Command builders for tests: short, explicit, valid by default."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

from ledger.application import Ledger, Outcome, parse_command

OPTION = "mecanicien-polyvalent-automobile"  # TQ, profile UAA1-2 (4th), 3-4 (5th), 5-6 (6th)
P_OPTION = "installateur-electricien"  # P
FASE = 209  # TQ school of Annex II
FASE_P = 712  # P school
FASE_TQ2 = 1204  # another school with TQ and P
NRN = "04050112345"  # the national register number of every builder-admitted learner

ROLE = {
    "jury_qualification": "jury_president",
    "jury_delegate": "teacher",
    "conseil_classe": "head_of_school",
    "pedagogical_team": "teacher",
    "direction": "head_of_school",
    "conseil_admission": "head_of_school",
    "administration": "administration",
}


def cmd(name: str, body: str, when: str, fase: int = FASE, **fields: Any) -> dict[str, Any]:
    """A raw command dict."""
    return {
        "command": name,
        "actor_id": f"{body}-1",
        "actor_role": ROLE[body],
        "body": body,
        "effective_date": when,
        "fase": fase,
        **fields,
    }


def run(ledger: Ledger, raw: dict[str, Any]) -> Outcome:
    """Validate and execute one raw command."""
    return ledger.execute(parse_command(raw))


def open_option(ledger: Ledger, fase: int = FASE, option: str = OPTION, first: int = 2018) -> None:
    """Open an option at a school."""
    run(
        ledger,
        cmd("OpenOption", "direction", f"{first}-06-01", fase, option_code=option, first_school_year=first),
    )


def admission(
    learner: uuid.UUID,
    *,
    year: int = 4,
    route: str = "A4_standard",
    sy: int = 2019,
    fase: int = FASE,
    option: str = OPTION,
    body: str = "direction",
    birth: str = "2004-05-01",
    **extra: Any,
) -> dict[str, Any]:
    """The raw ``AdmitLearner`` command of a new learner (with an identity)."""
    return cmd(
        "AdmitLearner",
        body,
        f"{sy}-09-01",
        fase,
        learner_id=str(learner),
        option_code=option,
        school_year=sy,
        year=year,
        route=route,
        identity={
            "given_name": "Test",
            "family_name": "Learner",
            "birth_date": birth,
            "national_number": NRN,
        },
        **extra,
    )


def admit(ledger: Ledger, **fields: Any) -> uuid.UUID:
    """Admit a new learner (:func:`admission`'s fields) and return its id."""
    learner = uuid.uuid4()
    run(ledger, admission(learner, **fields))
    return learner


def on(
    learner: uuid.UUID, name: str, body: str, when: str, fase: int = FASE, **fields: Any
) -> dict[str, Any]:
    """A learner command dict."""
    return cmd(name, body, when, fase, learner_id=str(learner), **fields)


def pass_unit(ledger: Ledger, learner: uuid.UUID, uaa: str, when: str, fase: int = FASE) -> None:
    """Authorise, sit and validate a UAA by test on ``when``."""
    run(
        ledger,
        on(
            learner, "AuthoriseTest", "jury_qualification", when, fase, uaa=uaa, representatives_informed=True
        ),
    )
    run(ledger, on(learner, "RecordAttempt", "jury_delegate", when, fase, uaa=uaa, passed=True))
    run(ledger, on(learner, "ValidateUnit", "jury_delegate", when, fase, uaa=uaa))


def finish_fourth(
    ledger: Ledger, learner: uuid.UUID, kind: str = "AOA", sy: int = 2019, fase: int = FASE
) -> None:
    """Validate both 4th-year UAA and issue the attestation."""
    pass_unit(ledger, learner, "UAA1", f"{sy}-11-10", fase)
    pass_unit(ledger, learner, "UAA2", f"{sy + 1}-03-10", fase)
    run(ledger, on(learner, "IssueAttestation", "conseil_classe", f"{sy + 1}-06-25", fase, kind=kind))


def events_count(ledger: Ledger) -> int:
    """How many events the store holds."""
    return ledger.store.recorder.max_notification_id() or 0


def when(year: int, month: int, day: int) -> str:
    """ISO date string."""
    return date(year, month, day).isoformat()


NOW_DATE = date(2026, 11, 1)
