"""The verification page in a real headless Chromium, served by uvicorn with the public router."""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import httpx
import pytest
import uvicorn
from fastapi import FastAPI

from ledger.adapters.keys import LogKeyStore
from ledger.adapters.store import StoreTarget
from ledger.application import parse_command
from ledger.application.queries import certificates
from ledger.credentials.http import CredentialsContext, router
from ledger.credentials.issue import KeyStore
from ledger.demo.cpu import demo_commands, resolve_refs
from tests.conftest import FixedClock, make_ledger

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "artifacts" / "credentials"
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def chromium() -> str:
    """The Chromium binary; skipped locally, a failure under CI=true, when it is missing."""
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if found:
        return found
    if os.environ.get("CI") == "true":
        pytest.fail("chromium is required in CI: run deploy/chromium/ensure.sh")
    pytest.skip("chromium not installed (deploy/chromium/ensure.sh installs it)")


def free_port() -> int:
    """A free loopback TCP port."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Site:
    """A running server and the certificates it knows."""

    url: str
    active: str
    revoked: str


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    """A demo store with keys and an integrity log, served on a free loopback port."""
    base = tmp_path_factory.mktemp("cred-web")
    location = str(base / "ledger.db")
    previous = os.environ.get("LEDGER_KEY_DIR")
    os.environ["LEDGER_KEY_DIR"] = str(base / "keys")
    ledger = make_ledger(location, FixedClock())
    raw = demo_commands(1, 40, 20, date(2026, 11, 1))  # a cohort with a revoked certificate
    ledger.execute_all((parse_command(resolve_refs(ledger, r)) for r in raw), batch=500)
    LogKeyStore(base / "keys").generate("certificates.ledger.example/test-log")
    KeyStore(base / "keys").generate()
    rows = certificates(ledger.store)
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    app = FastAPI()
    app.include_router(router(CredentialsContext(StoreTarget.parse(location), base / "keys", public_url=url)))
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    yield Site(
        url,
        next(r.certificate_id for r in rows if r.status == "active"),
        next(r.certificate_id for r in rows if r.status == "revoked"),
    )
    server.should_exit = True
    thread.join(timeout=10)
    if previous is None:
        os.environ.pop("LEDGER_KEY_DIR", None)
    else:  # the session's isolated key directory (tests/conftest.py)
        os.environ["LEDGER_KEY_DIR"] = previous
    ledger.store.close()


def load_page(browser: str, url: str, profile: Path, screenshot: Path | None = None) -> str:
    """The DOM of ``url`` after its scripts ran (and a screenshot when asked)."""
    args = [browser, *FLAGS, f"--user-data-dir={profile}", "--virtual-time-budget=15000"]
    if screenshot is not None:
        screenshot.parent.mkdir(parents=True, exist_ok=True)
        shot = subprocess.run(
            [*args, f"--screenshot={screenshot}", "--window-size=1000,1100", url],
            capture_output=True,
            timeout=120,
            check=False,
        )
        assert screenshot.exists(), shot.stderr[-2000:]
    done = subprocess.run(
        [*args, "--dump-dom", url], capture_output=True, text=True, timeout=120, check=False
    )
    return done.stdout


def verdict_of(dom: str) -> str:
    """The ``data-verdict`` the page displays."""
    found = re.search(r'id="verdict" data-verdict="([a-z_]+)"', dom)
    assert found, dom[-3000:]
    return found.group(1)


def test_page_opened_from_the_qr_link_shows_valid(site: Site, tmp_path: Path) -> None:
    """``/verify?id=…`` fetches the credential, verifies it and shows "valid" with the facts."""
    dom = load_page(
        chromium(),
        f"{site.url}/verify?id={site.active}",
        tmp_path / "profile",
        ARTIFACTS / "verify-valid.png",
    )
    assert verdict_of(dom) == "valid"
    assert "Délivré le" in dom


def test_page_shows_revoked_for_a_revoked_certificate(site: Site, tmp_path: Path) -> None:
    """A revoked certificate's page says revoked (status list), with the reason."""
    dom = load_page(
        chromium(),
        f"{site.url}/verify?id={site.revoked}",
        tmp_path / "profile",
        ARTIFACTS / "verify-revoked.png",
    )
    assert verdict_of(dom) == "revoked"
    assert "revoked" in dom
    assert "no proof of recording" not in dom


def test_page_reports_an_unknown_certificate(site: Site, tmp_path: Path) -> None:
    """An id the ledger does not know shows an error, never a verdict of valid."""
    dom = load_page(
        chromium(), f"{site.url}/verify?id=00000000-0000-0000-0000-000000000000", tmp_path / "profile"
    )
    assert verdict_of(dom) == "error"
    assert "unknown certificate" in dom


def test_posted_tampered_credential_is_refused(site: Site) -> None:
    """``POST /verify`` returns invalid for a changed credential, valid for the original."""
    with httpx.Client(base_url=site.url, timeout=30) as client:
        credential = client.get(f"/credentials/{site.active}").json()
        assert client.post("/verify", json=credential).json()["verdict"] == "valid"
        credential["validFrom"] = "2001-01-01T00:00:00Z"
        verdict = client.post("/verify", json=credential).json()
        assert verdict["verdict"] == "invalid" and verdict["reasons"]
        assert client.post("/verify", content=b"{not json").status_code == 400


def test_keys_did_document_and_status_list_are_public(site: Site) -> None:
    """The trust bundle, DID document and status list are served without login."""
    with httpx.Client(base_url=site.url, timeout=30) as client:
        bundle = client.get("/keys").json()
        assert bundle["logVerifiers"] and bundle["jwks"]["keys"]
        assert client.get("/.well-known/did.json").json()["id"] == bundle["issuer"]
        status = client.get("/status/1").json()
        assert "BitstringStatusListCredential" in status["type"]
        assert client.get("/status/9").status_code == 404
