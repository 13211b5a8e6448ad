"""The ``ledger`` command line.

Every verb has ``--help``; every query has ``--json``. Exit codes: 0 success; 2 a refused
command or bad input (nothing written); 3 a concurrency conflict (retry); 1 an unexpected
failure. The store is ``--db PATH|postgresql://…`` or ``$LEDGER_DB`` (default ``ledger.db``).
"""

from __future__ import annotations

import argparse
import importlib
import importlib.util
import itertools
import json
import os
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any
from uuid import UUID

import orjson
import structlog

from ledger import logs
from ledger.domain.errors import ConcurrencyConflict, InvalidCommand, LedgerError

Handler = Callable[[argparse.Namespace], int]
log = structlog.get_logger("ledger.cli")


# ---------------------------------------------------------------------------- wiring
def open_target(args: argparse.Namespace) -> Any:
    """The store target named by ``--db``."""
    from ledger.adapters.store import StoreTarget

    return StoreTarget.parse(args.db)


def open_ledger(args: argparse.Namespace) -> Any:
    """Compose the ledger: store, identity store, clock (the only composition root)."""
    from ledger.adapters.identity import SqlIdentityStore
    from ledger.adapters.store import StoreTarget, open_store
    from ledger.application import Ledger

    target = StoreTarget.parse(args.db)
    try:
        store = open_store(target)
        identities = SqlIdentityStore(target.connect(), target.placeholder)
    except Exception as exc:
        raise StoreUnavailable(f"cannot open the store {redact(args.db)}: {exc}") from exc
    return Ledger(store, identities)


class StoreUnavailable(Exception):
    """The store could not be opened (exit 1, no traceback)."""


def redact(location: str) -> str:
    """Hide a password in a database URL."""
    if "://" in location and "@" in location:
        scheme, rest = location.split("://", 1)
        creds, host = rest.rsplit("@", 1)
        return f"{scheme}://{creds.split(':', 1)[0]}:***@{host}"
    return location


def emit(args: argparse.Namespace, data: Any, human: Callable[[Any], None]) -> None:
    """Print ``data`` as JSON with ``--json``, else with the human formatter."""
    if getattr(args, "json", False):
        sys.stdout.write(orjson.dumps(data, option=orjson.OPT_INDENT_2).decode() + "\n")
    else:
        human(data)


def table(rows: Sequence[dict[str, Any]], columns: Sequence[str]) -> None:
    """Print rows as an aligned text table."""
    cells = [[_cell(r.get(c)) for c in columns] for r in rows]
    widths = [max([len(c)] + [len(row[i]) for row in cells]) for i, c in enumerate(columns)]
    print("  ".join(c.ljust(w) for c, w in zip(columns, widths, strict=True)))
    for row in cells:
        print("  ".join(v.ljust(w) for v, w in zip(row, widths, strict=True)))


def _cell(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False)[:60]
    return str(value)


# ---------------------------------------------------------------------------- record
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


def parse_lines(source: str) -> list[Any]:
    """Parse and validate every command line before anything is recorded."""
    from ledger.commands import parse_command

    parsed = []
    for number, line in read_lines(source):
        try:
            raw = orjson.loads(line)
        except orjson.JSONDecodeError as exc:
            raise InvalidCommand(f"line {number}: malformed JSON ({exc})") from None
        try:
            parsed.append(parse_command(raw))
        except InvalidCommand as exc:
            raise InvalidCommand(f"line {number}: {exc}") from None
    return parsed


def cmd_record(args: argparse.Namespace) -> int:
    """Record JSON commands, one per line; all checked before anything is written."""
    from ledger.progress import Progress

    commands = parse_lines(args.file)
    ledger = open_ledger(args)
    bar = Progress("recording", len(commands))
    started = time.perf_counter()
    outcomes = ledger.execute_all(commands, batch=args.batch, progress=bar.advance)
    bar.close()
    elapsed = time.perf_counter() - started
    events = sum(len(o.events) for o in outcomes)
    log.info("record.done", commands=len(outcomes), events=events, seconds=round(elapsed, 3))
    if args.json:
        emit(args, {"commands": len(outcomes), "events": events, "seconds": elapsed,
                    "outcomes": [o.to_dict() for o in outcomes]}, print)
    else:
        print(f"recorded {len(outcomes)} command(s), {events} event(s) in {elapsed:.2f}s")
    return 0


