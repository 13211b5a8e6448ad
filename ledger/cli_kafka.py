"""CLI verbs for Kafka: relay run|status, topics create, contract write-schemas, consume.

Settings: ``--bootstrap`` (``$LEDGER_KAFKA``, default ``127.0.0.1:19092``), ``--topic-prefix``
(``$LEDGER_TOPIC_PREFIX``, default ``ledger``), ``$LEDGER_ORIGIN`` (CloudEvents source
``urn:ledger:<origin>``). A broker that cannot be reached exits 1 with a one-line message.
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
import threading
from pathlib import Path
from typing import Any

import structlog

from ledger.cli import Parser, add_store_args, emit, open_ledger, open_target, positive_int, redact

log = structlog.get_logger("ledger.cli_kafka")


def _settings(args: argparse.Namespace) -> Any:
    from consumers.topics import KafkaSettings

    return KafkaSettings.from_env(os.environ, args.bootstrap, args.topic_prefix)


def _stop_on_signals() -> threading.Event:
    stop = threading.Event()

    def handler(signum: int, frame: Any) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, handler)
    signal.signal(signal.SIGINT, handler)
    return stop


def _broker_error(what: str, exc: Exception) -> int:
    sys.stderr.write(f"error: {what}: {type(exc).__name__}: {exc}\n")
    return 1


def cmd_relay_run(args: argparse.Namespace) -> int:
    """Publish every stored event to Kafka (CloudEvents), then follow live."""
    from consumers.relay import Relay

    settings = _settings(args)
    ledger = open_ledger(args)
    relay = Relay(ledger.store, open_target(args), settings, batch_size=args.batch)
    try:
        published = relay.run(_stop_on_signals(), once=args.once, wait_lock=not args.no_wait)
        status = relay.follower.status().to_dict()
    finally:
        relay.close()
    emit(args, {"published": published, "skipped": relay.handler.skipped, **status},
         lambda d: print(f"published {d['published']} event(s) ({d['skipped']} already on the topics);"
                         f" position {d['position']} of {d['head']} (lag {d['lag']})"))
    return 0


def cmd_relay_status(args: argparse.Namespace) -> int:
    """Show the relay's position, the head of the store and the lag."""
    from consumers.relay import RelayFollower, RelayHandler

    settings = _settings(args)
    ledger = open_ledger(args)
    follower = RelayFollower(ledger.store, open_target(args), RelayHandler(ledger.store, settings))
    status = follower.status().to_dict()
    follower.close()
    emit(args, status, lambda d: print(f"{d['name']}: position {d['position']} of {d['head']} "
                                       f"(lag {d['lag']})"))
    return 0


def cmd_topics_create(args: argparse.Namespace) -> int:
    """Create the event and dead-letter topics with the profile's settings."""
    from consumers.topics import create_topics

    settings = _settings(args)
    try:
        result = create_topics(settings, args.profile)
    except Exception as exc:
        return _broker_error(f"cannot create topics on {settings.bootstrap}", exc)
    emit(args, result, lambda d: print("\n".join(f"{name}: {state}" for name, state in d.items())))
    return 0


def cmd_contract_write(args: argparse.Namespace) -> int:
    """Write the JSON Schema of every message type (refusing changes that break released ones)."""
    from consumers.contract import SCHEMA_DIR, check_schemas

    directory = Path(args.dir) if args.dir else SCHEMA_DIR
    released = Path(args.released_dir) if args.released_dir else None
    report = check_schemas(directory, against=args.against, released_dir=released,
                           write=not args.check)
    emit(args, report, lambda d: print(f"{len(d['changed'])} schema(s) "
                                       f"{'to write' if args.check else 'written'} in {d['directory']}"
                                       f" (checked against {d['released']})"))
    return 1 if args.check and report["changed"] else 0


