"""One certificate read by id: the certificate index against the log scan (issue 22, item 2).

``python -m tests.bench.certificate_lookup --db STORE [--runs 5] [--reference-ledger PATH]``

In process, side by side on the same store: :func:`indexed_certificate_rows` (the partial
expression index) and the scan it replaces (``_scan_certificates``), wall and CPU per lookup.
Then ``ledger credential export ID`` as a subprocess (the console script of this checkout),
and, when ``--reference-ledger`` names another ``ledger`` script (e.g. one installed from the
branch point, which scans), the same export by it: wall and CPU (the child's user + system),
``--runs`` times each. Prints figures and ratios; asserts nothing about time.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from typing import Any

from ledger.application.queries import _scan_certificates, indexed_certificate_rows
from ledger.bootstrap import bootstrap
from ledger.settings import Settings


def _timed(fn: Callable[[], Any], runs: int) -> tuple[float, float]:
    """Median wall and CPU seconds of ``fn`` over ``runs`` calls."""
    walls, cpus = [], []
    for _ in range(runs):
        w, c = time.perf_counter(), time.process_time()
        fn()
        walls.append(time.perf_counter() - w)
        cpus.append(time.process_time() - c)
    return statistics.median(walls), statistics.median(cpus)


def _export(script: str, db: str, cert: str, runs: int) -> tuple[float, float]:
    """Median wall and CPU (child user + system) seconds of one ``credential export``."""
    walls, cpus = [], []
    for _ in range(runs):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        w = time.perf_counter()
        subprocess.run(
            [script, "credential", "export", cert, "--db", db],
            check=True,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        walls.append(time.perf_counter() - w)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpus.append(after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime)
    return statistics.median(walls), statistics.median(cpus)


def main(argv: list[str] | None = None) -> None:
    """Run the comparison and print it."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", required=True)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--reference-ledger", default=None)
    args = parser.parse_args(argv)
    svc = bootstrap(Settings.load(db=args.db))
    store = svc.store
    events = int(store.recorder.max_notification_id() or 0)  # type: ignore[attr-defined]
    rows = _scan_certificates(store)
    cert = rows[-1].certificate_id  # the last issued: the scan reads the whole log for it
    print(f"store {args.db}: {events} events, {len(rows)} certificates; load {os.getloadavg()}")
    iw, ic = _timed(lambda: indexed_certificate_rows(store, cert), args.runs)
    sw, sc = _timed(lambda: [r for r in _scan_certificates(store) if r.certificate_id == cert], args.runs)
    print(f"  lookup, index: wall {iw * 1e3:.2f} ms cpu {ic * 1e3:.2f} ms")
    print(f"  lookup, scan:  wall {sw * 1e3:.2f} ms cpu {sc * 1e3:.2f} ms  (scan/index {sw / iw:.0f}x wall)")
    svc.close()
    script = shutil.which("ledger", path=os.path.dirname(sys.executable)) or "ledger"
    ew, ec = _export(script, args.db, cert, args.runs)
    print(f"  export, this checkout: wall {ew:.3f} s cpu {ec:.3f} s")
    if args.reference_ledger:
        rw, rc = _export(args.reference_ledger, args.db, cert, args.runs)
        print(
            f"  export, reference:     wall {rw:.3f} s cpu {rc:.3f} s  (reference/this {rw / ew:.2f}x wall)"
        )
    print(f"  load after {os.getloadavg()}")


if __name__ == "__main__":
    main()
