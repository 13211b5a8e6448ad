"""Public HTTP endpoints of the ledger's credentials (no login), as a FastAPI router.

``router(ctx)`` serves, relative to where it is mounted:

* ``POST /verify`` – a posted credential (or ``{"credential": …}``) → verdict JSON, checked
  against this ledger's keys, the status list the credential names and the integrity log keys;
* ``GET /verify`` – the employer's page (look up a certificate number, paste or upload a
  credential; proofs and status list verified in the browser); assets under ``/verify-assets/``;
* ``GET /credentials/{number}`` – the signed credential published under a certificate number;
  ``GET /credentials/{number}/revocation`` – its status, revocation date and reason;
* ``GET /status/{list_id}`` – a signed status list credential;
* ``GET /.well-known/did.json`` and ``GET /issuers/{path}/did.json`` – the did:web documents of
  the root and of every issuer; ``GET /keys`` – the trust bundle for offline verifiers;
  ``GET /contexts/ledger-v1.json`` – the ledger's JSON-LD context;
* the W3C CCG VC API (:mod:`ledger.credentials.vcapi`): ``POST /credentials/verify``,
  ``POST /presentations/verify`` and, for a configured conformance issuer,
  ``POST /credentials/issue``.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from importlib import resources
from pathlib import Path
from typing import Any

import orjson
import structlog
from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response

from ledger.application.queries import CertificateView
from ledger.credentials.folders import FolderListing
from ledger.credentials.issuers import (
    DEFAULT_ISSUER_DID,
    DEFAULT_PUBLIC_URL,
    IssuerConfig,
    IssuerKeyStore,
    RecordingLog,
    issuer_from_web_path,
)
from ledger.credentials.issuing import CredentialIssuer
from ledger.credentials.keys import KeyPair
from ledger.credentials.recording import audit_recording_log
from ledger.credentials.statusstore import StatusListCache
from ledger.credentials.vcapi import add_vc_api, read_json_body
from ledger.credentials.verify import COMPILED_LIMITS, CredentialVerdict, TrustStore, verify_credential
from ledger.domain.errors import InvalidCommand, UnknownEntity

log = structlog.get_logger("ledger.credentials.http")

CPU_THREADS = 1
"""Verifications (or issuances) running at once in one server process (see ``run_cpu``)."""

ASSETS = {
    "verify.js": "text/javascript; charset=utf-8",
    "verify.css": "text/css; charset=utf-8",
    "verifier.bundle.js": "text/javascript; charset=utf-8",
}


@dataclass
class CredentialsContext:
    """What the router needs: the store target, the key directory, public names, options."""

    target: Any
    key_dir: Path | None = None
    issuer_did: str = DEFAULT_ISSUER_DID
    public_url: str = DEFAULT_PUBLIC_URL
    recording: RecordingLog | None = None
    with_audit_log: bool = True
    conformance_issuer_seed: bytes | None = None
    store: Any = None
    """The process's event store (opened from ``target`` when ``None``)."""
    kek: bytes | None = None
    """The identity key-encryption key (the bootstrap reads it from the key directory)."""
    parse_json: Callable[[bytes], Any] | None = None
    """The server's bounded JSON parser for posted bodies (depth and size limits, 400)."""
    parse_json_prechecks: bool = False
    """``parse_json`` refuses every body outside the verifier's JSON limits (bounds from
    :func:`credential_json_bounds`): ``POST /verify`` does not walk the document again."""


def credential_json_bounds(max_depth: int, max_values: int) -> tuple[int, int]:
    """The server's JSON depth and value-count bounds, tightened to the verifier's own.

    A body the server's parser accepts within these bounds (and within ``read_json_body``'s
    1 MiB, so within the verifier's string-size limit too: a character is at least a byte)
    passes the verifier's JSON limits, so verification need not walk it a second time.
    """
    return min(max_depth, COMPILED_LIMITS.max_depth), min(max_values, COMPILED_LIMITS.max_nodes)


