"""Certificates as Open Badges 3.0 credentials: issued from a real store, verified offline."""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any
from uuid import UUID

import pytest

from ledger.adapters.follower import Db
from ledger.adapters.keys import LogKeyStore
from ledger.adapters.store import StoreTarget
from ledger.application import Ledger, parse_command
from ledger.application.queries import certificates
from ledger.audit.log import AuditLog
from ledger.credentials.issuers import IssuerConfig
from ledger.credentials.issuers import IssuerKeyStore as KeyStore
from ledger.credentials.issuing import CredentialIssuer
from ledger.credentials.verify import TrustStore, verify_credential
from ledger.demo.cpu import demo_commands, resolve_refs
from tests.builders import cmd, run
from tests.conftest import FixedClock, make_ledger

SEED = 2


@dataclass
class World:
    """A demo cohort in a real store, an issuer with its keys, and the verifier's trust."""

    ledger: Ledger
    issuer: CredentialIssuer
    trust: TrustStore
    rows: list[Any]

    def first(self, kind: str, status: str = "active") -> str:
        return str(next(r.certificate_id for r in self.rows if r.kind == kind and r.status == status))

    def verify(self, credential: Any, with_status: bool = True) -> Any:
        status = self.issuer.status_list_of(credential) if with_status else None
        return verify_credential(credential, self.trust, status)


def build_world(location: str, key_dir: Path) -> World:
    """Record a small demo cohort, then wire the issuer to the real integrity log."""
    ledger = make_ledger(location, FixedClock())
    raw = demo_commands(SEED, 40, 30, date(2026, 11, 1))
    ledger.execute_all((parse_command(resolve_refs(ledger, r)) for r in raw), batch=500)
    target = StoreTarget.parse(location)
    LogKeyStore(key_dir).generate("certificates.ledger.example/test-log")
    keys = KeyStore(key_dir)
    keys.generate()
    config = IssuerConfig(keys, recording=AuditLog(target, ledger.store, keys=LogKeyStore(key_dir)))
    issuer = CredentialIssuer(ledger.store, Db(target), config, ledger.identities)
    trust = TrustStore.from_document(config.trust_bundle())
    return World(ledger, issuer, trust, certificates(ledger.store))


@pytest.fixture
def world(store_location: str, tmp_path: Path) -> Iterator[World]:
    """A world on each backend (SQLite file, PostgreSQL schema)."""
    built = build_world(store_location, tmp_path / "keys")
    yield built
    built.ledger.store.close()


@pytest.fixture(scope="module")
def sqlite_world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    """One SQLite world shared by the read-only tests of this module."""
    base = tmp_path_factory.mktemp("credentials")
    built = build_world(str(base / "ledger.db"), base / "keys")
    yield built
    built.ledger.store.close()


def test_every_certificate_kind_exports_as_a_valid_open_badge(world: World) -> None:
    """CQ, CE6P, CléA, CléA Numérique and CléA Management verify: both proofs, status, recording."""
    kinds = {r.kind for r in world.rows}
    assert {"CQ", "CE6P", "clea", "clea_numerique", "clea_management"} <= kinds
    for kind in sorted(kinds):
        credential = world.issuer.credential(world.first(kind))
        verdict = world.verify(credential)
        assert verdict.verdict == "valid", (kind, verdict.reasons)
        assert verdict.checks == {
            "issuer": "ok",
            "proofs": "ok",
            "dates": "ok",
            "recording": "ok",
            "status": "ok",
        }
        assert "OpenBadgeCredential" in credential["type"]
        assert {p["cryptosuite"] for p in credential["proof"]} == {"eddsa-jcs-2022", "eddsa-rdfc-2022"}


def test_cpu_credential_states_school_jury_units_and_eqf_level(sqlite_world: World) -> None:
    """A CQ names the school (FASE) and its jury, the validated UAA and the EQF level."""
    credential = sqlite_world.issuer.credential(sqlite_world.first("CQ"))
    issuer = credential["issuer"]
    assert issuer["id"].startswith("did:web:certificates.ledger.example:issuers:fase-")
    assert issuer["parentOrg"]["otherIdentifier"][0]["identifier"].isdigit()
    achievement = credential["credentialSubject"]["achievement"]
    assert achievement["alignment"][0]["targetFramework"] == "European Qualifications Framework"
    assert all(r["status"] == "Completed" for r in credential["credentialSubject"]["result"])
    assert "id" not in credential["credentialSubject"]  # the holder: an identity hash only


def test_clea_credential_has_certifpro_or_branch_issuer_and_no_eqf(sqlite_world: World) -> None:
    """CléA names Certif'Pro (or a branch jury), its domains as results, and no EQF level."""
    credential = sqlite_world.issuer.credential(sqlite_world.first("clea"))
    issuer = credential["issuer"]["id"]
    assert ":issuers:certifpro" in issuer or ":issuers:branch-" in issuer
    achievement = credential["credentialSubject"]["achievement"]
    assert "alignment" not in achievement
    assert len(credential["credentialSubject"]["result"]) == 7


