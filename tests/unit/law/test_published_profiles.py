"""PublishProfile made effective (Art. 2 3°, Art. 3): admissions use the published profile.

An admission uses the administration's latest profile version of the option in force on the
admission date (the decision's date, or 1 September of the school year admitted into if
earlier), and the shipped reference profile when none is published for that date. Later
decisions and the dossier resolve the recorded version the same way. Table cases run on an
in-memory ledger; the last test replays a publication stored before the profile document was
kept (class version 1) through the store's own mapper.
"""

from __future__ import annotations

import json
import uuid
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any, cast

import orjson
import pytest
from eventsourcing.persistence import StoredEvent
from eventsourcing.utils import get_topic

from ledger.adapters.store import EventStoreApp, OrjsonTranscoder, PydanticMapper
from ledger.application import FixedClock
from ledger.application.dossiers import dossier_of
from ledger.application.ledger import Ledger
from ledger.application.profiles import PUBLISHED, SHIPPED
from ledger.bootstrap import bootstrap_memory
from ledger.domain.cpu.aggregates import CertificationProfile, Learner, profile_id
from ledger.domain.errors import RuleViolation
from tests.builders import OPTION, P_OPTION, cmd, open_option, run

SHIPPED_DOC = (
    Path(__file__).resolve().parents[3] / "ledger/reference/data/profiles" / f"{OPTION}@2018-06-29.json"
)
NOW = datetime(2026, 11, 1, tzinfo=UTC)
SHIPPED_VERSION = f"{OPTION}@2018-06-29"


def profile(approved: str, effective: str | None, *, new_uaa: str | None = None) -> dict[str, Any]:
    """The shipped profile re-approved on ``approved``; ``new_uaa`` renames the first UAA."""
    doc: dict[str, Any] = json.loads(SHIPPED_DOC.read_text(encoding="utf-8"))
    doc["approved_on"], doc["effective_from"] = approved, effective
    if new_uaa:
        doc["uaa"][0] = {**doc["uaa"][0], "code": new_uaa, "title": "Nouvelle UAA publiée"}
    return doc


def lookup(ledger: Ledger) -> Any:
    """Aggregates by id, ``None`` when unknown (what the dossier's ``lookup`` expects)."""
    return lambda ident: ledger.get(ident) if ledger.exists(ident) else None


def publish(ledger: Ledger, doc: dict[str, Any]) -> None:
    run(ledger, cmd("PublishProfile", "administration", doc["approved_on"], profile=doc))


def admit(ledger: Ledger, on: str, school_year: int, option: str = OPTION, fase: int = 209) -> Learner:
    learner = uuid.uuid4()
    run(
        ledger,
        cmd(
            "AdmitLearner",
            "direction",
            on,
            fase=fase,
            learner_id=str(learner),
            option_code=option,
            school_year=school_year,
            year=4,
            route="A4_standard",
        ),
    )
    found: Learner = ledger.get(learner)
    return found


# published profiles (approved, effective), admission (date, school year), expected version
CASES = [
    ("none-published", [], ("2025-09-01", 2025), SHIPPED_VERSION),
    ("published-in-force", [("2024-06-28", "2024-09-01")], ("2025-09-01", 2025), f"{OPTION}@2024-06-28"),
    (
        "effective-on-admission-day",
        [("2025-06-28", "2025-09-01")],
        ("2025-09-01", 2025),
        f"{OPTION}@2025-06-28",
    ),
    ("effective-day-after-admission", [("2025-06-28", "2025-09-02")], ("2025-09-01", 2025), SHIPPED_VERSION),
    (
        "no-effective-date-approval-counts",
        [("2025-08-31", None)],
        ("2025-09-01", 2025),
        f"{OPTION}@2025-08-31",
    ),
    (
        "latest-in-force-of-several",
        [("2023-06-28", "2023-09-01"), ("2024-06-28", "2024-09-01"), ("2025-06-28", "2026-09-01")],
        ("2025-09-01", 2025),
        f"{OPTION}@2024-06-28",
    ),
    (
        "admitted-in-june-for-september",
        [("2025-06-28", "2025-09-01")],
        ("2025-06-20", 2025),
        f"{OPTION}@2025-06-28",
    ),
    ("mid-year-admission", [("2025-06-28", "2026-01-05")], ("2026-01-06", 2025), f"{OPTION}@2025-06-28"),
]


