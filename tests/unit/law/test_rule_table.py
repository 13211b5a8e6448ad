"""The rule table, run: every case against its pure rule, and the table against the text.

The oracle is the Arrêté's own text (``../shared/seeds/003_*.txt``): its articles and
paragraphs are read from the file, and every one of Art. 1-11 must have a row in the table.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from ledger.domain.catalogue import Case, cases_by_rule, rules_of, run_case
from ledger.domain.clea import cases as clea_cases
from ledger.domain.clea import table as clea_table
from ledger.domain.cpu import cases as cpu_cases
from ledger.domain.cpu import table as cpu_table
from ledger.domain.rules import CATALOGUE

SEED = Path(__file__).resolve().parents[4] / "shared" / "seeds"
ALL_CASES: tuple[Case, ...] = cpu_cases.CASES + clea_cases.CASES
ALL_PROVISIONS = (
    cpu_table.PROVISIONS + cpu_table.LEDGER_PROVISIONS + clea_table.PROVISIONS + clea_table.LEDGER_PROVISIONS
)


@pytest.mark.parametrize("c", ALL_CASES, ids=[c.id for c in ALL_CASES])
def test_case(c: Case) -> None:
    """The pure rule gives the verdict the text requires, under its own name."""
    verdict = CATALOGUE[c.rule](**c.args)
    assert verdict.allowed is c.allowed, (c.note, verdict)
    assert c.rule.endswith("." + verdict.rule)
    assert verdict.allowed or verdict.reason


def test_case_ids_are_unique() -> None:
    """Each case is addressable by its id (the console-script run and ``ledger rules`` use it)."""
    ids = [c.id for c in ALL_CASES]
    assert len(ids) == len(set(ids))


@pytest.mark.parametrize("regime", ["cpu", "clea", "shared"])
def test_every_rule_has_lawful_and_unlawful_cases(regime: str) -> None:
    """No rule of the catalogue goes untested: each has an allowed and a refused case."""
    by_rule = cases_by_rule(ALL_CASES)
    for key in rules_of(regime):
        verdicts = {c.allowed for c in by_rule.get(key, [])}
        assert verdicts == {True, False}, f"{key} needs lawful and unlawful cases"
        assert all(run_case(c) for c in by_rule[key])


def test_every_rule_is_in_a_provision_row() -> None:
    """The table and the catalogue agree both ways: every rule cites a row, every row's rule exists."""
    cited = {key for p in ALL_PROVISIONS for key in p.rules}
    assert cited <= set(CATALOGUE), cited - set(CATALOGUE)
    for regime in ("cpu", "clea", "shared"):
        assert set(rules_of(regime)) <= cited, set(rules_of(regime)) - cited


def test_rows_say_why_when_outside() -> None:
    """A provision outside the system says why; a rule or flag row names its rules."""
    for p in ALL_PROVISIONS:
        if p.verdict == "outside":
            assert p.why and not p.rules, p.article
        if p.verdict in {"rule", "flag"}:
            assert p.rules, p.article


def _text_paragraphs() -> list[str]:
    """(article, paragraph) citations read from the Arrêté's text, Art. 1-11."""
    text = next(SEED.glob("003_*.txt")).read_text(encoding="utf-8")
    blocks = re.split(r"\*\*Art(?:icle)?\.? (\d+)(?:er)?\.\*\*", text)
    found: list[str] = []
    for number, body in zip(blocks[1::2], blocks[2::2], strict=True):
        if int(number) > 11:
            continue
        paragraphs = re.findall(r"§ ?(\d+)(?:er)?\.", body)
        found += [f"art. {number} §{p}" for p in paragraphs] or [f"art. {number}"]
    return found


def test_table_covers_every_article_and_paragraph_of_art_1_to_11() -> None:
    """Every article and paragraph of Art. 1-11, as the text numbers them, has a row."""
    cited = [p.article for p in cpu_table.PROVISIONS]
    wanted = _text_paragraphs()
    assert len(wanted) >= 25
    missing = [w for w in wanted if not any(c == w or c.startswith(w + " ") for c in cited)]
    assert not missing, missing


def test_decision_items_of_art_2_and_art_4_have_their_own_rows() -> None:
    """The bodies of Art. 2 5°-7° and the four outcomes of Art. 4 §1 are each a row."""
    cited = {p.article for p in cpu_table.PROVISIONS}
    assert {f"art. 2 {n}°" for n in range(1, 10)} <= cited
    assert {f"art. 4 §1 {n}°" for n in range(1, 5)} | {"art. 4 §1 al. final"} <= cited


def test_rule_rows_name_article_version_and_tests() -> None:
    """What ``ledger rules`` prints: every rule with its article, rule-set version and tests."""
    from ledger.domain.ruletable import provision_rows, rule_rows

    rows = rule_rows()
    assert len(rows) == len(CATALOGUE)
    names = {r["rule"] for r in rows if r["regime"] == "cpu"}
    assert "reorientation_support_covers_last_four_months" in names
    for r in rows:
        assert r["article"] and r["ruleset"] and r["tests"] and r["provisions"], r["rule"]
        assert all(t.startswith("tests/unit/law/test_rule_table.py::test_case[") for t in r["tests"])
    flags = {r["rule"] for r in rows if r["effect"] == "flags"}
    assert {"tests_not_all_at_year_end", "pssa_before_15_october"} <= flags
    verdicts = {p["verdict"] for p in provision_rows("cpu")}
    assert verdicts == {"rule", "flag", "fact", "outside"}
