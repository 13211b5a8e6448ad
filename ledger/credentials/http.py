"""Public HTTP endpoints of credential verification (no login), as a FastAPI router.

``router(ctx)`` serves, relative to where it is mounted:

* ``POST /verify`` – a posted credential (or ``{"credential": …}``) → verdict JSON, checked
  against this ledger's keys, its current status list and its integrity log keys (in a
  worker thread, so the event loop keeps serving; the status list is signed once per change);
* ``GET /verify`` – the verification page (paste, upload, or ``/verify?id=<certificate>``
  which fetches ``/credentials/<id>``); its assets under ``/verify-assets/``;
* ``GET /credentials/{id}`` – the signed credential of a certificate;
* ``GET /status/{list_id}`` – the signed status list credential;
* ``GET /.well-known/did.json`` – the issuer's DID document; ``GET /keys`` – the trust
  bundle (DID document, JWKS, log verifier keys) for offline verifiers.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from importlib import resources
from pathlib import Path
from typing import Any

import structlog
from fastapi import APIRouter, HTTPException, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, JSONResponse, Response

from ledger.credentials.issue import (
    DEFAULT_ISSUER_DID,
    DEFAULT_PUBLIC_URL,
    STATUS_LIST_ID,
    CredentialIssuer,
    IssuerConfig,
    KeyStore,
    RecordingLog,
    StatusListCache,
    audit_recording_log,
)
from ledger.credentials.verify import TrustStore, Verdict, verify_credential
from ledger.domain.errors import LedgerError, UnknownEntity

log = structlog.get_logger("ledger.credentials.http")

MAX_BODY = 1_048_576
ASSETS = {"verify.js": "text/javascript; charset=utf-8", "verify.css": "text/css; charset=utf-8"}


@dataclass
class CredentialsContext:
    """What the router needs: the store target, the key directory, public names."""

    target: Any
    key_dir: Path | None = None
    issuer_did: str = DEFAULT_ISSUER_DID
    public_url: str = DEFAULT_PUBLIC_URL
    recording: RecordingLog | None = None
    with_audit_log: bool = True
    store: Any = None
    """The process's event store (opened from ``target`` when ``None``)."""
    kek: bytes | None = None
    """The identity key-encryption key (the bootstrap reads it from the key directory)."""


class _Service:
    """Opens the store once; a DB connection per issuing request (threads of the server).

    Status list credentials are kept signed in one :class:`StatusListCache` and signed again
    only when a revocation (or a key rotation) changes them; verification needs no
    connection of its own (the store's pooled ones serve the few lookups).
    """

    def __init__(self, ctx: CredentialsContext) -> None:
        from ledger.adapters.store import open_store

        self.ctx = ctx
        self.store = ctx.store if ctx.store is not None else open_store(ctx.target)
        keys = KeyStore(ctx.key_dir) if ctx.key_dir is not None else KeyStore.for_target(ctx.target)
        self.config = IssuerConfig(keys, ctx.issuer_did, ctx.public_url.rstrip("/"), ctx.recording)
        self.status_cache = StatusListCache(self.store)

    @property
    def key_root(self) -> Path:
        """The key directory: the context's, else the store's default."""
        from ledger.adapters.keys import default_key_dir

        return self.ctx.key_dir if self.ctx.key_dir is not None else default_key_dir(self.ctx.target)

    def trust(self) -> TrustStore:
        """The verifier's trust, read afresh (keys may rotate): credential and log keys."""
        recording: Any = self.ctx.recording
        if recording is None and self.ctx.with_audit_log:
            recording = _LogKeys(self.ctx.target, self.ctx.key_dir)
        return TrustStore.from_document(replace(self.config, recording=recording).trust_bundle())

    def verify(self, document: Any) -> Verdict:
        """Verify a posted credential against the current status list (runs in a worker thread)."""
        status = self.status_cache.signed(STATUS_LIST_ID, self.config)
        return verify_credential(document, self.trust(), status)

    @contextmanager
    def issuer(self) -> Iterator[CredentialIssuer]:
        from ledger.adapters.follower import Db
        from ledger.adapters.identity import SqlIdentityStore, key_encryption_key

        target = self.ctx.target
        db, conn = Db(target), target.connect()
        audit = None
        if self.ctx.recording is None and self.ctx.with_audit_log:
            audit = audit_recording_log(target, self.store, self.ctx.key_dir)  # connection per thread
        config = replace(self.config, recording=audit or self.ctx.recording)
        try:
            kek = self.ctx.kek if self.ctx.kek is not None else key_encryption_key(self.key_root)
            yield CredentialIssuer(self.store, db, config, SqlIdentityStore(conn, target.placeholder, kek),
                                   status_cache=self.status_cache)
        finally:
            db.close()
            conn.close()
            if audit is not None:
                getattr(audit, "close", lambda: None)()


