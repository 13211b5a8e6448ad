"""``ledger projections|stats|certificate history|learner show --as-of-*`` as users run them."""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.test_cli import ledger_cli
from tests.e2e.test_french_secretary import SCRIPT


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    db = tmp_path_factory.mktemp("proj") / "demo.db"
    done = ledger_cli("demo", "--learners", "30", "--seed", "4", db=db)
    assert done.returncode == 0, done.stderr
    return db


def as_json(*args: str, db: Path) -> Any:
    done = ledger_cli(*args, "--json", db=db)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def test_run_status_and_learner_show_from_the_read_model(demo_db: Path) -> None:
    """After ``projections run --once`` every lag is 0 and ``learner show`` (now read from the
    read model) prints exactly what the replay printed before."""
    cert = as_json("certificate", "list", db=demo_db)[0]
    replayed = as_json("learner", "show", cert["learner_id"], db=demo_db)
    done = ledger_cli("projections", "run", "--once", db=demo_db)
    assert done.returncode == 0, done.stderr
    status = as_json("projections", "status", db=demo_db)
    assert {s["name"] for s in status} == {"dossier", "stats", "history", "law"}
    assert all(s["lag"] == 0 and s["position"] == s["head"] for s in status)
    assert as_json("learner", "show", cert["learner_id"], db=demo_db) == replayed
    rebuilt = ledger_cli("projections", "rebuild", "dossier", db=demo_db)
    assert rebuilt.returncode == 0 and "rebuilt dossier" in rebuilt.stdout


def test_certificate_history_and_as_of(demo_db: Path) -> None:
    """The history of a certificate ends with (or passes through) its issuance; the dossier as
    of the day before admission is refused, as of the issuance day shows the validations."""
    cert = as_json("certificate", "list", db=demo_db)[0]
    history = as_json("certificate", "history", cert["certificate_id"], db=demo_db)
    steps = [e["step"] for e in history["chain"]]
    assert steps[0] == "admission" and "issuance" in steps
    assert history["issued_position"] == cert["position"]
    issued_on = cert["issued_on"]
    shown = as_json("learner", "show", cert["learner_id"], "--as-of-effective", issued_on, db=demo_db)
    assert shown["as_of_effective"] == issued_on
    assert any(u["status"] == "validated" for u in shown["units"])
    early = ledger_cli("learner", "show", cert["learner_id"], "--as-of-effective", "2000-01-01", db=demo_db)
    assert early.returncode == 2 and "not yet admitted" in early.stderr


def test_stats_school_json_csv_html(demo_db: Path, tmp_path: Path) -> None:
    """School statistics as JSON, CSV and a self-contained HTML report with inline SVG."""
    cert = as_json("certificate", "list", db=demo_db)[0]
    fase = as_json("learner", "show", cert["learner_id"], db=demo_db)["fase"]
    stats = as_json("stats", "school", str(fase), db=demo_db)
    assert stats["fase"] == fase and stats["options"]
    assert "ASSUMED" in stats["norms"]["maintenance_norm_source"]
    csv_out = ledger_cli("stats", "school", str(fase), "--csv", "--csv-format", "rfc4180", db=demo_db)
    assert csv_out.returncode == 0 and csv_out.stdout.startswith("fase,option_code,school_year")
    rfc = list(csv.DictReader(io.StringIO(csv_out.stdout, newline="")))
    assert rfc and all(r["fase"] == str(fase) for r in rfc)
    report = tmp_path / "school.html"
    done = ledger_cli("stats", "school", str(fase), "--html", str(report), "--lang", "fr", db=demo_db)
    assert done.returncode == 0, done.stderr
    html = report.read_text(encoding="utf-8")
    assert html.count("<svg") == 3 and "<script" not in html and "src=" not in html
    # readable on a phone and on paper, accessible, in French with the law's articles
    assert 'name="viewport"' in html and "@media print" in html and '<html lang="fr"' in html
    assert html.count("<figure") == 3 and html.count("<desc") == 3 and html.count("<table") >= 4
    assert "art. 10 §3" in html and "jury de qualification" in html and 'id="note-2"' in html
    clea = tmp_path / "clea.html"
    done = ledger_cli("stats", "clea", "--html", str(clea), db=demo_db)
    assert done.returncode == 0 and "<svg" in clea.read_text(encoding="utf-8")


def test_stats_csv_for_french_excel_by_default(demo_db: Path) -> None:
    """``--csv`` is French Excel: UTF-8 BOM, ``;``, decimal commas; the same figures as JSON."""
    cert = as_json("certificate", "list", db=demo_db)[0]
    fase = as_json("learner", "show", cert["learner_id"], db=demo_db)["fase"]
    stats = as_json("stats", "school", str(fase), db=demo_db)
    done = subprocess.run(
        [SCRIPT, "stats", "school", str(fase), "--csv", "--db", str(demo_db)],
        capture_output=True,
        env={k: v for k, v in os.environ.items() if not k.startswith("LEDGER_")},
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith(b"\xef\xbb\xbf")
    rows = list(csv.DictReader(io.StringIO(done.stdout.decode("utf-8-sig"), newline=""), delimiter=";"))
    assert list(rows[0])[:3] == ["fase", "option_code", "school_year"]
    rates = [
        float(r["attempt_pass_rate"].replace(",", "."))
        for r in rows
        if r["attempt_pass_rate"] not in ("", "0")
    ]
    assert rates and all("." not in r["attempt_pass_rate"] for r in rows)
    expected = [
        y["attempt_pass_rate"]
        for o in stats["options"]
        for y in o["years"]
        if y["attempt_pass_rate"] not in (None, 0)
    ]
    assert rates == expected
    assert {r["maintenance_norm_met"] for r in rows} <= {"oui", "non", ""}
    clea = subprocess.run(
        [SCRIPT, "stats", "clea", "--csv", "--db", str(demo_db)],
        capture_output=True,
        env={k: v for k, v in os.environ.items() if not k.startswith("LEDGER_")},
        timeout=120,
        check=False,
    )
    orgs = list(csv.DictReader(io.StringIO(clea.stdout.decode("utf-8-sig"), newline=""), delimiter=";"))
    assert orgs and "evaluator_siret" in orgs[0]
    assert all(float(o["rate"].replace(",", ".")) <= 1 for o in orgs if o["rate"])


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("projections", "run", "nope"), "unknown projection"),
        (("projections", "rebuild", "nope"), "unknown projection"),
        (("stats", "school", "4242"), "school (FASE)"),
        (("stats", "school", "abc"), "not a whole number"),
        (("certificate", "history", "not-a-uuid"), "not a valid certificate id"),
        (("certificate", "history", "00000000-0000-4000-8000-000000000000"), "unknown"),
        (
            ("learner", "show", "00000000-0000-4000-8000-000000000000", "--as-recorded-at", "yesterday"),
            "not a date-time",
        ),
    ],
)
def test_bad_input_exits_2_with_a_clear_message(demo_db: Path, args: tuple[str, ...], message: str) -> None:
    """Bad input: exit 2, a message naming what is wrong, no traceback."""
    done = ledger_cli(*args, db=demo_db)
    assert done.returncode == 2, done.stderr
    assert message in done.stderr.lower() or message in done.stderr
    assert "Traceback" not in done.stderr