def cmd_schema(args: argparse.Namespace) -> int:
    """Print the JSON Schema of every command."""
    from ledger.application import Ledger  # noqa: F401 - registers every regime's commands
    from ledger.commands import commands_schema

    _install_all_commands()
    print(json.dumps(commands_schema(), indent=2, ensure_ascii=False))
    return 0


def _install_all_commands() -> None:
    try:
        from ledger.clea_commands import (  # type: ignore[import-not-found,unused-ignore]
            register_commands,
        )
    except ImportError:  # the CléA regime is optional at this stage
        return
    register_commands()


# ---------------------------------------------------------------------------- demo
def cmd_demo(args: argparse.Namespace) -> int:
    """Record a synthetic, rule-abiding cohort and show what the ledger holds."""
    from ledger.commands import parse_command
    from ledger.demo.cpu import demo_commands, resolve_refs
    from ledger.progress import Progress

    ledger = open_ledger(args)
    if ledger.store.recorder.max_notification_id():
        raise InvalidCommand(f"the store {redact(args.db)} already holds events; "
                             "give the demo a new --db")
    candidates = args.candidates if args.candidates is not None else _default_candidates(args)
    started = time.perf_counter()
    if args.chunk:
        recorded = _demo_in_chunks(ledger, args, candidates)
    else:
        raw = list(demo_commands(args.seed, args.learners, candidates, date.today()))
        bar = Progress("demo", len(raw))
        parsed = (parse_command(resolve_refs(ledger, r)) for r in raw)
        recorded = len(ledger.execute_all(parsed, batch=args.batch, progress=bar.advance))
        bar.close()
    elapsed = time.perf_counter() - started
    summary = demo_summary(ledger, recorded, elapsed)
    summary["store"] = redact(args.db)
    emit(args, summary, print_summary)
    return 0


def _demo_in_chunks(ledger: Any, args: argparse.Namespace, candidates: int) -> int:
    """Record the cohort chunk by chunk (national scale: memory stays flat)."""
    from ledger.commands import parse_command
    from ledger.demo.cpu import cpu_chunks, resolve_refs
    from ledger.progress import Progress

    bar = Progress("demo learners", args.learners)
    recorded = 0
    for chunk in cpu_chunks(args.seed, args.learners, args.chunk):
        parsed = (parse_command(resolve_refs(ledger, r)) for r in chunk)
        recorded += len(ledger.execute_all(parsed, batch=args.batch))
        ledger.forget_cache()
        bar.advance(args.chunk)
    bar.close()
    if candidates:
        import random as _random

        from ledger.demo.clea import clea_commands  # type: ignore[import-not-found,unused-ignore]

        rng = _random.Random(f"{args.seed}/clea")
        stream = iter(clea_commands(rng, candidates, date.today()))
        while chunk_of := list(itertools.islice(stream, args.chunk * 30)):
            parsed = (parse_command(resolve_refs(ledger, r)) for r in chunk_of)
            recorded += len(ledger.execute_all(parsed, batch=args.batch))
            ledger.forget_cache()
    return recorded


