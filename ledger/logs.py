"""Structured logging setup, called only by entry points.

JSON lines on stderr when stderr is not a terminal, a readable console format otherwise.
Log event names are stable and dotted (``command.recorded``); never personal data.

Every line goes through structlog, including the standard library's loggers (kafka-python,
uvicorn): they are rendered by the same processors, with their logger name and level, their
message as the event and any traceback folded into the ``exception`` field of the one line
(for kafka-python, whose exceptions are a broker going away, only ``error: Type: message``).
Exceptions Python would print raw to stderr (an error in a ``__del__``, an uncaught error in a
thread) are logged the same way (``python.unraisable``, ``python.thread_error``).
"""

from __future__ import annotations

import logging
import sys
import threading
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import structlog

_HANDLER_MARK = "_ledger_structlog"


def configure(level: str = "WARNING") -> None:
    """Configure structlog and the standard library logging once."""
    _import_structlog()
    import structlog

    numeric = getattr(logging, level.upper(), logging.WARNING)
    renderer: structlog.typing.Processor = (
        structlog.dev.ConsoleRenderer(colors=False)
        if sys.stderr.isatty()
        else structlog.processors.JSONRenderer()
    )
    shared: list[structlog.typing.Processor] = [
        structlog.contextvars.merge_contextvars,
        structlog.processors.add_log_level,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
    ]
    structlog.configure(
        processors=[*shared, structlog.processors.format_exc_info, renderer],
        wrapper_class=structlog.make_filtering_bound_logger(numeric),
        logger_factory=structlog.PrintLoggerFactory(file=_CurrentStderr()),  # type: ignore[arg-type]
        cache_logger_on_first_use=True,
    )
    handler = _StderrHandler()
    handler.setFormatter(
        structlog.stdlib.ProcessorFormatter(
            foreign_pre_chain=[*shared, structlog.stdlib.add_logger_name, _summarise_client_errors],
            processors=[
                structlog.stdlib.ProcessorFormatter.remove_processors_meta,
                structlog.processors.format_exc_info,
                renderer,
            ],
        )
    )
    setattr(handler, _HANDLER_MARK, True)
    root = logging.getLogger()
    for old in [h for h in root.handlers if getattr(h, _HANDLER_MARK, False)]:
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(numeric)
    sys.unraisablehook = _log_unraisable
    threading.excepthook = _log_thread_error


def _import_structlog() -> None:
    """Import structlog first without rich when nothing would show rich's tracebacks.

    ``import structlog`` imports ``structlog.dev``, which imports rich (~0.1 s of CPU) only to
    offer pretty tracebacks to its console renderer. Off a terminal the renderer is JSON and
    tracebacks are formatted by :func:`structlog.processors.format_exc_info` (the standard
    library's format), so the console script, started hundreds of times by scripts and
    tests, imports structlog as if rich were absent (structlog's documented fallback). On a
    terminal, or when rich or structlog is already loaded, it is a plain import.
    """
    if "structlog" in sys.modules or "rich" in sys.modules or sys.stderr.isatty():
        return  # the caller's plain import
    sys.modules["rich"] = None  # type: ignore[assignment]  # "import rich" raises ImportError
    try:
        import structlog  # noqa: F401
    finally:
        if sys.modules.get("rich", 0) is None:
            del sys.modules["rich"]


class _CurrentStderr:
    """A file that is ``sys.stderr`` as it is at each write (never a stale or closed stream)."""

    def write(self, text: str) -> int:
        """Write to the current ``sys.stderr``."""
        return sys.stderr.write(text)

    def flush(self) -> None:
        """Flush the current ``sys.stderr``."""
        sys.stderr.flush()


class _StderrHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """Writes each record to ``sys.stderr`` as it is at that moment (never a stale stream)."""

    @property
    def stream(self) -> Any:
        return sys.stderr

    @stream.setter
    def stream(self, value: Any) -> None:
        """The stream is always the current ``sys.stderr``."""


QUIET_TRACEBACKS = ("kafka",)
"""Library loggers whose exceptions are operational (a broker went away): one-line summaries."""


def _summarise_client_errors(
    logger: Any, name: str, event_dict: structlog.typing.EventDict
) -> structlog.typing.EventDict:
    """For a network client's own log records, the exception as ``Type: message``, no traceback.

    kafka-python logs a dead broker's connection reset with its traceback; that is an expected
    event while a broker restarts, not a bug to debug. Other loggers keep their tracebacks.
    """
    record = event_dict.get("_record")
    source = getattr(record, "name", "")
    if not any(source == p or source.startswith(p + ".") for p in QUIET_TRACEBACKS):
        return event_dict
    exc = event_dict.pop("exc_info", None)
    if exc is True:
        exc = sys.exc_info()
    if isinstance(exc, BaseException):
        exc = (type(exc), exc, exc.__traceback__)
    if isinstance(exc, tuple) and exc[0] is not None:
        event_dict["error"] = f"{exc[0].__name__}: {exc[1]}"[:300]
    return event_dict


def _log_unraisable(unraisable: Any) -> None:
    """An exception Python cannot raise (in ``__del__``, a finaliser): one JSON line, no traceback."""
    import structlog

    error = unraisable.exc_value if unraisable.exc_value is not None else unraisable.exc_type
    structlog.get_logger("python").warning(
        "python.unraisable",
        where=(unraisable.err_msg or "Exception ignored in")[:120],
        object=repr(unraisable.object)[:160],
        error=f"{unraisable.exc_type.__name__}: {error}"[:300],
    )


def _log_thread_error(args: threading.ExceptHookArgs) -> None:
    """An uncaught exception in a thread: one JSON line with the traceback folded in."""
    if args.exc_type is SystemExit:
        return
    import structlog

    structlog.get_logger("python").error(
        "python.thread_error",
        thread=args.thread.name if args.thread else None,
        exc_info=(args.exc_type, args.exc_value, args.exc_traceback),
    )
