"""The Kafka CLI plug-in (entry-point group ``ledger.cli``): relay, topics, contract, consume.

Settings: ``--bootstrap`` (``$LEDGER_KAFKA``, default ``127.0.0.1:19092``), ``--topic-prefix``
(``$LEDGER_TOPIC_PREFIX``, default ``ledger``), ``$LEDGER_ORIGIN`` (CloudEvents source
``urn:ledger:<origin>``), read by the ledger's settings. A broker that cannot be reached exits 1
with a one-line message.
"""

from __future__ import annotations

import signal
import sys
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from ledger.cli.common import Db, Json, emit, services, settings
from ledger.cli.help import add_examples
from ledger.i18n import _
from ledger.plugins import Readers

if TYPE_CHECKING:
    from consumers.topics import KafkaSettings

# kafka-python, the contract's models, the consumers and structlog are imported inside the
# verbs: `ledger --help` and the other verbs do not pay for them.


def _log() -> Any:
    """The module's structured logger (structlog is imported on first use: start-up time)."""
    import structlog

    return structlog.get_logger("consumers.cli")


Bootstrap = Annotated[
    str | None,
    typer.Option(
        "--bootstrap", help="Kafka HOST:PORT (env LEDGER_KAFKA; default 127.0.0.1:19092)", show_default=False
    ),
]
Prefix = Annotated[
    str | None,
    typer.Option(
        "--topic-prefix",
        help="topic name prefix (env LEDGER_TOPIC_PREFIX; default ledger)",
        show_default=False,
    ),
]


def kafka_settings(bootstrap: str | None, prefix: str | None) -> KafkaSettings:
    """Where and under which names to publish: flags, then the ledger's settings."""
    from consumers.topics import KafkaSettings

    conf = settings(kafka=bootstrap, topic_prefix=prefix)
    return KafkaSettings.checked(conf.kafka, conf.topic_prefix, conf.origin)


def _stop_on_signals() -> threading.Event:
    stop = threading.Event()

    def handler(signum: int, frame: Any) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, handler)
    signal.signal(signal.SIGINT, handler)
    return stop


def _position(d: dict[str, Any]) -> str:
    """``position 12 of 40 (lag 28)`` in the current language."""
    return _("position {position} of {head} (lag {lag})").format(
        position=d["position"], head=d["head"], lag=d["lag"]
    )


def _broker_error(what: str, exc: Exception) -> typer.Exit:
    sys.stderr.write(
        _("error: {what}: {error}").format(what=what, error=f"{type(exc).__name__}: {exc}") + "\n"
    )
    return typer.Exit(1)


def relay_run(
    db: Db = None,
    as_json: Json = False,
    bootstrap: Bootstrap = None,
    topic_prefix: Prefix = None,
    once: Annotated[bool, typer.Option("--once", help="stop when caught up")] = False,
    batch: Annotated[
        int, typer.Option(min=1, help="events read from the store at a time (default 1000)")
    ] = 1000,
    no_wait: Annotated[
        bool,
        typer.Option("--no-wait", help="exit (code 2) instead of waiting when another relay holds the lock"),
    ] = False,
) -> None:
    """Publish every stored event to Kafka (CloudEvents), then follow live."""
    from consumers.relay import Relay

    conf = kafka_settings(bootstrap, topic_prefix)
    svc = services(db)
    relay = Relay(svc.store, svc.target, conf, batch_size=batch)
    try:
        published = relay.run(_stop_on_signals(), once=once, wait_lock=not no_wait)
        status = relay.follower.status().to_dict()
    finally:
        relay.close()
    emit(
        as_json,
        {"published": published, "skipped": relay.handler.skipped, **status},
        lambda d: print(
            _("published {published} event(s) ({skipped} already on the topics); {position}").format(
                published=d["published"], skipped=d["skipped"], position=_position(d)
            )
        ),
    )


def relay_status(
    db: Db = None, as_json: Json = False, bootstrap: Bootstrap = None, topic_prefix: Prefix = None
) -> None:
    """Show the relay's position, the head of the store and the lag."""
    from consumers.relay import RelayFollower, RelayHandler

    conf = kafka_settings(bootstrap, topic_prefix)
    svc = services(db)
    follower = RelayFollower(svc.store, svc.target, RelayHandler(svc.store, conf))
    status = follower.status().to_dict()
    follower.close()
    emit(
        as_json,
        status,
        lambda d: print(f"{d['name']}: {_position(d)}"),
    )


def topics_create(
    bootstrap: Bootstrap = None,
    topic_prefix: Prefix = None,
    as_json: Json = False,
    profile: Annotated[
        str, typer.Option(help="production: 12 partitions, replication 3, min ISR 2; test: replication 1")
    ] = "production",
) -> None:
    """Create the event and dead-letter topics with the profile's settings."""
    from consumers.topics import create_topics

    if profile not in {"production", "test"}:
        raise typer.BadParameter(f"--profile must be production or test: {profile!r}")
    conf = kafka_settings(bootstrap, topic_prefix)
    try:
        result = create_topics(conf, profile)
    except Exception as exc:
        raise _broker_error(f"cannot create topics on {conf.bootstrap}", exc) from None
    states = {"created": _("created"), "exists": _("exists")}
    emit(as_json, result, lambda d: print("\n".join(f"{n}: {states.get(s, s)}" for n, s in d.items())))


