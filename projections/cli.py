"""The read models' CLI plug-in (entry-point group ``ledger.cli``).

``projections run|rebuild|status``, ``stats school|clea``, ``certificate history``; and the
readers ``learner show`` and ``certificate list|show`` ask first: the stored dossier and the
certificate index, used while their read model is current.
"""

from __future__ import annotations

import signal
import sys
import threading
from datetime import date
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING, Annotated, Any
from uuid import UUID

import typer

from ledger.adapters.target import DEFAULT_BATCH
from ledger.cli.common import Db as DbOption
from ledger.cli.common import Json, emit, group, parse_date, parse_uuid, services, table, today, whole_number
from ledger.cli.help import add_examples
from ledger.domain.errors import InvalidCommand, UnknownEntity
from ledger.i18n import _, ngettext
from ledger.plugins import Readers

if TYPE_CHECKING:
    from eventsourcing.application import Application

    from ledger.adapters.follower import Follower
    from ledger.application.queries import CertificateIndex
    from ledger.bootstrap import Services


def _log() -> Any:
    """The module's structured logger (structlog is imported on first use: start-up time)."""
    import structlog

    return structlog.get_logger("ledger.cli.projections")


Batch = Annotated[int, typer.Option(min=0, help=f"events per transaction (default {DEFAULT_BATCH})")]
Csv = Annotated[bool, typer.Option("--csv", help="print CSV rows (French Excel unless --csv-format rfc4180)")]
CsvFormatOption = Annotated[
    str,
    typer.Option(
        "--csv-format",
        help="excel-fr (default: ';', UTF-8 with BOM, decimal comma) or rfc4180 (',', decimal point)",
    ),
]
Html = Annotated[
    str | None, typer.Option("--html", metavar="FILE", help="write a self-contained HTML report")
]
Today = Annotated[
    str | None, typer.Option("--today", help="reading date for overdue/expired (default today)")
]
Stale = Annotated[bool, typer.Option("--stale", help="do not catch the read model up first")]


# ---------------------------------------------------------------------------- projections
def _followers(svc: Services, name: str | None, batch: int) -> list[Follower]:
    from projections import registry

    return registry.followers(svc.store, svc.target, name, batch)


