"""What every verb module of the ``ledger`` CLI shares: options, output, errors, progress.

Verbs open their services with :func:`services` (settings from the environment and the
flags, then :func:`ledger.bootstrap.bootstrap`), print with :func:`emit` (``--json`` or a
human rendering; :func:`table` draws rich tables) and raise the ledger's errors: :func:`run`
maps them, once, to exit codes.

Exit codes: 0 success; 2 a refused command or bad input (nothing written); 3 a concurrency
conflict (retry); 4 the integrity log or a proof does not verify; 1 an unexpected failure (no
traceback unless ``--debug``).
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any
from uuid import UUID

import typer

from ledger.domain.errors import ConcurrencyConflict, InvalidCommand

if TYPE_CHECKING:
    from rich.console import Console

    from ledger.bootstrap import Services
    from ledger.settings import Settings

EXIT_OK, EXIT_FAILURE, EXIT_REFUSED, EXIT_CONFLICT, EXIT_TAMPERED = 0, 1, 2, 3, 4

# ------------------------------------------------------------------------------ options
Db = Annotated[
    str | None,
    typer.Option(
        "--db", help="SQLite file or postgresql:// URL (env LEDGER_DB; default ledger.db)", show_default=False
    ),
]
Json = Annotated[bool, typer.Option("--json", help="print JSON")]
KeyDir = Annotated[
    str | None,
    typer.Option(
        "--key-dir",
        help="key directory (env LEDGER_KEY_DIR; default .ledger/keys beside the store)",
        show_default=False,
    ),
]


def parse_date(value: str) -> date:
    """An ISO date (``YYYY-MM-DD``), or a usage error (exit 2)."""
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise typer.BadParameter(f"not an ISO date (YYYY-MM-DD): {value!r}") from None


def whole_number(value: str) -> int:
    """A whole number (0 or more), or a usage error (exit 2)."""
    try:
        number = int(value)
    except ValueError:
        raise typer.BadParameter(f"not a whole number: {value!r}") from None
    if number < 0:
        raise typer.BadParameter(f"not a whole number: {value!r}")
    return number


def parse_datetime(value: str) -> datetime:
    """An ISO date-time (UTC when no offset is given), or a usage error (exit 2)."""
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise typer.BadParameter(f"not an ISO date-time (YYYY-MM-DDTHH:MM[:SS][+HH:MM]): {value!r}") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def optional_date(value: str | None) -> date | None:
    """:func:`parse_date` for an optional option."""
    return None if value is None else parse_date(value)


def today() -> date:
    """Today's date in UTC."""
    return datetime.now(UTC).date()


def parse_uuid(value: str, kind: str) -> UUID:
    """A UUID, or :class:`InvalidCommand` naming the kind of id."""
    try:
        return UUID(value)
    except ValueError:
        raise InvalidCommand(f"not a valid {kind} id: {value!r}") from None


# ------------------------------------------------------------------------------ services
def settings(**flags: Any) -> Settings:
    """The settings: environment, then the flags given (``None`` means not given).

    An invalid value (a flag or a ``LEDGER_*`` variable) is bad input: exit 2 naming it.
    """
    from pydantic import ValidationError

    from ledger.settings import Settings

    try:
        return Settings.load(**flags)
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
        raise InvalidCommand(f"invalid setting: {problems}") from None


def services(db: str | None = None, **flags: Any) -> Services:
    """Open the store named by ``--db`` (or the settings) and compose the ledger on it."""
    from ledger.bootstrap import bootstrap

    return bootstrap(settings(db=db, **flags))


# ------------------------------------------------------------------------------ output
def _console(stream: Any) -> Console:
    from rich.console import Console

    tty = stream.isatty()
    return Console(
        file=stream, width=None if tty else 400, soft_wrap=not tty, highlight=False, emoji=False, markup=False
    )


def out() -> Console:
    """A console on standard output (wide and plain when it is not a terminal)."""
    return _console(sys.stdout)