def contract_write(
    directory: Annotated[
        str | None, typer.Option("--dir", help="target directory (default: the package's schemas/)")
    ] = None,
    against: Annotated[
        str,
        typer.Option(
            "--against",
            help="git revision holding the released schemas (every earlier committed version counts too)",
        ),
    ] = "HEAD",
    released_dir: Annotated[
        str | None,
        typer.Option("--released-dir", help="a directory of released schemas instead of git history"),
    ] = None,
    check: Annotated[
        bool,
        typer.Option("--check", help="write nothing; exit 1 if a schema would change (2 if a change breaks)"),
    ] = False,
    as_json: Json = False,
) -> None:
    """Write the JSON Schema of every message type, refusing changes that break a released one."""
    from consumers.contract import SCHEMA_DIR, check_schemas

    target = Path(directory) if directory else SCHEMA_DIR
    report = check_schemas(
        target, against=against, released_dir=Path(released_dir) if released_dir else None, write=not check
    )
    emit(
        as_json,
        report,
        lambda d: print(
            (
                _("{count} schema(s) to write in {directory} (checked against {released})")
                if check
                else _("{count} schema(s) written in {directory} (checked against {released})")
            ).format(count=len(d["changed"]), directory=d["directory"], released=d["released"])
        ),
    )
    if check and report["changed"]:
        raise typer.Exit(1)


def consume(
    consumer: Annotated[str, typer.Argument(help="registry: certificates; notifier: notification outbox")],
    db: Annotated[
        str, typer.Option("--db", help="the consumer's OWN database: SQLite file or postgresql:// URL")
    ],
    as_json: Json = False,
    bootstrap: Bootstrap = None,
    topic_prefix: Prefix = None,
    group_: Annotated[
        str | None, typer.Option("--group", help="consumer group (default <prefix>.<consumer>)")
    ] = None,
    until_idle: Annotated[
        float | None, typer.Option(help="stop after this many seconds without a record")
    ] = None,
    replay_dead_letters: Annotated[
        bool,
        typer.Option(
            "--replay-dead-letters",
            help="apply the consumer's parked records again (what still fails is parked again) and exit",
        ),
    ] = False,
) -> None:
    """Run a downstream consumer into its own database."""
    from kafka.errors import KafkaError

    from consumers.notifier import Notifier
    from consumers.registry import CertificateRegistry
    from consumers.runner import ConsumerRunner
    from ledger.bootstrap import redact

    if consumer not in {"registry", "notifier"}:
        raise typer.BadParameter(f"choose registry or notifier: {consumer!r}")
    conf = kafka_settings(bootstrap, topic_prefix)
    handler: Any = CertificateRegistry() if consumer == "registry" else Notifier()
    runner = ConsumerRunner(handler, db, conf, group=group_)
    try:
        counts = (
            runner.replay_dead_letters()
            if replay_dead_letters
            else runner.run(_stop_on_signals(), until_idle=until_idle)
        )
        totals = runner.counters()
    except KafkaError as exc:
        raise _broker_error(f"cannot consume from {conf.bootstrap}", exc) from None
    finally:
        runner.close()
    emit(
        as_json,
        {
            "consumer": consumer,
            "db": redact(db),
            "applied": counts.applied,
            "duplicates": counts.duplicates,
            "parked": counts.parked,
            "totals": totals,
        },
        lambda d: print(
            _(
                "{consumer}: applied {applied}, duplicates {duplicates}, parked {parked} (totals {totals})"
            ).format(**d)
        ),
    )


def register(app: typer.Typer, readers: Readers) -> None:
    """Add ``relay``, ``topics``, ``contract`` and ``consume``."""
    add_examples(
        {
            "consume": "ledger consume registry --db registre.db --until-idle",
            "relay run": "ledger relay run --db ecole.db --bootstrap 127.0.0.1:9092",
            "relay status": "ledger relay status --db ecole.db --bootstrap 127.0.0.1:9092",
            "topics create": "ledger topics create --bootstrap 127.0.0.1:9092 --profile test",
            "contract write-schemas": "ledger contract write-schemas --check",
        }
    )
    relay = typer.Typer(help="publish stored events to Kafka as CloudEvents", no_args_is_help=True)
    relay.command("run", help="publish from the last position, then follow live")(relay_run)
    relay.command("status", help="the relay's position and lag")(relay_status)
    app.add_typer(relay, name="relay")
    topics = typer.Typer(help="Kafka topics", no_args_is_help=True)
    topics.command("create", help="create the event and dead-letter topics")(topics_create)
    app.add_typer(topics, name="topics")
    contract = typer.Typer(help="the wire contract of published messages", no_args_is_help=True)
    contract.command(
        "write-schemas",
        help="write consumers/schemas/*.json from the models, refusing changes that break a released schema",
    )(contract_write)
    app.add_typer(contract, name="contract")
    app.command("consume", help="run a downstream consumer")(consume)
