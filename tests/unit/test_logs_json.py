"""Every log line is one JSON object: structlog's, the standard library's (kafka-python), and
the exceptions Python would print raw (in ``__del__``, in threads)."""

from __future__ import annotations

import gc
import json
import logging
import sys
import threading
from collections.abc import Iterator

import pytest
import structlog

from ledger import logs


@pytest.fixture
def configured(capsys: pytest.CaptureFixture[str]) -> Iterator[pytest.CaptureFixture[str]]:
    """Logging as the CLI configures it (done in the test itself, see ``setup``); restored after."""
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    hooks = (sys.unraisablehook, threading.excepthook)
    yield capsys
    root.handlers[:] = handlers
    root.setLevel(level)
    sys.unraisablehook, threading.excepthook = hooks
    structlog.reset_defaults()


def setup() -> None:
    """Configure in the test's call phase, when stderr is the one capsys reads."""
    logs.configure("INFO")


def lines(capsys: pytest.CaptureFixture[str]) -> list[dict[str, object]]:
    err = capsys.readouterr().err
    assert err and all(line.startswith("{") for line in err.splitlines()), err
    return [json.loads(line) for line in err.splitlines()]


def test_kafka_python_lines_are_json_with_a_one_line_error(configured: pytest.CaptureFixture[str]) -> None:
    """A connection reset logged by kafka-python: JSON, its logger and level, no traceback."""
    setup()
    try:
        raise ConnectionResetError(104, "Connection reset by peer")
    except ConnectionResetError:
        logging.getLogger("kafka.net.transport").exception("Abort")
    logging.getLogger("kafka.conn").warning("connect attempt to %s returned error %s", "node 1", 111)
    (abort, warning) = lines(configured)
    assert abort["logger"] == "kafka.net.transport" and abort["level"] == "error"
    assert abort["error"] == "ConnectionResetError: [Errno 104] Connection reset by peer"
    assert "exception" not in abort
    assert warning["event"] == "connect attempt to node 1 returned error 111"


def test_other_libraries_keep_their_traceback_inside_the_line(configured: pytest.CaptureFixture[str]) -> None:
    """An error in the web server is still debuggable: its traceback is a field of one line."""
    setup()
    try:
        raise ValueError("boom")
    except ValueError:
        logging.getLogger("uvicorn.error").exception("Exception in ASGI application")
    (line,) = lines(configured)
    assert "ValueError: boom" in str(line["exception"])


class Broken:
    def __del__(self) -> None:
        raise TimeoutError("Timeout after waiting for 1 secs")


def test_an_exception_in_del_is_one_json_line(configured: pytest.CaptureFixture[str]) -> None:
    """What KafkaProducer.__del__ used to print raw is logged as python.unraisable."""
    setup()
    Broken()
    gc.collect()
    (line,) = lines(configured)
    assert line["event"] == "python.unraisable"
    assert line["error"] == "TimeoutError: Timeout after waiting for 1 secs"


def test_an_uncaught_thread_error_is_one_json_line(configured: pytest.CaptureFixture[str]) -> None:
    """A thread that dies logs python.thread_error with its traceback folded in."""
    setup()

    def fail() -> None:
        raise RuntimeError("sender died")

    thread = threading.Thread(target=fail, name="kafka-sender")
    thread.start()
    thread.join()
    (line,) = lines(configured)
    assert line["event"] == "python.thread_error" and line["thread"] == "kafka-sender"
    assert "RuntimeError: sender died" in str(line["exception"])
