"""The command registry, built explicitly from the regimes (no registration as a side effect).

:data:`REGIMES` lists every regime; :func:`default_registry` is the registry of all of them,
the one ``ledger record``, the HTTP API and ``ledger schema commands`` use: every command name
it lists is accepted wherever a command is parsed.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from functools import cache
from typing import Any

from pydantic import BaseModel, ValidationError

from ledger.application import clea, cpu
from ledger.application.base import CommandRoute, Regime, command_name
from ledger.domain.errors import InvalidCommand
from ledger.i18n import N_

REGIMES: tuple[Regime, ...] = (cpu.REGIME, clea.REGIME)
"""Every regime of the ledger, in the order their handlers are built."""


class CommandRegistry:
    """Command names → their class, regime and route; parses and describes commands."""

    def __init__(self, regimes: Iterable[Regime]) -> None:
        self.regimes = tuple(regimes)
        self._routes: dict[str, tuple[Regime, CommandRoute]] = {}
        for regime in self.regimes:
            for route in regime.routes:
                name = command_name(route.command)
                if name in self._routes:
                    raise ValueError(f"command {name} is declared twice")
                self._routes[name] = (regime, route)

    def names(self) -> list[str]:
        """Every known command name, sorted."""
        return sorted(self._routes)

    def classes(self) -> list[type[BaseModel]]:
        """Every command class, ordered by command name."""
        return [self._routes[name][1].command for name in self.names()]

    def route(self, name: str) -> tuple[Regime, CommandRoute]:
        """The regime and route of a command name (``KeyError`` if unknown)."""
        return self._routes[name]

    def parse(self, raw: Any) -> BaseModel:
        """Validate one command object; :class:`InvalidCommand` names what is wrong."""
        if not isinstance(raw, dict):
            not_object = N_("a command must be a JSON object")
            raise InvalidCommand(not_object, template=not_object)
        name = raw.get("command")
        if not isinstance(name, str) or name not in self._routes:
            raise self._unknown(name)
        try:
            return self._routes[name][1].command.model_validate(raw)
        except ValidationError as exc:
            fields = tuple(field_error(err) for err in exc.errors()[:5])
            raise InvalidCommand(f"{name}: {describe(exc)}", command=name, fields=fields) from None

    def _unknown(self, name: object) -> InvalidCommand:
        """The error for a missing or unknown command name, with the closest known names."""
        if name is None:
            template = N_('no command name: give a "command" member (one of {known})')
            return InvalidCommand(
                template.format(known=", ".join(self.names())),
                template=template,
                params={"known": ", ".join(self.names())},
            )
        params: dict[str, object]
        close = difflib.get_close_matches(str(name), self.names(), n=3, cutoff=0.6)
        if close:
            template, params = N_("unknown command {name}; did you mean {close}?"), {"close": tuple(close)}
            english = f"unknown command {name!r}; did you mean {' or '.join(close)}?"
        else:
            template, params = (
                N_("unknown command {name}; known: {known}"),
                {"known": ", ".join(self.names())},
            )
            english = f"unknown command {name!r}; known: {', '.join(self.names())}"
        return InvalidCommand(english, template=template, params={"name": repr(name), **params})

    def schema(self) -> dict[str, Any]:
        """JSON Schema of every command, keyed by name."""
        return {
            "$schema": "https://json-schema.org/draft/2020-12/schema",
            "title": "Ledger commands",
            "oneOf": [{"$ref": f"#/$defs/{name}"} for name in self.names()],
            "$defs": {name: self._routes[name][1].command.model_json_schema() for name in self.names()},
        }


def describe(exc: ValidationError) -> str:
    """A one-line description of every validation error."""
    parts = []
    for err in exc.errors()[:5]:
        loc = ".".join(str(x) for x in err["loc"]) or "(command)"
        parts.append(f"{loc}: {err['msg']}")
    return "; ".join(parts)


def field_error(err: Any) -> dict[str, object]:
    """What a reader in any language needs of one pydantic error (never the input's value)."""
    ctx = {key: str(value) for key, value in (err.get("ctx") or {}).items()}
    loc = ".".join(str(x) for x in err["loc"]) or "(command)"
    return {"loc": loc, "type": err["type"], "msg": err["msg"], "ctx": ctx}


_JSON_PROBLEMS = {
    "unexpected end of data": N_("unexpected end of data"),
    "unexpected character": N_("unexpected character"),
    "trailing comma is not allowed": N_("a trailing comma is not allowed"),
    "number with leading zero is not allowed": N_("a number may not start with 0"),
    "unexpected content after document": N_("unexpected content after the object"),
    "invalid literal": N_("unknown word (true, false or null expected)"),
}


def malformed_json(number: int, exc: ValueError, line: str = "") -> InvalidCommand:
    """The error for line ``number`` that is not JSON (orjson's ``exc``), readable in French too.

    Its English text is the parser's own; in French, the parser's first clause is written out
    from the catalogue with the character where it stopped.
    """
    from ledger.domain.rules import because

    said = str(getattr(exc, "msg", exc)).split(",")[0].strip()
    what = _JSON_PROBLEMS.get(said, N_("not valid JSON"))
    position = int(getattr(exc, "pos", 0)) + 1
    if line:  # the end of the line as its writer sees it, not past its line break
        position = min(position, len(line.rstrip("\r\n")) + 1)
    problem = because("{what}, at character {position}", what=(what,), position=position)
    return InvalidCommand(
        f"line {number}: malformed JSON ({exc})",
        template=N_("line {number}: malformed JSON ({error})"),
        params={"number": number, "error": problem},
    )


@cache
def default_registry() -> CommandRegistry:
    """The registry of every regime (built once, on first use)."""
    return CommandRegistry(REGIMES)


def parse_command(raw: Any) -> BaseModel:
    """Validate one command object against every regime's commands."""
    return default_registry().parse(raw)


def command_names() -> list[str]:
    """Every command name of every regime."""
    return default_registry().names()


def command_classes() -> list[type[BaseModel]]:
    """Every command class of every regime, ordered by command name."""
    return default_registry().classes()


def commands_schema() -> dict[str, Any]:
    """JSON Schema of every command of every regime."""
    return default_registry().schema()
