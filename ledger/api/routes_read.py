"""Queries: a learner's dossier, certificates, the log — each filtered to what the caller may read.

Same answers as ``ledger learner show``, ``ledger certificate list|show`` and ``ledger events``
(same filters, zero-based ``position``), computed from the event store.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Annotated, Any, Literal
from uuid import UUID

from fastapi import APIRouter, Query
from fastapi.concurrency import run_in_threadpool

from ledger.api.auth import Caller, Ctx, Public
from ledger.api.context import ApiContext
from ledger.api.roles import (
    AUDITORS,
    Forbidden,
    OutOfReach,
    Principal,
    may_read,
    may_see_identity,
    require_read,
)
from ledger.application.dossiers import learner_dossier
from ledger.application.queries import EventFilter, certificate, certificates, events
from ledger.domain.errors import UnknownEntity
from ledger.domain.rules import because

MAX_EVENTS = 1000


def build_router() -> APIRouter:
    """The query router."""
    router = APIRouter(tags=["queries"])

    @router.get("/v1/learners/{learner_id}", summary="A learner's (or CléA candidate's) dossier")
    def learner(
        learner_id: UUID,
        who: Caller,
        ctx: Ctx,
        with_identity: Annotated[bool, Query(description="include personal data")] = False,
    ) -> dict[str, Any]:
        """The dossier d'apprentissage; personal data only for the learner and their school."""
        return dossier(ctx, who, learner_id, with_identity)

    @router.get("/v1/certificates", summary="Certificates the caller may read, with status")
    def certificate_list(
        who: Caller, ctx: Ctx, kind: str | None = None, status: Literal["active", "revoked"] | None = None
    ) -> list[dict[str, Any]]:
        """Every certificate visible to the caller (filter by kind and status)."""
        seen = Visibility(ctx, who)
        return [
            r.to_dict()
            for r in certificates(ctx.reader, view=ctx.certificates)
            if (not kind or r.kind == kind)
            and (not status or r.status == status)
            and seen.may(UUID(r.learner_id))
        ]

    @router.get("/v1/certificates/{certificate_id}", summary="One certificate")
    def certificate_show(certificate_id: UUID, who: Caller, ctx: Ctx) -> dict[str, Any]:
        """One certificate with its status (an unknown id and one out of reach answer alike)."""
        try:
            row = certificate(ctx.reader, str(certificate_id), view=ctx.certificates)
        except UnknownEntity:
            raise OutOfReach("certificate", certificate_id) from None
        require_read(who, ctx.lookup(UUID(row["learner_id"])), "certificate", certificate_id)
        return row

    @router.get("/v1/events", summary="The log (zero-based positions), filtered as `ledger events`")
    async def event_list(
        who: Caller,
        ctx: Ctx,
        learner: UUID | None = None,
        school: Annotated[int | None, Query(ge=1, le=999_999)] = None,
        type: Annotated[str | None, Query(max_length=100)] = None,
        since: date | None = None,
        until: date | None = None,
        start: Annotated[int, Query(ge=0, le=2**62)] = 0,
        limit: Annotated[int, Query(ge=0, le=MAX_EVENTS)] = 100,
    ) -> list[dict[str, Any]]:
        """Events the caller may read, oldest first, from ``start``."""
        flt = EventFilter(learner=learner, fase=school, type_contains=type, since=since, until=until)
        return await run_in_threadpool(visible_events, ctx, who, flt, start, limit)

    @router.get(
        "/v1/public/certificates/{certificate_id}",
        tags=["public"],
        dependencies=[Public],
        summary="Verify a certificate's status (no token; rate-limited)",
    )
    def public_certificate(certificate_id: UUID, ctx: Ctx) -> dict[str, Any]:
        """Kind, status and dates of a certificate: nothing about its holder."""
        row = certificate(ctx.reader, str(certificate_id), view=ctx.certificates)
        return {k: row[k] for k in ("certificate_id", "kind", "status", "issued_on", "revoked_on")}

    return router


def dossier(ctx: ApiContext, who: Principal, learner_id: UUID, with_identity: bool) -> dict[str, Any]:
    """A dossier the caller may read (403 otherwise, 404 if unknown)."""
    aggregate = ctx.lookup(learner_id)
    require_read(who, aggregate, "learner", learner_id)
    out = learner_dossier(ctx.reader, learner_id, datetime.now(UTC).date())
    if with_identity:
        if not may_see_identity(who, aggregate):
            raise Forbidden(because("role {role} may not read personal data", role=who.role))
        identity = ctx.identities.get(learner_id)
        out["identity"] = identity.model_dump(mode="json") if identity else None
    return out


class Visibility:
    """Per-request memo of which aggregates the caller may read."""

    def __init__(self, ctx: ApiContext, who: Principal) -> None:
        self.ctx = ctx
        self.who = who
        self.memo: dict[UUID, bool] = {}

    def may(self, aggregate_id: UUID) -> bool:
        """True if the caller may read this aggregate."""
        if self.who.role in AUDITORS:
            return True
        if self.who.role == "learner":
            return str(aggregate_id) == self.who.scope
        if aggregate_id not in self.memo:
            agg = self.ctx.lookup(aggregate_id)
            self.memo[aggregate_id] = agg is not None and may_read(self.who, agg)
        return self.memo[aggregate_id]


def visible_events(
    ctx: ApiContext, who: Principal, flt: EventFilter, start: int, limit: int
) -> list[dict[str, Any]]:
    """Filtered events, keeping only those of aggregates the caller may read."""
    if who.role == "learner":
        if flt.learner is not None and str(flt.learner) != who.scope:
            raise Forbidden(because("role learner reads its own events only"))
        flt = EventFilter(UUID(who.scope), flt.fase, flt.type_contains, flt.since, flt.until)
    seen = Visibility(ctx, who)
    out: list[dict[str, Any]] = []
    if limit == 0:
        return out
    for row in events(ctx.reader, flt, start=start):
        if seen.may(UUID(row["aggregate_id"])):
            out.append(row)
            if len(out) >= limit:
                break
    return out
