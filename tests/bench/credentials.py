"""Micro-benchmark: sign and verify an Open Badges 3.0 credential with each EdDSA suite.

Run ``python -m tests.bench.credentials``.
"""

from __future__ import annotations

import json
import time
from typing import Any

from ledger.credentials.dataintegrity import (
    CRYPTOSUITES,
    add_proof,
    all_verified,
    verify_proofs,
)
from ledger.credentials.keys import KeyPair, key_resolver
from ledger.credentials.loader import CREDENTIALS_V2, OPEN_BADGES_V3
from ledger.credentials.statuslist import status_list_entry

CREATED = "2025-06-01T12:00:00Z"


def sample_open_badge(issuer_did: str) -> dict[str, Any]:
    """Return an unsigned Open Badges 3.0 ``OpenBadgeCredential`` for benchmarks/tests."""
    return {
        "@context": [CREDENTIALS_V2, OPEN_BADGES_V3],
        "id": "urn:uuid:0b6f7a52-6b1e-4b36-9d1c-5b2b8f7e0c11",
        "type": ["VerifiableCredential", "OpenBadgeCredential"],
        "issuer": {"id": issuer_did, "type": ["Profile"], "name": "Certification Ledger"},
        "validFrom": "2025-06-01T00:00:00Z",
        "name": "CléA — Socle de connaissances et de compétences professionnelles",
        "credentialSubject": {
            "type": ["AchievementSubject"],
            "identifier": [
                {
                    "type": "IdentityObject",
                    "identityHash": "sha256$4f1c0e2b4d8a5b3c1e6f7a8b9c0d1e2f3a4b5c6d7e8f9a0b",
                    "identityType": "emailAddress",
                    "hashed": True,
                }
            ],
            "achievement": {
                "id": "urn:uuid:6a8c1d4e-3f2b-4a5c-9e7d-1b2c3d4e5f60",
                "type": ["Achievement"],
                "name": "CléA",
                "description": "Certification interprofessionnelle (France).",
                "criteria": {"narrative": "Évaluation des sept domaines du référentiel."},
            },
        },
        "credentialStatus": status_list_entry("https://ledger.example/status/1", 94567),
    }


def _time_per_op(func: Any, n: int) -> float:
    start = time.perf_counter()
    for _ in range(n):
        func()
    return (time.perf_counter() - start) / n * 1000.0


def bench_verify(n: int = 200) -> dict[str, dict[str, float]]:
    """Time ``add_proof`` and ``verify_proofs`` ``n`` times per suite (ms per operation)."""
    key = KeyPair.generate()
    resolver = key_resolver([key.public])
    document = sample_open_badge(key.public.did)
    report: dict[str, dict[str, float]] = {}
    for suite in CRYPTOSUITES:
        signed = add_proof(document, key, suite, CREATED)
        if not all_verified(verify_proofs(signed, resolver)):
            raise AssertionError(f"{suite}: benchmark credential does not verify")
        sign_ms = _time_per_op(lambda s=suite: add_proof(document, key, s, CREATED), n)
        verify_ms = _time_per_op(lambda d=signed: verify_proofs(d, resolver), n)
        report[suite] = {
            "n": float(n),
            "sign_ms": round(sign_ms, 3),
            "verify_ms": round(verify_ms, 3),
            "verify_per_s": round(1000.0 / verify_ms, 1),
        }
    return report


if __name__ == "__main__":
    print(json.dumps(bench_verify(), indent=2))
