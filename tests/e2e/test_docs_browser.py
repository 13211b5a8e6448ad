"""Swagger UI (``/docs``) and ReDoc (``/redoc``) render offline in a real Chromium.

``ledger serve`` (the console script) serves the pages and their assets (the pinned npm packages
``swagger-ui-dist`` and ``redoc`` installed by ``deploy/node/ensure.sh``); the browser
(``tests/e2e/docs_pages.mjs``, playwright-core + Debian's Chromium) aborts every request that
does not go to the loopback server. Each page must list every operation of the OpenAPI
document, under its own Content-Security-Policy (inline scripts by hash, no CDN), with no
page error.
"""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.e2e.test_credentials_browser import chromium
from tests.interop.conftest import free_port, node_stack, start_server, stop_server

DRIVER = Path(__file__).with_name("docs_pages.mjs")
__all__ = ["node_stack"]  # the session fixture installing deploy/node (and the docs assets)


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory, node_stack: Path) -> Iterator[dict[str, Any]]:
    """What Chromium rendered of /docs and /redoc, and the server's OpenAPI operations."""
    base = tmp_path_factory.mktemp("docs")
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    proc = start_server(str(base / "ledger.db"), base / "keys", port)
    try:
        spec = httpx.get(f"{url}/openapi.json", timeout=10).json()
        done = subprocess.run(
            ["node", str(DRIVER)],
            input=json.dumps({"nodeDir": str(node_stack), "chromium": chromium(), "url": url}),
            capture_output=True,
            text=True,
            timeout=240,
            check=False,
        )
    finally:
        stop_server(proc)
    assert done.returncode == 0, done.stderr[-3000:]
    yield {"spec": spec, **json.loads(done.stdout)}


def _operations(spec: dict[str, Any]) -> set[tuple[str, str]]:
    methods = {"get", "put", "post", "delete", "patch"}
    return {(m.upper(), path) for path, ops in spec["paths"].items() for m in ops if m in methods}


def test_swagger_ui_lists_every_operation_offline(served: dict[str, Any]) -> None:
    """/docs renders every (method, path) of /openapi.json with nothing fetched off the server."""
    docs = served["docs"]
    assert docs["status"] == 200 and not docs["errors"], docs["errors"]
    assert not docs["blocked"], docs["blocked"]
    assert not docs["csp"], docs["csp"]
    assert "'unsafe-inline'" not in docs["policy"] and "'sha256-" in docs["policy"]
    shown = {tuple(op.split(" ", 1)) for op in docs["operations"]}
    assert shown == _operations(served["spec"])
    assert "/docs/assets/swagger-ui-bundle.js" in docs["served"]


def test_redoc_lists_every_operation_offline(served: dict[str, Any]) -> None:
    """/redoc renders one section per operation of /openapi.json with nothing fetched off the server."""
    redoc = served["redoc"]
    assert redoc["status"] == 200 and not redoc["errors"], redoc["errors"]
    assert not redoc["blocked"], redoc["blocked"]
    # The policy refuses only what would leave the server (ReDoc's footer logo on its CDN).
    assert all("'https://" in refused for refused in redoc["csp"]), "\n".join(redoc["csp"])
    script_src = next(d for d in redoc["policy"].split(";") if d.strip().startswith("script-src"))
    assert "'unsafe-inline'" not in script_src  # inline styles only (styled-components)
    ids = {op["operationId"] for ops in served["spec"]["paths"].values() for op in ops.values()}
    assert set(redoc["operations"]) == ids
    assert "/docs/assets/redoc.standalone.js" in redoc["served"]
