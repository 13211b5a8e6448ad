"""When a rebuild reads ahead in a second process: only with a core free for it."""

from __future__ import annotations

import pytest

from projections.readahead import free_core


@pytest.mark.parametrize(
    ("load", "cores", "free"),
    [
        (0.0, 2, True),  # idle 2-core machine: this process on one core, the child on the other
        (0.9, 2, True),
        (1.0, 2, False),  # about one busy process besides: the child would queue for a core
        (7.5, 2, False),  # the shared machine of BENCHMARKS.md "Part 7"
        (0.0, 1, False),  # one core: never a second one for the child
        (2.9, 4, True),
        (3.0, 4, False),
    ],
)
def test_a_core_is_free_only_under_the_cores_less_one(load: float, cores: int, free: bool) -> None:
    assert free_core(load, cores) is free
