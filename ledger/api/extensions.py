"""Routers mounted beside the core routes: credentials, audit proofs, and reader plug-ins.

- :mod:`ledger.credentials.http`: public verify endpoints and the verification page, behind
  the public rate limit, on the process's one event store;
- ``GET /v1/audit/proofs/{position}`` (tlog-proof), auditors only;
- reader plug-ins of the ``ledger.api`` entry-point group (:mod:`ledger.plugins`):
  ``register(app, services, readers)`` — ``projections`` adds the statistics and certificate
  histories, and offers its certificate index to the core routes.
"""

from __future__ import annotations

from functools import partial
from typing import Annotated

import structlog
from fastapi import APIRouter, FastAPI, Path
from fastapi.responses import PlainTextResponse

from ledger.adapters.identity import key_encryption_key
from ledger.api.auth import Caller, Ctx, Public
from ledger.api.context import ApiContext
from ledger.api.limits import loads_limited
from ledger.api.roles import AUDITORS, Forbidden, Principal
from ledger.audit.log import AuditLog
from ledger.bootstrap import log_keys
from ledger.credentials.http import CredentialsContext, credential_json_bounds, router
from ledger.credentials.issuers import DEFAULT_ISSUER_DID, DEFAULT_PUBLIC_URL
from ledger.domain.rules import because
from ledger.plugins import API_GROUP, discover

log = structlog.get_logger("ledger.api")


def mount_all(app: FastAPI, ctx: ApiContext) -> dict[str, bool]:
    """Mount the credentials and audit routers and every API plug-in; returns what was mounted."""
    mounted = {"credentials": _mount_credentials(app, ctx), "audit": True}
    app.include_router(audit_router())
    for name, plugin in discover(API_GROUP):
        plugin(app, ctx.services, ctx.readers)
        mounted[name] = True
    ctx.extensions.update(mounted)
    log.info("api.extensions", **mounted)
    return mounted


def _mount_credentials(app: FastAPI, ctx: ApiContext) -> bool:
    conf = ctx.settings
    depth, values = credential_json_bounds(conf.api_max_json_depth, conf.api_max_json_values)
    credentials = CredentialsContext(
        target=ctx.target,
        key_dir=conf.key_directory(),
        store=ctx.reader,
        kek=key_encryption_key(conf.key_directory()),
        issuer_did=conf.issuer_did or DEFAULT_ISSUER_DID,
        public_url=conf.public_url or DEFAULT_PUBLIC_URL,
        conformance_issuer_seed=(
            bytes.fromhex(conf.conformance_issuer_seed) if conf.conformance_issuer_seed else None
        ),
        parse_json=partial(loads_limited, max_depth=depth, max_values=values),
        parse_json_prechecks=True,
    )
    app.include_router(router(credentials), dependencies=[Public])
    return True


def audit_router() -> APIRouter:
    """``GET /v1/audit/proofs/{position}``: a tlog-proof of one event, for auditors only."""
    audit = APIRouter(tags=["audit"])

    @audit.get(
        "/v1/audit/proofs/{position}",
        response_class=PlainTextResponse,
        summary="Inclusion proof (c2sp.org/tlog-proof) of the event at a position",
    )
    def proof(position: Annotated[int, Path(ge=0, le=2**62)], who: Caller, c: Ctx) -> str:
        """The proof against the latest signed checkpoint (inspectors, certification bodies)."""
        auditor(who)
        log_ = AuditLog(c.target, c.reader, keys=log_keys(c.settings), origin=c.settings.origin)
        try:
            return str(log_.prove_event(position))
        finally:
            log_.close()

    return audit


def auditor(who: Principal) -> None:
    """Only inspectors and certification bodies (403 otherwise)."""
    if who.role not in AUDITORS:
        raise Forbidden(
            because("role {role} may not read audit proofs or statistics of every school", role=who.role)
        )
