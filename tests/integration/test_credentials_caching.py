"""Fast verification without weaker checks: the status list is signed once per change, its
verdict is cached by digest, and the costly eddsa-rdfc-2022 proof is checked last."""

from __future__ import annotations

import copy
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from uuid import UUID

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from ledger.adapters.store import StoreTarget
from ledger.credentials.http import CredentialsContext, router
from ledger.credentials.statuslist import BitstringStatusList
from ledger.credentials.verify import TrustStore, verify_credential
from tests.builders import cmd, run
from tests.integration.test_credentials import World, build_world


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[World, Path]]:
    """A demo cohort in a SQLite file, with credential and log keys."""
    base = tmp_path_factory.mktemp("caching")
    built = build_world(str(base / "ledger.db"), base / "keys")
    yield built, base
    built.ledger.store.close()


def _client(world: World, base: Path) -> TestClient:
    app = FastAPI()
    ctx = CredentialsContext(
        target=StoreTarget.parse(str(base / "ledger.db")),
        key_dir=base / "keys",
        recording=world.issuer.config.recording,
    )
    app.include_router(router(ctx))
    return TestClient(app)


def _revoke(world: World, certificate_id: str) -> None:
    row = next(r for r in world.rows if r.certificate_id == certificate_id)
    fase = world.ledger.get(UUID(row.learner_id)).fase
    run(
        world.ledger,
        cmd(
            "RevokeCertificate",
            "jury_qualification",
            "2026-10-01",
            fase,
            learner_id=row.learner_id,
            certificate_id=certificate_id,
            reason="fraud established",
        ),
    )


def test_status_list_is_signed_again_only_when_a_revocation_changes_it(world: tuple[World, Path]) -> None:
    """Same signed list while nothing changes; a revocation is served (and verified) at once."""
    built, base = world
    with _client(built, base) as client:
        active = [r.certificate_id for r in built.rows if r.kind == "CQ" and r.status == "active"][-1]
        credential = built.issuer.credential(active)
        url = "/status/" + built.issuer.config.list_id_of(
            credential["credentialStatus"]["statusListCredential"]
        )
        first = client.get(url).json()
        assert client.get(url).json() == first  # proof ids are random: not re-signed
        verdict = client.post("/verify", json=credential).json()
        assert verdict["verdict"] == "valid", verdict
        assert verdict["checks"]["proofs"] == verdict["checks"]["status"] == "ok"
        _revoke(built, active)
        after = client.post("/verify", json=credential).json()
        assert after["verdict"] == "revoked" and after["checks"]["status"] == "revoked"
        changed = client.get(url).json()
        assert changed["credentialSubject"]["encodedList"] != first["credentialSubject"]["encodedList"]
        assert client.get(url).json() == changed
        assert client.get("/status/nope").status_code == 404


def test_status_list_is_signed_again_after_a_key_rotation(world: tuple[World, Path]) -> None:
    """A new signing key signs the next list; verification trusts the rotated keys."""
    built, base = world
    with _client(built, base) as client:
        active = next(r.certificate_id for r in built.rows if r.kind == "CE6P" and r.status == "active")
        old = built.issuer.credential(active)
        url = "/status/" + built.issuer.config.list_id_of(old["credentialStatus"]["statusListCredential"])
        before = client.get(url).json()
        built.issuer.config.keys.generate(now=datetime.now(UTC) + timedelta(minutes=1))
        built.trust = TrustStore.from_document(built.issuer.config.trust_bundle())
        after = client.get(url).json()
        assert after["proof"][0]["verificationMethod"] != before["proof"][0]["verificationMethod"]
        number = old["id"].removeprefix("urn:uuid:")
        credential = client.get(f"/credentials/{number}").json()
        assert credential["proof"][0]["verificationMethod"] == after["proof"][0]["verificationMethod"]
        assert client.post("/verify", json=credential).json()["verdict"] == "valid"
        assert client.post("/verify", json=old).json()["verdict"] == "valid"  # signed before the rotation


def _with_bit(status_list: dict[str, Any], index: int) -> dict[str, Any]:
    forged = copy.deepcopy(status_list)
    bits = BitstringStatusList.decode(forged["credentialSubject"]["encodedList"])
    bits.set(index)
    forged["credentialSubject"]["encodedList"] = bits.encode()
    return forged


def test_a_changed_status_list_is_verified_afresh_never_taken_from_the_cache(
    world: tuple[World, Path],
) -> None:
    """After a genuine list was verified (and cached), a forged copy still fails its proofs."""
    built, _ = world
    active = next(r.certificate_id for r in built.rows if r.kind == "clea" and r.status == "active")
    credential = built.issuer.credential(active)
    status = built.issuer.status_list_of(credential)
    for _ in range(2):
        assert verify_credential(credential, built.trust, status).verdict == "valid"
    index = int(credential["credentialStatus"]["statusListIndex"])
    verdict = verify_credential(credential, built.trust, _with_bit(status, index))
    assert verdict.checks["status"] == "not checked" and verdict.verdict == "status_unknown"
    assert verdict.exit_code == 6
    assert any("the status list did not verify" in r for r in verdict.reasons)


def test_rdfc_proof_is_checked_last_and_still_required(world: tuple[World, Path]) -> None:
    """A credential failing a cheap check skips RDF canonicalisation; otherwise both proofs count."""
    built, _ = world
    active = next(r.certificate_id for r in built.rows if r.kind == "CQ" and r.status == "active")
    credential = built.issuer.credential(active)
    status = built.issuer.status_list_of(credential)
    tampered = copy.deepcopy(credential)
    tampered["name"] += "."
    verdict = verify_credential(tampered, built.trust, status)
    assert verdict.verdict == "invalid"
    assert any("eddsa-jcs-2022 proof bad signature" in r for r in verdict.reasons)
    assert any("eddsa-rdfc-2022 proof not checked" in w for w in verdict.warnings)
    bad_rdfc = copy.deepcopy(credential)
    rdfc = next(p for p in bad_rdfc["proof"] if p["cryptosuite"] == "eddsa-rdfc-2022")
    jcs = next(p for p in bad_rdfc["proof"] if p["cryptosuite"] == "eddsa-jcs-2022")
    rdfc["proofValue"] = jcs["proofValue"]
    verdict = verify_credential(bad_rdfc, built.trust, status)
    assert verdict.verdict == "invalid"
    assert any("eddsa-rdfc-2022 proof bad signature" in r for r in verdict.reasons)
    good = verify_credential(credential, built.trust, status)
    assert good.verdict == "valid" and not good.warnings
