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
