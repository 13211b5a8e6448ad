"""Structured logging setup, called only by entry points.

JSON lines on stderr when stderr is not a terminal, a readable console format otherwise.
Log event names are stable and dotted (``command.recorded``); never personal data.

Every line goes through structlog, including the standard library's loggers (kafka-python,
uvicorn): they are rendered by the same processors, with their logger name and level, their
message as the event and any traceback folded into the ``exception`` field of the one line.
Exceptions Python would print raw to stderr (an error in a ``__del__``, an uncaught error in a
thread) are logged the same way (``python.unraisable``, ``python.thread_error``).
"""

from __future__ import annotations

import logging
import sys
import threading
from typing import Any

import structlog

_HANDLER_MARK = "_ledger_structlog"


def configure(level: str = "WARNING") -> None:
    """Configure structlog and the standard library logging once."""
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
        logger_factory=structlog.PrintLoggerFactory(file=sys.stderr),
        cache_logger_on_first_use=True,
    )
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(
        structlog.stdlib.ProcessorFormatter(
            foreign_pre_chain=[*shared, structlog.stdlib.add_logger_name],
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


def _log_unraisable(unraisable: Any) -> None:
    """An exception Python cannot raise (in ``__del__``, a finaliser): one JSON line, no traceback."""
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
    structlog.get_logger("python").error(
        "python.thread_error",
        thread=args.thread.name if args.thread else None,
        exc_info=(args.exc_type, args.exc_value, args.exc_traceback),
    )
