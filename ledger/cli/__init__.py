"""The ``ledger`` command line (Typer, rich): one module per verb group, plug-ins discovered.

Verb groups: :mod:`~ledger.cli.record` (demo, record, schema), :mod:`~ledger.cli.queries`
(learner, certificate, events, deadlines), :mod:`~ledger.cli.audit` (keys, audit),
:mod:`~ledger.cli.credentials` (credential), :mod:`~ledger.cli.server` (serve, up, tokens),
:mod:`~ledger.cli.witness` (witness).
Reader packages add theirs through the ``ledger.cli`` entry-point group
(:mod:`ledger.plugins`). Every verb has ``--help``; every query has ``--json``. Exit codes
are mapped once, in :func:`ledger.cli.common.exit_code`.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Annotated, Any

import typer

from ledger.cli import audit, credentials, queries, record, rules, server, witness
from ledger.cli.common import EXIT_OK, EXIT_REFUSED, report
from ledger.cli.lazy import root_command
from ledger.plugins import CLI_GROUP, Readers, discover


@dataclass
class CliState:
    """What the verbs share in one run: the readers plug-ins offer, the ``--debug`` flag."""

    readers: Readers = field(default_factory=Readers)
    debug: bool = False


def _root(
    ctx: typer.Context,
    log_level: Annotated[
        str | None,
        typer.Option(
            "--log-level", help="log level (env LEDGER_LOG_LEVEL; default WARNING)", show_default=False
        ),
    ] = None,
    debug: Annotated[bool, typer.Option("--debug", help="show tracebacks")] = False,
) -> None:
    """Event-sourced certification ledger (CPU, CléA)."""
    from ledger import logs
    from ledger.settings import Settings

    logs.configure(log_level or Settings.load().log_level)
    state: CliState = ctx.ensure_object(CliState)
    state.debug = debug


def build_app(readers: Readers | None = None) -> typer.Typer:
    """The whole ``ledger`` command tree, plug-ins included."""
    app = typer.Typer(
        name="ledger",
        no_args_is_help=True,
        add_completion=False,
        pretty_exceptions_enable=False,
        rich_markup_mode=None,
        context_settings={"help_option_names": ["-h", "--help"]},
    )
    app.callback()(_root)
    record.register(app)
    queries.register(app)
    audit.register(app)
    credentials.register(app)
    server.register(app)
    witness.register(app)
    rules.register(app)
    for _name, plugin in discover(CLI_GROUP):
        plugin(app, readers if readers is not None else Readers())
    return app


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI; returns the exit code."""
    state = CliState()
    command = root_command(build_app(state.readers), _root)
    args = list(sys.argv[1:] if argv is None else argv)
    try:
        result = command.main(args, prog_name="ledger", obj=state, standalone_mode=False)
    except typer.Exit as done:
        return int(done.exit_code)
    except typer.Abort:
        return 1
    except typer.TyperException as exc:  # a usage error: a bad flag or value (exit 2)
        show: Any = getattr(exc, "show", None)
        if show is not None:
            show()
        return int(getattr(exc, "exit_code", EXIT_REFUSED))
    except BrokenPipeError:
        return EXIT_OK
    except Exception as exc:
        if state.debug:
            raise
        return report(exc)
    return int(result) if isinstance(result, int) else EXIT_OK
