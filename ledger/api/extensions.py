"""Small adapters mounting what other parts of the project provide, when they are installed.

Each hook looks for its module with :func:`importlib.util.find_spec` and does nothing when it
is absent, so the API runs on the write side alone.

- ``ledger.credentials.http``: ``router(ctx) -> APIRouter`` (public verify endpoints and the
  verification page), mounted behind the public rate limit.
- ``ledger.audit``: ``GET /v1/audit/proofs/{position}`` (tlog-proof), auditors only.
- ``projections``: ``GET /v1/stats/schools/{fase}``, ``GET /v1/stats/clea`` and
  ``GET /v1/certificates/{id}/history`` from the read models (kept current by
  ``ledger projections run``; ``ledger up`` runs it).
  ``/v1/learners/{id}`` replays the learner's events from the store: the same rendering as
  ``rm_dossier`` (which renders the aggregate's stored events up to the version the read
  model reached), but always current.
"""

from __future__ import annotations

import importlib
import importlib.util
import os
from collections.abc import Callable
from datetime import date
from typing import Annotated, Any
from uuid import UUID

import structlog
from fastapi import APIRouter, FastAPI, Path
from fastapi.responses import PlainTextResponse

from ledger.adapters.follower import Db
from ledger.api.auth import Caller, Ctx, Public
from ledger.api.context import ApiContext
from ledger.api.problems import Problem
from ledger.api.roles import AUDITORS, SCHOOL_BODIES, Forbidden, Principal, require_read
from ledger.domain.errors import LedgerError

log = structlog.get_logger("ledger.api")


def available(module: str) -> bool:
    """True if ``module`` can be imported (its parent package too)."""
    try:
        return importlib.util.find_spec(module) is not None
    except ModuleNotFoundError:
        return False


def mount_all(app: FastAPI, ctx: ApiContext) -> dict[str, bool]:
    """Mount every available extension; returns which were mounted."""
    mounted = {"credentials": _mount_credentials(app, ctx)}
    for name, builder in (("audit", _audit_router), ("projections", _projection_router)):
        router = builder(ctx)
        if router is not None:
            app.include_router(router)
        mounted[name] = router is not None
    ctx.extensions.update(mounted)
    log.info("api.extensions", **mounted)
    return mounted


def _mount_credentials(app: FastAPI, ctx: ApiContext) -> bool:
    if not available("ledger.credentials.http"):
        return False  # TODO(credentials): the public verification router is not installed
    module: Any = importlib.import_module("ledger.credentials.http")
    settings: dict[str, Any] = {"target": ctx.target}
    for field, env in (("issuer_did", "LEDGER_ISSUER_DID"), ("public_url", "LEDGER_PUBLIC_URL")):
        if os.environ.get(env):
            settings[field] = os.environ[env]
    if os.environ.get("LEDGER_CONFORMANCE_ISSUER_SEED"):  # hex, 32 bytes: the VC API test issuer
        settings["conformance_issuer_seed"] = bytes.fromhex(os.environ["LEDGER_CONFORMANCE_ISSUER_SEED"])
    app.include_router(module.router(module.CredentialsContext(**settings)), dependencies=[Public])
    return True


def _audit_router(ctx: ApiContext) -> APIRouter | None:
    """``GET /v1/audit/proofs/{position}``: a tlog-proof of one event, for auditors only."""
    if not available("ledger.audit"):
        return None  # TODO(audit): the integrity log is not installed
    audit: Any = importlib.import_module("ledger.audit.log")
    router = APIRouter(tags=["audit"])

    @router.get("/v1/audit/proofs/{position}", response_class=PlainTextResponse,
                summary="Inclusion proof (c2sp.org/tlog-proof) of the event at a position")
    def proof(position: Annotated[int, Path(ge=0, le=2**62)], who: Caller, c: Ctx) -> str:
        """The proof against the latest signed checkpoint (inspectors, certification bodies)."""
        _auditor(who)
        log_ = audit.AuditLog(c.target, c.reader)
        try:
            return str(log_.prove_event(position))
        finally:
            log_.close()

    return router


def _auditor(who: Principal) -> None:
    if who.role not in AUDITORS:
        raise Forbidden(f"role {who.role} may not read audit proofs or statistics of every school")


def _projection_router(ctx: ApiContext) -> APIRouter | None:
    """Statistics and certificate histories from the read models (``ledger projections run``)."""
    if not (available("projections.stats_cpu") and available("projections.history")):
        return None  # TODO(projections): the read models are not installed
    stats_cpu: Any = importlib.import_module("projections.stats_cpu")
    stats_clea: Any = importlib.import_module("projections.stats_clea")
    history: Any = importlib.import_module("projections.history")
    router = APIRouter(tags=["read models"])

    @router.get("/v1/stats/schools/{fase}", summary="A school's statistics (read model)")
    def school(fase: Annotated[int, Path(ge=1, le=999_999)], who: Caller, c: Ctx) -> dict[str, Any]:
        """Enrolment, norms, pass rates, cohorts: the school's own staff, administration, auditors."""
        if not (who.role in {"administration", *AUDITORS}
                or (who.role in SCHOOL_BODIES and who.fase == fase and who.options is None)):
            raise Forbidden(f"role {who.role} (scope {who.scope}) may not read FASE {fase} statistics")
        out: dict[str, Any] = _with_db(c, lambda db: stats_cpu.school_stats(db, fase, date.today()))
        return out

    @router.get("/v1/stats/clea", summary="CléA statistics by organisation and region (read model)")
    def clea(who: Caller, c: Ctx) -> dict[str, Any]:
        """Certif'Pro and auditors."""
        if who.role != "certifpro":
            _auditor(who)
        out: dict[str, Any] = _with_db(c, lambda db: stats_clea.clea_stats(db, date.today()))
        return out

    @router.get("/v1/certificates/{certificate_id}/history",
                summary="Decisions behind and after a certificate (read model)")
    def chain(certificate_id: UUID, who: Caller, c: Ctx) -> dict[str, Any]:
        """The certificate's chain of decisions, for whoever may read its holder."""
        out: dict[str, Any] = _with_db(
            c, lambda db: history.certificate_history(db, c.reader, str(certificate_id)))
        require_read(who, c.lookup(UUID(out["holder_id"])), "certificate", certificate_id)
        return out

    return router


def _with_db(ctx: ApiContext, query: Callable[[Db], Any]) -> Any:
    db = Db(ctx.target)
    try:
        return query(db)
    except LedgerError:
        raise
    except Exception as exc:
        log.warning("api.read_model_unavailable", error=type(exc).__name__)
        raise Problem(503, "read-model-unavailable", "the read model is not built yet; "
                      "run `ledger projections run` (or `ledger up`)") from None
    finally:
        db.close()
