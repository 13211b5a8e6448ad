"""Credentials exported by the first release still verify (their fields changed since)."""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from ledger.credentials.verify import TrustStore, verify_credential

DATA = Path(__file__).resolve().parents[1] / "data" / "credentials-first-release"
NOW = datetime.now(UTC)


def load(name: str) -> Any:
    return json.loads((DATA / name).read_text(encoding="utf-8"))


def test_first_release_credential_verifies_with_every_check() -> None:
    """Root-controlled key, root-issued status list, event in the proof's extra: still valid."""
    verdict = verify_credential(
        load("active.json"), TrustStore.from_document(load("trust.json")), load("status.json"), NOW
    )
    assert verdict.verdict == "valid", verdict.reasons
    assert verdict.checks == {
        "issuer": "ok",
        "proofs": "ok",
        "dates": "ok",
        "recording": "ok",
        "status": "ok",
    }


def test_first_release_revoked_credential_is_revoked() -> None:
    """The first release's status list still revokes its credentials."""
    verdict = verify_credential(
        load("revoked.json"), TrustStore.from_document(load("trust.json")), load("status.json"), NOW
    )
    assert verdict.verdict == "revoked"


def test_first_release_credential_tampered_is_invalid() -> None:
    """The legacy paths are not a way around the proofs."""
    credential: dict[str, Any] = copy.deepcopy(load("active.json"))
    credential["credentialSubject"]["achievement"]["name"] += "."
    verdict = verify_credential(
        credential, TrustStore.from_document(load("trust.json")), load("status.json"), NOW
    )
    assert verdict.verdict == "invalid"
