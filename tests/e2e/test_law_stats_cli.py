"""The law's facts in the school statistics, through the installed console script (issue 18).

``ledger stats school FASE`` shows, from the ``law`` read model, the duties flagged, the recours
externes and their outcomes, the C2D programmes and the creation-norm checks of the school, by
option and school year (JSON, CSV, HTML); a revoked decision stops counting, and a rebuild from
zero gives the same figures.
"""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

from ledger.domain.catalogue import case
from tests.builders import FASE, FASE_TQ2, OPTION, cmd
from tests.e2e.law_scenarios import BASE, Life
from tests.e2e.test_law_cli import jsonl, ledger


def _life(name: str) -> Life:
    return Life(case("cpu.stats", name, "lawful", True))


def _scenario() -> list[dict[str, Any]]:
    appealed, c2d, revoked, elsewhere = (_life(n) for n in ("appealed", "c2d", "revoked", "elsewhere"))
    return [
        *BASE,
        cmd(
            "CheckCreationNorm",
            "administration",
            "2018-10-01",
            FASE,
            option_code=OPTION,
            fourth_year_pupils=3,
        ),
        # a réorientation appealed and reformed into an AOB; the year's duties flagged after it
        *appealed.fourth_ending("REORIENTATION"),
        appealed("LodgeAppeal", "direction", "2020-07-01", target_version=3),
        appealed(
            "DecideAppeal",
            "administration",
            "2020-08-20",
            target_version=3,
            outcome="reformed",
            replacement="AOB",
        ),
        appealed("RecordYearFlags", "administration", "2020-08-31", school_year=2019, study_year=4),
        # a C2D pupil's programme; another one written then revoked (it stops counting)
        c2d.c2d_pupil(),
        c2d("WritePssa", "conseil_classe", "2019-10-01"),
        revoked.c2d_pupil(),
        revoked("WritePssa", "conseil_classe", "2019-10-01"),
        revoked("RevokeDecision", "conseil_classe", "2019-12-01", target_version=2, reason="Erreur"),
        # another school's facts are not this school's
        elsewhere.admit_at(FASE_TQ2, route="A4_C2D", prior_attestation="C2D"),
        elsewhere("WritePssa", "conseil_classe", "2019-10-01", FASE_TQ2) | {"fase": FASE_TQ2},
    ]


def test_school_statistics_show_the_laws_facts(tmp_path: Path) -> None:
    """Flags, appeals, C2D programmes, norm checks: by option and year, in JSON, CSV and HTML."""
    db = tmp_path / "stats.db"
    done = ledger("record", "-", db=db, stdin=jsonl(_scenario()))
    assert done.returncode == 0, done.stderr
    out = ledger("stats", "school", str(FASE), "--json", db=db)
    assert out.returncode == 0, out.stderr
    law = json.loads(out.stdout)["law"]
    assert law["appeals"] == [
        {
            "option_code": OPTION,
            "school_year": 2019,
            "against": "REORIENTATION",
            "lodged": 1,
            "confirmed": 0,
            "reformed": 1,
        }
    ]
    assert law["c2d_programmes"] == [{"option_code": OPTION, "school_year": 2019, "written": 1}]
    [norm] = law["creation_norm_checks"]
    assert (norm["school_year"], norm["fourth_year_pupils"], norm["met"]) == (2018, 3, False)
    assert norm["article"].startswith("AGCF-2018-08-29 art. 6 §3")
    flags = {f["rule"]: f for f in law["flags"]}
    assert "cpu.every_uaa_of_the_year_offered" in flags
    assert all(
        f["school_year"] == 2019 and f["article"].startswith("AGCF-2018-08-29 art.") for f in flags.values()
    )

    rows = list(
        csv.DictReader(
            io.StringIO(
                ledger("stats", "school", str(FASE), "--csv", "--csv-format", "rfc4180", db=db).stdout
            )
        )
    )
    row = next(r for r in rows if r["option_code"] == OPTION and r["school_year"] == "2019")
    assert (row["appeals_lodged"], row["appeals_reformed"], row["c2d_programmes"]) == ("1", "1", "1")
    assert int(row["flags"]) == sum(f["count"] for f in law["flags"]) > 0
    html = tmp_path / "school.html"
    assert ledger("stats", "school", str(FASE), "--html", str(html), db=db).returncode == 0
    page = html.read_text(encoding="utf-8")
    assert "External appeals (Art. 4 §1)" in page and "every_uaa_of_the_year_offered" in page
    assert ledger("stats", "school", str(FASE), "--html", str(html), "--lang", "fr", db=db).returncode == 0
    page = html.read_text(encoding="utf-8")
    assert "Recours externes (art. 4, § 1er)" in page and "Obligations signalées et délais dépassés" in page

    other = json.loads(ledger("stats", "school", str(FASE_TQ2), "--json", db=db).stdout)["law"]
    assert other["c2d_programmes"] == [{"option_code": OPTION, "school_year": 2019, "written": 1}]
    assert other["appeals"] == other["flags"] == other["creation_norm_checks"] == []

    rebuilt = ledger("projections", "rebuild", "law", db=db)
    assert rebuilt.returncode == 0, rebuilt.stderr
    again = json.loads(ledger("stats", "school", str(FASE), "--json", "--stale", db=db).stdout)["law"]
    assert again == law
