"""The read models' API plug-in (entry-point group ``ledger.api``).

Statistics and certificate histories from the read models (kept current by ``ledger projections
run``; ``ledger up`` runs it): ``GET /v1/stats/schools/{fase}``, ``GET /v1/stats/clea``,
``GET /v1/certificates/{id}/history``; and the certificate index the core routes ask first.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Annotated, Any
from uuid import UUID

import structlog
from fastapi import APIRouter, FastAPI, Path

from ledger.adapters.follower import Db
from ledger.api.auth import Caller, Ctx
from ledger.api.context import ApiContext
from ledger.api.extensions import auditor
from ledger.api.problems import HttpProblem
from ledger.api.roles import AUDITORS, SCHOOL_BODIES, Forbidden, require_read
from ledger.bootstrap import Services
from ledger.domain.errors import LedgerError
from ledger.plugins import Readers
from projections import history, stats_clea, stats_cpu
from projections.index import HistoryCertificateIndex

log = structlog.get_logger("projections.api")


def register(app: FastAPI, services: Services, readers: Readers) -> None:
    """Mount the read models' routes and offer their certificate index."""
    readers.certificate_index = HistoryCertificateIndex
    app.include_router(router())


def router() -> APIRouter:
    """Statistics and certificate histories from the read models."""
    routes = APIRouter(tags=["read models"])

    @routes.get("/v1/stats/schools/{fase}", summary="A school's statistics (read model)")
    def school(fase: Annotated[int, Path(ge=1, le=999_999)], who: Caller, c: Ctx) -> dict[str, Any]:
        """Enrolment, norms, pass rates, cohorts: the school's own staff, administration, auditors."""
        if not (
            who.role in {"administration", *AUDITORS}
            or (who.role in SCHOOL_BODIES and who.fase == fase and who.options is None)
        ):
            raise Forbidden(f"role {who.role} (scope {who.scope}) may not read FASE {fase} statistics")
        out: dict[str, Any] = _with_db(c, lambda db: stats_cpu.school_stats(db, fase, date.today()))
        return out

    @routes.get("/v1/stats/clea", summary="CléA statistics by organisation and region (read model)")
    def clea(who: Caller, c: Ctx) -> dict[str, Any]:
        """Certif'Pro and auditors."""
        if who.role != "certifpro":
            auditor(who)
        out: dict[str, Any] = _with_db(c, lambda db: stats_clea.clea_stats(db, date.today()))
        return out

    @routes.get(
        "/v1/certificates/{certificate_id}/history",
        summary="Decisions behind and after a certificate (read model)",
    )
    def chain(certificate_id: UUID, who: Caller, c: Ctx) -> dict[str, Any]:
        """The certificate's chain of decisions, for whoever may read its holder."""
        out: dict[str, Any] = _with_db(
            c, lambda db: history.certificate_history(db, c.reader, str(certificate_id))
        )
        require_read(who, c.lookup(UUID(out["holder_id"])), "certificate", certificate_id)
        return out

    return routes


def _with_db(ctx: ApiContext, query: Callable[[Db], Any]) -> Any:
    db = Db(ctx.target)
    try:
        return query(db)
    except LedgerError:
        raise
    except Exception as exc:
        log.warning("api.read_model_unavailable", error=type(exc).__name__)
        raise HttpProblem(
            503,
            "read-model-unavailable",
            "the read model is not built yet; run `ledger projections run` (or `ledger up`)",
        ) from None
    finally:
        db.close()
