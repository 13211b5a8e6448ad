"""The law through the installed ``ledger`` console script (issue 18).

Table cases of :mod:`ledger.domain.cpu.cases` and :mod:`ledger.domain.clea.cases` are turned
into command scenarios (one builder per rule, from the case's own arguments; see
``law_scenarios`` and ``law_clea_scenarios``) and run by ONE ``ledger record --keep-going`` per
regime on a fresh SQLite store: every lawful case is recorded, and each unlawful case's decision
is refused (writing nothing) naming its rule and article. The phase-2 commands (profiles,
appeals, year flags, creation norm) and their presentation in the dossier are exercised the
same way.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ledger.domain.catalogue import Case
from ledger.domain.clea.cases import CASES as CLEA_CASES
from ledger.domain.cpu.cases import CASES
from ledger.domain.rules import CATALOGUE
from tests.builders import OPTION, cmd
from tests.e2e import law_clea_scenarios as clea
from tests.e2e.law_scenarios import BASE, BUILDERS, UNREACHABLE, UNREACHABLE_RULES, Scenario, opening

LEDGER = Path(sys.executable).with_name("ledger")


def ledger(
    *args: str, db: Path, stdin: str | None = None, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """Run the installed console script on the store ``db`` (with ``env``'s ``LEDGER_*`` settings)."""
    environ = {k: v for k, v in os.environ.items() if not k.startswith("LEDGER_")}
    environ |= {"LEDGER_LANG": "en", **(env or {}), "LEDGER_DB": str(db)}
    if args[:1] in (("record",), ("import",)) and not db.exists():
        args = (*args, "--create")  # a new store is created on purpose, never by a typo
    return subprocess.run(
        [str(LEDGER), *args],
        input=stdin,
        text=True,
        capture_output=True,
        env=environ,
        timeout=120,
        check=False,
    )


def jsonl(objs: list[dict[str, Any]]) -> str:
    """Commands as JSON lines."""
    return "".join(json.dumps(o) + "\n" for o in objs)


REFUSING = [c for c in CASES if c.rule in BUILDERS and c.id not in UNREACHABLE]
CLEA_REFUSING = [c for c in CLEA_CASES if c.rule in clea.BUILDERS and c.id not in clea.UNREACHABLE]
Builders = dict[str, Callable[[Case], Scenario]]


def one_run(
    cases: list[Case], base: list[dict[str, Any]] = BASE, builders: Builders = BUILDERS
) -> tuple[list[dict[str, Any]], dict[int, Case]]:
    """Every case's commands in one run (organisations' setup once); the unlawful targets' numbers."""
    lines = list(base)
    targets: dict[int, Case] = {}
    for c in cases:
        setup, target = builders[c.rule](c)
        lines += [s for s in setup if "learner_id" in s or "candidate_id" in s or s not in lines]
        lines.append(target)
        if not c.allowed:
            targets[len(lines)] = c
    return lines, targets


def test_every_refusing_rule_with_a_command_has_a_builder() -> None:
    """Every refusing CPU/shared rule runs through the console script, unless listed with why."""
    refusing = {k for k, r in CATALOGUE.items() if r.effect == "refuses" and r.regime in ("cpu", "shared")}
    assert refusing == set(BUILDERS) | set(UNREACHABLE_RULES)
    assert not set(BUILDERS) & set(UNREACHABLE_RULES)
    assert set(UNREACHABLE) <= {c.id for c in CASES}


def test_every_refusing_clea_rule_has_a_builder() -> None:
    """Every refusing CléA rule runs through the console script, unless listed with why."""
    refusing = {k for k, r in CATALOGUE.items() if r.effect == "refuses" and r.regime == "clea"}
    assert refusing | {"shared.body_has_power"} == set(clea.BUILDERS) | set(clea.UNREACHABLE_RULES)
    assert set(clea.UNREACHABLE) <= {c.id for c in CLEA_CASES}
    assert all(c.rule in clea.BUILDERS for c in CLEA_CASES if c.rule not in clea.UNREACHABLE_RULES)


def test_refusing_rules_cases_through_the_console_script(tmp_path: Path) -> None:
    """Every reachable CPU case in ONE ``ledger record --keep-going`` run on a fresh store."""
    run_cases(tmp_path / "law.db", *one_run(REFUSING))


def test_clea_rules_cases_through_the_console_script(tmp_path: Path) -> None:
    """Every reachable CléA case in ONE ``ledger record --keep-going`` run on a fresh store."""
    run_cases(tmp_path / "clea.db", *one_run(CLEA_REFUSING, clea.BASE, clea.BUILDERS))


def test_clea_sub_domain_threshold_cases_as_recorded_by_the_console_script(tmp_path: Path) -> None:
    """The scoring rule never refuses: each case's sub-domain is recorded acquired as the table says.

    The table's specs are the shipped referential's (D1.2: four criteria at 75 %; D1.1: 50 % with
    D1.1.1 mandatory), so each case is a préalable passing exactly the case's criteria.
    """
    db = tmp_path / "score.db"
    cases = [c for c in CLEA_CASES if c.rule == "clea.sub_domain_meets_threshold"]
    lines = list(clea.BASE)
    for c in cases:
        j = clea.Journey(c)
        lines += [j.register(), j.prealable(sorted(c.args["passed"]))]
    done = ledger("record", "-", db=db, stdin=jsonl(lines))
    assert done.returncode == 0, done.stderr
    events = json.loads(ledger("events", "--json", "--type", "PriorEvaluationRecorded", db=db).stdout)
    recorded = {
        e["aggregate_id"]: {
            s["code"]: s["acquired"] for d in e["detail"]["results"] for s in d["sub_domains"]
        }
        for e in events
    }
    assert len(cases) == 4 and len(recorded) == 4
    for c in cases:
        assert recorded[clea.Journey(c).id][c.args["spec"].code] is c.allowed, c.id


def run_cases(db: Path, lines: list[dict[str, Any]], targets: dict[int, Case]) -> None:
    """Run ``lines`` in one ``ledger record --keep-going``: exactly ``targets`` are refused.

    Lawful cases are recorded; each unlawful case's decision is refused by its own rule, naming
    the rule and the act, and nothing else is refused (each refusal writes nothing).
    """
    done = ledger("record", "-", "--keep-going", "--json", db=db, stdin=jsonl(lines))
    assert done.returncode == 2, done.stderr[-2000:]
    refused = {r["command"]: r["error"] for r in json.loads(done.stdout)["refused"]}
    wrong = []
    for number, error in sorted(refused.items()):
        c = targets.get(number)
        rule = CATALOGUE[c.rule] if c else None
        # a shared rule cites the regime's article (e.g. the body's power); a regime rule one of
        # its acts (a rule citing several sources cites the one that applies)
        acts = {p.strip().split(" ")[0] for p in rule.article.split(";")} if rule else set()
        acts = acts if rule and rule.regime != "shared" else {""}
        said = [f"command {number}: refused by rule {rule.name} ({a}" for a in acts] if rule else []
        if not any(x in error for x in said):
            wrong.append(f"{c.id if c else 'setup/lawful'}: {error}")
    missed = [f"{c.id}: not refused" for n, c in targets.items() if n not in refused]
    assert not wrong + missed, "\n".join(wrong + missed)
    assert json.loads(done.stdout)["commands"] == len(lines) - len(targets)
    assert "Traceback" not in done.stderr


def test_creation_norm_cases_are_recorded_as_flags(tmp_path: Path) -> None:
    """Art. 6 §3: each count is recorded, ``met`` as the table says; nothing is refused."""
    db = tmp_path / "norm.db"
    cases = [c for c in CASES if c.rule == "cpu.creation_norm_on_1_october"]
    schools = [209, 1204, 1415, 2020, 2022]
    lines = []
    for c, fase in zip(cases, schools, strict=False):
        a = c.args
        sy = a["school_year"]
        lines.append(
            cmd("OpenOption", "direction", f"{sy}-06-01", fase, option_code=OPTION, first_school_year=sy)
        )
        lines.append(
            cmd(
                "CheckCreationNorm",
                "administration",
                f"{sy}-10-01",
                fase,
                option_code=OPTION,
                fourth_year_pupils=a["fourth_year_pupils"],
                alternance_only=a["alternance_only"],
                thematique_commune=a["thematique_commune"],
            )
        )
    assert len(cases) == 5
    done = ledger("record", "-", db=db, stdin=jsonl(lines))
    assert done.returncode == 0, done.stderr
    events = json.loads(ledger("events", "--json", "--limit", "100", db=db).stdout)
    met = [e for e in events if e["type"].endswith("CreationNormChecked")]
    assert all(e["legal_basis"].startswith("AGCF-2018-08-29 art. 6 §3") for e in met)
    assert [e["detail"].get("met", False) for e in met] == [c.allowed for c in cases]


PROFILE = Path(__file__).resolve().parents[2] / "ledger/reference/data/profiles" / f"{OPTION}@2018-06-29.json"


def test_phase2_commands_and_the_dossier_through_the_console_script(tmp_path: Path) -> None:
    """PublishProfile (Art. 3), recours externe, year flags: recorded, refused, and shown."""
    db = tmp_path / "p2.db"
    doc = json.loads(PROFILE.read_text(encoding="utf-8"))
    good = {**doc, "approved_on": "2024-06-28"}
    bad = {**good, "approved_on": "2024-06-29", "project_weeks": {"4": 6}}
    refused = ledger(
        "record",
        "-",
        db=db,
        stdin=jsonl([cmd("PublishProfile", "administration", "2024-06-28", profile=bad)]),
    )
    assert refused.returncode == 2, refused.stderr
    assert "profile_project_weeks_at_most_five" in refused.stderr and "art. 3" in refused.stderr
    by_school = ledger(
        "record", "-", db=db, stdin=jsonl([cmd("PublishProfile", "direction", "2024-06-28", profile=good)])
    )
    assert by_school.returncode == 2 and "body_has_power" in by_school.stderr
    learner = str(uuid.uuid4())
    on: dict[str, Any] = {"learner_id": learner}
    lines = [
        cmd("PublishProfile", "administration", "2024-06-28", profile=good),
        opening(2018),
        cmd(
            "AdmitLearner",
            "direction",
            "2019-09-01",
            learner_id=learner,
            option_code=OPTION,
            school_year=2019,
            year=4,
            route="A4_standard",
        ),
        cmd("AuthoriseTest", "jury_qualification", "2020-06-20", uaa="UAA1", **on),
        cmd("StartReorientationSupport", "conseil_classe", "2020-02-01", **on),
        cmd(
            "IssueAttestation",
            "conseil_classe",
            "2020-06-25",
            kind="REORIENTATION",
            advice="Vers le tertiaire",
            **on,
        ),
        cmd("LodgeAppeal", "direction", "2020-07-01", target_version=4, **on),
        cmd(
            "DecideAppeal",
            "administration",
            "2020-08-20",
            target_version=4,
            outcome="reformed",
            replacement="AOB",
            **on,
        ),
        cmd("RecordYearFlags", "administration", "2020-08-31", school_year=2019, study_year=4, **on),
    ]
    done = ledger("record", "-", db=db, stdin=jsonl(lines))
    assert done.returncode == 0, done.stderr
    again = ledger("record", "-", db=db, stdin=jsonl(lines[:1]))
    assert again.returncode == 2 and "already published" in again.stderr
    dossier = json.loads(ledger("learner", "show", learner, "--json", db=db).stdout)
    assert dossier["appeals"] == [
        {
            "target_version": 4,
            "against": "REORIENTATION",
            "lodged_on": "2020-07-01",
            "outcome": "reformed",
            "replacement": "AOB",
            "decided_on": "2020-08-20",
        }
    ]
    assert [a["kind"] for a in dossier["attestations"]][-1] == "AOB"
    rules = {f["rule"] for f in dossier["flags"]}
    assert {
        "every_uaa_of_the_year_offered",
        "tests_not_all_at_year_end",
        "inform_legal_representatives_of_minor",
    } <= rules
    assert dossier["uaa_titles_note"].startswith("ILLUSTRATIVE")
    human = ledger("learner", "show", learner, db=db).stdout
    # the readable words of the dossier (issue 19): the caveat and the appeal, named for a person
    assert "UAA titles: illustrative only" in human and "appeal against reorientation certificate" in human


def test_ledger_rules_lists_every_rule_with_its_tests() -> None:
    """``ledger rules --json``: every catalogued rule, its article, and the tests running it."""
    out = subprocess.run(
        [str(LEDGER), "rules", "--json"], capture_output=True, text=True, timeout=120, check=False
    )
    assert out.returncode == 0, out.stderr
    rows = json.loads(out.stdout)
    assert len(rows) == len(CATALOGUE)
    by_name = {(r["regime"], r["rule"]): r for r in rows}
    row = by_name[("cpu", "creation_norm_on_1_october")]
    assert row["article"].startswith("AGCF-2018-08-29 art. 6 §3") and row["effect"] == "flags"
    assert all(r["tests"] for r in rows)


def test_ledger_rules_prints_every_paragraph_of_art_1_to_11_with_verdict_and_tests() -> None:
    """``ledger rules --provisions --json``: each paragraph the Arrêté's text numbers, in Art. 1-11.

    Read from the text itself (``../shared/seeds/003_*.txt``): every paragraph has a row with a
    verdict; a rule or flag row names the tests that run its rules' cases (unit test ids that
    exist), a row outside the system says why.
    """
    from tests.unit.law.test_rule_table import _text_paragraphs

    out = subprocess.run(
        [str(LEDGER), "rules", "--provisions", "--regime", "cpu", "--json"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert out.returncode == 0, out.stderr
    rows = json.loads(out.stdout)
    cited = [r["article"] for r in rows]
    missing = [w for w in _text_paragraphs() if not any(c == w or c.startswith(w + " ") for c in cited)]
    assert not missing, missing
    known = {c.test_id for c in CASES} | {c.test_id for c in CLEA_CASES}
    for r in rows:
        assert r["verdict"] in {"rule", "flag", "fact", "outside"}, r["article"]
        if r["verdict"] in {"rule", "flag"}:
            assert r["tests"] and set(r["tests"]) <= known, r["article"]
        if r["verdict"] == "outside":
            assert r["why"] and not r["tests"], r["article"]
    human = subprocess.run(
        [str(LEDGER), "rules", "--provisions"], capture_output=True, text=True, timeout=120, check=False
    ).stdout
    assert "art. 4 §1 2°" in human and "art. 11" in human and "tests" in human


def test_demo_records_a_rule_abiding_cohort_across_the_15_options(tmp_path: Path) -> None:
    """``ledger demo``: every command passes the rules (a refusal stops it), all 15 OBG of Art. 1."""
    db = tmp_path / "demo.db"
    done = ledger("demo", "--learners", "60", "--candidates", "0", "--seed", "3", "--json", db=db)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["commands"] > 60
    events = json.loads(ledger("events", "--json", "--type", "Admitted", db=db).stdout)
    admitted_in = {e["detail"]["option_code"] for e in events}
    from ledger.reference import cpu as ref

    assert admitted_in == set(ref.options()) and len(admitted_in) == 15


def test_admission_uses_the_published_profile_through_the_console_script(tmp_path: Path) -> None:
    """PublishProfile is effective: the admission records the published version in force."""
    db = tmp_path / "pub.db"
    doc = json.loads(PROFILE.read_text(encoding="utf-8"))
    published = {**doc, "approved_on": "2024-06-28", "effective_from": "2024-09-01"}
    published["uaa"] = [{**doc["uaa"][0], "code": "UAA9", "title": "UAA publiée"}, *doc["uaa"][1:]]
    later = {**published, "approved_on": "2025-06-28", "effective_from": "2026-09-01"}
    before, after = str(uuid.uuid4()), str(uuid.uuid4())
    admit: dict[str, Any] = {"option_code": OPTION, "year": 4, "route": "A4_standard"}
    lines = [
        opening(2018),
        cmd("AdmitLearner", "direction", "2023-09-01", learner_id=before, school_year=2023, **admit),
        cmd("PublishProfile", "administration", "2024-06-28", profile=published),
        cmd("PublishProfile", "administration", "2025-06-28", profile=later),
        cmd("AdmitLearner", "direction", "2025-09-01", learner_id=after, school_year=2025, **admit),
        cmd("AuthoriseTest", "jury_qualification", "2025-12-01", uaa="UAA9", learner_id=after),
    ]
    done = ledger("record", "-", db=db, stdin=jsonl(lines))
    assert done.returncode == 0, done.stderr
    old = json.loads(ledger("learner", "show", before, "--json", db=db).stdout)
    new = json.loads(ledger("learner", "show", after, "--json", db=db).stdout)
    assert (old["profile_version"], old["profile_source"]) == (
        f"{OPTION}@2018-06-29",
        "shipped reference profile",
    )
    assert (new["profile_version"], new["profile_source"]) == (
        f"{OPTION}@2024-06-28",
        "published by the administration",
    )
    assert new["units"][0]["title"] == "UAA publiée"
    human = ledger("learner", "show", after, db=db).stdout
    assert f"profile {OPTION}@2024-06-28 (published by the administration)" in human


def test_admission_into_an_orientation_the_aob_excludes_through_the_console_script(tmp_path: Path) -> None:
    """Art. 4 §1 2° on the admission path: a 5th-year admission after an AOB.

    Admitted when the AOB excludes other orientations; refused (exit 2, rule and article named,
    nothing written) when it excludes the option admitted into, and when exclusions come with
    an attestation that is not an AOB.
    """
    db = tmp_path / "aob.db"
    assert ledger("record", "-", db=db, stdin=jsonl([opening(2018)])).returncode == 0
    fifth: dict[str, Any] = {"option_code": OPTION, "school_year": 2020, "year": 5, "route": "A5_same_option"}

    def admit(prior: str, excluded: list[str]) -> tuple[str, subprocess.CompletedProcess[str]]:
        learner = str(uuid.uuid4())
        line = cmd(
            "AdmitLearner",
            "direction",
            "2020-09-01",
            learner_id=learner,
            prior_attestation=prior,
            aob_excluded_orientations=excluded,
            **fifth,
        )
        return learner, ledger("record", "-", db=db, stdin=jsonl([line]))

    allowed, done = admit("AOB", ["coiffeur"])
    assert done.returncode == 0, done.stderr
    assert json.loads(ledger("learner", "show", allowed, "--json", db=db).stdout)["year"] == 5
    for prior, rule in (
        ("AOB", "no_upper_year_in_aob_excluded_orientation"),
        ("AOA", "restrictions_only_on_aob"),
    ):
        refused, done = admit(prior, [OPTION])
        assert done.returncode == 2, done.stderr
        assert rule in done.stderr and "art. 4 §1 2°" in done.stderr and "Traceback" not in done.stderr
        assert ledger("learner", "show", refused, db=db).returncode == 2
