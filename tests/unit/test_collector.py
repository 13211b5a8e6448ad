"""Recording pauses the cyclic garbage collector, and can: it creates no reference cycles."""

from __future__ import annotations

import gc
import random
from collections.abc import Iterator
from pathlib import Path

import pytest
from pydantic import BaseModel

from ledger.application import Ledger
from ledger.application.collector import collector_paused
from ledger.application.registry import default_registry
from ledger.demo.cpu import cpu_commands
from ledger.domain.errors import LedgerError
from tests.conftest import make_ledger


@pytest.fixture
def collector_on() -> Iterator[None]:
    """The collector enabled (as in a fresh interpreter), restored afterwards."""
    was = gc.isenabled()
    gc.enable()
    yield
    if not was:
        gc.disable()


def _cohort(learners: int = 6) -> list[BaseModel]:
    registry = default_registry()
    return [
        registry.parse(c)
        for c in cpu_commands(random.Random(3), learners)
        if "certificate_ref" not in c and "revoke_ref" not in c
    ]


def test_paused_inside_enabled_after(collector_on: None) -> None:
    """Paused within the block, nested blocks included; enabled again after, even on error."""
    with collector_paused():
        assert not gc.isenabled()
        with collector_paused():
            assert not gc.isenabled()
        assert not gc.isenabled()
    assert gc.isenabled()
    with pytest.raises(RuntimeError), collector_paused():
        raise RuntimeError("boom")
    assert gc.isenabled()


def test_left_disabled_if_disabled_before(collector_on: None) -> None:
    """A caller that disabled the collector finds it disabled."""
    gc.disable()
    with collector_paused():
        pass
    assert not gc.isenabled()


def test_execute_all_restores_collector_after_refusal(collector_on: None, tmp_path: Path) -> None:
    """A refused command (nothing written) leaves the collector as it was."""
    ledger = make_ledger(str(tmp_path / "ledger.db"))
    commands = _cohort(2)
    try:
        with pytest.raises(LedgerError):  # the same admission twice: the second is refused
            ledger.execute_all([*commands, commands[1]], batch=10)
        assert gc.isenabled()
        outcomes, refused = ledger.execute_each([commands[0], commands[0]], batch=10)
        assert gc.isenabled()
        assert (len(outcomes), [i for i, _ in refused]) == (1, [1])
    finally:
        ledger.store.close()


def test_recording_a_cohort_creates_no_cycles(collector_on: None, tmp_path: Path) -> None:
    """Everything deciding and saving drops is freed by reference counting alone."""
    ledger: Ledger = make_ledger(str(tmp_path / "ledger.db"))
    commands = _cohort()
    try:
        gc.collect()
        gc.disable()
        outcomes = ledger.execute_all(commands, batch=7)
        assert len(outcomes) == len(commands)
        assert gc.collect() == 0
    finally:
        gc.enable()
        ledger.store.close()
