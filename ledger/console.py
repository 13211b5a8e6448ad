"""The ``ledger`` console script's entry point: the CLI, with Ctrl-C a quiet exit 130 at any moment.

Interrupting a command while Python is still importing the CLI (the first second after Enter)
would otherwise print a traceback: this module imports nothing before the guard is in place.
"""

from __future__ import annotations

import sys

EXIT_INTERRUPTED = 130  # 128 + SIGINT, what a shell reports for Ctrl-C


def run() -> None:
    """Run :func:`ledger.cli.main` and exit with its code (130, quietly, on Ctrl-C)."""
    try:
        from ledger.cli import main

        code = main()
    except KeyboardInterrupt:
        sys.stderr.write("\n")
        code = EXIT_INTERRUPTED
    raise SystemExit(code)
