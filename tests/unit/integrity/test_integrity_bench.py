"""Smoke test of the proof micro-benchmark."""

from __future__ import annotations

from tests.bench.integrity import bench_proofs


def test_bench_proofs_reports_every_store_and_size() -> None:
    rows = bench_proofs(sizes=(50, 300), samples=3)
    assert [(r["store"], r["size"]) for r in rows] == [
        ("memory", 50),
        ("memory", 300),
        ("sqlite-file", 50),
        ("sqlite-file", 300),
    ]
    for row in rows:
        for key in ("inclusion_gen_us", "inclusion_verify_us", "consistency_gen_us"):
            assert row[key] > 0
