"""``ledger demo``, ``ledger record``, ``ledger schema commands``: writing commands."""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Callable, Iterator
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any
from uuid import UUID

import typer

from ledger.cli.common import Create, Db, Json, emit, progress, resolve_learner, services, short_id
from ledger.cli.help import add_examples
from ledger.domain.errors import InvalidCommand
from ledger.i18n import _, describe, format_number, ngettext
from ledger.i18n.vocabulary import recorded as recorded_label

if TYPE_CHECKING:
    from pydantic import BaseModel

    from ledger.application.registry import CommandRegistry


def _log() -> Any:
    """The module's structured logger (structlog is imported on first use: start-up time)."""
    import structlog

    return structlog.get_logger("ledger.cli")


def read_lines(source: str) -> Iterator[tuple[int, str]]:
    """Numbered non-blank lines of a file or stdin (``-``)."""
    if source == "-":
        handle = sys.stdin
    else:
        path = Path(source)
        if not path.is_file():
            raise InvalidCommand(_("no such file: {path}").format(path=source))
        handle = path.open(encoding="utf-8")
    with handle:
        for number, line in enumerate(handle, start=1):
            if line.strip():
                yield number, line


def parse_lines(
    source: str,
    registry: CommandRegistry | None = None,
    resolve: Callable[[str], UUID] | None = None,
) -> list[BaseModel]:
    """Parse and validate every command line before anything is recorded.

    With ``resolve``, a ``learner_id`` that is not a full id (a short prefix printed by
    ``ledger learner find``, or a national number) is replaced by the learner it names.
    """
    from ledger.application.collector import collector_paused

    with collector_paused():  # every parsed command stays in memory: no collector walks
        return _parse_all(source, registry, resolve)


def _parse_all(
    source: str, registry: CommandRegistry | None, resolve: Callable[[str], UUID] | None
) -> list[BaseModel]:
    import orjson

    from ledger.application.registry import default_registry, malformed_json

    commands = registry or default_registry()
    parsed = []
    for number, line in read_lines(source):
        try:
            raw = orjson.loads(line)
        except orjson.JSONDecodeError as exc:
            raise malformed_json(number, exc, line) from None
        try:
            if resolve is not None and isinstance(raw, dict) and _short_reference(raw.get("learner_id")):
                raw["learner_id"] = str(resolve(raw["learner_id"]))
            parsed.append(commands.parse(raw))
        except InvalidCommand as exc:
            if exc.fields or exc.template:  # its parts kept: read in the reader's language
                exc.args = (f"line {number}: {exc}",)
                raise
            raise InvalidCommand(_("line {number}: {error}").format(number=number, error=exc)) from None
    return parsed


def _short_reference(value: Any) -> bool:
    """A ``learner_id`` written by a person: a string that is not a full UUID."""
    if not isinstance(value, str):
        return False
    try:
        UUID(value)
    except ValueError:
        return True
    return False


def record(
    file: Annotated[str, typer.Argument(help="a file of JSON lines, or - for standard input")],
    db: Db = None,
    as_json: Json = False,
    batch: Annotated[
        int, typer.Option(min=0, help="commands per transaction (default 1: one decision per save)")
    ] = 1,
    create: Create = False,
    keep_going: Annotated[
        bool,
        typer.Option(
            "--keep-going",
            help="record the lawful commands and report every refusal (exit 2 if any) instead of stopping",
        ),
    ] = False,
) -> None:
    """Record JSON commands, one object per line; all checked before anything is written.

    Prints each decision recorded with its new id (the first 8 characters are enough to name
    it again).

    Example: ledger record decisions.jsonl --db ecole.db --create
    """
    svc = services(db, create=create)
    ledger = svc.ledger
    commands = parse_lines(file, resolve=lambda ref: resolve_learner(svc, ref))
    started = time.perf_counter()
    refused: list[tuple[int, Exception]] = []
    with progress(_("recording"), len(commands)) as advance:
        if keep_going:
            outcomes, errors = ledger.execute_each(commands, batch=batch, progress=advance)
            refused = list(errors)
        else:
            outcomes = ledger.execute_all(commands, batch=batch, progress=advance)
    elapsed = time.perf_counter() - started
    events = sum(len(o.events) for o in outcomes)
    _log().info("record.done", commands=len(outcomes), events=events, seconds=round(elapsed, 3))
    if as_json:
        emit(
            True,
            {
                "commands": len(outcomes),
                "events": events,
                "seconds": elapsed,
                "outcomes": [o.to_dict() for o in outcomes],
                **(
                    {"refused": [{"command": i + 1, "error": str(e)} for i, e in refused]}
                    if keep_going
                    else {}
                ),
            },
            print,
        )
    else:
        for outcome in outcomes:
            print(describe_outcome(outcome.to_dict()))
        print(
            ngettext(
                "{count} decision recorded ({events} event) in {seconds} s",
                "{count} decisions recorded ({events} events) in {seconds} s",
                len(outcomes),
            ).format(count=len(outcomes), events=events, seconds=format_number(elapsed, 2))
        )
    if refused:
        for _number, error in refused:
            print(describe(error), file=sys.stderr)
        raise typer.Exit(2)


