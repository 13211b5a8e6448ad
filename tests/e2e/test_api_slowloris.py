"""A real ``ledger serve`` (console script as a subprocess) against raw-socket slow clients.

Header timeout (slow loris on the request line and headers), body timeout (a body sent a byte
at a time), a declared oversized body refused before it is sent, an oversized header block,
and a forged X-Forwarded-For that does not buy a fresh rate-limit bucket.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator

import httpx
import pytest

LAUNCH = "from ledger.cli import main; raise SystemExit(main())"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def base(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, int]]:
    tmp = tmp_path_factory.mktemp("slowloris")
    port = free_port()
    env = {
        **os.environ,
        "LEDGER_KEY_DIR": str(tmp / "keys"),
        "LEDGER_API_HEADER_TIMEOUT": "1",
        "LEDGER_API_BODY_TIMEOUT": "1",
        "LEDGER_API_PUBLIC_RATE": "1",
        "LEDGER_API_PUBLIC_BURST": "3",
    }
    cmd = [sys.executable, "-c", LAUNCH, "serve", "--db", str(tmp / "l.db"), "--port", str(port)]
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 60
    while True:
        assert proc.poll() is None, proc.stderr.read().decode() if proc.stderr else "died"
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                break
        except httpx.HTTPError:
            pass
        assert time.monotonic() < deadline, "server did not start"
        time.sleep(0.2)
    yield "127.0.0.1", port
    proc.send_signal(signal.SIGINT)
    assert proc.wait(timeout=30) == 0


def read_all(sock: socket.socket, limit: float) -> tuple[bytes, float]:
    """Everything the server sends until it closes (or ``limit`` s); and when it closed."""
    sock.settimeout(limit)
    started, data = time.monotonic(), b""
    try:
        while chunk := sock.recv(65536):
            data += chunk
    except (TimeoutError, ConnectionResetError):
        pass
    return data, time.monotonic() - started


def test_headers_trickled_slowly_are_cut_by_the_header_timeout(base: tuple[str, int]) -> None:
    with socket.create_connection(base) as sock:
        sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n")
        closed_after = None
        started = time.monotonic()
        for i in range(8):  # a header line every 0.4 s: never complete
            time.sleep(0.4)
            try:
                sock.sendall(f"X-Slow-{i}: y\r\n".encode())
            except (BrokenPipeError, ConnectionResetError):
                closed_after = time.monotonic() - started
                break
        if closed_after is None:
            data, _ = read_all(sock, 1.0)
            assert data == b"", data
            closed_after = time.monotonic() - started
    assert closed_after < 3.5, f"connection held {closed_after:.1f} s"


def test_an_idle_connection_is_closed(base: tuple[str, int]) -> None:
    with socket.create_connection(base) as sock:
        data, waited = read_all(sock, 5.0)
    assert data == b"" and waited < 3.0


def test_a_body_sent_a_byte_at_a_time_is_408(base: tuple[str, int]) -> None:
    with socket.create_connection(base) as sock:
        sock.sendall(
            b"POST /v1/commands HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            b"Content-Length: 100\r\n\r\n"
        )
        for _ in range(12):
            time.sleep(0.25)
            try:
                sock.sendall(b" ")
            except (BrokenPipeError, ConnectionResetError):
                break
        data, _ = read_all(sock, 3.0)
    # unauthenticated: the token check answers first (401) or the body clock does (408)
    status = data.split(b" ", 2)[1] if data else b""
    assert status in (b"401", b"408"), data[:200]


def test_an_oversized_declared_body_is_413_before_it_is_sent(base: tuple[str, int]) -> None:
    with socket.create_connection(base) as sock:
        sock.sendall(b"POST /v1/commands HTTP/1.1\r\nHost: x\r\nContent-Length: 50000000\r\n\r\n")
        data, waited = read_all(sock, 5.0)
    assert data.startswith(b"HTTP/1.1 413"), data[:200]
    assert b"application/problem+json" in data and waited < 3.0


def test_an_oversized_header_block_is_refused(base: tuple[str, int]) -> None:
    with socket.create_connection(base) as sock:
        sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 40_000 + b"\r\n\r\n")
        data, _ = read_all(sock, 5.0)
    assert data.startswith(b"HTTP/1.1 431"), data[:200]
    assert b"urn:ledger:problem:request-header-fields-too-large" in data


def test_a_header_block_that_never_ends_is_cut_at_its_byte_bound(base: tuple[str, int]) -> None:
    """Headers streamed fast but never completed are cut (400, closed) before the clock runs out."""
    with socket.create_connection(base) as sock:
        sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n")
        for i in range(40):  # 80 KiB of headers, no blank line
            try:
                sock.sendall(f"X-Pad-{i}: ".encode() + b"b" * 2048 + b"\r\n")
            except (BrokenPipeError, ConnectionResetError):
                break
        data, waited = read_all(sock, 5.0)
    assert data.startswith(b"HTTP/1.1 400"), data[:200]
    assert waited < 3.0


def test_forged_forwarded_for_shares_the_peer_bucket_and_healthz_stays_up(base: tuple[str, int]) -> None:
    host, port = base
    url = f"http://{host}:{port}/v1/public/certificates/00000000-0000-0000-0000-000000000000"
    codes = [
        httpx.get(url, headers={"X-Forwarded-For": f"198.51.100.{i}"}, timeout=5).status_code
        for i in range(6)
    ]
    assert 429 in codes, codes
    assert httpx.get(f"http://{host}:{port}/healthz", timeout=5).status_code == 200
