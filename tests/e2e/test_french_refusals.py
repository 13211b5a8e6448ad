"""Rule refusals read in French through the installed console script (issue 19).

Every refusing case of the law's tables (CPU and CléA) runs in ONE ``ledger record --keep-going``
per regime, as a secretary or an evaluator would type it: each refusal is one line
``commande N : Refusé : <reason> — règle <name> « <label> », <article>`` in French (the reason
rendered from the rule's template and arguments through the catalogue, the rule's French label,
dates written out, codes by the law's words),
with no English word; ``--lang en`` keeps the English lines; the JSON output keeps its
language-neutral fields. Oracles: the law's table cases (which rule refuses which command) and
the console script's own output.
"""

from __future__ import annotations

import json
import re
from functools import partial
from pathlib import Path

import pytest

from ledger.domain.rules import CATALOGUE
from tests.e2e import law_clea_scenarios as clea
from tests.e2e.test_law_cli import BASE, BUILDERS, CLEA_REFUSING, REFUSING, jsonl, ledger, one_run
from tests.procs import concurrently

# English words that must not reach a French reader in a refusal (whole words).
ENGLISH = {
    "the",
    "is",
    "not",
    "no",
    "of",
    "and",
    "before",
    "after",
    "already",
    "learner",
    "year",
    "needs",
    "refused",
    "rule",
    "error",
    "allowed",
    "power",
    "was",
    "has",
    "only",
    "can",
    "cannot",
    "recorded",
    "deadline",
    "decision",
    "passed",
    "domains",
    "window",
    "valid",
    "from",
    "until",
    "true",
    "false",
    "none",
    "listed",
    "on",
    "in",
    "by",
    "to",
    "for",
    "with",
    "this",
    "that",
}
LINE = re.compile(
    r"^commande (?P<number>\d+) : Refusé : (?P<reason>.+) — règle (?P<rule>[a-z0-9_]+)"
    r"(?: « (?P<label>[^»]+) »)?, (?P<article>.+)$"
)

REGIMES = {
    "cpu": (REFUSING, BASE, BUILDERS),
    "clea": (CLEA_REFUSING, clea.BASE, clea.BUILDERS),
}


def english_words(text: str) -> set[str]:
    """The English words of a reason (ids, codes and the [Sxx] sources aside)."""
    cleaned = re.sub(r"[0-9a-f]{8}(-[0-9a-f]{4}){3}-[0-9a-f]{12}|[a-z0-9]+(?:[-_][a-z0-9]+)+", " ", text)
    return {w for w in re.findall(r"[a-zà-ÿ]+", cleaned.lower()) if w in ENGLISH}


@pytest.mark.parametrize("regime", sorted(REGIMES))
def test_every_refusal_reads_in_french_and_in_english_on_request(tmp_path: Path, regime: str) -> None:
    cases, base, builders = REGIMES[regime]
    lines, targets = one_run(cases, base, builders)
    source = tmp_path / "decisions.jsonl"
    source.write_text(jsonl(lines), encoding="utf-8")

    english, french = concurrently(  # two stores: independent runs of the same file
        (
            partial(ledger, "record", str(source), "--keep-going", "--lang", "en", db=tmp_path / "en.db"),
            partial(
                ledger,
                "record",
                str(source),
                "--keep-going",
                db=tmp_path / "fr.db",
                env={"LEDGER_LANG": "fr"},
            ),
        )
    )
    said = [line for line in english.stderr.splitlines() if line.startswith("error: command ")]
    assert len(said) == len(targets) and "Refusé" not in english.stderr

    assert french.returncode == 2, french.stderr[-2000:]
    refusals = [LINE.match(line) for line in french.stderr.splitlines() if "Refusé" in line]
    assert len(refusals) == len(targets), french.stderr[-3000:]
    assert "Traceback" not in french.stderr and "error" not in french.stderr
    for (number, case), found, in_english in zip(sorted(targets.items()), refusals, said, strict=True):
        assert found, (case.id, french.stderr)
        assert int(found["number"]) == number, (case.id, found.group(0))
        assert found["rule"] == CATALOGUE[case.rule].name, (case.id, number, found.group(0))
        prefix = f"error: command {number}: refused by rule {found['rule']} ("
        assert in_english.startswith(prefix), (in_english, found.group(0))
        article = in_english[len(prefix) : in_english.index("): ", len(prefix))]
        # the act's references are kept as they are (only the English glosses are translated)
        refs = re.findall(r"\[S\d+\]|[A-Z]{2,}-\d{4}-\d{2}-\d{2}|[DL]\d{4}-\d+|art\. \d+", article)
        assert all(ref in found["article"] for ref in refs), (refs, found.group(0))
        assert not english_words(found["reason"]), (case.id, english_words(found["reason"]), found.group(0))
        assert not english_words(found["article"]), (case.id, english_words(found["article"]), found.group(0))
        assert found["label"], (case.id, "no French label for the rule", found.group(0))
        assert not english_words(found["label"]), (case.id, english_words(found["label"]), found.group(0))

    as_json = ledger("record", str(source), "--keep-going", "--json", db=tmp_path / "json.db")
    refused = json.loads(as_json.stdout)["refused"]
    assert [r["command"] for r in refused] == sorted(targets)
    assert all("refused by rule " in r["error"] for r in refused)  # JSON stays language-neutral (English)


def test_a_refusal_names_its_dates_in_french(tmp_path: Path) -> None:
    """A decision dated before the admission: both dates written out, the first of the month '1er'."""
    (case,) = [c for c in REFUSING if c.rule == "cpu.decision_not_before_admission" and not c.allowed][:1]
    setup, target = BUILDERS[case.rule](case)
    source = tmp_path / "decisions.jsonl"
    source.write_text(jsonl([*BASE, *setup, target]), encoding="utf-8")
    done = ledger("record", str(source), db=tmp_path / "ecole.db", env={"LEDGER_LANG": "fr"})
    assert done.returncode == 2
    assert re.search(
        r"Refusé : la date d'effet \(\d+ \w+ \d{4}\) précède l'admission du 1er septembre", done.stderr
    )
    assert "une décision concerne un élève admis" in done.stderr  # the article's gloss translated
