"""``python -m tests.bench all --scale smoke`` as users run it: every section measured, figures are numbers.

Real processes against the real SQLite file, PostgreSQL server and Kafka broker. Timings are
never asserted: only that the report was written with every section, that nothing failed and
that every figure in a numeric column is a finite number.
"""

from __future__ import annotations

import math
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import require_service

pytestmark = [pytest.mark.slow, pytest.mark.postgres, pytest.mark.kafka]

SECTIONS = (
    "## Machine",
    "## Targets",
    "## 1. Decisions",
    "## 2. Projection",
    "## 3. Kafka relay",
    "## 4. Proofs",
    "## 5. Credential",
    "## 6. API",
    "## 7. National-scale run",
    "### Growth with size",
    "## Profiles of missed targets",
)


def bench(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    """Run ``python -m tests.bench ...`` in ``cwd``."""
    env = {k: v for k, v in os.environ.items() if k not in {"LEDGER_DB", "LEDGER_KEY_DIR"}}
    env["LEDGER_LOG_LEVEL"] = "WARNING"
    env["LEDGER_LANG"] = "en"
    env["PYTHONPATH"] = str(Path(__file__).resolve().parents[2])
    return subprocess.run(
        [sys.executable, "-m", "tests.bench", *args],
        text=True,
        capture_output=True,
        env=env,
        cwd=cwd,
        timeout=540,
        check=False,
    )


def tables(markdown: str) -> list[list[list[str]]]:
    """Every Markdown table as rows of cells (the header row first, the rule row kept)."""
    found: list[list[list[str]]] = []
    current: list[list[str]] = []
    for line in [*markdown.splitlines(), ""]:
        if line.startswith("|"):
            current.append([c.strip() for c in line.strip().strip("|").split("|")])
        elif current:
            found.append(current)
            current = []
    return found


def numeric_cells(table: list[list[str]]) -> list[str]:
    """The cells of the right-aligned (numeric) columns."""
    rule = table[1]
    columns = [i for i, cell in enumerate(rule) if cell.endswith(":")]
    return [row[i] for row in table[2:] for i in columns]


def is_number(text: str) -> bool:
    try:
        return math.isfinite(float(text))
    except ValueError:
        return False


def test_bench_all_smoke_writes_every_section_with_numbers(tmp_path: Path) -> None:
    """The smoke run writes BENCHMARKS.md with every section measured and numeric figures."""
    pg = require_service("LEDGER_TEST_PG_URL", "PostgreSQL")
    kafka = require_service("LEDGER_TEST_KAFKA", "Kafka")
    out = tmp_path / "BENCHMARKS.md"
    done = bench(
        "all",
        "--scale",
        "smoke",
        "--out",
        str(out),
        "--results",
        str(tmp_path / "r"),
        "--pg",
        pg,
        "--kafka",
        kafka,
        cwd=tmp_path,
    )
    assert done.returncode == 0, done.stderr
    report = out.read_text(encoding="utf-8")
    for heading in SECTIONS:
        assert heading in report, heading
    assert "Not measured" not in report, report
    assert "**Failed**" not in report, report
    found = tables(report)
    numeric = [cell for table in found for cell in numeric_cells(table)]
    assert len(numeric) > 100
    assert all(is_number(cell) for cell in numeric), [c for c in numeric if not is_number(c)]
    machine = dict((row[0], row[1]) for row in found[0][2:])
    assert int(machine["cores"]) >= 1 and float(machine["memory (GiB)"]) > 0
    for version in ("Python", "SQLite", "PostgreSQL", "Kafka broker"):
        assert re.match(r"\d+\.\d+", machine[version]), (version, machine[version])
    for load in ("load average at start (1/5/15 min)", "load average at end (1/5/15 min)"):
        assert all(is_number(x) for x in machine[load].split(" / "))
    growth = report.split("### Growth with size", 1)[1]
    assert [row[0] for row in tables(growth)[0][2:]] == ["1/4", "1/2", "1/1"]


def test_bench_all_refuses_bad_input_and_writes_nothing(tmp_path: Path) -> None:
    """An unknown section or a malformed URL exits 2 naming it, and writes no report."""
    out = tmp_path / "BENCHMARKS.md"
    done = bench("all", "--sections", "decisions,typo", "--out", str(out), cwd=tmp_path)
    assert done.returncode == 2
    assert "typo" in done.stderr and "Traceback" not in done.stderr
    done = bench("all", "--pg", "mysql://x", "--out", str(out), cwd=tmp_path)
    assert done.returncode == 2 and "--pg" in done.stderr
    assert not out.exists()
