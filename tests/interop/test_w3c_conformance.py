"""The official W3C VC test suites pass against a real ``ledger serve`` (VC API over HTTPS).

Suites from ``../shared/conformance`` (vc-di-eddsa for both cryptosuites, vc-data-model-2.0,
vc-bitstring-status-list), copied to a temporary folder and run with their own npm
dependencies (:mod:`tests.interop.w3c_suites`). Every test must pass, or be one of the
failures listed with the reason it does not apply in ``tests/interop/conformance_exceptions.json``
(README, "W3C conformance").
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import json
import os
import secrets
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from ledger.credentials.keys import KeyPair
from tests.interop.conftest import free_port, start_server, stop_server
from tests.interop.w3c_suites import Outcome, local_config, prepare, run_suite

EXCEPTIONS = Path(__file__).with_name("conformance_exceptions.json")
SUITES = ("vc-di-eddsa-test-suite", "vc-data-model-2.0-test-suite", "vc-bitstring-status-list-test-suite")


def self_signed(folder: Path) -> tuple[Path, Path]:
    """A self-signed TLS certificate for 127.0.0.1 and localhost (the suites accept it)."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=7))
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
            ),
            critical=False,
        )
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = folder / "cert.pem", folder / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    return cert_path, key_path


@pytest.fixture(scope="module")
def vc_api(tmp_path_factory: pytest.TempPathFactory, node_stack: Path) -> Iterator[dict[str, Any]]:
    """``ledger serve`` over HTTPS with a did:key conformance issuer, on an empty ledger."""
    from ledger.credentials.issuers import IssuerKeyStore
    from tests.conftest import make_ledger

    base = tmp_path_factory.mktemp("w3c")
    location = str(base / "ledger.db")
    make_ledger(location).store.close()
    IssuerKeyStore(base / "keys").generate()
    seed = secrets.token_bytes(32)
    cert, key = self_signed(base)
    port = free_port()
    url = f"https://127.0.0.1:{port}"
    proc = start_server(
        location,
        base / "keys",
        port,
        extra={"LEDGER_CONFORMANCE_ISSUER_SEED": seed.hex(), "LEDGER_PUBLIC_URL": url},
        args=("--tls-cert", str(cert), "--tls-key", str(key)),
    )
    yield {"url": url, "issuer": KeyPair.from_seed(seed).public.did, "work": base / "suites"}
    stop_server(proc)


def known_failures(suite: str) -> dict[str, str]:
    """Test title → why it does not apply, as listed for ``suite``."""
    listed = json.loads(EXCEPTIONS.read_text(encoding="utf-8"))
    return {item["test"]: item["reason"] for item in listed.get(suite, [])}


@pytest.mark.parametrize("suite", SUITES)
def test_w3c_suite_passes(vc_api: dict[str, Any], suite: str) -> None:
    """Every test of the suite passes, or fails for a listed reason (and still fails: no stale entry)."""
    if shutil.which("npm") is None and os.environ.get("CI") != "true":
        pytest.skip("npm not installed")
    work = vc_api["work"] / suite
    work.mkdir(parents=True, exist_ok=True)
    folder = prepare(suite, work)
    outcomes = run_suite(folder, local_config(vc_api["url"], vc_api["issuer"], suite))
    failed = {o.title: o.error for o in outcomes if o.state == "failed"}
    passed = [o for o in outcomes if o.state == "passed"]
    (vc_api["work"] / f"{suite}.json").write_text(json.dumps([vars(o) for o in outcomes], indent=1))
    listed = known_failures(suite)
    unexpected = {t: e for t, e in failed.items() if t not in listed}
    assert passed, outcomes[:5]
    assert not unexpected, json.dumps(unexpected, indent=1)[:6000]
    assert not [t for t in listed if t not in failed], "listed failures that now pass: update the list"


def _unused(outcome: Outcome) -> None:  # keeps the import for type readers
    del outcome
