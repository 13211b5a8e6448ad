"""Request dependencies: the caller's principal (bearer token) and public rate limiting."""

from __future__ import annotations

from typing import Annotated

import structlog
from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from ledger.api.context import ApiContext
from ledger.api.denials import DENIED_REASON
from ledger.api.errors import RateLimited
from ledger.api.problems import HttpProblem
from ledger.api.ratelimit import retry_after
from ledger.api.roles import Principal
from ledger.api.tokens import TokenError

log = structlog.get_logger("ledger.api.auth")
_bearer = HTTPBearer(auto_error=False, description="A token from `ledger tokens issue`")


def context(request: Request) -> ApiContext:
    """The server's :class:`ApiContext`."""
    ctx: ApiContext = request.app.state.ctx
    return ctx


def client_ip(request: Request) -> str:
    """The client address the limits middleware resolved, else the peer.

    X-Forwarded-For counts only from ``trusted_proxies`` (:mod:`ledger.api.limits`).
    """
    address = request.scope.get("state", {}).get("client_address")
    if address:
        return str(address)
    return request.client.host if request.client else "unknown"


def _limit_principal(ctx: ApiContext, who: Principal) -> None:
    wait = ctx.limiter.take("principal", who.namespace)
    if wait:
        ctx.metrics.rate_limited.inc()
        log.info("api.rate_limited", bucket="principal", subject=who.subject)
        raise RateLimited(retry_after(wait))


def public_limit() -> None:
    """Marks a public endpoint (no token).

    Every request, public or not, is already counted against its client address by
    :class:`~ledger.api.limits.LimitsMiddleware` (refused tokens included).
    """


def principal(
    request: Request,
    ctx: Annotated[ApiContext, Depends(context)],
    creds: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Principal:
    """The caller of a protected endpoint; 401 without a valid token.

    Every request already took from its client address's bucket (the middleware), so guessing
    tokens is as slow as any other anonymous request; an accepted token also takes from its
    principal's bucket (429).
    """
    challenge = {"WWW-Authenticate": 'Bearer realm="ledger"'}
    state = request.scope.setdefault("state", {})
    if creds is None or creds.scheme.lower() != "bearer":
        state[DENIED_REASON] = "no bearer token"
        raise HttpProblem(401, "unauthorized", "a bearer token is required", headers=challenge)
    try:
        who = ctx.keys.verify(creds.credentials, revoked=ctx.revocations.is_revoked)
    except TokenError as exc:
        state[DENIED_REASON] = str(exc)  # logged once, as api.denied (ledger.api.denials)
        raise HttpProblem(401, "unauthorized", f"token refused: {exc}", headers=challenge) from None
    request.state.principal = who
    _limit_principal(ctx, who)
    return who


Caller = Annotated[Principal, Depends(principal)]
Ctx = Annotated[ApiContext, Depends(context)]
Public = Depends(public_limit)