def cmd_consume(args: argparse.Namespace) -> int:
    """Run a downstream consumer into its own database."""
    from consumers.notifier import Notifier
    from consumers.registry import CertificateRegistry
    from consumers.runner import ConsumerRunner

    settings = _settings(args)
    handler: Any = CertificateRegistry() if args.consumer == "registry" else Notifier()
    runner = ConsumerRunner(handler, args.db, settings, group=args.group)
    try:
        counts = (runner.replay_dead_letters() if args.replay_dead_letters
                  else runner.run(_stop_on_signals(), until_idle=args.until_idle))
        totals = runner.counters()
    except Exception as exc:
        from kafka.errors import KafkaError

        if isinstance(exc, KafkaError):
            return _broker_error(f"cannot consume from {settings.bootstrap}", exc)
        raise
    finally:
        runner.close()
    emit(args, {"consumer": args.consumer, "db": redact(args.db), "applied": counts.applied,
                "duplicates": counts.duplicates, "parked": counts.parked, "totals": totals},
         lambda d: print(f"{d['consumer']}: applied {d['applied']}, duplicates {d['duplicates']}, "
                         f"parked {d['parked']} (totals {d['totals']})"))
    return 0


def _kafka_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--bootstrap", help="Kafka HOST:PORT (env LEDGER_KAFKA; default 127.0.0.1:19092)")
    p.add_argument("--topic-prefix", help="topic name prefix (env LEDGER_TOPIC_PREFIX; default ledger)")


def register(sub: Any) -> None:
    """Add ``relay``, ``topics``, ``contract`` and ``consume`` to the CLI."""
    p = sub.add_parser("relay", help="publish stored events to Kafka as CloudEvents")
    rsub = p.add_subparsers(dest="what", required=True, parser_class=Parser)
    s = rsub.add_parser("run", help="publish from the last position, then follow live")
    add_store_args(s)
    _kafka_args(s)
    s.add_argument("--once", action="store_true", help="stop when caught up")
    s.add_argument("--batch", type=positive_int, default=1000,
                   help="events read from the store at a time (default 1000)")
    s.add_argument("--no-wait", action="store_true",
                   help="exit (code 2) instead of waiting when another relay holds the lock")
    s.set_defaults(func=cmd_relay_run)
    s = rsub.add_parser("status", help="the relay's position and lag")
    add_store_args(s)
    _kafka_args(s)
    s.set_defaults(func=cmd_relay_status)

    p = sub.add_parser("topics", help="Kafka topics")
    tsub = p.add_subparsers(dest="what", required=True, parser_class=Parser)
    s = tsub.add_parser("create", help="create the event and dead-letter topics")
    _kafka_args(s)
    s.add_argument("--profile", choices=["production", "test"], default="production",
                   help="production: 12 partitions, replication 3, min ISR 2; test: replication 1")
    s.add_argument("--json", action="store_true", help="print JSON")
    s.set_defaults(func=cmd_topics_create)

    p = sub.add_parser("contract", help="the wire contract of published messages")
    csub = p.add_subparsers(dest="what", required=True, parser_class=Parser)
    s = csub.add_parser("write-schemas", help="write consumers/schemas/*.json from the models, "
                                              "refusing changes that break a released schema")
    s.add_argument("--dir", help="target directory (default: the package's schemas/)")
    s.add_argument("--against", default="HEAD",
                   help="git revision holding the released schemas (default HEAD; every earlier "
                        "committed version counts too)")
    s.add_argument("--released-dir", help="a directory of released schemas instead of git")
    s.add_argument("--check", action="store_true",
                   help="write nothing; exit 1 if a schema would change (2 if a change breaks)")
    s.add_argument("--json", action="store_true", help="print JSON")
    s.set_defaults(func=cmd_contract_write)

    p = sub.add_parser("consume", help="run a downstream consumer")
    p.add_argument("consumer", choices=["registry", "notifier"],
                   help="registry: certificates; notifier: notification outbox")
    p.add_argument("--db", required=True,
                   help="the consumer's OWN database: SQLite file or postgresql:// URL")
    p.add_argument("--json", action="store_true", help="print JSON")
    _kafka_args(p)
    p.add_argument("--group", help="consumer group (default <prefix>.<consumer>)")
    p.add_argument("--until-idle", type=float, default=None,
                   help="stop after this many seconds without a record")
    p.add_argument("--replay-dead-letters", action="store_true",
                   help="apply the consumer's parked records again (what still fails is parked "
                        "again) and exit")
    p.set_defaults(func=cmd_consume)
