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
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any
from uuid import UUID

import typer

from ledger.domain.errors import ConcurrencyConflict, InvalidCommand
from ledger.i18n import _, describe

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


DATE_FORMATS = "DD/MM/YYYY or YYYY-MM-DD"


def read_date(value: str) -> date:
    """A date typed by a person: ``28/06/2020`` (also ``28-06-2020``, ``28.06.2020``) or ISO.

    Raises :class:`ValueError` naming both accepted formats.
    """
    text = value.strip()
    for separator in ("/", ".", "-"):
        parts = text.split(separator)
        if len(parts) == 3 and len(parts[0]) <= 2 and len(parts[2]) == 4 and all(p.isdigit() for p in parts):
            try:
                return date(int(parts[2]), int(parts[1]), int(parts[0]))
            except ValueError:
                break
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise ValueError(
            _("not a date: {value!r} (expected DD/MM/YYYY, e.g. 28/06/2020, or YYYY-MM-DD)").format(
                value=value
            )
        ) from None


def parse_date(value: str) -> date:
    """A date (``28/06/2020`` or ``2020-06-28``), or a usage error naming the format (exit 2)."""
    try:
        return read_date(value)
    except ValueError as exc:
        raise typer.BadParameter(str(exc)) from None


def whole_number(value: str) -> int:
    """A whole number (0 or more), or a usage error (exit 2)."""
    try:
        number = int(value)
    except ValueError:
        raise typer.BadParameter(
            _("not a whole number: {value!r} (expected digits only, e.g. 209)").format(value=value)
        ) from None
    if number < 0:
        raise typer.BadParameter(
            _("not a whole number: {value!r} (expected digits only, e.g. 209)").format(value=value)
        )
    return number


def parse_datetime(value: str) -> datetime:
    """An ISO date-time (UTC when no offset is given), or a usage error (exit 2)."""
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise typer.BadParameter(
            _("not a date-time: {value!r} (expected YYYY-MM-DDTHH:MM[:SS][+HH:MM])").format(value=value)
        ) from None
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
        raise InvalidCommand(_("not a valid {kind} id: {value!r}").format(kind=kind, value=value)) from None


def resolve_learner(svc: Services, text: str) -> UUID:
    """A learner typed by a person: a full id, a short unambiguous prefix of it, or a national number.

    Nobody should have to type a UUID: ``ledger learner find`` prints the ids, and their first
    eight characters are enough. Raises :class:`InvalidCommand` naming what is wrong.
    """
    value = text.strip()
    try:
        return UUID(value)
    except ValueError:
        pass
    digits = "".join(c for c in value if c.isdigit())
    if len(digits) in (11, 13, 14, 15) and not any(c.isalpha() for c in value):
        found = svc.identities.find(national_number=digits)
        if len(found) == 1:
            return found[0]
        if not found:
            raise InvalidCommand(_("no learner with the national number {number}").format(number=value))
    if len(value) < 4 or any(c not in "0123456789abcdef-" for c in value.lower()):
        raise InvalidCommand(
            _(
                "not a valid learner id: {value!r} (give the id printed by ledger learner find, "
                "at least its first 4 characters, or a national number)"
            ).format(value=value)
        )
    matches = svc.identities.with_prefix(value)
    if len(matches) == 1:
        return matches[0]
    if not matches:
        raise InvalidCommand(
            _("no learner whose id starts with {value!r} (ledger learner find NAME prints the ids)").format(
                value=value
            )
        )
    raise InvalidCommand(
        _("{value!r} matches several learners ({ids}…): type more characters").format(
            value=value, ids=", ".join(short_id(m) for m in matches)
        )
    )


def short_id(value: UUID | str) -> str:
    """The first eight characters of an id: enough to name it again on the command line."""
    return str(value)[:8]


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


Create = Annotated[
    bool,
    typer.Option("--create", help="create the SQLite store if the file does not exist yet"),
]


def services(db: str | None = None, create: bool = False, **flags: Any) -> Services:
    """Open the store named by ``--db`` (or the settings) and compose the ledger on it.

    A SQLite file that does not exist is an error (exit 2, nothing created) unless ``create``:
    a mistyped path must not silently start a new, empty ledger.
    """
    conf = settings(db=db, **flags)
    target = conf.target()
    if not create and target.kind == "sqlite" and target.sqlite_path and not target.sqlite_path.exists():
        raise InvalidCommand(
            _("no store at {path}: check --db (or LEDGER_DB), or add --create to start a new one").format(
                path=target.sqlite_path
            )
        )
    from ledger.bootstrap import bootstrap

    return bootstrap(conf)


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

    from ledger.i18n.vocabulary import heading

    grid = Table(box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False)
    for column in columns:
        grid.add_column(heading(column), overflow="fold")
    for row in rows:
        grid.add_row(*(_cell(row.get(c)) for c in columns))
    out().print(grid)


