"""``--help`` of every verb (plug-ins loaded): an example, and every text in French by default.

Oracle: the tree of verbs the ``ledger`` root offers (:func:`ledger.cli.help.walk`, plug-ins
discovered through their entry points) and the French catalogue (the console script's output:
``tests/e2e/test_cli_help.py``).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import typer
from babel.messages.pofile import read_po

from ledger import i18n
from ledger.cli import _root, build_app
from ledger.cli.help import help_messages, walk
from ledger.cli.lazy import root_command

PO = Path(i18n.LOCALE_DIR) / "fr" / "LC_MESSAGES" / "ledger.po"


@pytest.fixture
def french() -> Iterator[None]:
    before = i18n.current()
    i18n.use("fr")
    yield
    i18n.use(before)


def _verbs() -> list[tuple[tuple[str, ...], Any]]:
    root = root_command(build_app(), _root)
    return [(path, cmd) for path, cmd in walk(root) if path and not hasattr(cmd, "list_commands")]


def test_the_tree_holds_every_verb_plugins_included() -> None:
    names = {" ".join(path) for path, _cmd in _verbs()}
    assert {"learner find", "record", "stats school", "relay run", "audit verify", "consume"} <= names
    assert len(names) >= 45


def test_every_verb_has_an_example_in_its_help(french: None) -> None:
    """Each verb's help ends with ``Exemple : ledger <the verb> …``."""
    missing = []
    for path, cmd in _verbs():
        epilog = cmd.epilog or ""
        if not epilog.startswith("Exemple : ledger " + " ".join(path)):
            missing.append(" ".join(path))
    assert not missing, f"verbs without an example: {missing}"


def test_every_help_text_is_translated() -> None:
    """No command or option help is left out of the French catalogue (the English tree's texts)."""
    with PO.open("rb") as handle:
        french = {m.id: m.string for m in read_po(handle, locale="fr") if m.id and not m.fuzzy}
    english = help_messages(typer.main.get_command(build_app()))
    untranslated = sorted(t for t in english if not french.get(t))
    assert not untranslated, f"help texts without a French translation (make messages): {untranslated}"
    assert len(english) > 150


def test_json_progress_never_repeats_its_last_line() -> None:
    """``make demo`` printed its final progress line twice: the end adds a line only if it is new."""
    import io
    import json

    from ledger.cli.common import JsonProgress

    stream = io.StringIO()
    quiet = JsonProgress("demo", 3, every=0.0, stream=stream)
    for _ in range(3):
        quiet.advance(1)
    quiet.finish()
    lines = [json.loads(line) for line in stream.getvalue().splitlines()]
    assert [line["done"] for line in lines] == [1, 2, 3]
    slow = io.StringIO()
    later = JsonProgress("demo", 3, every=3600.0, stream=slow)
    later.advance(3)
    later.finish()
    assert [json.loads(line)["done"] for line in slow.getvalue().splitlines()] == [3]
