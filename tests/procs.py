"""Run independent console-script processes side by side (the machine has 2 cores)."""

from __future__ import annotations

import threading
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


def at_once(call: Callable[[], T], times: int) -> tuple[list[T], list[BaseException]]:
    """Run ``call`` in ``times`` threads released together (two processes starting at the same
    moment); what the calls returned and what they raised."""
    start = threading.Barrier(times)
    results: list[T] = []
    errors: list[BaseException] = []

    def run() -> None:
        try:
            start.wait(timeout=30)
            results.append(call())
        except BaseException as exc:  # returned to the caller
            errors.append(exc)

    threads = [threading.Thread(target=run, daemon=True) for _ in range(times)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return results, errors
