"""``ledger witness serve``: a c2sp.org/tlog-witness witness for other bodies' logs.

A certification body runs it so the bodies of a country watch each other: it cosigns a
log's checkpoint only if it is consistent with the last one it cosigned for that origin,
so a log cannot show two histories to two audiences once they both rely on this witness.

* **Keys**: the witness's Ed25519 cosignature key (c2sp.org/tlog-cosignature, type 0x04),
  in a file written by :func:`generate_witness_key` (``PRIVATE+KEY+<name>+<id>+<seed>``,
  mode 0600); its vkey goes into the policies of the logs' verifiers.
* **Logs**: a file of ``log <vkey> [<url>]`` lines (:func:`ledger.integrity.policy.parse_log_list`);
  the key's name is the log's origin.
* **State**: a SQLite file holding, per origin, the latest cosigned size, root and note.
  The old-size check and the update happen in one ``BEGIN IMMEDIATE`` transaction, so two
  concurrent requests can never roll a log back (the race the spec warns about).

Routes: ``POST /add-checkpoint`` (protocol statuses 200/400/403/404/409/422) and
``GET /<hex SHA-256 of the origin>/checkpoint`` (the monitoring retrieval mechanism),
plus ``GET /`` (name, vkey, logs and sizes, as text).
"""

from __future__ import annotations

import base64
import hashlib
import os
import sqlite3
import threading
import time
from collections.abc import Mapping, Sequence
from pathlib import Path

import structlog
from fastapi import FastAPI, Request, Response
from fastapi.responses import PlainTextResponse

from ledger.audit.errors import AuditError
from ledger.integrity import (
    CosignatureSigner,
    IntegrityError,
    Verifier,
    WitnessError,
    generate_cosignature_key,
    parse_cosignature_skey,
)
from ledger.integrity.note import note_signature_lines
from ledger.integrity.policy import parse_log_list
from ledger.integrity.witness import SIZE_CONTENT_TYPE, AddCheckpoint, check_add_checkpoint

__all__ = [
    "MAX_REQUEST",
    "WitnessState",
    "generate_witness_key",
    "load_witness_key",
    "read_log_list",
    "witness_app",
]

log = structlog.get_logger("ledger.witness")

MAX_REQUEST = 64 * 1024
"""Largest add-checkpoint body accepted (63 proof lines and 100 signatures fit easily)."""

_DDL = (
    "CREATE TABLE IF NOT EXISTS witness_logs (origin TEXT PRIMARY KEY, size INTEGER NOT NULL, "
    "root BLOB NOT NULL, note BLOB NOT NULL, updated_at TEXT NOT NULL)"
)


def generate_witness_key(name: str, path: Path) -> str:
    """Create the witness key file ``path`` (0600, never overwritten); return the vkey."""
    skey, vkey = generate_cosignature_key(name)
    data = (skey + "\n").encode("utf-8")
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
    except BaseException:
        Path(path).unlink(missing_ok=True)
        raise
    return vkey


def load_witness_key(path: Path) -> CosignatureSigner:
    """The witness's signer from its key file (refused if readable by others)."""
    key = Path(path)
    if not key.is_file():
        raise AuditError(f"no witness key file {key}: create one with `ledger witness keygen`")
    if key.stat().st_mode & 0o077:
        raise AuditError(f"{key} is readable by others: chmod 600 it")
    try:
        return parse_cosignature_skey(key.read_text(encoding="utf-8").strip())
    except (IntegrityError, UnicodeDecodeError) as exc:
        raise AuditError(f"malformed witness key file {key}: {exc}") from None


