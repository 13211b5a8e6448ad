"""What ``ledger record`` stores does not depend on how the commands were split into runs.

A secretary may record an admission and the learner's first test authorisation in one file, or
the admission in the morning and the authorisation in the afternoon. The stored events must be
the same (apart from recording times): Art. 4 §6's flag ``learner_is_minor`` is computed from
the identity given at admission, which an authorisation in the same run used to miss (the
identity is written with the admission's events, after every command of the run is decided),
flagging every adult as a minor.
"""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

import pytest

from tests.builders import cmd, on
from tests.e2e.test_import_cli import stored
from tests.e2e.test_law_cli import jsonl, ledger


def commands(birth: str) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Opening and admission, then two authorisations (one informing the representatives)."""
    learner = uuid.uuid4()
    identity = {"given_name": "Inès", "family_name": "Dupont", "birth_date": birth}
    first = [
        cmd("OpenOption", "direction", "2018-06-01", option_code="mecanicien-polyvalent-automobile",
            first_school_year=2018),
        cmd("AdmitLearner", "direction", "2019-09-01", learner_id=str(learner),
            option_code="mecanicien-polyvalent-automobile", school_year=2019, year=4,
            route="A4_standard", identity=identity),
    ]  # fmt: skip
    then = [
        on(learner, "AuthoriseTest", "jury_qualification", "2019-10-01", uaa="UAA1",
           representatives_informed=False),
        on(learner, "AuthoriseTest", "jury_qualification", "2019-10-02", uaa="UAA2",
           representatives_informed=True),
    ]  # fmt: skip
    return first, then


def minor_flags(db: Path) -> list[bool]:
    """``learner_is_minor`` of every stored test authorisation, in log order."""
    return [body["learner_is_minor"] for _, _, topic, body in stored(db) if topic.endswith("TestAuthorised")]


@pytest.mark.parametrize(("birth", "minor"), [("2000-01-15", False), ("2004-05-01", True)])
def test_one_run_or_two_store_the_same_events(tmp_path: Path, birth: str, minor: bool) -> None:
    """An adult (19 in October 2019) is not flagged minor, whichever way the file was split."""
    first, then = commands(birth)
    together, split = tmp_path / "together.db", tmp_path / "split.db"
    for db, runs in ((together, [first + then]), (split, [first, then])):
        for lines in runs:
            result = ledger("record", "-", db=db, stdin=jsonl(lines))
            assert result.returncode == 0, result.stderr
    assert minor_flags(together) == minor_flags(split) == [minor, minor]
    strip = [(topic, body) for _, _, topic, body in stored(together)]
    assert strip == [(topic, body) for _, _, topic, body in stored(split)]
