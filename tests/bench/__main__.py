"""``python -m tests.bench all|record ...``: the benchmarks, outside the product's CLI.

``all`` runs every section side by side and writes ``BENCHMARKS.md`` (:mod:`tests.bench.all`);
``record`` times ``ledger record`` against a bare eventsourcing application
(:mod:`tests.bench.record`). Bad input exits 2 naming what is wrong, before anything runs.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence

from ledger import logs
from ledger.domain.errors import InvalidCommand
from tests.bench import all as bench_all
from tests.bench.record import bench_record, print_rows


def _positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, not {value}")
    return value


def cmd_record(args: argparse.Namespace) -> int:
    """Time ledger record against bare eventsourcing, same events, same run."""
    rows = bench_record(learners=args.learners, seed=args.seed, pg_url=args.pg)
    if args.json:
        print(json.dumps(rows, indent=2))
    else:
        print_rows(rows)
    return 0


def parser() -> argparse.ArgumentParser:
    """The ``python -m tests.bench`` command line."""
    top = argparse.ArgumentParser(prog="python -m tests.bench", description=__doc__.splitlines()[0])
    sub = top.add_subparsers(dest="what", required=True)
    bench_all.add_parser(sub)
    s = sub.add_parser("record", help="ledger record vs a bare eventsourcing Application")
    s.add_argument("--learners", type=_positive, default=300, help="demo learners (default 300)")
    s.add_argument("--seed", type=int, default=1)
    s.add_argument("--pg", help="postgresql:// URL to measure PostgreSQL too")
    s.add_argument("--json", action="store_true", help="print JSON")
    s.set_defaults(func=cmd_record)
    return top


def main(argv: Sequence[str] | None = None) -> int:
    """Run a benchmark; exit 2 on bad input."""
    args = parser().parse_args(argv)
    logs.configure("WARNING")
    try:
        code: int = args.func(args)
    except InvalidCommand as exc:
        sys.stderr.write(f"error: {exc}\n")
        return 2
    return code


if __name__ == "__main__":
    raise SystemExit(main())