class _LogKeys:
    """The integrity log's verifier keys, read from its key directory (no database)."""

    def __init__(self, target: Any, key_dir: Path | None = None) -> None:
        from ledger.adapters.keys import LogKeyStore, default_key_dir

        self.keys = LogKeyStore(key_dir or default_key_dir(target))  # as ledger.audit.AuditLog reads them

    def inclusion_proof(self, position: int) -> str:
        """Not offered: verification only reads keys."""
        raise NotImplementedError("verification does not prove inclusion")

    def verifiers(self) -> list[str]:
        """Every log verifier key (C2SP vkey strings), active first."""
        return [v.vkey for v in self.keys.verifiers()]


def _web(name: str) -> str:
    return resources.files("ledger.credentials").joinpath("web").joinpath(name).read_text("utf-8")


def _error(status: int, message: str) -> JSONResponse:
    return JSONResponse({"error": message}, status_code=status)


async def _posted_credential(request: Request) -> Any:
    body = await request.body()
    if len(body) > MAX_BODY:
        raise HTTPException(413, "credential larger than 1 MiB")
    try:
        doc = json.loads(body)
    except ValueError as exc:
        raise HTTPException(400, f"the body is not JSON: {exc}") from None
    if isinstance(doc, dict) and "credential" in doc and "@context" not in doc:
        return doc["credential"]
    return doc


def router(ctx: CredentialsContext) -> APIRouter:
    """The public verification router over one ledger store."""
    service = _Service(ctx)
    api = APIRouter(tags=["credentials"])

    @api.post("/verify")
    async def verify(request: Request) -> JSONResponse:
        """Verify a posted credential against this ledger's keys and current status list."""
        document = await _posted_credential(request)
        verdict = await run_in_threadpool(service.verify, document)  # CPU-bound: off the loop
        log.info("credential.verified", verdict=verdict.verdict)
        return JSONResponse(verdict.to_dict())

    @api.get("/verify", response_class=HTMLResponse)
    def page() -> HTMLResponse:
        """The verification page."""
        return HTMLResponse(_web("verify.html"))

    @api.get("/verify-assets/{name}")
    def asset(name: str) -> Response:
        """The page's script and style sheet."""
        if name not in ASSETS:
            raise HTTPException(404, "no such asset")
        return Response(_web(name), media_type=ASSETS[name])

    @api.get("/credentials/{certificate_id}")
    def credential(certificate_id: str) -> JSONResponse:
        """The signed credential of a certificate."""
        try:
            with service.issuer() as issuer:
                return JSONResponse(issuer.credential(certificate_id))
        except UnknownEntity as exc:
            return _error(404, str(exc))
        except LedgerError as exc:
            return _error(400, str(exc))

    @api.get("/status/{list_id}")
    def status_list(list_id: str) -> JSONResponse:
        """The signed BitstringStatusListCredential."""
        try:
            return JSONResponse(service.status_cache.signed(list_id, service.config))
        except UnknownEntity as exc:
            return _error(404, str(exc))

    @api.get("/.well-known/did.json")
    def did() -> JSONResponse:
        """The issuer's DID document (every credential key, old ones too)."""
        with service.issuer() as issuer:
            return JSONResponse(issuer.config.trust_bundle()["didDocument"])

    @api.get("/keys")
    def keys() -> JSONResponse:
        """The trust bundle for offline verification."""
        with service.issuer() as issuer:
            return JSONResponse(issuer.config.trust_bundle())

    return api
