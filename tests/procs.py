"""Run independent console-script processes side by side (the machine has 2 cores)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

T = TypeVar("T")


def concurrently(calls: Iterable[Callable[[], T]], workers: int = 4) -> list[T]:
    """Each call's result, in the order given; at most ``workers`` run at a time.

    Only for calls that are independent of each other (read-only queries, separate stores):
    never for a sequence whose order is what a test checks.
    """
    with ThreadPoolExecutor(max_workers=workers) as pool:
        return list(pool.map(lambda call: call(), calls))


def side_by_side(db: str) -> int:
    """How many ``ledger`` processes may open the store ``db`` at once: one on PostgreSQL.

    Opening a PostgreSQL store runs eventsourcing's ``CREATE OR REPLACE FUNCTION`` (and table
    creation) outside any lock, so processes opening one store at the same moment can fail with
    "tuple concurrently updated" (a known limitation, noted for the store's start-up).
    """
    return 1 if db.startswith("postgresql") else 4
