"""The documentation pages' own guarantees, on the ASGI app: CSP by hash, 503 without assets."""

from __future__ import annotations

import re
from pathlib import Path

from fastapi import FastAPI
from fastapi.testclient import TestClient

from ledger.api import problems
from ledger.api.auth import public_limit
from ledger.api.docs import ASSET_FILES, install_docs
from ledger.api.headers import inline_script_hashes


def _client(assets: Path) -> TestClient:
    app = FastAPI(docs_url=None, redoc_url=None)
    problems.install(app)
    install_docs(app, "Ledger", assets)
    app.dependency_overrides[public_limit] = lambda: None  # the rate limit is not the subject here
    return TestClient(app)


def test_missing_assets_answer_a_problem_naming_the_install_step(tmp_path: Path) -> None:
    """Without the npm assets /docs and /redoc say what to run (never a page loading a CDN)."""
    client = _client(tmp_path)
    for path in ("/docs", "/redoc"):
        answer = client.get(path)
        assert answer.status_code == 503
        assert answer.headers["content-type"] == problems.MEDIA_TYPE
        assert "deploy/node/ensure.sh" in answer.json()["detail"]


def test_pages_load_local_assets_under_a_hash_only_script_policy(tmp_path: Path) -> None:
    """Every script and style is under /docs/assets; every inline script is allowed by its hash."""
    for name in ASSET_FILES:
        (tmp_path / name).write_bytes(b"")
    client = _client(tmp_path)
    for path in ("/docs", "/redoc"):
        page = client.get(path)
        assert page.status_code == 200
        urls = re.findall(r'(?:src|href)="([^"]+)"', page.text)
        assert urls and all(u.startswith("/docs/assets/") for u in urls), urls
        policy = page.headers["content-security-policy"]
        script_src = next(d for d in policy.split(";") if d.strip().startswith("script-src"))
        assert "'unsafe-inline'" not in script_src and "http" not in policy
        assert all(h in script_src for h in inline_script_hashes(page.content))
    assert inline_script_hashes(client.get("/docs").content)  # Swagger UI's start-up script
    assert client.get("/docs/assets/swagger-ui.css").status_code == 200
