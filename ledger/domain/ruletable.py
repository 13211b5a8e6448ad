"""The whole rule table, both regimes: what ``ledger rules`` prints (``--json`` too).

:func:`rule_rows` lists every catalogued rule (name, regime, article, rule-set version,
effect, the provisions it enforces and the tests that run its cases); :func:`provision_rows`
lists every provision with its verdict and the tests of its rules. Generated from the code:
the catalogue, the tables and the cases.
"""

from __future__ import annotations

from typing import Any

from ledger.domain.catalogue import Case, Provision, row
from ledger.domain.clea import cases as clea_cases
from ledger.domain.clea import table as clea_table
from ledger.domain.cpu import cases as cpu_cases
from ledger.domain.cpu import table as cpu_table
from ledger.domain.rules import CATALOGUE

PROVISIONS: tuple[Provision, ...] = (
    cpu_table.PROVISIONS + cpu_table.LEDGER_PROVISIONS + clea_table.PROVISIONS + clea_table.LEDGER_PROVISIONS
)
CASES: tuple[Case, ...] = cpu_cases.CASES + clea_cases.CASES


def rule_rows(regime: str | None = None) -> list[dict[str, Any]]:
    """Every catalogued rule as a row (optionally one regime's, shared rules included)."""
    keys = sorted(k for k, r in CATALOGUE.items() if regime is None or r.regime in {regime, "shared"})
    return [row(key, PROVISIONS, CASES) for key in keys]


def provision_rows(regime: str | None = None) -> list[dict[str, Any]]:
    """Every provision of the texts with its verdict, rules, recording events, tests and why.

    A provision's tests are those that run the cases of its rules (none for a provision that
    is not a decision of this system, or one only recorded as a fact).
    """
    tests: dict[str, list[str]] = {}
    for c in CASES:
        tests.setdefault(c.rule, []).append(c.test_id)
    return [
        {
            "regime": p.regime,
            "article": p.article,
            "text": p.text,
            "verdict": p.verdict,
            "rules": list(p.rules),
            "facts": list(p.facts),
            "tests": [t for rule in p.rules for t in tests.get(rule, [])],
            "why": p.why,
        }
        for p in PROVISIONS
        if regime is None or p.regime == regime
    ]