def run(
    db: DbOption = None,
    name: Annotated[str | None, typer.Argument(help="dossier, stats, history or law (default: all)")] = None,
    once: Annotated[bool, typer.Option("--once", help="catch up and exit")] = False,
    batch: Batch = DEFAULT_BATCH,
    poll: Annotated[float, typer.Option(help="seconds between polls (default 0.2)")] = 0.2,
) -> None:
    """Catch up every (or one) read model, then follow live unless ``--once``."""
    from projections import registry

    svc = services(db)
    fols = _followers(svc, name, batch)
    applied = registry.catch_up(fols, svc.settings.read_ahead_min_lag)
    if once:
        print(f"caught up: {applied} event(s) applied")
        return
    stop = threading.Event()

    def _stop(signum: int, frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    _log().info("projections.following", projections=[f.handler.name for f in fols], poll=poll)
    registry.run(fols, stop, poll=poll, min_lag=svc.settings.read_ahead_min_lag)


def rebuild(
    name: Annotated[str | None, typer.Argument(help="dossier, stats, history or law (default: all)")] = None,
    db: DbOption = None,
    batch: Batch = DEFAULT_BATCH,
    processes: Annotated[
        int | None,
        typer.Option(
            "--processes",
            min=1,
            max=16,
            help="processes splitting the log by learner (SQLite; 1: one process; default: 2 "
            "with a second core, from 20,000 events)",
        ),
    ] = None,
) -> None:
    """Forget every (or one) read model and apply the whole log again from zero."""
    from ledger.adapters.store import open_store
    from ledger.cli.common import progress
    from projections import registry

    svc = services(db)
    target, cache_size = svc.target, svc.settings.cache_size
    min_lag = svc.settings.read_ahead_min_lag
    # only the log and the read models stay open: no other connection may cross the fork of
    # a partitioned rebuild's workers (projections.partition)
    svc.close()
    store = open_store(target, cache_size)
    label = name or ", ".join(registry.names())
    head = int(store.recorder.max_notification_id() or 0)
    with progress(_("rebuilding {name}").format(name=label), head) as advance:
        reached = [0]

        def moved(position: int) -> None:
            advance(max(position - reached[0], 0))
            reached[0] = max(position, reached[0])

        applied = registry.rebuild(
            registry.followers(store, target, name, batch),
            min_lag=min_lag,
            on_progress=moved,
            processes=processes,
        )
    _log().info("projection.rebuilt", projection=label, applied=applied)
    done = (
        ngettext("rebuilt {name}: {count} event applied", "rebuilt {name}: {count} events applied", applied)
        if name
        else ngettext(
            "rebuilt every read model ({name}): {count} event applied",
            "rebuilt every read model ({name}): {count} events applied",
            applied,
        )
    )
    print(done.format(name=label, count=applied))


def status(db: DbOption = None, as_json: Json = False) -> None:
    """Position and lag of every read model."""
    rows = []
    for fol in _followers(services(db), None, 500):
        row = fol.status().to_dict()
        row["name"] = row["name"].removeprefix("projection:")
        rows.append(row)
    emit(as_json, rows, lambda rs: table(rs, ["name", "position", "head", "lag"]))


# ---------------------------------------------------------------------------- stats
def _caught_up(db: str | None, name: str, stale: bool) -> Follower:
    """The follower of read model ``name``, caught up unless ``stale``."""
    from projections import registry

    svc = services(db)
    fol = registry.follower(svc.store, svc.target, name)
    if not stale:
        fol.catch_up()
    return fol


def _output(
    as_json: bool,
    as_csv: bool,
    html_file: str | None,
    data: Any,
    rows: list[dict[str, Any]],
    html: str | None,
    csv_format: str = "excel-fr",
) -> None:
    if html is not None and html_file:
        Path(html_file).write_text(html, encoding="utf-8")
        _log().info("stats.html_written", bytes=len(html))
    if as_csv:
        from projections.export import FORMATS, write_csv

        if csv_format not in FORMATS:
            raise InvalidCommand(
                _("unknown CSV format {name!r}: expected {known}").format(
                    name=csv_format, known=", ".join(FORMATS)
                )
            )
        sys.stdout.flush()
        write_csv(rows, sys.stdout.buffer, csv_format)
    elif as_json or not html_file:
        emit(as_json, data, lambda d: table(rows, list(rows[0]) if rows else ["empty"]))


def _day(value: str | None) -> date:
    return parse_date(value) if value is not None else today()


def stats_school(
    fase: Annotated[int, typer.Argument(parser=whole_number, help="the school's FASE number")],
    db: DbOption = None,
    as_json: Json = False,
    as_csv: Csv = False,
    csv_format: CsvFormatOption = "excel-fr",
    html: Html = None,
    on: Today = None,
    stale: Stale = False,
    thematique_commune: Annotated[
        bool,
        typer.Option(
            "--thematique-commune",
            help="the option is a thématique commune of its bassin (creation norm 10/8)",
        ),
    ] = False,
    maintenance_norm: Annotated[
        int | None,
        typer.Option(min=0, help="the organic 5th-year maintenance norm (default: an assumed value)"),
    ] = None,
) -> None:
    """Statistics of one school from the ``stats`` read model."""
    from ledger.reference import cpu as ref
    from projections.html import school_report
    from projections.law_facts import add_law_columns, law_html, school_law_facts
    from projections.stats_cpu import MAINTENANCE_NORM_DEFAULT, NormConfig, csv_rows, school_stats

    ref.school(fase)
    config = NormConfig(
        thematique_commune,
        maintenance_norm if maintenance_norm is not None else MAINTENANCE_NORM_DEFAULT,
        maintenance_norm is None,
    )
    stats = school_stats(_caught_up(db, "stats", stale).db, fase, _day(on), config)
    stats["law"] = law = school_law_facts(_caught_up(db, "law", stale).db, fase)
    report = school_report(stats, law_html(law)) if html else None
    _output(as_json, as_csv, html, stats, add_law_columns(csv_rows(stats), law), report, csv_format)


def stats_clea(
    db: DbOption = None,
    as_json: Json = False,
    as_csv: Csv = False,
    csv_format: CsvFormatOption = "excel-fr",
    html: Html = None,
    on: Today = None,
    stale: Stale = False,
) -> None:
    """CléA statistics by evaluator organisation and region."""
    from projections.html import clea_report
    from projections.stats_clea import clea_stats

    stats = clea_stats(_caught_up(db, "stats", stale).db, _day(on))
    _output(
        as_json, as_csv, html, stats, stats["organisations"], clea_report(stats) if html else None, csv_format
    )


# ---------------------------------------------------------------------------- certificates
def history(
    ident: Annotated[str, typer.Argument(metavar="ID", help="certificate id (UUID)")],
    db: DbOption = None,
    as_json: Json = False,
) -> None:
    """The chain of decisions behind and after one certificate."""
    from projections.history import certificate_history

    cert = parse_uuid(ident, "certificate")
    fol = _caught_up(db, "history", False)
    emit(as_json, certificate_history(fol.db, fol.store, str(cert)), _print_history)


def _print_history(h: dict[str, Any]) -> None:
    from ledger.i18n.vocabulary import label

    print(
        _("certificate {certificate} ({kind}, {status}) of {holder}, issued at position {position}").format(
            certificate=h["certificate_id"],
            kind=label(h["kind"]),
            status=label(h["status"]),
            holder=h["holder_id"],
            position=h["issued_position"],
        )
    )
    rows = [{**e, "voided by": e["voided_by_version"]} for e in h["chain"]]
    table(
        rows,
        [
            "position",
            "version",
            "step",
            "type",
            "effective_date",
            "recorded_at",
            "actor",
            "role",
            "body",
            "legal_basis",
            "voided by",
        ],
    )


# ---------------------------------------------------------------------------- learner show
def stored_dossier(svc: Services, learner_id: UUID, day: date) -> dict[str, Any] | None:
    """The dossier read model's copy when it holds the learner's last version, else ``None``."""
    from ledger.adapters.follower import Db
    from projections.dossier import refresh, stored

    head = svc.store.recorder.select_events(learner_id, desc=True, limit=1)
    if not head:
        raise UnknownEntity("learner", learner_id)
    db = Db(svc.target)
    try:
        found = stored(db, svc.store, learner_id)
    except Exception:  # the read model was never built here: replay instead
        return None
    finally:
        db.close()
    if found is None or found[0] != head[0].originator_version:
        return None
    result: dict[str, Any] = refresh(found[1], day)
    return result


def certificate_index(store: Application[UUID]) -> CertificateIndex:
    """The certificate index read model over ``store`` (loaded when first asked for)."""
    from projections.index import HistoryCertificateIndex

    return HistoryCertificateIndex(store)


# ---------------------------------------------------------------------------- register
def register(app: typer.Typer, readers: Readers) -> None:
    """Add ``projections``, ``stats`` and ``certificate history``; offer the readers.

    Only light modules are imported here: each verb loads the read models it runs.
    """
    add_examples(
        {
            "certificate history": "ledger certificate history 9b2e --db ecole.db",
            "projections run": "ledger projections run stats --once --db ecole.db",
            "projections rebuild": "ledger projections rebuild stats --db ecole.db",
            "projections status": "ledger projections status --db ecole.db",
            "stats school": "ledger stats school 1234 --html rapport-ecole.html --db ecole.db",
            "stats clea": "ledger stats clea --csv --db clea.db > clea.csv",
        }
    )
    readers.certificate_index = certificate_index
    readers.stored_dossier = stored_dossier
    proj = typer.Typer(help="read models: run, rebuild, status", no_args_is_help=True)
    proj.command("run", help="catch up, then follow live (--once: catch up and exit)")(run)
    proj.command("rebuild", help="rebuild every (or one) read model from zero")(rebuild)
    proj.command("status", help="position and lag of every read model")(status)
    app.add_typer(proj, name="projections")
    stats = typer.Typer(help="statistics from the read models", no_args_is_help=True)
    stats.command("school", help="a school's enrolment, norms, periods, pass rates, cohorts")(stats_school)
    stats.command("clea", help="CléA statistics by evaluator organisation and region")(stats_clea)
    app.add_typer(stats, name="stats")
    group(app, "certificate").command(
        "history", help="the chain of decisions behind and after a certificate"
    )(history)
