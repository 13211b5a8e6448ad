"""Round-trip health check for the development/CI Kafka broker (deploy/kafka/kafka.sh).

Usage: python3 check.py [BOOTSTRAP] [--timeout SECONDS] [--quiet] [--expect-brokers N]

Connects with kafka-python's admin client, runs describe_cluster (with --expect-brokers:
requires N brokers), then creates and deletes a throwaway topic (replicated on every
expected broker). Exit codes: 0 = broker answers, 1 = broker not (yet)
usable, 2 = this Python cannot run the check (kafka-python missing).
"""

from __future__ import annotations

import argparse
import contextlib
import sys
import time
import uuid


def main(argv: list[str] | None = None) -> int:
    """Run the check; return the process exit code."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("bootstrap", nargs="?", default="127.0.0.1:19092")
    parser.add_argument("--timeout", type=float, default=15.0, help="seconds per client call")
    parser.add_argument("--quiet", action="store_true", help="no success message")
    parser.add_argument("--expect-brokers", type=int, default=1, help="brokers the cluster must have")
    args = parser.parse_args(argv)

    try:
        # Imported here so a missing kafka-python gives a clear message and exit code 2.
        from kafka import KafkaAdminClient
    except ImportError as exc:
        print(
            f"check.py: kafka-python is not importable by {sys.executable} ({exc}). "
            "Set PYTHON to an interpreter that has kafka-python>=3 "
            "(e.g. PYTHON=.venv/bin/python).",
            file=sys.stderr,
        )
        return 2

    timeout_ms = int(args.timeout * 1000)
    started = time.monotonic()
    admin = None
    stage = "connect"
    try:
        admin = KafkaAdminClient(
            bootstrap_servers=args.bootstrap,
            client_id="ledger-dev-kafka-check",
            request_timeout_ms=timeout_ms,
            bootstrap_timeout_ms=timeout_ms,
        )
        stage = "describe_cluster"
        cluster = admin.describe_cluster()
        brokers = cluster.get("brokers") or []
        if len(brokers) < args.expect_brokers:
            raise RuntimeError(f"describe_cluster returned {len(brokers)} broker(s), expected {args.expect_brokers}")

        topic = f"ledger-healthcheck-{uuid.uuid4().hex[:12]}"
        stage = f"create_topics({topic})"
        admin.create_topics(
            {topic: {"num_partitions": 1, "replication_factor": args.expect_brokers}},
            timeout_ms=timeout_ms,
            wait_for_metadata=True,
        )
        stage = f"delete_topics({topic})"
        admin.delete_topics([topic], timeout_ms=timeout_ms)
    except Exception as exc:  # report every failure the same clear way
        print(
            f"check.py: Kafka at {args.bootstrap} failed at {stage}: {type(exc).__name__}: {exc}",
            file=sys.stderr,
        )
        return 1
    finally:
        if admin is not None:
            with contextlib.suppress(Exception):
                admin.close()

    if not args.quiet:
        print(
            f"check.py: Kafka at {args.bootstrap} OK (cluster {cluster.get('cluster_id')}, "
            f"{len(brokers)} broker(s), topic create+delete in "
            f"{time.monotonic() - started:.1f}s)",
            file=sys.stderr,
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
