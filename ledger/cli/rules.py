"""``ledger rules``: the rule table of both regimes, with the tests that exercise each rule."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from ledger.cli.common import Json, emit, table
from ledger.cli.help import add_examples
from ledger.i18n import _


def rules(
    as_json: Json = False,
    regime: Annotated[
        str | None, typer.Option("--regime", help="cpu or clea (shared rules included)", show_default=False)
    ] = None,
    provisions: Annotated[
        bool, typer.Option("--provisions", help="list the provisions of the texts with their verdicts")
    ] = False,
) -> None:
    """Print every catalogued rule (article, rule-set version, effect, cases, tests)."""
    from ledger.domain.errors import InvalidCommand
    from ledger.domain.ruletable import provision_rows, rule_rows

    if regime is not None and regime not in {"cpu", "clea"}:
        raise InvalidCommand(f"--regime: unknown regime {regime!r}; known: cpu, clea")
    if provisions:
        emit(as_json, provision_rows(regime), _print_provisions)
    else:
        emit(as_json, rule_rows(regime), _print_rules)


def _print_rules(rows: list[dict[str, Any]]) -> None:
    flat = [
        {
            **r,
            "cases": "/".join(str(r["cases"][k]) for k in ("lawful", "unlawful", "boundary")),
            "tests": len(r["tests"]),
        }
        for r in rows
    ]
    table(flat, ("rule", "regime", "article", "effect", "cases", "tests"))
    print(_("{count} rules; cases lawful/unlawful/boundary; --json lists each test").format(count=len(rows)))


def _print_provisions(rows: list[dict[str, Any]]) -> None:
    flat = [{**r, "rules": ", ".join(r["rules"]), "tests": len(r["tests"])} for r in rows]
    table(flat, ("regime", "article", "verdict", "tests", "rules"))


def register(app: typer.Typer) -> None:
    """Add ``rules``."""
    add_examples(
        {
            "rules": "ledger rules --regime cpu",
        }
    )
    app.command("rules", help="the rule table: every rule, its article and the tests that run it")(rules)