class CredentialService:
    """Opens the store once; a DB connection per issuing request (threads of the server).

    Status lists are kept signed in one :class:`StatusListCache`; the trust (credential
    keys and log keys) is read again only when a key folder changes.
    """

    def __init__(self, ctx: CredentialsContext) -> None:
        """Open the store and the key folders named by ``ctx``."""
        from ledger.adapters.keys import default_key_dir
        from ledger.adapters.store import open_store

        self.ctx = ctx
        self.store = ctx.store if ctx.store is not None else open_store(ctx.target)
        key_dir = ctx.key_dir if ctx.key_dir is not None else default_key_dir(ctx.target)
        self.key_dir = key_dir
        self.config = IssuerConfig(IssuerKeyStore(key_dir), ctx.issuer_did, ctx.public_url, ctx.recording)
        if ctx.conformance_issuer_seed is not None:
            pair = KeyPair.from_seed(ctx.conformance_issuer_seed)
            self.config.extra_issuers[pair.public.did] = pair
        self.status_cache = StatusListCache(self.store)
        self.certificates = CertificateView(self.store)
        self.log_keys = _LogKeys(key_dir) if ctx.recording is None and ctx.with_audit_log else None
        self._trust: tuple[Any, TrustStore] | None = None
        self._limiter: tuple[int, Any] | None = None

    def trust(self) -> TrustStore:
        """The verifier's trust: credential keys and log keys, re-read when their folders change."""
        stamp = (self.config.keys._listing(), self.log_keys.listing() if self.log_keys else None)
        cached = self._trust
        if cached is not None and cached[0] == stamp:
            return cached[1]
        recording: Any = self.ctx.recording or self.log_keys
        trust = TrustStore.from_document(replace(self.config, recording=recording).trust_bundle())
        self._trust = (stamp, trust)
        return trust

    def status_list_for(self, document: Any) -> dict[str, Any] | None:
        """The signed status list a posted credential names, when it is one of ours."""
        status = document.get("credentialStatus") if isinstance(document, dict) else None
        url = status.get("statusListCredential") if isinstance(status, dict) else None
        found = self.config.status_list_at(url) if isinstance(url, str) else None
        if found is None:
            return None
        try:
            return self.status_cache.signed(found[1], found[0])
        except UnknownEntity:
            return None

    async def run_cpu(self, func: Callable[..., Any], *args: Any) -> Any:
        """Run CPU-bound work off the event loop, at most :data:`CPU_THREADS` at once here.

        A verification holds the GIL: more threads of one process verifying at once only
        take turns with each other and with the event loop (switches, cache misses), so
        requests beyond the limit wait their turn in the queue instead; a server uses one
        process per core (``ledger serve --workers N``) for parallelism.
        """
        import anyio
        import anyio.to_thread

        loop = id(asyncio.get_running_loop())
        if self._limiter is None or self._limiter[0] != loop:
            self._limiter = (loop, anyio.CapacityLimiter(CPU_THREADS))
        return await anyio.to_thread.run_sync(func, *args, limiter=self._limiter[1])

    def verify(self, document: Any) -> CredentialVerdict:
        """Verify a posted credential against its current status list (runs in a worker thread)."""
        return verify_credential(
            document, self.trust(), self.status_list_for(document), prechecked=self.ctx.parse_json_prechecks
        )

    @contextmanager
    def issuer(self) -> Iterator[CredentialIssuer]:
        """A credential issuer with its own database connections (closed on exit)."""
        from ledger.adapters.follower import Db
        from ledger.adapters.identity import SqlIdentityStore, key_encryption_key

        target = self.ctx.target
        db, conn = Db(target), target.connect()
        audit = None
        if self.ctx.recording is None and self.ctx.with_audit_log:
            audit = audit_recording_log(target, self.store, self.key_dir)  # its connection is per thread
        config = replace(self.config, recording=audit or self.ctx.recording)
        try:
            kek = self.ctx.kek if self.ctx.kek is not None else key_encryption_key(self.key_dir)
            identities = SqlIdentityStore(conn, target.placeholder, kek)
            yield CredentialIssuer(
                self.store,
                db,
                config,
                identities,
                status_cache=self.status_cache,
                certificates=self.certificates,
            )
        finally:
            db.close()
            conn.close()
            if audit is not None:
                getattr(audit, "close", lambda: None)()


class _LogKeys:
    """The integrity log's verifier keys, read from its key directory (no database)."""

    def __init__(self, key_dir: Path) -> None:
        from ledger.adapters.keys import LogKeyStore

        self.keys = LogKeyStore(key_dir)  # as ledger.audit.AuditLog reads them
        self._folder = FolderListing(self.keys.directory, lambda _name: True)

    def listing(self) -> tuple[tuple[str, int], ...]:
        """Names and modification times of the key files (changes on rotation)."""
        return self._folder.listing()

    def inclusion_proof(self, position: int) -> str:
        """Not offered: verification only reads keys."""
        raise NotImplementedError("verification does not prove inclusion")

    def verifiers(self) -> list[str]:
        """Every log verifier key (C2SP vkey strings), active first."""
        return [v.vkey for v in self.keys.verifiers()]