def _default_candidates(args: argparse.Namespace) -> int:
    try:
        import ledger.demo.clea  # type: ignore[import-not-found,unused-ignore]  # noqa: F401
    except ImportError:
        return 0
    return max(int(args.learners) // 10, 5)


def demo_summary(ledger: Any, commands: int, seconds: float) -> dict[str, Any]:
    """Counts by event type, certificates, attestations and a sample of the log."""
    from ledger.adapters.store import iter_notifications
    from ledger.queries import EventFilter, attestation_counts, certificates, events

    counts: Counter[str] = Counter()
    aggregates: set[UUID] = set()
    for n in iter_notifications(ledger.store):
        counts[n.topic.rsplit(":", 1)[-1]] += 1
        aggregates.add(UUID(str(n.originator_id)))
    certs = certificates(ledger.store)
    return {
        "commands": commands, "seconds": round(seconds, 2),
        "events": sum(counts.values()), "aggregates": len(aggregates),
        "events_by_type": dict(sorted(counts.items())),
        "attestations": attestation_counts(ledger.store),
        "certificates": dict(Counter(f"{c.kind} {c.status}" for c in certs)),
        "sample_learner": next((str(c.learner_id) for c in certs), None),
        "first_events": list(events(ledger.store, EventFilter(), limit=5)),
    }


def print_summary(s: dict[str, Any]) -> None:
    """Human rendering of the demo summary."""
    print(f"recorded {s['commands']} commands → {s['events']} events on {s['aggregates']} "
          f"aggregates in {s['seconds']}s")
    print("\nevents by type:")
    for name, count in s["events_by_type"].items():
        print(f"  {name:<45} {count:>7}")
    print("\nend-of-4th attestations:", ", ".join(f"{k} {v}" for k, v in s["attestations"].items()))
    print("certificates:", ", ".join(f"{k}: {v}" for k, v in sorted(s["certificates"].items())))
    if s["sample_learner"]:
        print(f"\ntry: ledger learner show {s['sample_learner']}")
    print("     ledger certificate list | ledger events --limit 20")


# ---------------------------------------------------------------------------- queries
def _uuid(value: str, kind: str) -> UUID:
    try:
        return UUID(value)
    except ValueError:
        raise InvalidCommand(f"not a valid {kind} id: {value!r}") from None


def cmd_learner_show(args: argparse.Namespace) -> int:
    """Show a learner's dossier."""
    from ledger.cli_projections import learner_view

    ledger = open_ledger(args)
    learner_id = _uuid(args.id, "learner")
    dossier = learner_view(args, ledger, learner_id)  # read model when up to date, else replay
    if args.with_identity:
        identity = ledger.identities.get(learner_id)
        dossier["identity"] = identity.model_dump(mode="json") if identity else None
    emit(args, dossier, print_dossier)
    return 0


def cmd_learner_erase(args: argparse.Namespace) -> int:
    """Erase a learner's personal data (an authorised decision; the decisions stay)."""
    from ledger.commands import parse_command
    from ledger.domain.cpu.aggregates import Learner

    ledger = open_ledger(args)
    learner_id = _uuid(args.id, "learner")
    learner = ledger.get(learner_id)
    if not isinstance(learner, Learner):
        raise InvalidCommand(f"{learner_id} is not a CPU learner (CléA candidates hold no identity)")
    outcome = ledger.execute(parse_command({
        "command": "EraseLearner", "learner_id": str(learner_id), "reason": args.reason,
        "actor_id": args.actor, "actor_role": args.role, "body": args.body,
        "effective_date": (args.date or datetime.now(UTC).date()).isoformat(),
        "fase": learner.fase}))
    emit(args, outcome.to_dict(), lambda o: print(
        f"erased personal data of {learner_id}; decision recorded at position {o['positions']}"))
    return 0


def print_dossier(d: dict[str, Any]) -> None:
    """Human rendering of a dossier."""
    if d.get("regime") == "clea":
        print_clea_dossier(d)
        return
    print(f"learner {d['learner_id']} — CPU, {d['option']} ({d['form']}), year {d['year']}"
          f" in {d['school_year']}{' (C2D)' if d['c2d'] else ''}")
    print(f"school: FASE {d['fase']} {d['school']} ({d['locality']}); profile "
          f"{d['profile_version']}; admitted by route {d['route']}")
    if d.get("identity"):
        i = d["identity"]
        print(f"identity: {i['given_name']} {i['family_name']}, born {i['birth_date']}")
    print()
    table([{**u, "validated on": (u["validated"] or {}).get("effective_date"),
            "via": (u["validated"] or {}).get("via"), "by": (u["validated"] or {}).get("body"),
            "attempts": len(u["attempts"])} for u in d["units"]],
          ["uaa", "year", "status", "validated on", "via", "by", "attempts", "remediation"])
    for a in d["attestations"]:
        print(f"attestation {a['kind']} for {a['school_year']}-{a['school_year'] + 1} "
              f"({a['effective_date']}, {a['body']})")
    for c in d["c2d_decisions"]:
        print(f"C2D decision: {c['outcome']} ({c['effective_date']})")
    for x in d["pending_deadlines"]:
        print(f"deadline: {x['kind']} due {x['due_by']}{' — OVERDUE' if x['overdue'] else ''}")
    for x in d["late"]:
        print(f"late: {x['type']} (due {x['due_by']})")
    for c in d["certificates"]:
        print(f"certificate {c['kind']} {c['certificate_id']} [{c['status']}] "
              f"{c['effective_date']} basis {c['basis']}")


def print_clea_dossier(d: dict[str, Any]) -> None:
    """Human rendering of a CléA candidate: domains, window, plan, jury, certificate."""
    org = d["organisation"]
    print(f"candidate {d['candidate_id']} — {d['certificate_type']}, evaluator SIRET "
          f"{org['evaluator_siret']} ({org['region']}); referential {d['referential_version']}")
    window = d.get("window")
    if window:
        state = "EXPIRED" if window["expired"] else "open"
        print(f"window: évaluation préalable {window['opened_on']}, ends {window['ends_on']} ({state})")
    for label, key in (("acquired", "acquired"), ("missing", "missing")):
        for dom in d["domains"][key]:
            print(f"  {label:<9} {dom['code']:<5} {dom['label']}")
    plan = d.get("plan")
    if plan:
        print(f"plan: {', '.join(plan['domains'])} ({plan['planned_hours']} h), assigned "
              f"{plan['assigned_on']}, completed {plan['completed_on'] or '-'}")
    jury = d.get("jury")
    if jury:
        sides = ", ".join(m["side"] for m in jury["members"])
        print(f"jury {jury['body']} on {jury['decided_on']}: awarded={jury['awarded']} ({sides})")
    cert = d.get("certificate")
    if cert:
        print(f"certificate {cert['certificate_id']} by {cert['issuer']} on {cert['issued_on']}")
    acc = d.get("accrochage")
    if acc:
        print(f"accrochage (SI CPF): {acc['status']}, due {acc['due_by']}")
    for item in d.get("deadlines", []):
        print(f"deadline: {item['kind']} {item['due_by']}")


def cmd_certificate_list(args: argparse.Namespace) -> int:
    """List every certificate with its status."""
    from ledger.queries import certificates

    ledger = open_ledger(args)
    rows = [r.to_dict() for r in certificates(ledger.store)
            if (not args.kind or r.kind == args.kind) and (not args.status or r.status == args.status)]
    emit(args, rows, print_certificates)
    return 0


def print_certificates(rows: list[dict[str, Any]]) -> None:
    """Human rendering of the certificate list."""
    table(rows, ["certificate_id", "kind", "status", "issued_on", "basis", "learner_id", "position"])
    print(f"{len(rows)} certificate(s)")


def print_mapping(row: dict[str, Any]) -> None:
    """Human rendering of one record."""
    for key, value in row.items():
        print(f"{key}: {value}")


def cmd_certificate_show(args: argparse.Namespace) -> int:
    """Show one certificate."""
    from ledger.queries import certificate

    ledger = open_ledger(args)
    row = certificate(ledger.store, str(_uuid(args.id, "certificate")))
    emit(args, row, print_mapping)
    return 0


def cmd_events(args: argparse.Namespace) -> int:
    """Show the log with zero-based global positions, filtered."""
    from ledger.queries import EventFilter, events

    flt = EventFilter(learner=_uuid(args.learner, "learner") if args.learner else None,
                      fase=args.school, type_contains=args.type, since=args.since,
                      until=args.until)
    ledger = open_ledger(args)
    rows = list(events(ledger.store, flt, limit=args.limit, start=args.start))
    emit(args, rows, lambda rs: table(rs, ["position", "type", "aggregate_id", "version",
                                           "effective_date", "body", "legal_basis"]))
    return 0


# ---------------------------------------------------------------------------- parser
def iso_date(value: str) -> date:
    """Argparse type: an ISO date."""
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not an ISO date (YYYY-MM-DD): {value!r}") from None


def positive_int(value: str) -> int:
    """Argparse type: a whole number, 0 or more."""
    try:
        number = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {value!r}") from None
    if number < 0:
        raise argparse.ArgumentTypeError(f"must be 0 or more: {value!r}")
    return number


class Parser(argparse.ArgumentParser):
    """argparse with exit code 2 and a one-line error (never a traceback)."""

    def error(self, message: str) -> Any:
        """Print usage and the error, exit 2."""
        self.print_usage(sys.stderr)
        sys.stderr.write(f"error: {message}\n")
        raise SystemExit(2)


def add_store_args(p: argparse.ArgumentParser, json_flag: bool = True) -> None:
    """Add ``--db`` (and ``--json``) to a verb."""
    p.add_argument("--db", default=os.environ.get("LEDGER_DB", "ledger.db"),
                   help="SQLite file or postgresql:// URL (env LEDGER_DB; default ledger.db)")
    if json_flag:
        p.add_argument("--json", action="store_true", help="print JSON")


def _register_queries(sub: Any) -> None:
    """The query verbs: learner, certificate, events."""
    p = sub.add_parser("learner", help="learner queries")
    lsub = p.add_subparsers(dest="what", required=True, parser_class=Parser)
    s = lsub.add_parser("show", help="a learner's dossier d'apprentissage")
    add_store_args(s)
    s.add_argument("id", help="learner id (UUID)")
    s.add_argument("--with-identity", action="store_true", help="include personal data")
    from ledger.cli_projections import add_learner_show_args

    add_learner_show_args(s)
    s.set_defaults(func=cmd_learner_show)
    s = lsub.add_parser("erase", help="erase a learner's personal data (decisions stay)")
    add_store_args(s)
    s.add_argument("id", help="learner id (UUID)")
    s.add_argument("--reason", required=True, help="the lawful reason (recorded)")
    s.add_argument("--actor", required=True, help="id of the person authorising the erasure")
    s.add_argument("--role", default="administration", help="actor role (default administration)")
    s.add_argument("--body", default="administration", choices=["administration", "direction"])
    s.add_argument("--date", type=iso_date, default=None, help="effective date (default today)")
    s.set_defaults(func=cmd_learner_erase)

    p = sub.add_parser("certificate", help="certificate queries")
    csub = p.add_subparsers(dest="what", required=True, parser_class=Parser)
    s = csub.add_parser("list", help="every certificate with its status")
    add_store_args(s)
    s.add_argument("--kind", help="CQ, CE6P, CLEA, …")
    s.add_argument("--status", choices=["active", "revoked"])
    s.set_defaults(func=cmd_certificate_list)
    s = csub.add_parser("show", help="one certificate")
    add_store_args(s)
    s.add_argument("id", help="certificate id (UUID)")
    s.set_defaults(func=cmd_certificate_show)

    p = sub.add_parser("events", help="the log with zero-based global positions")
    add_store_args(p)
    p.add_argument("--learner", help="only this learner's events")
    p.add_argument("--school", type=int, help="only events of learners at this FASE")
    p.add_argument("--type", help="event type contains this text (e.g. Validated)")
    p.add_argument("--since", type=iso_date, help="effective on or after (YYYY-MM-DD)")
    p.add_argument("--until", type=iso_date, help="effective on or before (YYYY-MM-DD)")
    p.add_argument("--start", type=positive_int, default=0, help="first position to read")
    p.add_argument("--limit", type=positive_int, default=None, help="at most this many")
    p.set_defaults(func=cmd_events)


def build_parser() -> argparse.ArgumentParser:
    """The whole ``ledger`` command tree."""
    parser = Parser(prog="ledger", description="Event-sourced certification ledger (CPU, CléA).")
    parser.add_argument("--log-level", default=os.environ.get("LEDGER_LOG_LEVEL", "WARNING"))
    parser.add_argument("--debug", action="store_true", help="show tracebacks")
    sub = parser.add_subparsers(dest="verb", required=True, parser_class=Parser)

    p = sub.add_parser("demo", help="record a synthetic cohort and show what the ledger holds")
    add_store_args(p)
    p.add_argument("--learners", type=positive_int, default=200, help="CPU learners (default 200)")
    p.add_argument("--candidates", type=positive_int, default=None,
                   help="CléA candidates (default learners/10)")
    p.add_argument("--seed", type=int, default=1, help="random seed (same seed, same cohort)")
    p.add_argument("--batch", type=positive_int, default=500, help="commands per transaction")
    p.add_argument("--chunk", type=positive_int, default=0,
                   help="record learners in chunks of this size (bounded memory; 0 = all at once)")
    p.set_defaults(func=cmd_demo)

    p = sub.add_parser("record", help="record JSON commands, one object per line")
    add_store_args(p)
    p.add_argument("file", help="a file of JSON lines, or - for standard input")
    p.add_argument("--batch", type=positive_int, default=1,
                   help="commands per transaction (default 1: one decision per save)")
    p.set_defaults(func=cmd_record)

    p = sub.add_parser("schema", help="print JSON Schemas")
    ssub = p.add_subparsers(dest="what", required=True, parser_class=Parser)
    s = ssub.add_parser("commands", help="the JSON Schema of every command")
    s.set_defaults(func=cmd_schema)

    _register_queries(sub)
    for register in _EXTENSIONS:
        register(sub)
    for module in EXTENSION_MODULES:
        if importlib.util.find_spec(module) is not None:
            importlib.import_module(module).register(sub)
    return parser


_EXTENSIONS: list[Callable[[Any], None]] = []
# Verb groups living in their own modules; each defines ``register(subparsers)``.
EXTENSION_MODULES = (
    "ledger.cli_projections",   # projections run|rebuild|status, stats, certificate history
    "ledger.cli_audit",         # keys, audit checkpoint|prove|verify-proof|consistency|verify
    "ledger.cli_kafka",         # relay run, consume, topics create
    "ledger.cli_credentials",   # credential export|verify
    "ledger.cli_api",           # serve, up, tokens
    "ledger.cli_bench",         # bench all (beside bench record)
)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI; returns the exit code."""
    args = build_parser().parse_args(argv)
    logs.configure(args.log_level)
    func: Handler = args.func
    try:
        return func(args)
    except ConcurrencyConflict as exc:
        sys.stderr.write(f"conflict: {exc}\n")
        return 3
    except LedgerError as exc:
        sys.stderr.write(f"error: {exc}\n")
        return 2
    except StoreUnavailable as exc:
        sys.stderr.write(f"error: {exc}\n")
        return 1
    except BrokenPipeError:
        return 0
    except Exception as exc:
        if args.debug:
            raise
        sys.stderr.write(f"internal error: {type(exc).__name__}: {exc} (rerun with --debug)\n")
        return 1



def cmd_bench_record(args: argparse.Namespace) -> int:
    """Time ledger record against bare eventsourcing, same events, same run."""
    from ledger.bench import bench_record, print_rows

    rows = bench_record(learners=args.learners, seed=args.seed, pg_url=args.pg)
    emit(args, rows, print_rows)
    return 0


def cmd_deadlines_check(args: argparse.Namespace) -> int:
    """List (and with --record, record) deadlines passed without their decision."""
    from ledger.adapters.store import iter_notifications
    from ledger.commands import RecordMissedDeadline
    from ledger.domain.cpu.aggregates import Learner

    ledger = open_ledger(args)
    as_of: date = args.as_of or datetime.now(UTC).date()
    topic = "ledger.domain.cpu.aggregates:Learner.Admitted"
    rows, commands = [], []
    for n in iter_notifications(ledger.store, topics=(topic,)):
        learner: Learner = ledger.store.repository.get(n.originator_id)
        recorded = {(d.kind, d.due_by) for d in learner.of_type(Learner.DeadlineMissed)}
        for kind, due_by, school_year in learner.overdue(as_of):
            done = (kind, due_by) in recorded
            rows.append({"learner_id": str(learner.id), "fase": learner.fase, "kind": kind.value,
                         "due_by": due_by.isoformat(), "school_year": school_year,
                         "recorded": done})
            if not done:
                commands.append(RecordMissedDeadline(
                    command="RecordMissedDeadline", learner_id=learner.id, kind=kind,
                    actor_id="ledger-deadline-watch", actor_role="system", body="administration",
                    effective_date=as_of, fase=learner.fase))
    if args.record and commands:
        ledger.execute_all(commands, batch=200)
        for row in rows:
            row["recorded"] = True
    emit(args, rows, lambda rs: (table(rs, ["learner_id", "fase", "kind", "due_by", "recorded"])))
    return 0


def _register_deadlines(sub: Any) -> None:
    p = sub.add_parser("deadlines", help="legal deadlines passed without their decision")
    dsub = p.add_subparsers(dest="what", required=True, parser_class=Parser)
    s = dsub.add_parser("check", help="list overdue PSSA, C2D decisions and competence reports")
    add_store_args(s)
    s.add_argument("--as-of", type=iso_date, default=None, help="date to check (default today)")
    s.add_argument("--record", action="store_true",
                   help="record each as a DeadlineMissed event (once per deadline)")
    s.set_defaults(func=cmd_deadlines_check)


def _register_bench(sub: Any) -> None:
    p = sub.add_parser("bench", help="benchmarks printing figures side by side")
    bsub = p.add_subparsers(dest="what", required=True, parser_class=Parser)
    s = bsub.add_parser("record", help="ledger record vs a bare eventsourcing Application")
    s.add_argument("--learners", type=positive_int, default=300, help="demo learners (default 300)")
    s.add_argument("--seed", type=int, default=1)
    s.add_argument("--pg", help="postgresql:// URL to measure PostgreSQL too")
    s.add_argument("--json", action="store_true", help="print JSON")
    s.set_defaults(func=cmd_bench_record)


_EXTENSIONS.extend([_register_bench, _register_deadlines])


if __name__ == "__main__":
    raise SystemExit(main())