def _cell(value: Any) -> str:
    from ledger.i18n.vocabulary import cell

    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False)[:60]
    return cell(value)


def print_mapping(row: dict[str, Any]) -> None:
    """Human rendering of one record (field names and values in the reader's language)."""
    from ledger.i18n import current
    from ledger.i18n.vocabulary import cell, heading

    for key, value in row.items():
        if current() == "en":
            print(f"{key}: {value}")
        else:
            print(f"{heading(key)} : {_cell(value) if isinstance(value, dict | list) else cell(value)}")


class JsonProgress:
    """Quiet progress for logs and pipes: a JSON line on standard error at most every ``every`` s.

    ``{"progress": label, "done": n, "total": t, "percent": p, "eta_seconds": e}``, plus a last
    line when the work ends (never on standard output, which carries the result).
    """

    def __init__(self, label: str, total: int, every: float = 2.0, stream: Any = None) -> None:
        self.label, self.total, self.every = label, max(total, 1), every
        self.stream = stream if stream is not None else sys.stderr
        self.done = 0
        self.shown: int | None = None  # ``done`` as of the last line written
        self.started = time.monotonic()
        self.last = self.started

    def advance(self, amount: int = 1) -> None:
        """Count ``amount`` more items done; print a line when ``every`` seconds have passed."""
        self.done += amount
        now = time.monotonic()
        if now - self.last >= self.every:
            self.last = now
            self.line()

    def line(self) -> None:
        """Write the current state as one JSON line."""
        elapsed = time.monotonic() - self.started
        rate = self.done / elapsed if elapsed > 0 else 0.0
        left = max(self.total - self.done, 0)
        eta = round(left / rate, 1) if rate > 0 else None
        record = {
            "progress": self.label,
            "done": self.done,
            "total": self.total,
            "percent": round(100 * min(self.done, self.total) / self.total, 1),
            "elapsed_seconds": round(elapsed, 1),
            "eta_seconds": eta,
        }
        self.stream.write(json.dumps(record) + "\n")
        self.stream.flush()
        self.shown = self.done

    def finish(self) -> None:
        """Write the last line, unless the last line written already said the same."""
        if self.shown != self.done and (self.done or self.total > 1):
            self.line()


@contextmanager
def progress(label: str, total: int) -> Iterator[Callable[[int], None]]:
    """Progress with an ETA on standard error; yields ``advance(n)``.

    On a terminal: a rich bar (count, elapsed, time remaining). Otherwise: quiet JSON lines
    (:class:`JsonProgress`), one every two seconds at most and one at the end.
    """
    if not sys.stderr.isatty():
        quiet = JsonProgress(label, total)
        yield quiet.advance
        quiet.finish()
        return
    from rich.console import Console
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

    bar = Progress(
        TextColumn(label),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TextColumn("ETA"),
        TimeRemainingColumn(),
        console=Console(file=sys.stderr),
        transient=True,
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
        raise InvalidCommand(
            _("cannot read {what} {path}: {reason}").format(what=what, path=path, reason=exc.strerror or exc)
        ) from None


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
        sys.stderr.write(_("conflict: {error} (try again)").format(error=exc) + "\n")
    elif is_mapped(exc):
        sys.stderr.write(describe(exc) + "\n")
    elif isinstance(exc, OSError):
        where = f" {exc.filename}" if exc.filename else ""
        sys.stderr.write(
            _("error: cannot use the file{where}: {reason}").format(where=where, reason=exc.strerror or exc)
            + "\n"
        )
        return EXIT_REFUSED
    else:
        sys.stderr.write(
            _("internal error: {kind}: {error} (rerun with --debug)").format(
                kind=type(exc).__name__, error=exc
            )
            + "\n"
        )
    return code


def group(app: typer.Typer, name: str) -> typer.Typer:
    """The verb group ``name`` already on ``app`` (a plug-in adds verbs to it)."""
    for info in app.registered_groups:
        if info.name == name and info.typer_instance is not None:
            return info.typer_instance
    raise LookupError(f"no verb group {name!r}")
