"""Every kind of credential the ledger issues, verified by implementations we did not write.

Oracles: Digital Bazaar's ``@digitalbazaar/vc`` 7.3 ``verifyCredential`` in its default (safe)
mode with the eddsa-rdfc-2022 and eddsa-jcs-2022 suites and the Bitstring Status List check
(``@digitalbazaar/vc-bitstring-status-list``: status list verified, issuers matching), DID
documents and status lists fetched from a real ``ledger serve``; the 1EdTech Open Badges 3.0
JSON Schema (``../shared/vectors/ob3``) through ``jsonschema``.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from tests.interop.conftest import OB3_SCHEMA, Site, reference_verify

KINDS = (
    "CQ all units",
    "CQ sovereign",
    "CE6P",
    "CléA Certif'Pro",
    "CléA branch jury",
    "CléA Numérique",
    "CléA Management",
)


def test_every_kind_verifies_in_safe_mode_with_its_status(site: Site, node_stack: Path) -> None:
    """Both proofs, the proof set, the issuer model and the status list pass Digital Bazaar's checks."""
    assert set(KINDS) <= set(site.credentials), sorted(site.credentials)
    names = list(KINDS)
    results = reference_verify(node_stack, [site.credentials[n] for n in names], site.url)
    for name, result in zip(names, results, strict=True):
        assert result["bothSuites"]["verified"], (name, result)
        assert result["bothSuites"]["statusVerified"] is True and result["bothSuites"]["revoked"] is False
        for suite in ("eddsa-rdfc-2022", "eddsa-jcs-2022"):
            assert result["perProof"][suite]["verified"], (name, suite, result)


def test_revoked_credentials_are_seen_revoked(site: Site, node_stack: Path) -> None:
    """The status bit of a revoked certificate is set in a list its issuer signed."""
    assert site.revoked
    results = reference_verify(node_stack, list(site.revoked.values()), site.url)
    for name, result in zip(site.revoked, results, strict=True):
        assert result["bothSuites"]["statusVerified"] is True, (name, result)
        assert result["bothSuites"]["revoked"] is True, (name, result)


def _tamper_one_byte(credential: dict[str, Any]) -> dict[str, Any]:
    changed = copy.deepcopy(credential)
    name = changed["credentialSubject"]["achievement"]["name"]
    changed["credentialSubject"]["achievement"]["name"] = name[:-1] + chr(ord(name[-1]) ^ 1)
    return changed


def test_one_byte_changed_fails_both_proofs(site: Site, node_stack: Path) -> None:
    """One flipped bit in any kind: eddsa-rdfc-2022 and eddsa-jcs-2022 both fail there."""
    tampered = [_tamper_one_byte(site.credentials[n]) for n in KINDS]
    for name, result in zip(KINDS, reference_verify(node_stack, tampered, site.url), strict=True):
        assert not result["bothSuites"]["verified"], name
        for suite in ("eddsa-rdfc-2022", "eddsa-jcs-2022"):
            assert not result["perProof"][suite]["verified"], (name, suite)


def test_a_field_outside_every_context_is_refused_in_safe_mode(site: Site, node_stack: Path) -> None:
    """The safe mode the credentials pass is real: an undefined term makes the RDF proof fail there."""
    credential = copy.deepcopy(site.credentials["CE6P"])
    credential["credentialSubject"]["undefinedTerm"] = "x"
    result = reference_verify(node_stack, [credential], site.url)[0]
    assert not result["perProof"]["eddsa-rdfc-2022"]["verified"]
    assert "Safe mode" in str(result["perProof"]["eddsa-rdfc-2022"]["error"])


def test_every_exported_credential_validates_against_the_ob3_schema(site: Site) -> None:
    """The 1EdTech AchievementCredential schema (draft 2019-09, formats checked) accepts them all."""
    schema = json.loads(OB3_SCHEMA.read_text(encoding="utf-8"))
    validator = jsonschema.Draft201909Validator(
        schema, format_checker=jsonschema.Draft201909Validator.FORMAT_CHECKER
    )
    assert len(site.every) > 50
    for credential in site.every:
        errors = [e.message for e in validator.iter_errors(credential)]
        assert not errors, (credential["id"], errors[:3])
    broken = copy.deepcopy(site.every[0])
    broken["issuer"]["otherIdentifier"] = [
        {"type": ["IdentifierEntry"], "identifier": "1", "identifierType": "identifier"}
    ]
    assert not validator.is_valid(broken)  # the first release's array form is what it refuses


@pytest.mark.parametrize("kind", ["CQ all units", "CléA branch jury"])
def test_issuer_did_resolves_to_a_document_it_controls(site: Site, kind: str) -> None:
    """The issuer's did:web document is served at its did:web path and controls the proof's key."""
    import httpx

    credential = site.credentials[kind]
    issuer = credential["issuer"]["id"]
    path = "/".join(issuer.removeprefix("did:web:").split(":")[1:])
    document = httpx.get(f"{site.url}/{path}/did.json", timeout=10).json()
    assert document["id"] == issuer
    method = credential["proof"][0]["verificationMethod"]
    assert method.startswith(issuer + "#") and method in document["assertionMethod"]
    assert all(m["controller"] == issuer for m in document["verificationMethod"])
