"""Every kind of unknown entity the code can name reads in French (ledger.i18n.vocabulary).

The oracle is the source itself: every ``UnknownEntity("<kind>", …)`` and every kind passed to
``_typed``/``get`` is found by parsing the packages, so a kind added without a French label
(and a catalogue entry) fails here.
"""

from __future__ import annotations

import ast
from pathlib import Path

from babel.messages.pofile import read_po

from ledger import i18n
from ledger.domain.errors import ENTITY_KINDS, UnknownEntity
from ledger.domain.rules import because
from ledger.i18n.vocabulary import entity_kinds

ROOT = Path(__file__).resolve().parents[2]
PO = ROOT / "ledger" / "i18n" / "locale" / "fr" / "LC_MESSAGES" / "ledger.po"


def kinds_in_source() -> set[str]:
    """The literal kinds given to UnknownEntity, ``_typed(id, kind, cls)`` and ``get(id, kind)``."""
    found: set[str] = set()
    for package in ("ledger", "projections", "consumers"):
        for path in (ROOT / package).rglob("*.py"):
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if not isinstance(node, ast.Call):
                    continue
                name = node.func.id if isinstance(node.func, ast.Name) else getattr(node.func, "attr", "")
                at = {"UnknownEntity": 0, "_typed": 1, "get": 1}.get(name)
                kind = node.args[at] if at is not None and len(node.args) > at else None
                loader = name != "get" or (isinstance(node.func, ast.Attribute) and _is_ledger(node.func))
                if isinstance(kind, ast.Constant) and loader:
                    found.add(str(kind.value))
    return found


def _is_ledger(func: ast.Attribute) -> bool:
    """``self.ledger.get(…)`` / ``ledger.get(…)``: the aggregate loader, not a dict's get."""
    owner = func.value
    return (
        isinstance(owner, ast.Attribute | ast.Name)
        and getattr(owner, "attr", getattr(owner, "id", "")) == "ledger"
    )


def test_the_source_raises_only_listed_kinds() -> None:
    found = kinds_in_source()
    assert {"certificate", "learner", "candidate", "branch jury"} <= found  # the scan sees the code
    assert found <= ENTITY_KINDS, f"add to ENTITY_KINDS and a French label: {sorted(found - ENTITY_KINDS)}"


def test_every_entity_kind_has_a_french_label() -> None:
    assert entity_kinds() == ENTITY_KINDS
    with PO.open("rb") as handle:
        catalog = read_po(handle, locale="fr")
    translated = {m.id: m.string for m in catalog if m.id and m.string and not m.fuzzy}
    missing = [kind for kind in ENTITY_KINDS if not translated.get(f"unknown {kind}")]
    assert not missing, f"no French for: {missing}"


def test_an_unknown_entity_reads_in_french_and_unchanged_in_english() -> None:
    exc = UnknownEntity("option", "7514")
    plain = UnknownEntity(
        "certification profile in force", because("{option} on {day}", option="7514", day="x")
    )
    try:
        i18n.use("fr")
        assert i18n.describe(exc) == "erreur : option inconnue : 7514"
        assert i18n.describe(plain).startswith("erreur : aucun profil de certification en vigueur : 7514 au")
        exc.args = ("command 3: unknown option: 7514",)
        assert i18n.describe(exc) == "erreur : commande 3 : option inconnue : 7514"
        i18n.use("en")
        assert i18n.describe(exc) == "error: command 3: unknown option: 7514"
        assert i18n.describe(plain) == "error: unknown certification profile in force: 7514 on x"
    finally:
        i18n.use(None)
