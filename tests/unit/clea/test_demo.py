"""The CléA demo commands are all accepted, and replaying the store rebuilds equal aggregates."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime
from typing import Any

from eventsourcing.application import Repository

from ledger.application import parse_command
from ledger.bootstrap import bootstrap_memory
from ledger.demo.clea import clea_commands

RECORDED_ON = date(2026, 11, 1)


class _Clock:
    def now(self) -> datetime:
        return datetime(2026, 11, 1, 12, 0, tzinfo=UTC)


def _commands() -> list[dict[str, Any]]:
    return list(clea_commands(random.Random(7), 60, RECORDED_ON))


def test_demo_is_deterministic_and_covers_the_journeys() -> None:
    """Same seed, same commands; every kind of journey appears."""
    cmds = _commands()
    assert cmds == _commands()
    names = {c["command"] for c in cmds}
    assert {
        "WithdrawHabilitation",
        "RecordCleaDeadlineMissed",
        "RevokeCleaCertificate",
        "RecordFinalEvaluation",
        "RecordAccrochage",
    } <= names
    certs = {c["certificate"] for c in cmds if c["command"] == "RegisterCandidate"}
    assert certs == {"clea", "clea_numerique", "clea_management"}
    regions = {c["region"] for c in cmds if c["command"] == "RegisterEvaluatorOrganisation"}
    assert len(regions) >= 5


def test_withdrawn_organisation_never_evaluates_afterwards() -> None:
    """No évaluation by an organisation on or after its withdrawal date."""
    cmds = _commands()
    withdrawn = {c["siret"]: c["effective_date"] for c in cmds if c["command"] == "WithdrawHabilitation"}
    assert withdrawn
    for c in cmds:
        if c["command"] in {"RecordPriorEvaluation", "RecordFinalEvaluation"}:
            siret = c["evaluator_siret"]
            assert siret not in withdrawn or c["effective_date"] < withdrawn[siret]


def test_every_demo_command_is_accepted() -> None:
    """The ledger (composed in memory) accepts all 60 candidates' commands."""
    ledger = bootstrap_memory(_Clock()).ledger
    cmds = _commands()
    outcomes = ledger.execute_all([parse_command(c) for c in cmds], batch=50)
    assert len(outcomes) == len(cmds)


def test_replay_rebuilds_equal_aggregates() -> None:
    """Aggregates decided in memory equal those rebuilt from the stored events (no cache)."""
    ledger = bootstrap_memory(_Clock()).ledger
    store = ledger.store
    pendings = [ledger.decide(parse_command(c)) for c in _commands()]
    live = {p.outcome.aggregate_id: ledger.get(p.outcome.aggregate_id) for p in pendings}
    store.save(*[e for p in pendings for e in p.events])
    fresh = Repository(store.events)  # reads the stored (serialised) events back
    for ident, aggregate in live.items():
        rebuilt = fresh.get(ident)
        assert type(rebuilt) is type(aggregate)
        assert vars(rebuilt) == vars(aggregate), ident
