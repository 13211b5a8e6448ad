"""Every rule of the catalogue reads in French with a label saying what it requires.

The oracle is the catalogue itself (every regime loaded) and the committed French catalogue
(ledger.po): a rule added without a label, or with a label left untranslated, fuzzy or
copied from the English, fails here.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from babel.messages.pofile import read_po

import ledger.application.registry  # noqa: F401  (loads every regime's rules into CATALOGUE)
from ledger import i18n
from ledger.domain.rules import CATALOGUE
from ledger.i18n.vocabulary import _rules, rule_label

ROOT = Path(__file__).resolve().parents[2]
PO = ROOT / "ledger" / "i18n" / "locale" / "fr" / "LC_MESSAGES" / "ledger.po"


def english_labels() -> dict[str, str]:
    """Each labelled rule's English msgid (the label rendered with no translation)."""
    try:
        i18n.use("en")
        return {key: label() for key, label in _rules().items()}
    finally:
        i18n.use(None)


def test_every_regime_is_in_the_catalogue() -> None:
    regimes = {rule.regime for rule in CATALOGUE.values()}
    assert {"cpu", "clea", "shared"} <= regimes
    assert len(CATALOGUE) >= 100  # all regimes loaded, not only the shared rules


def test_every_rule_of_the_catalogue_has_a_label() -> None:
    labels = _rules()
    missing = sorted(set(CATALOGUE) - set(labels))
    assert not missing, f"add a label to ledger.i18n.vocabulary._rules() for: {missing}"
    unknown = sorted(set(labels) - set(CATALOGUE))
    assert not unknown, f"labels for rules not in the catalogue: {unknown}"


def test_every_label_is_translated_into_french() -> None:
    with PO.open("rb") as handle:
        catalog = read_po(handle, locale="fr")
    translated = {m.id: m.string for m in catalog if m.id and m.string and not m.fuzzy}
    bad = {
        key: english
        for key, english in english_labels().items()
        if not translated.get(english) or translated[english] == english
    }
    assert not bad, f"no French (or fuzzy, or same as English) in ledger.po for: {bad}"


@pytest.mark.parametrize(
    ("key", "french"),
    [
        ("cpu.no_repeat_sixth_year", "pas de redoublement de la 6e"),
        ("clea.jury_is_paritaire", "jury paritaire"),
        ("shared.revocation_has_reason", "une révocation indique son motif"),
    ],
)
def test_a_rule_reads_with_its_french_label_and_bare_in_english(key: str, french: str) -> None:
    try:
        i18n.use("fr")
        shown = rule_label(key)
        assert shown.startswith(f"{key} « {french}") and shown.endswith(" »")
        i18n.use("en")
        assert rule_label(key) == key
    finally:
        i18n.use(None)


def test_a_refusal_names_its_rule_with_the_french_label() -> None:
    """A refusal carries the bare rule name; a name two regimes share reads with their common label."""
    from ledger.domain.errors import RuleViolation

    try:
        i18n.use("fr")
        said = i18n.describe(RuleViolation("no_repeat_fifth_year", "AGCF-2018-08-29 art. 4 §2", "x"))
        assert "règle no_repeat_fifth_year « pas de redoublement de la 5e dès la 2e année" in said, said
        for shared in ("erasure_has_reason", "one_active_certificate"):
            assert rule_label(shared).startswith(f"{shared} « "), shared
        assert rule_label("no_such_rule") == "no_such_rule"
        i18n.use("en")
        said = i18n.describe(RuleViolation("no_repeat_fifth_year", "AGCF-2018-08-29 art. 4 §2", "x"))
        assert "«" not in said and "refused by rule no_repeat_fifth_year (" in said, said
    finally:
        i18n.use(None)
