"""``--help`` in the reader's language, with an example for every verb.

Help texts are written in English in the verb modules (``help=`` and docstrings); they are the
msgids of the gettext catalogue (:mod:`ledger.i18n`). :func:`localise` translates a click command
(and its subcommands) once converted, and adds the verb's example (:func:`add_examples`, called by
each verb module's and plug-in's ``register``) as the help's epilog. :func:`help_messages` lists
every help text of a tree: ``make messages`` adds them to the catalogue template
(``python -m ledger.cli.help POT``), and a unit test checks each is translated.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

import typer
from typer._click.formatting import HelpFormatter

from ledger.i18n import N_, _

__all__ = ["EXAMPLES", "add_examples", "help_messages", "localise", "main", "walk", "write_template"]

EXAMPLES: dict[str, str] = {}
"""Verb path (``"learner find"``) → a complete example command line."""


def add_examples(examples: Mapping[str, str]) -> None:
    """Register the examples of a verb module or plug-in (verb path → command line)."""
    EXAMPLES.update(examples)


def walk(command: Any, path: tuple[str, ...] = ()) -> Iterator[tuple[tuple[str, ...], Any]]:
    """Every (path, click command) of a tree, the group itself first (converting lazy verbs)."""
    yield path, command
    if hasattr(command, "list_commands"):
        ctx = typer.Context(command)
        for name in command.list_commands(ctx):
            sub = command.get_command(ctx, name)
            if sub is not None:
                yield from walk(sub, (*path, name))


def _texts(command: Any) -> Iterator[str]:
    for text in (command.help, getattr(command, "short_help", None)):
        if text:
            yield text
    for param in command.params:
        if getattr(param, "help", None):
            yield param.help


def help_messages(root: Any) -> set[str]:
    """Every help text (command and option) of the tree under ``root``, in English."""
    return {text for _path, command in walk(root) for text in _texts(command)} | {
        N_("Example: {command}"),
        N_("Commands"),
        N_("Options"),
        N_("Arguments"),
        N_("Usage: "),
        N_("Show this message and exit."),
        N_("default: "),
        N_("required"),
    }


class _Formatter(HelpFormatter):
    """The help formatter of click, its headings in the reader's language."""

    def write_usage(self, prog: str, args: str = "", prefix: str | None = None) -> None:
        """``Usage:`` (``Utilisation :``) line."""
        super().write_usage(prog, args, prefix if prefix is not None else _("Usage: "))

    def write_dl(self, rows: Any, col_max: int = 30, col_spacing: int = 2) -> None:
        """Option rows; click's own help option text is translated here (it is made at display)."""
        super().write_dl(
            [(term, _extras(_(text)) if text else text) for term, text in rows], col_max, col_spacing
        )

    @contextmanager
    def section(self, name: str) -> Iterator[None]:
        """A titled section (``Options``, ``Arguments``, ``Commands``) in the current language."""
        with super().section(_(name)):
            yield


def _extras(text: str) -> str:
    """The ``[default: …; required]`` suffix click adds, in the current language."""
    if "[" not in text:
        return text
    head, bracket, tail = text.rpartition("[")
    tail = tail.replace("default: ", _("default: ")).replace("required", _("required"))
    return head + bracket + tail


class _Context(typer.Context):
    formatter_class = _Formatter


def localise(command: Any, path: tuple[str, ...]) -> Any:
    """Translate ``command``'s help (and its subcommands', converted already) and add examples."""
    if getattr(command, "_ledger_localised", False):
        return command
    command._ledger_localised = True
    command.context_class = _Context
    if command.help:
        command.help = _(command.help)
    if getattr(command, "short_help", None):
        command.short_help = _(command.short_help)
    for param in command.params:
        if getattr(param, "help", None):
            param.help = _(param.help)
    example = EXAMPLES.get(" ".join(path))
    if example:
        command.epilog = _("Example: {command}").format(command=example)
    for name, sub in getattr(command, "commands", {}).items():
        localise(sub, (*path, name))
    return command


def write_template(pot: str, root: Any) -> None:
    """Add the help texts of ``root`` to the catalogue template ``pot`` (``make messages``)."""
    from babel.messages.pofile import read_po, write_po

    with open(pot, "rb") as handle:
        catalog = read_po(handle)
    for text in sorted(help_messages(root)):
        if text not in catalog:
            catalog.add(text)
    with open(pot, "wb") as handle:
        write_po(handle, catalog, width=76, no_location=True, sort_output=True)


def main(argv: list[str] | None = None) -> None:
    """``make messages``: add every help text of the whole tree to the template named in ``argv``."""
    from ledger.cli import build_app

    write_template((argv or sys.argv[1:])[0], typer.main.get_command(build_app()))
