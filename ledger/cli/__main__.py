"""``python -m ledger.cli``."""

from ledger.console import run

run()