def import_registry(
    file: Annotated[str, typer.Argument(help="a file of JSON command lines, or - for standard input")],
    db: Db = None,
    as_json: Json = False,
    batch: Annotated[int, typer.Option(min=1, help="commands per transaction")] = 1000,
    create: Create = False,
) -> None:
    """Import a historical registry: the rules of ``ledger record``, nothing written on a refusal.

    Example: ledger import registre.jsonl --db ecole.db --create
    """
    from ledger.application.bulk import import_commands

    ledger = services(db, create=create).ledger
    summary = import_commands(ledger, read_lines(file), batch=batch)
    _log().info("import.done", **summary.to_dict())
    if as_json:
        emit(True, summary.to_dict(), print)
    else:
        print(
            _("imported {commands} command(s), {events} event(s) in {seconds} s").format(
                commands=summary.commands,
                events=summary.events,
                seconds=format_number(summary.seconds, 2),
            )
        )


def describe_outcome(o: dict[str, Any]) -> str:
    """One recorded decision as a person reads it: ``Élève admis : 6f1c1d0a (…full id…)``."""
    ident = str(o.get("certificate_id") or o["aggregate_id"])
    where = ", ".join(str(p) for p in o.get("positions", []))
    return _("{what}: {short} ({ident}; log position {where})").format(
        what=recorded_label(str(o["command"])), short=short_id(ident), ident=ident, where=where
    )


def schema_commands(
    name: Annotated[
        str | None, typer.Argument(help="one command's name (e.g. AdmitLearner); all when omitted")
    ] = None,
) -> None:
    """The JSON Schema of every command, or of one.

    Example: ledger schema commands AdmitLearner
    """
    from ledger.application.registry import default_registry

    registry = default_registry()
    if name is None:
        print(json.dumps(registry.schema(), indent=2, ensure_ascii=False))
        return
    if name not in registry.names():
        registry.parse({"command": name})  # raises: unknown command, with the closest names
    schema = registry.schema()["$defs"][name]
    print(json.dumps(schema, indent=2, ensure_ascii=False))


def demo(
    db: Db = None,
    as_json: Json = False,
    learners: Annotated[int, typer.Option(min=0, help="CPU learners (default 200)")] = 200,
    candidates: Annotated[
        int | None, typer.Option(min=0, help="CléA candidates (default learners/10)", show_default=False)
    ] = None,
    seed: Annotated[int, typer.Option(help="random seed (same seed, same cohort)")] = 1,
    batch: Annotated[int, typer.Option(min=0, help="commands per transaction")] = 500,
    chunk: Annotated[
        int,
        typer.Option(min=0, help="record learners in chunks of this size (bounded memory; 0 = all at once)"),
    ] = 0,
    tokens: Annotated[
        Path | None,
        typer.Option(help="write one API token per role to this file (mode 0600) instead of printing them"),
    ] = None,
    url: Annotated[str, typer.Option(help="where ledger serve will answer")] = "http://127.0.0.1:8080",
) -> None:
    """Record a synthetic, rule-abiding cohort and show what the ledger holds.

    Example: ledger demo --db .ledger/demo.db --learners 200 --tokens .ledger/demo-tokens.json
    """
    from ledger.bootstrap import redact
    from ledger.demo.run import default_candidates, demo_summary, record_demo, record_demo_in_chunks

    svc = services(db, create=True)
    ledger = svc.ledger
    if ledger.store.recorder.max_notification_id():
        raise InvalidCommand(
            _("the store {store} already holds events; give the demo a new --db").format(
                store=redact(svc.settings.db)
            )
        )
    wanted = candidates if candidates is not None else default_candidates(learners)
    started = time.perf_counter()
    on = date.today()
    if chunk:
        with progress(_("demo learners"), learners) as advance:
            recorded = record_demo_in_chunks(ledger, seed, learners, wanted, on, chunk, batch, advance)
    else:
        with progress(_("demo"), learners) as advance:
            recorded = record_demo(ledger, seed, learners, wanted, on, batch, None)
            advance(learners)
    summary = demo_summary(ledger, recorded, time.perf_counter() - started)
    summary["store"] = redact(svc.settings.db)
    if tokens is not None:
        from ledger.cli.server import demo_tokens
        from ledger.demo.guide import write_private

        write_private(tokens, demo_tokens(svc))
        summary["tokens_file"] = str(tokens)
    emit(as_json, summary, lambda s: print(_guide(svc, s, url)))


def _guide(svc: Any, summary: dict[str, Any], url: str) -> str:
    """The demo's closing screen (:func:`ledger.demo.guide.demo_guide`) for this store."""
    from ledger.demo.guide import demo_guide

    sample = summary.get("sample_learner")
    name = None
    if sample:
        identity = svc.identities.get(UUID(sample))
        name = identity.family_name.split()[0] if identity and identity.family_name.split() else None
    return demo_guide(
        summary,
        str(summary["store"]),
        url,
        summary.get("tokens_file"),
        short_id(sample) if sample else None,
        name,
    )


def register(app: typer.Typer) -> None:
    """Add ``demo``, ``record``, ``import`` and ``schema``."""
    add_examples(
        {
            "demo": "ledger demo --db demo.db --tokens demo-tokens.json",
            "record": "ledger record decisions.jsonl --db ecole.db --create",
            "import": "ledger import registre-2019.jsonl --db ecole.db --create",
            "schema commands": "ledger schema commands AdmitLearner",
        }
    )
    app.command("demo", help="record a synthetic cohort and show what the ledger holds")(demo)
    app.command("record", help="record JSON commands, one object per line")(record)
    app.command("import", help="import a historical registry (JSON command lines) in bulk")(import_registry)
    schema = typer.Typer(help="print JSON Schemas", no_args_is_help=True)
    schema.command("commands", help="the JSON Schema of every command")(schema_commands)
    app.add_typer(schema, name="schema")
