"""The employer's page ``/verify`` in a real Chromium (1280 and 390 px), served by ``ledger serve``.

Chromium is Debian's (``deploy/chromium/ensure.sh``), driven by playwright-core from the pinned
npm lockfile (``deploy/node``) through ``tests/e2e/credentials_page.mjs``. The page verifies
both proofs and the status list with its own JavaScript (the server's verdict shown beside),
looks certificates up by number, takes pasted and uploaded credentials, checks the holder
without sending what is typed, and keeps working once the server is unreachable.
"""

from __future__ import annotations

import copy
import json
import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from uuid import UUID

import httpx
import pytest

from ledger.adapters.follower import Db
from ledger.adapters.store import StoreTarget
from ledger.credentials.issuers import IssuerConfig, IssuerKeyStore
from ledger.credentials.issuing import CredentialIssuer
from tests.integration.test_credentials import build_world
from tests.interop.conftest import free_port, node_stack, start_server, stop_server

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "artifacts" / "credentials"
DRIVER = Path(__file__).with_name("credentials_page.mjs")
__all__ = ["node_stack"]  # the session fixture installing deploy/node


def chromium() -> str:
    """The Chromium binary; skipped locally, a failure under CI=true, when it is missing."""
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if found:
        return found
    if os.environ.get("CI") == "true":
        pytest.fail("chromium is required in CI: run deploy/chromium/ensure.sh")
    pytest.skip("chromium not installed (deploy/chromium/ensure.sh installs it)")


def _number(credential: dict[str, Any]) -> str:
    return str(credential["id"]).removeprefix("urn:uuid:")


@pytest.fixture(scope="module")
def scenario(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """A demo store served by ``ledger serve``; a valid, a revoked, a tampered credential, a holder."""
    base = tmp_path_factory.mktemp("cred-web")
    location = str(base / "ledger.db")
    world = build_world(location, base / "keys")
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    config = IssuerConfig(
        IssuerKeyStore(base / "keys"), public_url=url, recording=world.issuer.config.recording
    )
    issuer = CredentialIssuer(
        world.ledger.store, Db(StoreTarget.parse(location)), config, world.ledger.identities
    )
    row = next(r for r in world.rows if r.kind == "CQ" and r.status == "active")
    valid = issuer.credential(row.certificate_id)
    person = world.ledger.identities.get(UUID(row.learner_id))
    revoked = issuer.credential(next(r.certificate_id for r in world.rows if r.status == "revoked"))
    upload = issuer.credential(
        next(r.certificate_id for r in world.rows if r.kind == "clea" and r.status == "active")
    )
    (base / "upload.json").write_text(json.dumps(upload), encoding="utf-8")
    tampered = copy.deepcopy(valid)
    tampered["credentialSubject"]["achievement"]["name"] += "."
    world.ledger.store.close()
    share_identity_key(base / "keys")
    proc = start_server(location, base / "keys", port)
    yield {
        "url": url,
        "valid": {"number": _number(valid), "credential": valid},
        "revoked": {"number": _number(revoked)},
        "tampered": tampered,
        "uploadPath": str(base / "upload.json"),
        "unknown": "00000000-0000-4000-8000-000000000000",
        "holder": {
            "family": person.family_name,
            "given": person.given_name,
            "birth": person.birth_date.isoformat(),
            "nrn": person.national_number or "",
        },
    }
    stop_server(proc)


def share_identity_key(key_dir: Path) -> None:
    """Give the server the identity key the in-process ledger used (it reads the holder's identity)."""
    used = Path(os.environ.get("LEDGER_KEY_DIR", ".ledger/keys")) / "identity" / "kek"
    target = key_dir / "identity" / "kek"
    if used.resolve() != target.resolve():
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(used, target)


def run_page(node_stack: Path, scenario: dict[str, Any], width: int) -> dict[str, Any]:
    """What the page showed at ``width`` (screenshots in ``artifacts/credentials``)."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    request = {
        **scenario,
        "nodeDir": str(node_stack),
        "chromium": chromium(),
        "width": width,
        "shots": str(ARTIFACTS),
    }
    done = subprocess.run(
        ["node", str(DRIVER)],
        input=json.dumps(request),
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return dict(json.loads(done.stdout))


@pytest.mark.parametrize("width", [1280, 390])
def test_employer_page_verifies_in_the_browser(
    scenario: dict[str, Any], node_stack: Path, width: int
) -> None:
    """Valid, revoked, tampered, uploaded and unknown credentials; the holder check; offline."""
    seen = run_page(node_stack, scenario, width)
    assert seen["qr"]["local"] == "valid" and seen["qr"]["server"] == "valid", seen["qr"]
    assert seen["qr"]["holderShown"], seen["qr"]["facts"]
    assert not seen["qr"]["overflow"], width
    assert not seen["errors"]
    assert seen["wrongHolder"] == "no" and seen["rightHolder"] == "yes"
    assert seen["revoked"]["local"] == "revoked" and seen["revoked"]["server"] == "revoked"
    assert "révoqué le" in seen["revoked"]["revocation"] and "Motif" in seen["revoked"]["revocation"]
    assert seen["tampered"]["local"] == "invalid" and seen["tampered"]["server"] == "invalid"
    assert seen["upload"]["local"] == "valid" and seen["upload"]["server"] == "valid"
    assert seen["unknown"]["local"] == "error" and "introuvable" in " ".join(seen["unknown"]["reasons"])
    assert seen["offline"]["local"] == "valid" and seen["offline"]["server"] == "unreachable"
    assert seen["offlineTampered"]["local"] == "invalid"
    family = scenario["holder"]["family"]
    assert not [r for r in seen["sent"] if family.lower() in r.lower()]  # nothing typed was sent


def test_keys_did_documents_and_status_lists_are_public(scenario: dict[str, Any]) -> None:
    """The trust bundle, DID documents, the ledger's context and status lists need no login."""
    with httpx.Client(base_url=scenario["url"], timeout=30) as client:
        bundle = client.get("/keys").json()
        assert bundle["logVerifiers"] and bundle["jwks"]["keys"]
        assert client.get("/.well-known/did.json").json()["id"] == bundle["issuer"]
        status_url = scenario["valid"]["credential"]["credentialStatus"]["statusListCredential"]
        status = client.get(status_url).json()
        assert "BitstringStatusListCredential" in status["type"]
        assert status["issuer"] == scenario["valid"]["credential"]["issuer"]["id"]
        assert client.get("/status/9").status_code == 404
        assert client.get("/contexts/ledger-v1.json").json()["@context"]["logPosition"]
        assert client.get("/issuers/nowhere/did.json").status_code == 404


def test_public_routes_never_accept_an_event_certificate_id(scenario: dict[str, Any]) -> None:
    """Only the random number opens a credential: an id of the events answers 404."""
    with httpx.Client(base_url=scenario["url"], timeout=30) as client:
        valid = client.get(f"/credentials/{scenario['valid']['number']}")
        assert valid.status_code == 200
        assert client.get(f"/credentials/{scenario['unknown']}").status_code == 404
        assert client.get("/credentials/not-a-number").status_code == 400
