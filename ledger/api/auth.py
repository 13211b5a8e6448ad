"""Request dependencies: the caller's principal (bearer token) and public rate limiting."""

from __future__ import annotations

from typing import Annotated

import structlog
from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from ledger.api.context import ApiContext
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
    """The client address (behind a proxy: uvicorn's ``--forwarded-allow-ips`` sets it)."""
    return request.client.host if request.client else "unknown"


def _limit(request: Request, ctx: ApiContext) -> None:
    wait = ctx.limiter.take(client_ip(request))
    if wait:
        ctx.metrics.rate_limited.inc()
        raise HttpProblem(
            429,
            "too-many-requests",
            "rate limit exceeded; retry later",
            headers={"Retry-After": retry_after(wait)},
        )


def public_limit(request: Request, ctx: Annotated[ApiContext, Depends(context)]) -> None:
    """Rate-limit a public endpoint per client IP (429 with ``Retry-After``)."""
    _limit(request, ctx)


def principal(
    request: Request,
    ctx: Annotated[ApiContext, Depends(context)],
    creds: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Principal:
    """The caller of a protected endpoint; 401 without a valid token.

    A refused token also takes from the client's public rate-limit bucket, so guessing
    tokens is as slow as any other anonymous request.
    """
    challenge = {"WWW-Authenticate": 'Bearer realm="ledger"'}
    if creds is None or creds.scheme.lower() != "bearer":
        raise HttpProblem(401, "unauthorized", "a bearer token is required", headers=challenge)
    try:
        who = ctx.keys.verify(creds.credentials, revoked=ctx.revocations.is_revoked)
    except TokenError as exc:
        _limit(request, ctx)
        log.info("api.token_refused", reason=str(exc))
        raise HttpProblem(401, "unauthorized", f"token refused: {exc}", headers=challenge) from None
    request.state.principal = who
    return who


Caller = Annotated[Principal, Depends(principal)]
Ctx = Annotated[ApiContext, Depends(context)]
Public = Depends(public_limit)
