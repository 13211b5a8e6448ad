"""Micro-benchmark of MerkleLog proof generation and verification.

Run ``python -m tests.bench.integrity [size ...]`` to print a table. For each tree
size and store (in-memory dict, SQLite file in a temporary directory, WAL mode) it
builds a log of random leaves and reports the mean time to produce and to verify
inclusion and consistency proofs for random past positions.
"""

from __future__ import annotations

import random
import sqlite3
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from ledger.integrity.merkle import (
    MemoryNodeStore,
    MerkleLog,
    leaf_hash,
    verify_consistency,
    verify_inclusion,
)
from ledger.integrity.sqlstore import SqliteNodeStore

__all__ = ["bench_proofs", "main"]

_BATCH = 10_000


@contextmanager
def _memory_log() -> Iterator[tuple[MerkleLog, Callable[[], None]]]:
    yield MerkleLog(MemoryNodeStore()), lambda: None


@contextmanager
def _sqlite_log() -> Iterator[tuple[MerkleLog, Callable[[], None]]]:
    with tempfile.TemporaryDirectory() as folder:
        conn = sqlite3.connect(Path(folder) / "nodes.sqlite3")
        try:
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=NORMAL")
            SqliteNodeStore.create_table(conn)
            conn.commit()
            yield MerkleLog(SqliteNodeStore(conn)), conn.commit
        finally:
            conn.close()


def _fill(log: MerkleLog, size: int, commit: Callable[[], None]) -> float:
    start = time.perf_counter()
    for first in range(0, size, _BATCH):
        count = min(_BATCH, size - first)
        log.append(leaf_hash(i.to_bytes(8, "big")) for i in range(first, first + count))
        commit()
    return time.perf_counter() - start


def _mean_us(action: Callable[[], Any], samples: int) -> float:
    start = time.perf_counter()
    for _ in range(samples):
        action()
    return (time.perf_counter() - start) / samples * 1e6


def _measure(log: MerkleLog, size: int, samples: int, rng: random.Random) -> dict[str, float]:
    root = log.root(size)
    picks = [rng.randrange(size) for _ in range(samples)]
    leaves = {i: log.leaf(i) for i in picks}
    incl = iter(picks)
    inc_gen = _mean_us(lambda: log.inclusion_proof(next(incl), size), samples)
    proofs = [(i, log.inclusion_proof(i, size)) for i in picks]
    it_inc = iter(proofs)

    def _verify_inc() -> None:
        i, proof = next(it_inc)
        verify_inclusion(leaves[i], i, size, proof, root)

    inc_ver = _mean_us(_verify_inc, samples)
    olds = [rng.randrange(1, size + 1) for _ in range(samples)]
    roots = {old: log.root(old) for old in olds}
    it_old = iter(olds)
    con_gen = _mean_us(lambda: log.consistency_proof(next(it_old), size), samples)
    cproofs = [(old, log.consistency_proof(old, size)) for old in olds]
    it_con = iter(cproofs)

    def _verify_con() -> None:
        old, proof = next(it_con)
        verify_consistency(old, size, proof, roots[old], root)

    con_ver = _mean_us(_verify_con, samples)
    return {
        "inclusion_gen_us": inc_gen,
        "inclusion_verify_us": inc_ver,
        "consistency_gen_us": con_gen,
        "consistency_verify_us": con_ver,
    }


def bench_proofs(
    sizes: Sequence[int] = (10**3, 10**4, 10**5, 10**6),
    samples: int = 200,
    seed: int = 1,
) -> list[dict[str, Any]]:
    """Build a log per size and store; return one dict of timings per (store, size).

    Keys: ``store``, ``size``, ``build_s`` (appending all leaves in batches of 10,000,
    committing each batch for SQLite), and mean microseconds ``inclusion_gen_us``,
    ``inclusion_verify_us``, ``consistency_gen_us``, ``consistency_verify_us``.
    """
    rng = random.Random(seed)
    results: list[dict[str, Any]] = []
    for store, factory in (("memory", _memory_log), ("sqlite-file", _sqlite_log)):
        for size in sizes:
            with factory() as (log, commit):
                build = _fill(log, size, commit)
                row: dict[str, Any] = {"store": store, "size": size, "build_s": build}
                row.update(_measure(log, size, samples, rng))
                results.append(row)
    return results


def _format(rows: Sequence[dict[str, Any]]) -> str:
    header = (
        f"{'store':<12}{'size':>10}{'build s':>10}{'incl gen':>11}{'incl ver':>11}"
        f"{'cons gen':>11}{'cons ver':>11}   (mean µs per proof)"
    )
    lines = [header]
    for r in rows:
        lines.append(
            f"{r['store']:<12}{r['size']:>10}{r['build_s']:>10.2f}"
            f"{r['inclusion_gen_us']:>11.1f}{r['inclusion_verify_us']:>11.1f}"
            f"{r['consistency_gen_us']:>11.1f}{r['consistency_verify_us']:>11.1f}"
        )
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> None:
    """Run the benchmark (sizes from ``argv`` or the defaults) and print a table."""
    args = list(sys.argv[1:] if argv is None else argv)
    sizes = [int(a) for a in args] or [10**3, 10**4, 10**5, 10**6]
    print(_format(bench_proofs(sizes)))


if __name__ == "__main__":
    main()
