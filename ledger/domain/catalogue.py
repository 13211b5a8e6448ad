"""The rule table as data: provisions of the texts, their verdicts, and the cases per rule.

Each regime writes its table from its texts (``cpu/table.py`` from the Arrêté of 29 August
2018, ``clea/table.py`` from the Code du travail and Certif'Pro's rules) as
:class:`Provision` rows — every article, paragraph or item that constrains or records a
decision, with its verdict — and lists, in ``cases.py``, table-driven :class:`Case` rows
for every rule of :data:`ledger.domain.rules.CATALOGUE`: lawful, unlawful and boundary
cases, each the keyword arguments of the pure rule and the verdict the text requires.

The same rows feed the unit tests (every case run against the pure rule), the console-script
tests and ``ledger rules`` (which prints the table with the tests that exercise each rule).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from ledger.domain.rules import CATALOGUE, Rule

Verdict = Literal["rule", "flag", "fact", "outside"]
CaseKind = Literal["lawful", "unlawful", "boundary"]
CASE_TEST = "tests/unit/law/test_rule_table.py::test_case"


@dataclass(frozen=True)
class Provision:
    """One article, paragraph or item of a text and how the ledger treats it.

    ``verdict``: ``rule`` (named rules refuse what it forbids), ``flag`` (a duty recorded as a
    fact when unmet, never a refusal), ``fact`` (the decision it governs is recorded by the
    events named), ``outside`` (not a decision of this system; ``why`` says why).
    """

    regime: str
    article: str
    text: str
    verdict: Verdict
    rules: tuple[str, ...] = ()
    facts: tuple[str, ...] = ()
    why: str = ""


@dataclass(frozen=True)
class Case:
    """One table-driven case of a rule: its arguments and the verdict the text requires."""

    id: str
    rule: str
    kind: CaseKind
    allowed: bool
    args: Mapping[str, Any] = field(default_factory=dict)
    note: str = ""

    @property
    def test_id(self) -> str:
        """The unit test that runs this case against the pure rule."""
        return f"{CASE_TEST}[{self.id}]"


Row = tuple[str, str, Verdict, tuple[str, ...], tuple[str, ...], str]


def provisions(regime: str, rows: Iterable[Row]) -> tuple[Provision, ...]:
    """Provisions of a regime from compact rows (article, text, verdict, rules, events, why).

    Rule names are the regime's unless prefixed ``shared.``.
    """
    return tuple(
        Provision(
            regime,
            article,
            text,
            verdict,
            tuple(r if r.startswith("shared.") else f"{regime}.{r}" for r in rules),
            facts,
            why,
        )
        for article, text, verdict, rules, facts, why in rows
    )


def case(rule_key: str, case_id: str, kind: CaseKind, allowed: bool, note: str = "", /, **args: Any) -> Case:
    """Build a case; its id is ``<rule key>:<case id>`` (keywords are the rule's arguments)."""
    return Case(f"{rule_key}:{case_id}", rule_key, kind, allowed, args, note)


def rules_of(regime: str) -> dict[str, Rule[Any]]:
    """The catalogued rules of a regime (``cpu``, ``clea`` or ``shared``), by key."""
    return {key: r for key, r in CATALOGUE.items() if r.regime == regime}


def cases_by_rule(cases: Iterable[Case]) -> dict[str, list[Case]]:
    """Cases grouped by rule key."""
    out: dict[str, list[Case]] = {}
    for c in cases:
        out.setdefault(c.rule, []).append(c)
    return out


def run_case(c: Case) -> bool:
    """Run a case against its pure rule: True when the verdict is the one the text requires."""
    return CATALOGUE[c.rule](**c.args).allowed is c.allowed


def row(rule_key: str, provisions: Iterable[Provision], cases: Iterable[Case]) -> dict[str, Any]:
    """One rule of the catalogue as a table row: name, regime, article, version, tests."""
    r = CATALOGUE[rule_key]
    mine = [c for c in cases if c.rule == rule_key]
    return {
        "rule": r.name,
        "regime": r.regime,
        "article": r.article,
        "ruleset": r.ruleset,
        "effect": r.effect,
        "summary": r.summary,
        "function": r.function,
        "provisions": [p.article for p in provisions if rule_key in p.rules],
        "cases": {k: sum(1 for c in mine if c.kind == k) for k in ("lawful", "unlawful", "boundary")},
        "tests": [c.test_id for c in mine],
    }
