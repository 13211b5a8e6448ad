"""Benchmarks (figures side by side with a reference, never asserting time): ``python -m tests.bench``."""

from __future__ import annotations

from ledger.adapters.store import StoreTarget
from ledger.application import Ledger
from ledger.bootstrap import bootstrap
from ledger.settings import Settings


def ledger_on(target: StoreTarget) -> Ledger:
    """A ledger on a SQLite ``target``, composed by :func:`ledger.bootstrap.bootstrap`."""
    assert target.sqlite_path is not None, "benchmark stores are SQLite files"
    return bootstrap(Settings.load(db=str(target.sqlite_path))).ledger
