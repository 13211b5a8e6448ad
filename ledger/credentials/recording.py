"""Proof that a certificate's issuance is recorded in the ledger's integrity log.

The credential's ``evidence`` carries, in terms of the ledger's own JSON-LD context
(:data:`~ledger.credentials.loader.LEDGER_V1`, bundled in ``contexts/ledger-v1.json``, served
by ``ledger serve`` at ``/contexts/ledger-v1.json``; the RDF proof covers every field):

* ``logPosition`` — the zero-based position of the issuance event in the log;
* ``leafHash`` — the RFC 9162 leaf hash of that event (hex);
* ``tlogProof`` — a ``c2sp.org/tlog-proof@v1`` inclusion proof of that leaf with the signed
  checkpoint covering it, **without** its ``extra`` line: the logged leaf names the learner's
  random id, which a public credential must not carry. An auditor holding the log finds the
  event at ``logPosition`` and recomputes the leaf hash; anyone can check that the leaf is in
  the log the ledger signed.

Credentials of the first release carried the whole leaf and event in the proof's ``extra``
(and terms no context defined): they still verify (:mod:`ledger.credentials.verify`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson
import structlog

from ledger.credentials.issuers import RecordingLog

log = structlog.get_logger("ledger.credentials")

RECORDING_GENRE = "c2sp.org/tlog-proof@v1"


def audit_recording_log(target: Any, store: Any, key_dir: Path | None = None) -> RecordingLog | None:
    """The integrity log (:class:`ledger.audit.AuditLog`) of the store, if it can be opened.

    ``key_dir``: the settings' key directory (the log's keys); default beside the store.
    """
    try:
        from ledger.adapters.keys import LogKeyStore
        from ledger.audit.log import AuditLog
    except ImportError:  # the integrity log is optional for issuance
        return None
    return AuditLog(target, store, keys=LogKeyStore(key_dir) if key_dir is not None else None)


def _split_extra(text: str) -> tuple[str, bytes | None]:
    """The proof text without its ``extra`` line, and the extra bytes."""
    import base64

    lines = text.split("\n")
    if len(lines) > 1 and lines[1].startswith("extra "):
        return "\n".join([lines[0], *lines[2:]]), base64.b64decode(lines[1][6:])
    return text, None


def public_leaf(text: str) -> tuple[str, str]:
    """``(proof text without extra, hex leaf hash)`` of a proof from :meth:`AuditLog.inclusion_proof`."""
    from ledger.audit.log import leaf_bytes
    from ledger.integrity import leaf_hash

    stripped, extra = _split_extra(text)
    if extra is None:
        raise ValueError("the proof carries no leaf")
    leaf = orjson.loads(extra)["leaf"]
    return stripped, leaf_hash(leaf_bytes(leaf)).hex()


def recording_evidence(log_: RecordingLog, position: int) -> dict[str, Any] | None:
    """The ``evidence`` entry proving the issuance event at ``position`` is logged, if it is."""
    try:
        proof, leaf = public_leaf(log_.inclusion_proof(position))
    except Exception as exc:  # the log may not have reached the event yet
        log.warning("credential.recording_unavailable", position=position, error=type(exc).__name__)
        return None
    return {
        "type": ["Evidence"],
        "name": "Enregistré dans le journal d'intégrité du registre",
        "genre": RECORDING_GENRE,
        "description": "Preuve d'inclusion (c2sp.org/tlog-proof@v1) de la décision de délivrance "
        "dans le journal signé du registre, à la position logPosition.",
        "logPosition": position,
        "leafHash": leaf,
        "tlogProof": proof,
    }
