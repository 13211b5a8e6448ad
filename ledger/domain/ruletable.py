"""The whole rule table, both regimes: what ``ledger rules`` prints (``--json`` too).

:func:`rule_rows` lists every catalogued rule (name, regime, article, rule-set version,
effect, the provisions it enforces and the tests that run its cases); :func:`provision_rows`
lists every provision with its verdict. Generated from the code: the catalogue, the tables
and the cases.
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
    """Every provision of the texts with its verdict, rules, recording events and why."""
    return [
        {
            "regime": p.regime,
            "article": p.article,
            "text": p.text,
            "verdict": p.verdict,
            "rules": list(p.rules),
            "facts": list(p.facts),
            "why": p.why,
        }
        for p in PROVISIONS
        if regime is None or p.regime == regime
    ]