@pytest.mark.parametrize(
    ("published", "admission", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
def test_admission_uses_the_profile_in_force(
    memory_ledger: Ledger, published: list[tuple[str, str | None]], admission: tuple[str, int], expected: str
) -> None:
    """The learner's admission records the published version in force, else the shipped one."""
    for approved, effective in published:
        publish(memory_ledger, profile(approved, effective))
    open_option(memory_ledger)
    learner = admit(memory_ledger, *admission)
    assert learner.profile_version == expected
    doc = dossier_of(learner, date(2026, 1, 10), lookup(memory_ledger))
    assert doc["profile_version"] == expected
    assert doc["profile_source"] == (SHIPPED if expected == SHIPPED_VERSION else PUBLISHED)


def test_another_options_publication_is_not_used(memory_ledger: Ledger) -> None:
    """A profile published for one option never serves an admission into another."""
    publish(memory_ledger, profile("2024-06-28", "2024-09-01"))
    open_option(memory_ledger, fase=712, option=P_OPTION)
    learner = admit(memory_ledger, "2025-09-01", 2025, option=P_OPTION, fase=712)
    assert learner.profile_version == f"{P_OPTION}@2018-06-29"


def test_later_decisions_and_the_dossier_follow_the_published_profile(memory_ledger: Ledger) -> None:
    """A UAA only the published version has is authorised; the shipped one's is refused."""
    publish(memory_ledger, profile("2024-06-28", "2024-09-01", new_uaa="UAA9"))
    open_option(memory_ledger)
    learner = admit(memory_ledger, "2025-09-01", 2025)
    on: dict[str, Any] = {"learner_id": str(learner.id)}
    run(memory_ledger, cmd("AuthoriseTest", "jury_qualification", "2025-12-01", uaa="UAA9", **on))
    with pytest.raises(RuleViolation) as refused:
        run(memory_ledger, cmd("AuthoriseTest", "jury_qualification", "2025-12-01", uaa="UAA1", **on))
    assert refused.value.rule == "uaa_in_learner_profile"
    doc = dossier_of(memory_ledger.get(learner.id), date(2026, 1, 10), lookup(memory_ledger))
    assert doc["units"][0]["uaa"] == "UAA9" and doc["units"][0]["title"] == "Nouvelle UAA publiée"


def test_a_publication_stored_before_documents_were_kept_replays_and_is_not_used() -> None:
    """A class-version-1 Published event (no ``document``) replays through the upcaster.

    Written as that version stored it (the state without ``class_version`` nor ``document``) into
    a ledger's recorder: the aggregate replays, and admissions fall back to the shipped profile.
    """
    mapper = PydanticMapper(transcoder=OrjsonTranscoder())
    scratch = bootstrap_memory(FixedClock(NOW))
    publish(scratch.ledger, profile("2024-06-28", "2024-09-01"))
    ident = profile_id(f"{OPTION}@2024-06-28")
    state = orjson.loads(mapper.to_stored_event(next(iter(scratch.ledger.store.events.get(ident)))).state)
    scratch.close()
    assert state.pop("class_version") == 2 and state.pop("document") is not None
    services = bootstrap_memory(FixedClock(NOW))
    ledger = services.ledger
    ledger.store.recorder.insert_events(
        [StoredEvent(ident, 1, get_topic(CertificationProfile.Published), orjson.dumps(state))]
    )
    replayed = ledger.get(ident, "profile")
    assert isinstance(replayed, CertificationProfile)
    assert replayed.document is None and replayed.option_code == OPTION and replayed.version == 1
    open_option(ledger)
    assert admit(ledger, "2025-09-01", 2025).profile_version == SHIPPED_VERSION
    services.close()


def test_the_dossier_read_model_renders_a_learner_admitted_under_a_published_profile(
    memory_ledger: Ledger,
) -> None:
    """The dossier read model resolves the published version from the store, as admissions do."""
    from projections.dossier import render

    publish(memory_ledger, profile("2024-06-28", "2024-09-01", new_uaa="UAA9"))
    open_option(memory_ledger)
    learner = admit(memory_ledger, "2025-09-01", 2025)
    doc = render(cast(EventStoreApp, memory_ledger.store), learner.id, learner.version)
    assert (doc["profile_version"], doc["profile_source"]) == (f"{OPTION}@2024-06-28", PUBLISHED)
    assert doc["units"][0]["title"] == "Nouvelle UAA publiée"