def emit(as_json: bool, data: Any, human: Callable[[Any], None]) -> None:
    """Print ``data`` as JSON with ``--json``, else with the human formatter."""
    import orjson

    if as_json:
        sys.stdout.write(orjson.dumps(data, option=orjson.OPT_INDENT_2).decode() + "\n")
    else:
        human(data)


def table(rows: Sequence[dict[str, Any]], columns: Sequence[str]) -> None:
    """Print rows as a rich table (plain text when not on a terminal)."""
    from rich import box
    from rich.table import Table

    grid = Table(box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False)
    for column in columns:
        grid.add_column(column, overflow="fold")
    for row in rows:
        grid.add_row(*(_cell(row.get(c)) for c in columns))
    out().print(grid)


def _cell(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False)[:60]
    return str(value)


def print_mapping(row: dict[str, Any]) -> None:
    """Human rendering of one record."""
    for key, value in row.items():
        print(f"{key}: {value}")


@contextmanager
def progress(label: str, total: int) -> Iterator[Callable[[int], None]]:
    """A rich progress bar on standard error (a terminal only); yields ``advance(n)``."""
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    bar = Progress(
        TextColumn(label),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=Console(file=sys.stderr),
        transient=True,
        disable=not sys.stderr.isatty(),
    )
    with bar:
        task = bar.add_task(label, total=max(total, 1))

        def advance(amount: int = 1) -> None:
            bar.advance(task, amount)

        yield advance


def read_text(path: str, what: str) -> str:
    """A file's text (``-`` reads standard input), or :class:`InvalidCommand`."""
    try:
        return sys.stdin.read() if path == "-" else Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise InvalidCommand(f"cannot read {what} {path}: {exc.strerror or exc}") from None


# ------------------------------------------------------------------------------ errors
EXIT_CODES: tuple[tuple[str, int], ...] = (
    ("ledger.domain.errors.ConcurrencyConflict", EXIT_CONFLICT),
    ("ledger.adapters.errors.ServiceFailure", EXIT_FAILURE),
    ("ledger.domain.errors.LedgerError", EXIT_REFUSED),
    ("ledger.integrity.errors.IntegrityError", EXIT_REFUSED),
    ("ledger.credentials.errors.CredentialError", EXIT_REFUSED),
    ("ledger.api.errors.TokenError", EXIT_REFUSED),
)
"""The one mapping of the error trees to exit codes, by the classes' qualified names (so that
start-up imports none of their packages): the first row naming a class of the error's MRO wins
(most specific first); any other exception is an internal error (exit 1). Every package's root
error is here, or derives from ``LedgerError`` (``ledger.audit``, ``projections``, ``consumers``;
their failures outside the process from ``ServiceFailure``): ``tests/unit/test_errors.py``."""


def _qualified_names(exc: BaseException) -> set[str]:
    return {f"{kind.__module__}.{kind.__qualname__}" for kind in type(exc).__mro__}


def exit_code(exc: BaseException) -> int:
    """The exit code of an error, from :data:`EXIT_CODES`."""
    names = _qualified_names(exc)
    return next((code for name, code in EXIT_CODES if name in names), EXIT_FAILURE)


def is_mapped(exc: BaseException) -> bool:
    """True if :data:`EXIT_CODES` names one of the error's classes (a deliberate error)."""
    names = _qualified_names(exc)
    return any(name in names for name, _ in EXIT_CODES)


def report(exc: BaseException) -> int:
    """Write the one-line message of an error on standard error; return its exit code."""
    code = exit_code(exc)
    if isinstance(exc, ConcurrencyConflict):
        sys.stderr.write(f"conflict: {exc}\n")
    elif is_mapped(exc):
        sys.stderr.write(f"error: {exc}\n")
    else:
        sys.stderr.write(f"internal error: {type(exc).__name__}: {exc} (rerun with --debug)\n")
    return code


def group(app: typer.Typer, name: str) -> typer.Typer:
    """The verb group ``name`` already on ``app`` (a plug-in adds verbs to it)."""
    for info in app.registered_groups:
        if info.name == name and info.typer_instance is not None:
            return info.typer_instance
    raise LookupError(f"no verb group {name!r}")
