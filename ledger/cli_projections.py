"""CLI verbs of the read models: projections, statistics, certificate history, as-of dossiers.

``projections run|rebuild|status``, ``stats school|clea``, ``certificate history``, and the
dossier reader behind ``learner show`` (read model when up to date, replay otherwise;
``--as-of-effective`` / ``--as-recorded-at`` replay the log).
"""

from __future__ import annotations

import argparse
import csv
import signal
import sys
import threading
from datetime import UTC, date, datetime
from pathlib import Path
from types import FrameType
from typing import Any
from uuid import UUID

import structlog

from ledger.adapters.follower import DEFAULT_BATCH
from ledger.cli import Parser, add_store_args, emit, iso_date, open_ledger, open_target, positive_int, table
from ledger.domain.errors import InvalidCommand, UnknownEntity

log = structlog.get_logger("ledger.cli.projections")


# ---------------------------------------------------------------------------- projections
def _followers(args: argparse.Namespace, name: str | None) -> tuple[Any, list[Any]]:
    from projections.registry import followers

    ledger = open_ledger(args)
    return ledger, followers(ledger.store, open_target(args), name, args.batch)


def cmd_run(args: argparse.Namespace) -> int:
    """Catch up every (or one) read model, then follow live unless ``--once``."""
    from projections.registry import catch_up, run

    _, fols = _followers(args, args.name)
    applied = catch_up(fols)
    if args.once:
        print(f"caught up: {applied} event(s) applied")
        return 0
    stop = threading.Event()

    def _stop(signum: int, frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    log.info("projections.following", projections=[f.handler.name for f in fols], poll=args.poll)
    run(fols, stop, poll=args.poll)
    return 0


def cmd_rebuild(args: argparse.Namespace) -> int:
    """Forget a read model and apply the whole log again from zero."""
    from projections.registry import rebuild

    _, fols = _followers(args, args.name)
    applied = rebuild(fols)
    log.info("projection.rebuilt", projection=args.name, applied=applied)
    print(f"rebuilt {args.name}: {applied} event(s) applied")
    return 0


def cmd_status(args: argparse.Namespace) -> int:
    """Position and lag of every read model."""
    _, fols = _followers(args, None)
    rows = []
    for fol in fols:
        status = fol.status().to_dict()
        status["name"] = status["name"].removeprefix("projection:")
        rows.append(status)
    emit(args, rows, lambda rs: table(rs, ["name", "position", "head", "lag"]))
    return 0


# ---------------------------------------------------------------------------- stats
def _caught_up_db(args: argparse.Namespace, name: str) -> Any:
    return _caught_up(args, name).db


def _caught_up(args: argparse.Namespace, name: str) -> Any:
    """The follower of read model ``name``, caught up unless ``--stale``."""
    from projections.registry import follower

    ledger = open_ledger(args)
    fol = follower(ledger.store, open_target(args), name)
    if not args.stale:
        fol.catch_up()
    return fol


def _today(args: argparse.Namespace) -> date:
    return args.today or datetime.now(UTC).date()


def _output(args: argparse.Namespace, data: Any, rows: list[dict[str, Any]], html: str | None) -> None:
    if html is not None and args.html:
        Path(args.html).write_text(html, encoding="utf-8")
        log.info("stats.html_written", bytes=len(html))
    if args.csv:
        writer = csv.DictWriter(sys.stdout, fieldnames=list(rows[0]) if rows else ["empty"])
        writer.writeheader()
        writer.writerows(rows)
    elif args.json or not args.html:
        emit(args, data, lambda d: table(rows, list(rows[0]) if rows else ["empty"]))


def cmd_stats_school(args: argparse.Namespace) -> int:
    """Statistics of one school from the ``stats`` read model."""
    from ledger.reference import cpu as ref
    from projections.html import school_report
    from projections.stats_cpu import MAINTENANCE_NORM_DEFAULT, NormConfig, csv_rows, school_stats

    ref.school(args.fase)
    config = NormConfig(args.thematique_commune,
                        args.maintenance_norm if args.maintenance_norm is not None
                        else MAINTENANCE_NORM_DEFAULT, args.maintenance_norm is None)
    stats = school_stats(_caught_up_db(args, "stats"), args.fase, _today(args), config)
    _output(args, stats, csv_rows(stats), school_report(stats) if args.html else None)
    return 0


def cmd_stats_clea(args: argparse.Namespace) -> int:
    """CléA statistics by evaluator organisation and region."""
    from projections.html import clea_report
    from projections.stats_clea import clea_stats

    stats = clea_stats(_caught_up_db(args, "stats"), _today(args))
    _output(args, stats, stats["organisations"], clea_report(stats) if args.html else None)
    return 0


# ---------------------------------------------------------------------------- certificates
def cmd_certificate_history(args: argparse.Namespace) -> int:
    """The chain of decisions behind and after one certificate."""
    from projections.history import certificate_history

    cert = _parse_uuid(args.id, "certificate")
    fol = _caught_up(args, "history")
    history = certificate_history(fol.db, fol.store, str(cert))
    emit(args, history, _print_history)
    return 0


def _print_history(h: dict[str, Any]) -> None:
    print(f"certificate {h['certificate_id']} ({h['kind']}, {h['status']}) of {h['holder_id']}, "
          f"issued at position {h['issued_position']}")
    rows = [{**e, "voided by": e["voided_by_version"]} for e in h["chain"]]
    table(rows, ["position", "version", "step", "type", "effective_date", "recorded_at", "actor",
                 "role", "body", "legal_basis", "voided by"])


def _parse_uuid(value: str, kind: str) -> UUID:
    try:
        return UUID(value)
    except ValueError:
        raise InvalidCommand(f"not a valid {kind} id: {value!r}") from None


# ---------------------------------------------------------------------------- learner show
def learner_view(args: argparse.Namespace, ledger: Any, learner_id: UUID) -> dict[str, Any]:
    """The dossier for ``learner show``: as of a date, or current (read model or replay)."""
    if getattr(args, "as_of_effective", None) is not None:
        from projections.asof import as_of_effective

        return as_of_effective(ledger.store, learner_id, args.as_of_effective)
    if getattr(args, "as_recorded_at", None) is not None:
        from projections.asof import as_recorded_at

        return as_recorded_at(ledger.store, learner_id, args.as_recorded_at)
    today = datetime.now(UTC).date()
    stored = _stored_dossier(args, ledger, learner_id, today)
    if stored is not None:
        return stored
    from ledger.queries import learner_dossier

    log.info("learner.show", source="replay")
    result: dict[str, Any] = learner_dossier(ledger.store, learner_id, today)
    return result


def _stored_dossier(args: argparse.Namespace, ledger: Any, learner_id: UUID,
                    today: date) -> dict[str, Any] | None:
    from ledger.adapters.follower import Db
    from projections.dossier import refresh, stored

    head = ledger.store.recorder.select_events(learner_id, desc=True, limit=1)
    if not head:
        raise UnknownEntity("learner", learner_id)
    db = Db(open_target(args))
    try:
        found = stored(db, ledger.store, learner_id)
    except Exception:  # the read model was never built here: replay instead
        return None
    finally:
        db.close()
    if found is None or found[0] != head[0].originator_version:
        return None
    log.info("learner.show", source="read_model")
    return refresh(found[1], today)


def iso_datetime(value: str) -> datetime:
    """Argparse type: an ISO date-time (UTC when no offset is given)."""
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"not an ISO date-time (YYYY-MM-DDTHH:MM[:SS][+HH:MM]): {value!r}") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def add_learner_show_args(p: argparse.ArgumentParser) -> None:
    """``--as-of-effective`` and ``--as-recorded-at`` for ``learner show``."""
    group = p.add_mutually_exclusive_group()
    group.add_argument("--as-of-effective", type=iso_date, metavar="DATE",
                       help="the dossier from decisions effective on or before DATE")
    group.add_argument("--as-recorded-at", type=iso_datetime, metavar="DATETIME",
                       help="the dossier as recorded at DATETIME (later corrections listed)")


