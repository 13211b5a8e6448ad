"""``ledger demo``, ``ledger record``, ``ledger schema commands``: writing commands."""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from ledger.cli.common import Db, Json, emit, progress, services
from ledger.domain.errors import InvalidCommand

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
            raise InvalidCommand(f"no such file: {source}")
        handle = path.open(encoding="utf-8")
    with handle:
        for number, line in enumerate(handle, start=1):
            if line.strip():
                yield number, line


def parse_lines(source: str, registry: CommandRegistry | None = None) -> list[BaseModel]:
    """Parse and validate every command line before anything is recorded."""
    import orjson

    from ledger.application.registry import default_registry

    commands = registry or default_registry()
    parsed = []
    for number, line in read_lines(source):
        try:
            raw = orjson.loads(line)
        except orjson.JSONDecodeError as exc:
            raise InvalidCommand(f"line {number}: malformed JSON ({exc})") from None
        try:
            parsed.append(commands.parse(raw))
        except InvalidCommand as exc:
            raise InvalidCommand(f"line {number}: {exc}") from None
    return parsed


def record(
    file: Annotated[str, typer.Argument(help="a file of JSON lines, or - for standard input")],
    db: Db = None,
    as_json: Json = False,
    batch: Annotated[
        int, typer.Option(min=0, help="commands per transaction (default 1: one decision per save)")
    ] = 1,
    keep_going: Annotated[
        bool,
        typer.Option(
            "--keep-going",
            help="record the lawful commands and report every refusal (exit 2 if any) instead of stopping",
        ),
    ] = False,
) -> None:
    """Record JSON commands, one object per line; all checked before anything is written."""
    commands = parse_lines(file)
    ledger = services(db).ledger
    started = time.perf_counter()
    refused: list[tuple[int, Exception]] = []
    with progress("recording", len(commands)) as advance:
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
        print(f"recorded {len(outcomes)} command(s), {events} event(s) in {elapsed:.2f}s")
    if refused:
        for _, error in refused:
            print(f"error: {error}", file=sys.stderr)
        raise typer.Exit(2)


def import_registry(
    file: Annotated[str, typer.Argument(help="a file of JSON command lines, or - for standard input")],
    db: Db = None,
    as_json: Json = False,
    batch: Annotated[int, typer.Option(min=1, help="commands per transaction")] = 1000,
) -> None:
    """Import a historical registry: the rules of ``ledger record``, nothing written on a refusal."""
    from ledger.application.bulk import import_commands

    ledger = services(db).ledger
    summary = import_commands(ledger, read_lines(file), batch=batch)
    _log().info("import.done", **summary.to_dict())
    if as_json:
        emit(True, summary.to_dict(), print)
    else:
        print(f"imported {summary.commands} command(s), {summary.events} event(s) in {summary.seconds:.2f}s")


def schema_commands() -> None:
    """The JSON Schema of every command."""
    from ledger.application.registry import default_registry

    print(json.dumps(default_registry().schema(), indent=2, ensure_ascii=False))


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
) -> None:
    """Record a synthetic, rule-abiding cohort and show what the ledger holds."""
    from ledger.bootstrap import redact
    from ledger.demo.run import default_candidates, demo_summary, record_demo, record_demo_in_chunks

    svc = services(db)
    ledger = svc.ledger
    if ledger.store.recorder.max_notification_id():
        raise InvalidCommand(
            f"the store {redact(svc.settings.db)} already holds events; give the demo a new --db"
        )
    wanted = candidates if candidates is not None else default_candidates(learners)
    started = time.perf_counter()
    on = date.today()
    if chunk:
        with progress("demo learners", learners) as advance:
            recorded = record_demo_in_chunks(ledger, seed, learners, wanted, on, chunk, batch, advance)
    else:
        with progress("demo", learners) as advance:
            recorded = record_demo(ledger, seed, learners, wanted, on, batch, None)
            advance(learners)
    summary = demo_summary(ledger, recorded, time.perf_counter() - started)
    summary["store"] = redact(svc.settings.db)
    emit(as_json, summary, print_summary)


def print_summary(s: dict[str, Any]) -> None:
    """Human rendering of the demo summary."""
    print(
        f"recorded {s['commands']} commands → {s['events']} events on {s['aggregates']} "
        f"aggregates in {s['seconds']}s"
    )
    print("\nevents by type:")
    for name, count in s["events_by_type"].items():
        print(f"  {name:<45} {count:>7}")
    print("\nend-of-4th attestations:", ", ".join(f"{k} {v}" for k, v in s["attestations"].items()))
    print("certificates:", ", ".join(f"{k}: {v}" for k, v in sorted(s["certificates"].items())))
    if s["sample_learner"]:
        print(f"\ntry: ledger learner show {s['sample_learner']}")
    print("     ledger certificate list | ledger events --limit 20")


def register(app: typer.Typer) -> None:
    """Add ``demo``, ``record``, ``import`` and ``schema``."""
    app.command("demo", help="record a synthetic cohort and show what the ledger holds")(demo)
    app.command("record", help="record JSON commands, one object per line")(record)
    app.command("import", help="import a historical registry (JSON command lines) in bulk")(import_registry)
    schema = typer.Typer(help="print JSON Schemas", no_args_is_help=True)
    schema.command("commands", help="the JSON Schema of every command")(schema_commands)
    app.add_typer(schema, name="schema")
