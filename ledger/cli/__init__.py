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

import difflib
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Annotated, Any

import typer
from typer._click import exceptions as click  # typer vendors click: its usage errors are these

from ledger import i18n
from ledger.cli import audit, credentials, queries, record, rules, server, witness
from ledger.cli.common import EXIT_OK, EXIT_REFUSED, report
from ledger.cli.lazy import root_command
from ledger.i18n import _
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
    lang: Annotated[
        str | None,
        typer.Option("--lang", help="language of what you read: fr or en (env LEDGER_LANG; default fr)"),
    ] = None,
) -> None:
    """Event-sourced certification ledger (CPU, CléA).

    Example: ledger learner find Dupont --db ecole.db
    """
    from ledger import logs
    from ledger.settings import Settings

    logs.configure(log_level or Settings.load().log_level)
    if lang is not None:  # main() already took --lang out of the line and applied it
        i18n.use(lang)
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
    args = list(sys.argv[1:] if argv is None else argv)
    try:
        from ledger.settings import Settings

        args, lang = _take_language(args)
        i18n.use(lang or Settings.load().lang)
    except (i18n.UnknownLanguage, ValueError) as exc:
        sys.stderr.write(f"error: {exc}\n")
        return EXIT_REFUSED
    command = root_command(build_app(state.readers), _root)
    try:
        result = command.main(args, prog_name="ledger", obj=state, standalone_mode=False)
    except typer.Exit as done:
        return int(done.exit_code)
    except typer.Abort:
        return 1
    except click.UsageError as exc:  # a bad verb, flag or value (exit 2), with suggestions
        return usage_error(exc)
    except typer.TyperException as exc:
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


def _take_language(args: list[str]) -> tuple[list[str], str | None]:
    """``--lang X`` / ``--lang=X`` anywhere on the line (before or after the verb), taken out."""
    rest: list[str] = []
    lang: str | None = None
    index = 0
    while index < len(args):
        arg = args[index]
        if arg == "--":
            rest.extend(args[index:])
            break
        if arg == "--lang" and index + 1 < len(args):
            lang, index = args[index + 1], index + 2
            continue
        if arg.startswith("--lang="):
            lang = arg.split("=", 1)[1]
        else:
            rest.append(arg)
        index += 1
    return rest, lang


def _invalid_value(exc: click.UsageError, message: str) -> str:
    """An invalid option value: the option named, the reason in the current language.

    typer checks a value with pydantic: its errors are read from their type.
    """
    import re

    from pydantic import ValidationError

    head, _sep, detail = message.partition(":")
    cause = exc.__cause__
    if isinstance(cause, ValidationError):
        from ledger.application.registry import field_error
        from ledger.i18n.validation import field_message

        detail = "; ".join(field_message(field_error(err)) for err in cause.errors()[:5])
    named = re.search(r"for (['\"][^'\"]+['\"])", head)
    if named:
        return _("invalid value for {name}: {detail}").format(name=named[1], detail=detail.strip())
    return _("invalid value: {detail}").format(detail=detail.strip() or message)


def usage_error(exc: click.UsageError) -> int:
    """Print a usage error in the current language, with the closest verbs for a mistyped one."""
    ctx = exc.ctx
    if ctx is not None:
        sys.stderr.write(ctx.get_usage() + "\n")
    message = exc.format_message()
    command: Any = ctx.command if ctx is not None else None
    if isinstance(exc, click.NoSuchOption):
        message = _("unknown option {name!r}").format(name=exc.option_name)
        if exc.possibilities:
            message += " — " + _("did you mean {names}?").format(names=", ".join(sorted(exc.possibilities)))
    elif message.startswith("No such command") and hasattr(command, "list_commands"):
        typed = message.split("'")[1] if "'" in message else ""
        known = command.list_commands(ctx) if ctx is not None else []
        close = difflib.get_close_matches(typed, known, n=3, cutoff=0.5)
        message = _("unknown command {name!r}").format(name=typed)
        if close:
            message += " — " + _("did you mean {names}?").format(names=", ".join(close))
        else:
            message += " — " + _("known: {names}").format(names=", ".join(known))
    elif message.startswith("Missing argument"):
        message = _("missing argument: {detail}").format(detail=message.split(" ", 2)[-1])
    elif message.startswith("Invalid value"):
        message = _invalid_value(exc, message)
    sys.stderr.write(_("error: {error}").format(error=message) + "\n")
    return int(exc.exit_code or EXIT_REFUSED)
