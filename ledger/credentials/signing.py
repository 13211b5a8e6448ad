"""The ledger's proof set: every credential it signs carries ``eddsa-jcs-2022`` then ``eddsa-rdfc-2022``.

Shared by the credential issuer (:mod:`ledger.credentials.issuing`) and the status lists
(:mod:`ledger.credentials.statusstore`), which otherwise import each other.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from ledger.credentials.dataintegrity import EDDSA_JCS_2022, EDDSA_RDFC_2022, add_proof
from ledger.credentials.keys import KeyPair

__all__ = ["PROOF_SUITES", "sign"]

PROOF_SUITES = (EDDSA_JCS_2022, EDDSA_RDFC_2022)


def sign(document: dict[str, Any], key: KeyPair, method: str, created: datetime) -> dict[str, Any]:
    """Add the proof set (``eddsa-jcs-2022`` then ``eddsa-rdfc-2022``) by ``method``."""
    signed = document
    for suite in PROOF_SUITES:
        signed = add_proof(
            signed, key, suite, created, verification_method=method, proof_id=f"urn:uuid:{uuid.uuid4()}"
        )
    return signed
