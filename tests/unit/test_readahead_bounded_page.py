"""Read-ahead batches are bounded by their events' stored bytes as well as by their count."""

from __future__ import annotations

from collections.abc import Callable

from eventsourcing.persistence import Notification

from projections.readahead import PARTS, bounded_page


def _log(sizes: list[int]) -> list[Notification]:
    """A log whose event ``i`` (id ``i + 1``) has a state of ``sizes[i]`` bytes."""
    return [
        Notification(id=i + 1, originator_id="a", originator_version=i + 1, topic="t", state=b"x" * size)
        for i, size in enumerate(sizes)
    ]


def _reader(
    log: list[Notification],
) -> tuple[list[tuple[int, int]], Callable[[int, int], list[Notification]]]:
    calls: list[tuple[int, int]] = []

    def read(first: int, count: int) -> list[Notification]:
        calls.append((first, count))
        return log[first - 1 : first - 1 + count]

    return calls, read


def test_small_events_fill_the_batch_by_count() -> None:
    log = _log([10] * 1000)
    calls, read = _reader(log)
    batch = bounded_page(read, 1, 500, budget=10**6)
    assert [n.id for n in batch] == list(range(1, 501))
    assert len(calls) == PARTS


def test_large_events_stop_the_batch_at_the_budget_contiguously() -> None:
    log = _log([10] * 200 + [1000] * 800)
    _, read = _reader(log)
    batch = bounded_page(read, 1, 500, budget=20_000)
    ids = [n.id for n in batch]
    assert ids == list(range(1, len(ids) + 1))  # a contiguous prefix of the log
    assert 200 < len(ids) < 500
    held = sum(len(n.state) for n in batch)
    assert (
        held >= 20_000 and held - sum(len(n.state) for n in batch[-50:]) < 20_000
    )  # one part past it at most
    nxt = bounded_page(read, ids[-1] + 1, 500, budget=20_000)
    assert nxt[0].id == ids[-1] + 1


def test_one_part_at_least_whatever_its_size() -> None:
    _, read = _reader(_log([10**6] * 30))
    assert [n.id for n in bounded_page(read, 1, 20, budget=1)] == [1, 2]
    _, empty = _reader([])
    assert bounded_page(empty, 1, 20) == []