# ---------------------------------------------------------------------------- parser
def _sub(parent: argparse.ArgumentParser) -> Any:
    for action in parent._actions:
        if isinstance(action, argparse._SubParsersAction):
            return action
    raise LookupError("no sub-commands")


def _stats_args(p: argparse.ArgumentParser) -> None:
    add_store_args(p)
    p.add_argument("--csv", action="store_true", help="print CSV rows")
    p.add_argument("--html", metavar="FILE", help="write a self-contained HTML report")
    p.add_argument("--today", type=iso_date, help="reading date for overdue/expired (default today)")
    p.add_argument("--stale", action="store_true", help="do not catch the read model up first")


def register(sub: Any) -> None:
    """Register ``projections``, ``stats`` and ``certificate history``."""
    p = sub.add_parser("projections", help="read models: run, rebuild, status")
    psub = p.add_subparsers(dest="what", required=True, parser_class=Parser)
    s = psub.add_parser("run", help="catch up, then follow live (--once: catch up and exit)")
    add_store_args(s, json_flag=False)
    s.add_argument("name", nargs="?", help="dossier, stats or history (default: all)")
    s.add_argument("--once", action="store_true", help="catch up and exit")
    s.add_argument("--batch", type=positive_int, default=DEFAULT_BATCH,
                   help=f"events per transaction (default {DEFAULT_BATCH})")
    s.add_argument("--poll", type=float, default=0.2, help="seconds between polls (default 0.2)")
    s.set_defaults(func=cmd_run)
    s = psub.add_parser("rebuild", help="rebuild one read model from zero")
    add_store_args(s, json_flag=False)
    s.add_argument("name", help="dossier, stats or history")
    s.add_argument("--batch", type=positive_int, default=DEFAULT_BATCH,
                   help=f"events per transaction (default {DEFAULT_BATCH})")
    s.set_defaults(func=cmd_rebuild)
    s = psub.add_parser("status", help="position and lag of every read model")
    add_store_args(s)
    s.set_defaults(func=cmd_status, batch=500)

    p = sub.add_parser("stats", help="statistics from the read models")
    ssub = p.add_subparsers(dest="what", required=True, parser_class=Parser)
    s = ssub.add_parser("school", help="a school's enrolment, norms, periods, pass rates, cohorts")
    _stats_args(s)
    s.add_argument("fase", type=positive_int, help="the school's FASE number")
    s.add_argument("--thematique-commune", action="store_true",
                   help="the option is a thématique commune of its bassin (creation norm 10/8)")
    s.add_argument("--maintenance-norm", type=positive_int, default=None,
                   help="the organic 5th-year maintenance norm (default: an assumed value)")
    s.set_defaults(func=cmd_stats_school)
    s = ssub.add_parser("clea", help="CléA statistics by evaluator organisation and region")
    _stats_args(s)
    s.set_defaults(func=cmd_stats_clea)

    cert = _sub(sub.choices["certificate"])
    s = cert.add_parser("history", help="the chain of decisions behind and after a certificate")
    add_store_args(s)
    s.add_argument("id", help="certificate id (UUID)")
    s.set_defaults(func=cmd_certificate_history, stale=False)