def read_log_list(path: Path) -> dict[str, list[Verifier]]:
    """The logs to witness, from a file of ``log <vkey> [<url>]`` lines."""
    try:
        return parse_log_list(Path(path).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise AuditError(f"cannot read the log list {path}: {exc}") from None
    except IntegrityError as exc:
        raise AuditError(f"log list {path}: {exc}") from None


class WitnessState:
    """The witness's durable state: per origin, the latest cosigned size, root and note."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self._conn = sqlite3.connect(
            str(self.path), timeout=30, isolation_level=None, check_same_thread=False
        )
        self._conn.execute("PRAGMA journal_mode=WAL")
        self._conn.execute("PRAGMA synchronous=FULL")
        self._conn.execute(_DDL)
        self._lock = threading.Lock()

    def latest(self, origin: str) -> tuple[int, bytes] | None:
        """``(size, root)`` last cosigned for ``origin``, or ``None``."""
        row = self._conn.execute("SELECT size, root FROM witness_logs WHERE origin = ?", (origin,)).fetchone()
        return None if row is None else (int(row[0]), bytes(row[1]))

    def note(self, origin_hash: str) -> bytes | None:
        """The latest cosigned note of the origin whose SHA-256 hex is ``origin_hash``."""
        for origin, note in self._conn.execute("SELECT origin, note FROM witness_logs"):
            if hashlib.sha256(str(origin).encode("utf-8")).hexdigest() == origin_hash:
                return bytes(note)
        return None

    def sizes(self) -> dict[str, int]:
        """Every witnessed origin and its size."""
        return {str(o): int(s) for o, s in self._conn.execute("SELECT origin, size FROM witness_logs")}

    def add_checkpoint(
        self, body: bytes, logs: Mapping[str, Sequence[Verifier]], signer: CosignatureSigner
    ) -> bytes:
        """Decide a request and, if it passes, persist the new size and return the cosignature.

        Raises :class:`WitnessError` with the protocol's HTTP status.
        """
        request = AddCheckpoint.parse(body)
        origin = request.checkpoint.split(b"\n", 1)[0].decode("utf-8", "replace")
        verifiers = logs.get(origin)
        with self._lock:
            self._conn.execute("BEGIN IMMEDIATE")
            try:
                checkpoint = check_add_checkpoint(request, verifiers, self.latest(origin))
                text = checkpoint.to_body().encode("utf-8")
                cosignature = signer.cosign(text)
                kept = _log_lines(request.checkpoint, verifiers or ())
                note = text + b"\n" + "".join(line + "\n" for line in kept).encode("utf-8") + cosignature
                self._conn.execute(
                    "INSERT INTO witness_logs (origin, size, root, note, updated_at) VALUES (?, ?, ?, ?, ?) "
                    "ON CONFLICT (origin) DO UPDATE SET size = excluded.size, root = excluded.root, "
                    "note = excluded.note, updated_at = excluded.updated_at",
                    (origin, checkpoint.size, checkpoint.root_hash, note, _now()),
                )
            except BaseException:
                self._conn.execute("ROLLBACK")
                raise
            self._conn.execute("COMMIT")
        log.info("witness.cosigned", origin=origin, size=checkpoint.size, old=request.old_size)
        return cosignature

    def close(self) -> None:
        """Close the state file."""
        self._conn.close()


def _log_lines(note: bytes, verifiers: Sequence[Verifier]) -> list[str]:
    """The note's signature lines by the trusted log keys (already verified by the check)."""
    ids = {(v.name, v.key_id.to_bytes(4, "big")) for v in verifiers}
    _, lines = note_signature_lines(note)
    out = []
    for line in lines:
        name, _, b64 = line.removeprefix("— ").partition(" ")
        if (name, base64.b64decode(b64)[:4]) in ids:
            out.append(line)
    return out


def _now() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())


def witness_app(
    signer: CosignatureSigner, logs: Mapping[str, Sequence[Verifier]], state: WitnessState
) -> FastAPI:
    """The witness's HTTP application (no authentication: checkpoints carry their proof)."""
    app = FastAPI(title=f"witness {signer.name}", docs_url=None, redoc_url=None, openapi_url=None)

    @app.post("/add-checkpoint")
    async def add_checkpoint(request: Request) -> Response:
        body = await _bounded_body(request)
        if body is None:
            return PlainTextResponse("request body too large", status_code=400)
        try:
            cosignature = state.add_checkpoint(body, logs, signer)
        except WitnessError as exc:
            log.info("witness.refused", status=exc.status, reason=str(exc))
            if exc.status == 409:
                # exactly this type, without the charset Starlette would append to text/*
                return Response(
                    f"{exc.known_size}\n", status_code=409, headers={"Content-Type": SIZE_CONTENT_TYPE}
                )
            return PlainTextResponse(str(exc), status_code=exc.status)
        return Response(cosignature, media_type="text/plain; charset=utf-8")

    @app.get("/{origin_hash}/checkpoint")
    def checkpoint(origin_hash: str) -> Response:
        note = state.note(origin_hash) if len(origin_hash) == 64 else None
        if note is None:
            return PlainTextResponse("this witness never cosigned that log", status_code=404)
        return Response(note, media_type="text/plain; charset=utf-8", headers={"Cache-Control": "max-age=60"})

    @app.get("/")
    def index() -> PlainTextResponse:
        sizes = state.sizes()
        lines = [f"witness {signer.name}", signer.verifier.vkey, ""]
        lines += [f"log {origin} size {sizes.get(origin, 0)}" for origin in sorted(logs)]
        return PlainTextResponse("\n".join(lines) + "\n")

    return app


async def _bounded_body(request: Request) -> bytes | None:
    chunks = bytearray()
    async for chunk in request.stream():
        chunks += chunk
        if len(chunks) > MAX_REQUEST:
            return None
    return bytes(chunks)
