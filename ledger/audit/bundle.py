"""Proof bundles: the proofs of several decisions (a certificate's chain) in one document.

``ledger audit prove --certificate ID`` without ``--out`` prints a bundle (with ``--out DIR``
it writes one ``<position>.tlog-proof`` file per decision instead). A bundle is a JSON
object (UTF-8)::

    {"format": "ledger-proof-bundle/v1",
     "certificate": "<certificate id>",
     "proofs": [{"position": 12, "event_id": "<aggregate uuid>/<version>",
                 "type": "UnitValidated", "proof": "<c2sp.org/tlog-proof@v1 text>"}, ...]}

Each ``proof`` is an unchanged c2sp.org/tlog-proof@v1 text (any tlog-proof tool reads it
once extracted, e.g. ``jq -r '.proofs[0].proof'``); ``ledger audit verify-proof`` accepts a
bundle and verifies every proof in it.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from ledger.audit.errors import AuditError

__all__ = ["BUNDLE_FORMAT", "make_bundle", "read_proofs"]

BUNDLE_FORMAT = "ledger-proof-bundle/v1"
"""The ``format`` member of every bundle."""

_FIELDS = ("position", "event_id", "type", "proof")


def make_bundle(certificate: str, rows: Sequence[Mapping[str, Any]]) -> str:
    """The bundle of ``rows`` (``position``, ``event_id``, ``type``, ``proof``), as JSON text."""
    proofs = [{name: row[name] for name in _FIELDS} for row in rows]
    document = {"format": BUNDLE_FORMAT, "certificate": certificate, "proofs": proofs}
    return json.dumps(document, indent=1, ensure_ascii=False) + "\n"


def read_proofs(text: str) -> list[str]:
    """The tlog-proof texts of a bundle, or ``[text]`` for a single proof."""
    if not text.lstrip().startswith("{"):
        return [text]
    try:
        document = json.loads(text)
    except ValueError as exc:
        raise AuditError(f"not a proof bundle: {exc}") from None
    if not isinstance(document, dict) or document.get("format") != BUNDLE_FORMAT:
        raise AuditError(f"not a proof bundle: its format is not {BUNDLE_FORMAT!r}")
    proofs = document.get("proofs")
    if not isinstance(proofs, list) or not proofs:
        raise AuditError("the proof bundle has no proofs")
    texts = [entry.get("proof") if isinstance(entry, dict) else None for entry in proofs]
    if not all(isinstance(t, str) for t in texts):
        raise AuditError("every entry of a proof bundle needs a 'proof' text")
    return [str(t) for t in texts]