def test_holder_is_identified_by_an_identity_hash_only(sqlite_world: World) -> None:
    """No name, no learner id in the credential: an identity hash when the identity is known."""
    certificate = sqlite_world.first("CQ")
    credential = sqlite_world.issuer.credential(certificate)
    ident = credential["credentialSubject"]["identifier"][0]
    assert ident["hashed"] is True and ident["identityHash"].startswith("sha256$")
    learner = next(r.learner_id for r in sqlite_world.rows if r.certificate_id == certificate)
    assert learner not in json.dumps(credential) and certificate not in json.dumps(credential)
    assert "given_name" not in str(credential)
    bare = sqlite_world.issuer.credential(certificate, include_holder=False)
    assert "identifier" not in bare["credentialSubject"]
    assert learner not in bare["credentialSubject"]["id"]


def _string_paths(value: Any, path: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    if isinstance(value, str):
        yield path
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _string_paths(item, (*path, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _string_paths(item, (*path, index))


def _change_one_char(document: Any, path: tuple[Any, ...]) -> Any:
    changed = copy.deepcopy(document)
    parent = changed
    for step in path[:-1]:
        parent = parent[step]
    text = parent[path[-1]]
    middle = len(text) // 2
    swap = "x" if text[middle : middle + 1] != "x" else "y"
    parent[path[-1]] = text[:middle] + swap + text[middle + 1 :]
    return changed


def test_one_character_changed_in_any_field_fails_with_a_reason(sqlite_world: World) -> None:
    """Every string of the credential (data, proofs, recording proof) is protected."""
    credential = sqlite_world.issuer.credential(sqlite_world.first("CQ"))
    status = sqlite_world.issuer.status_list_of(credential)
    paths = list(_string_paths(credential))
    assert len(paths) > 40
    for path in paths:
        verdict = verify_credential(_change_one_char(credential, path), sqlite_world.trust, status)
        assert verdict.verdict != "valid", path
        assert verdict.reasons, path


def test_revoked_certificate_verifies_as_revoked(world: World) -> None:
    """A revoked certificate's credential is refused by the status list, which changed."""
    revoked = (
        world.first("clea_numerique", "revoked")
        if any(r.status == "revoked" and r.kind == "clea_numerique" for r in world.rows)
        else next(r.certificate_id for r in world.rows if r.status == "revoked")
    )
    credential = world.issuer.credential(revoked)
    verdict = world.verify(credential)
    assert verdict.verdict == "revoked"
    assert verdict.checks["status"] == "revoked"
    assert verdict.exit_code == 3


def test_status_list_changes_when_a_certificate_is_revoked(sqlite_world: World, tmp_path: Path) -> None:
    """Revoking an exported certificate sets its bit in the next status list."""
    active = sqlite_world.first("CQ")
    credential = sqlite_world.issuer.credential(active)
    before = sqlite_world.issuer.status_list_of(credential)
    row = next(r for r in sqlite_world.rows if r.certificate_id == active)
    fase = sqlite_world.ledger.get(UUID(row.learner_id)).fase
    run(
        sqlite_world.ledger,
        cmd(
            "RevokeCertificate",
            "jury_qualification",
            "2026-10-01",
            fase,
            learner_id=row.learner_id,
            certificate_id=active,
            reason="fraud established",
        ),
    )
    after = sqlite_world.issuer.status_list_of(credential)
    assert before["credentialSubject"]["encodedList"] != after["credentialSubject"]["encodedList"]
    assert verify_credential(credential, sqlite_world.trust, before).verdict == "valid"
    assert verify_credential(credential, sqlite_world.trust, after).verdict == "revoked"


def test_credential_signed_by_unknown_key_is_refused(sqlite_world: World, tmp_path: Path) -> None:
    """Same issuer name, a key the verifier does not trust: unknown issuer (exit 5)."""
    rogue_keys = KeyStore(tmp_path / "rogue")
    rogue_keys.generate()
    rogue = CredentialIssuer(
        sqlite_world.ledger.store,
        sqlite_world.issuer.status.db,
        IssuerConfig(rogue_keys),
        sqlite_world.ledger.identities,
    )
    verdict = sqlite_world.verify(rogue.credential(sqlite_world.first("CQ")))
    assert verdict.verdict == "unknown_issuer"
    assert verdict.exit_code == 5
    assert any("unknown key" in r for r in verdict.reasons)


def test_issuer_outside_the_trusted_root_is_unknown(sqlite_world: World) -> None:
    """A credential naming another DID root is refused as unknown issuer."""
    other = TrustStore("did:web:elsewhere.example", sqlite_world.trust.keys, sqlite_world.trust.log_verifiers)
    credential = sqlite_world.issuer.credential(sqlite_world.first("CE6P"))
    assert verify_credential(credential, other, require_status=False).verdict == "unknown_issuer"


def test_one_proof_alone_is_not_enough(sqlite_world: World) -> None:
    """Both eddsa-jcs-2022 and eddsa-rdfc-2022 are required."""
    credential = sqlite_world.issuer.credential(sqlite_world.first("CE6P"))
    for keep in range(2):
        single = copy.deepcopy(credential)
        single["proof"] = single["proof"][keep]
        verdict = verify_credential(single, sqlite_world.trust, require_status=False)
        assert verdict.verdict == "invalid"
        assert any("both suites are required" in r for r in verdict.reasons)


def test_rotated_keys_still_verify_old_credentials(sqlite_world: World) -> None:
    """After a new key is generated, credentials signed by the old key stay valid."""
    old = sqlite_world.issuer.credential(sqlite_world.first("clea"))
    sqlite_world.issuer.config.keys.generate()
    trust = TrustStore.from_document(sqlite_world.issuer.config.trust_bundle())
    sqlite_world.trust = trust
    new = sqlite_world.issuer.credential(sqlite_world.first("clea"))
    assert old["proof"][0]["verificationMethod"] != new["proof"][0]["verificationMethod"]
    status = sqlite_world.issuer.status_list_of(new)
    assert verify_credential(old, trust, status).verdict == "valid"
    assert verify_credential(new, trust, status).verdict == "valid"


def test_status_index_is_random_persisted_and_stable(sqlite_world: World) -> None:
    """Each certificate keeps one status index; different certificates get different ones."""
    first = sqlite_world.issuer.credential(sqlite_world.first("CQ"))
    again = sqlite_world.issuer.credential(sqlite_world.first("CQ"))
    other = sqlite_world.issuer.credential(sqlite_world.first("CE6P"))
    assert first["credentialStatus"] == again["credentialStatus"] and first["id"] == again["id"]
    assert first["credentialStatus"]["id"] != other["credentialStatus"]["id"]
    assert first["id"] != other["id"]


def test_not_yet_valid_credential_is_invalid(sqlite_world: World) -> None:
    """Validity dates are checked (a credential dated in the future does not verify)."""
    credential = sqlite_world.issuer.credential(sqlite_world.first("CQ"))
    verdict = verify_credential(
        credential,
        sqlite_world.trust,
        sqlite_world.issuer.status_list_of(credential),
        now=datetime(2000, 1, 1, tzinfo=UTC),
    )
    assert verdict.verdict == "invalid"
    assert verdict.checks["dates"] == "failed"


def test_compiled_contexts_give_the_same_dataset_for_every_kind(sqlite_world: World) -> None:
    """The verifier's fast path (one compiled context) equals pyld with the full contexts."""
    from ledger.credentials.loader import canonicalize_rdf, canonicalize_rdf_pyld

    kinds = {r.kind for r in sqlite_world.rows}
    for kind in sorted(kinds):
        credential = sqlite_world.issuer.credential(sqlite_world.first(kind))
        document = {k: v for k, v in credential.items() if k != "proof"}
        assert canonicalize_rdf(document, compiled=True) == canonicalize_rdf_pyld(document), kind
        status = sqlite_world.issuer.status_list_of(credential)
        unsigned = {k: v for k, v in status.items() if k != "proof"}
        assert canonicalize_rdf(unsigned, compiled=True) == canonicalize_rdf_pyld(unsigned)


def test_fast_jcs_is_the_reference_encoder_on_every_kind(sqlite_world: World) -> None:
    """The orjson JCS path takes every credential kind and status list, byte for byte rfc8785's."""
    from ledger.credentials.jcs import canonicalize, canonicalize_reference, orjson_safe

    for kind in sorted({r.kind for r in sqlite_world.rows}):
        credential = sqlite_world.issuer.credential(sqlite_world.first(kind))
        status = sqlite_world.issuer.status_list_of(credential)
        for document in (credential, status, *credential["proof"]):
            assert orjson_safe(document), kind  # the fast path, not the fallback
            assert canonicalize(document) == canonicalize_reference(document), kind


def test_a_document_the_compiled_context_reads_otherwise_still_verifies() -> None:
    """Where the compiled context differs (a term outside the scope defining it) the verifier
    falls back to the full contexts: a good signature is never called bad."""
    from ledger.credentials.dataintegrity import add_proof, verify_proofs
    from ledger.credentials.keys import KeyPair, did_key_resolver
    from ledger.credentials.loader import LEDGER_V1, OPEN_BADGES_V3, canonicalize_rdf
    from ledger.credentials.verify import COMPILED_LIMITS

    document = {
        "@context": ["https://www.w3.org/ns/credentials/v2", OPEN_BADGES_V3, LEDGER_V1],
        "type": ["VerifiableCredential", "OpenBadgeCredential"],
        "issuer": "did:example:issuer",
        "validFrom": "2026-01-01T00:00:00Z",
        "credentialSubject": {"type": ["AchievementSubject"], "salt": "outside IdentityObject"},
    }
    assert canonicalize_rdf(document, compiled=True) != canonicalize_rdf(document)
    key = KeyPair.generate()
    signed = add_proof(document, key, "eddsa-rdfc-2022", "2026-01-01T00:00:00Z")
    results = verify_proofs(signed, did_key_resolver, limits=COMPILED_LIMITS)
    assert [r.verified for r in results] == [True]
