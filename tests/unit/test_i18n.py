"""The French catalogue and the formats a French reader expects (Babel's CLDR data is the oracle)."""

from __future__ import annotations

import ast
from datetime import date
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

from ledger import i18n
from ledger.adapters.identity import MemoryIdentityStore
from ledger.application.identity import Identity, index_terms, normalise_text, query_terms
from ledger.i18n.vocabulary import label, recorded

ROOT = Path(__file__).resolve().parents[2]
PO = ROOT / "ledger" / "i18n" / "locale" / "fr" / "LC_MESSAGES" / "ledger.po"


def source_messages() -> set[str]:
    """Every msgid marked with _(), N_(), ngettext() or because() (a rule's reason) in the packages."""
    found: set[str] = set()
    for package in ("ledger", "projections", "consumers"):
        for _file, _line, message, _comments, _context in extract_from_dir(
            ROOT / package, keywords={"_": None, "N_": None, "ngettext": (1, 2), "because": (1,)}
        ):
            found.add(message if isinstance(message, str) else message[0])
    return found


def test_every_message_of_the_code_is_translated_in_french() -> None:
    with PO.open("rb") as handle:
        catalog = read_po(handle, locale="fr")
    translated = {
        (m.id if isinstance(m.id, str) else m.id[0])
        for m in catalog
        if m.id and all(m.string if isinstance(m.string, tuple) else (m.string,)) and not m.fuzzy
    }
    missing = source_messages() - translated
    assert not missing, f"untranslated (run make messages, then translate): {sorted(missing)}"


def test_french_is_the_default_and_english_on_request() -> None:
    i18n.use(None)
    assert i18n.current() == "fr"
    assert recorded("AdmitLearner") == "Élève admis"
    assert label("AOA") == "attestation d'orientation A"
    assert label("jury_qualification") == "jury de qualification"
    i18n.use("en-GB")
    try:
        assert recorded("AdmitLearner") == "Learner admitted"
        assert i18n.format_date(date(2020, 6, 28)) == "28 June 2020"
    finally:
        i18n.use("fr")


def test_french_dates_numbers_and_percentages() -> None:
    i18n.use("fr")
    assert i18n.format_date(date(2020, 6, 28)) == "28 juin 2020"
    assert i18n.format_date("2020-06-28") == "28 juin 2020"
    assert i18n.format_percent(0.7868) == "78,7\u00a0%"
    assert i18n.format_number(1234.5, 1).replace("\u202f", " ").replace("\u00a0", " ") == "1 234,5"
    assert i18n.decimal_comma(0.25) == "0,25"


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("en-GB,en;q=0.9", "en"),
        ("fr-BE,fr;q=0.9,en;q=0.5", "fr"),
        ("de-DE", "fr"),
        (None, "fr"),
        ("de,en;q=0.3", "en"),
    ],
)
def test_accept_language(header: str | None, expected: str) -> None:
    assert i18n.negotiate(header) == expected


def test_unknown_language_is_refused() -> None:
    with pytest.raises(i18n.UnknownLanguage):
        i18n.normalise("de")


def test_blind_index_terms_ignore_case_accents_and_punctuation() -> None:
    lea = Identity(
        given_name="Léa-Marie",
        family_name="D'Ursel",
        birth_date=date(2005, 6, 28),
        national_number="05062812345",
    )
    assert normalise_text("  Éloïse  D'Arc ") == "eloise d arc"
    assert query_terms("lea marie", None, None) <= index_terms(lea)
    assert query_terms(None, date(2005, 6, 28), "05.06.28-123.45") <= index_terms(lea)
    assert not query_terms("dupont", None, None) <= index_terms(lea)
    store = MemoryIdentityStore()
    store.put(lea_id := __import__("uuid").uuid4(), lea)
    assert store.find("URSEL lea") == [lea_id]
    assert store.find("ursel", date(2005, 6, 29)) == []


def test_no_message_is_marked_inside_an_f_string() -> None:
    """Babel's extractor cannot see ``_("…")`` inside an f-string: such a message would never reach
    the catalogue and would stay English. Every marked message is a plain call outside f-strings."""
    hidden = []
    for package in ("ledger", "projections", "consumers"):
        for path in sorted((ROOT / package).rglob("*.py")):
            tree = ast.parse(path.read_text(encoding="utf-8"))
            for node in ast.walk(tree):
                if isinstance(node, ast.JoinedStr):
                    for inner in ast.walk(node):
                        if (
                            isinstance(inner, ast.Call)
                            and isinstance(inner.func, ast.Name)
                            and inner.func.id in ("_", "ngettext")
                        ):
                            hidden.append(f"{path.relative_to(ROOT)}:{inner.lineno}")
    assert not hidden, f"gettext calls inside f-strings (move them out): {hidden}"


def test_a_rule_reason_is_its_english_text_and_reads_in_french_from_its_arguments() -> None:
    """A refusal's reason stays the English string (stored, JSON) and is rendered from its parts."""
    import copy
    import pickle
    import re

    from ledger.domain.cpu.rules import decision_not_before_admission, profile_uaa_weeks_per_year

    verdict = decision_not_before_admission(date(2019, 9, 1), date(2019, 8, 10))
    assert verdict.reason == "effective date 2019-08-10 is before the admission of 2019-09-01"
    for same in (copy.deepcopy(verdict.reason), pickle.loads(pickle.dumps(verdict.reason))):
        assert same == verdict.reason and i18n.reason(same) == i18n.reason(verdict.reason)
    i18n.use("fr")
    assert (
        i18n.reason(verdict.reason)
        == "la date d'effet (10 août 2019) précède l'admission du 1er septembre 2019"
    )
    weeks = profile_uaa_weeks_per_year({4: 24, 5: 26, 6: 30}).reason
    assert "year 4: 24, year 6: 30" in weeks  # English as before
    assert "4e année : 24, 6e année : 30" in i18n.reason(weeks)
    # every placeholder of a reason's msgid is kept by its French translation
    with PO.open("rb") as handle:
        catalog = read_po(handle, locale="fr")
    reasons = {m[2] for m in extract_from_dir(ROOT / "ledger" / "domain", keywords={"because": (1,)})}
    for msgid in reasons:
        french = catalog[msgid].string
        assert set(re.findall(r"{(\w+)", french)) <= set(re.findall(r"{(\w+)", msgid)), msgid
    i18n.use("en")
    assert i18n.reason(verdict.reason) == verdict.reason
    i18n.use("fr")


def test_roles_and_rules_by_their_french_names() -> None:
    """Actor roles and the ledger's own rule codes are named in French (codes kept in English)."""
    from ledger import i18n
    from ledger.i18n.vocabulary import label, rule_label

    i18n.use("fr")
    try:
        assert label("head_of_school") == "chef d'établissement"
        assert label("secretariat") == "secrétariat de l'établissement"
        assert (
            rule_label("cpu.erasure_has_reason")
            == "cpu.erasure_has_reason « un effacement indique son motif »"
        )
        i18n.use("en")
        assert label("head_of_school") == "head of the school"
        assert rule_label("cpu.erasure_has_reason") == "cpu.erasure_has_reason"
    finally:
        i18n.use("fr")
