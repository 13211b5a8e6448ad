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
            raise InvalidCommand("a command must be a JSON object")
        name = raw.get("command")
        if not isinstance(name, str) or name not in self._routes:
            close = difflib.get_close_matches(str(name), self.names(), n=3, cutoff=0.6)
            hint = f"; did you mean {' or '.join(close)}?" if close else f"; known: {', '.join(self.names())}"
            raise InvalidCommand(f"unknown command {name!r}{hint}")
        try:
            # the class's validator, as model_validate calls it (without its per-call checks)
            command: BaseModel = self._routes[name][1].command.__pydantic_validator__.validate_python(raw)
            return command
        except ValidationError as exc:
            raise InvalidCommand(f"{name}: {describe(exc)}") from None

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
