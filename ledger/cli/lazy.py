"""A root verb group that turns a verb into a click command only when it is run (start-up time).

Typer converts every registered function into a click command up front, evaluating each
signature's type hints: about 80 functions for the whole tree. :class:`LazyVerbs` keeps the
Typer tree built by :func:`ledger.cli.build_app` and converts only the verb (or verb group)
named on the command line; ``ledger --help`` lists the verbs from their registered help
without converting any of them.
"""

from __future__ import annotations

from typing import Any

import typer
from typer.core import TyperGroup
from typer.models import CommandInfo, DefaultPlaceholder, TyperInfo

from ledger.cli.help import localise
from ledger.i18n import _


def _value(setting: Any) -> Any:
    """A Typer setting's value (Typer wraps the ones left at their default)."""
    return setting.value if isinstance(setting, DefaultPlaceholder) else setting


def _name(info: CommandInfo | TyperInfo) -> str:
    if isinstance(info, TyperInfo):
        name = _value(info.name)
        if not name and info.typer_instance is not None:
            name = _value(info.typer_instance.info.name)
        return str(name or "")
    if isinstance(_value(info.name), str):
        return str(_value(info.name))
    assert info.callback is not None
    return typer.main.get_command_name(info.callback.__name__)


def _help(info: CommandInfo | TyperInfo) -> str:
    """The help text a verb was registered with (its docstring when none)."""
    candidates: list[Any] = [_value(info.help)]
    if isinstance(info, TyperInfo) and info.typer_instance is not None:
        candidates.append(_value(info.typer_instance.info.help))
        callback = _value(info.callback) or info.typer_instance.registered_callback
        candidates.append(getattr(callback, "callback", callback))
    else:
        candidates.append(info.callback)
    for candidate in candidates:
        text = candidate if isinstance(candidate, str) else getattr(candidate, "__doc__", None)
        if isinstance(text, str) and text.strip():
            return text
    return ""


def _short(text: str, limit: int) -> str:
    """The first sentence of a help text on one line, within ``limit`` characters (click's rule)."""
    words = text.split("\n\n", 1)[0].split()
    if words and words[0] == "\b":
        words = words[1:]
    length = 0
    for i, word in enumerate(words):
        length += len(word) + (i > 0)
        if length > limit:
            break
        if word.endswith("."):
            return " ".join(words[: i + 1])
        if length == limit and i != len(words) - 1:
            break
    else:
        return " ".join(words)
    length += 3
    while i > 0:
        length -= len(words[i]) + 1
        if length <= limit:
            break
        i -= 1
    return " ".join(words[:i]) + "..."


class LazyVerbs(TyperGroup):
    """The root group: verbs come from a Typer app and are converted on first use."""

    tree: typer.Typer | None = None

    def _entries(self) -> dict[str, CommandInfo | TyperInfo]:
        assert self.tree is not None
        entries: dict[str, CommandInfo | TyperInfo] = {}
        infos: list[CommandInfo | TyperInfo] = [*self.tree.registered_commands, *self.tree.registered_groups]
        for info in infos:
            if not (isinstance(info, CommandInfo) and info.hidden):
                entries[_name(info)] = info
        return entries

    def list_commands(self, ctx: Any) -> list[str]:
        """Every verb, in registration order."""
        return list(self._entries())

    def get_command(self, ctx: Any, cmd_name: str) -> Any:
        """The click command of one verb, converted now (and kept)."""
        if cmd_name in self.commands:
            return self.commands[cmd_name]
        info = self._entries().get(cmd_name)
        if info is None:
            return None
        assert self.tree is not None
        holder = typer.Typer(rich_markup_mode=self.tree.rich_markup_mode, pretty_exceptions_enable=False)
        holder.callback()(lambda: None)
        if isinstance(info, TyperInfo):
            holder.registered_groups.append(info)
        else:
            holder.registered_commands.append(info)
        converted = typer.main.get_command(holder)
        assert isinstance(converted, TyperGroup)
        command = localise(converted.commands[cmd_name], (cmd_name,))
        self.add_command(command, cmd_name)
        return command

    def format_commands(self, ctx: Any, formatter: Any) -> None:
        """List the verbs with the first sentence of their help, converting none of them."""
        rows = []
        limit = formatter.width - 6 - max((len(n) for n in self._entries()), default=0)
        for name, info in self._entries().items():
            rows.append((name, _short(_(_help(info)), limit)))
        if rows:
            with formatter.section(_("Commands")):
                formatter.write_dl(rows)


def root_command(tree: typer.Typer, callback: Any) -> LazyVerbs:
    """The ``ledger`` root command: ``callback``'s options, the verbs of ``tree`` (lazily)."""
    root = typer.Typer(
        name=_value(tree.info.name),
        cls=LazyVerbs,
        no_args_is_help=True,
        add_completion=False,
        pretty_exceptions_enable=False,
        rich_markup_mode=None,
        context_settings={"help_option_names": ["-h", "--help"]},
    )
    root.callback()(callback)
    command = typer.main.get_command(root)
    assert isinstance(command, LazyVerbs)
    command.tree = tree
    localise(command, ())
    return command
