"""No class name with two meanings, and no builtin shadowed, across ledger, projections, consumers.

Read from the source (AST), module-level classes only: the events nested in an aggregate
(``Learner.CertificateIssued`` beside ``Candidate.CertificateIssued``) are named by their
aggregate, and their stored topics must not change.
"""

from __future__ import annotations

import ast
import builtins
from collections import defaultdict
from functools import cache
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("ledger", "projections", "consumers")

# The one duplicate name a published contract fixes (issue 15, item 7). Nothing may be added here.
PENDING = {
    "DeadlineKind": "fixed by the published v1 event schemas (consumers/schemas/*deadline_missed.v1.json "
    "name it in $defs): ledger/domain/cpu/values.py and ledger/domain/clea/values.py keep it",
}


@cache
def module_classes() -> dict[str, list[str]]:
    """Every module-level class name -> the modules defining it (read once per run)."""
    found: dict[str, list[str]] = defaultdict(list)
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            tree = ast.parse(path.read_text(encoding="utf-8"))
            for node in tree.body:
                if isinstance(node, ast.ClassDef):
                    found[node.name].append(path.relative_to(ROOT).as_posix())
    return found


def test_no_class_name_is_defined_in_two_modules() -> None:
    twice = {name: where for name, where in module_classes().items() if len(where) > 1}
    assert {n: w for n, w in twice.items() if n not in PENDING} == {}


def test_no_class_shadows_a_builtin() -> None:
    shadowing = {n: w for n, w in module_classes().items() if n in dir(builtins)}
    assert {n: w for n, w in shadowing.items() if n not in PENDING} == {}


def test_the_checker_sees_duplicates() -> None:
    # The scan is not vacuous: it reads every package, and a name defined twice is reported.
    classes = module_classes()
    assert classes["LedgerError"] == ["ledger/domain/errors.py"]
    assert any(w[0].startswith("projections/") for w in classes.values())
    assert any(w[0].startswith("consumers/") for w in classes.values())