def web_asset(name: str) -> str | None:
    """A file of the page (``None`` when absent, e.g. a bundle not built yet)."""
    path = resources.files("ledger.credentials").joinpath("web").joinpath(name)
    return path.read_text("utf-8") if path.is_file() else None


def _error(status: int, message: str) -> HTTPException:
    """An HTTP error: the app's handlers answer it as RFC 9457 problem+json (urn:ledger:problem:…)."""
    return HTTPException(status, message)


def _add_documents(api: APIRouter, service: CredentialService, ctx: CredentialsContext) -> None:
    """Status lists, DID documents, the ledger's context and the trust bundle."""

    @api.get("/status/{list_id:path}")
    def status_list(list_id: str) -> JSONResponse:
        """A signed BitstringStatusListCredential."""
        try:
            return JSONResponse(service.status_cache.signed(list_id, service.config))
        except UnknownEntity as exc:
            raise _error(404, str(exc)) from None

    @api.get("/.well-known/did.json")
    def did() -> JSONResponse:
        """The root DID document (every credential key, old ones too)."""
        document = service.config.did_document(service.config.root_did)
        if not document:
            raise _error(404, "no credential key yet")
        return JSONResponse(document)

    @api.get("/issuers/{path:path}/did.json")
    def issuer_did_document(path: str) -> JSONResponse:
        """The did:web document of an issuer (``did:web:host:issuers:fase-209:jury_qualification``)."""
        did = issuer_from_web_path(service.config.root_did, path)
        document = service.config.did_document(did) if did else None
        if not document:
            raise _error(404, f"no issuer at {path}")
        return JSONResponse(document)

    @api.get("/contexts/{name}")
    def context(name: str) -> JSONResponse:
        """The ledger's own JSON-LD context (``ledger-v1.json``), as bundled."""
        from ledger.credentials.loader import BUNDLED_CONTEXTS, LEDGER_V1

        if name != BUNDLED_CONTEXTS[LEDGER_V1]:
            raise _error(404, f"no context {name}")
        text = resources.files("ledger.credentials").joinpath("contexts").joinpath(name).read_text("utf-8")
        return JSONResponse(json.loads(text), media_type="application/ld+json")

    @api.get("/keys")
    def keys() -> JSONResponse:
        """The trust bundle for offline verification."""
        recording: Any = ctx.recording or service.log_keys
        return JSONResponse(replace(service.config, recording=recording).trust_bundle())


def router(ctx: CredentialsContext) -> APIRouter:
    """The public credentials router over one ledger store."""
    service = CredentialService(ctx)
    api = APIRouter(tags=["credentials"])

    @api.post("/verify")
    async def verify(request: Request) -> Response:
        """Verify a posted credential against this ledger's keys and its status list."""
        doc = await read_json_body(request, ctx.parse_json)
        if isinstance(doc, dict) and "credential" in doc and "@context" not in doc:
            doc = doc["credential"]
        verdict = await service.run_cpu(service.verify, doc)  # CPU-bound: off the loop
        log.info("credential.verified", verdict=verdict.verdict)
        return Response(orjson.dumps(verdict.to_dict()), media_type="application/json")

    @api.get("/verify", response_class=HTMLResponse)
    def page() -> HTMLResponse:
        """The employer's verification page."""
        return HTMLResponse(web_asset("verify.html") or "")

    @api.get("/verify-assets/{name}")
    def asset(name: str) -> Response:
        """The page's scripts and style sheet."""
        text = web_asset(name) if name in ASSETS else None
        if text is None:
            raise HTTPException(404, "no such asset")
        return Response(text, media_type=ASSETS[name])

    @api.get("/credentials/{number}")
    def credential(number: str) -> JSONResponse:
        """The signed credential published under a certificate number."""
        try:
            with service.issuer() as issuer:
                return JSONResponse(issuer.credential_by_number(number))
        except UnknownEntity as exc:
            raise _error(404, str(exc)) from None
        except InvalidCommand as exc:  # a malformed number; a store failure goes on (HTTP 503)
            raise _error(400, str(exc)) from None

    @api.get("/credentials/{number}/revocation")
    def revocation(number: str) -> JSONResponse:
        """Status of a certificate number: ``active`` or ``revoked`` with its date and reason."""
        try:
            with service.issuer() as issuer:
                return JSONResponse(issuer.revocation(number))
        except UnknownEntity as exc:
            raise _error(404, str(exc)) from None
        except InvalidCommand as exc:  # a malformed number; a store failure goes on (HTTP 503)
            raise _error(400, str(exc)) from None

    _add_documents(api, service, ctx)
    add_vc_api(api, service)
    return api
