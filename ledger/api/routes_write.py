"""``POST /v1/commands``: one command object, exactly as ``ledger record`` takes it.

The command is validated by :func:`ledger.application.registry.parse_command`, checked against the
caller's role and scope, and executed by :meth:`Ledger.execute` (every rule checked, one
transaction). ``Idempotency-Key`` is required: a retry with the same key and body returns the
original response and writes nothing.
"""

from __future__ import annotations

import re
from functools import reduce
from operator import or_
from typing import Annotated, Any

import structlog
from fastapi import APIRouter, Header, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse
from pydantic import Field, TypeAdapter

from ledger.api.auth import Caller, Ctx
from ledger.api.context import ApiContext
from ledger.api.idempotency import Receipt, StoredReply, request_hash
from ledger.api.limits import BodyTooLarge, loads_limited
from ledger.api.problems import HttpProblem
from ledger.api.roles import Principal, authorize_command
from ledger.application.base import Outcome
from ledger.application.registry import command_classes, parse_command
from ledger.domain.errors import ConcurrencyConflict, LedgerError

log = structlog.get_logger("ledger.api")
_KEY = re.compile(r"^[\x21-\x7e]{1,200}$")
MAX_BODY = 256 * 1024


def commands_openapi() -> tuple[dict[str, Any], dict[str, Any]]:
    """The request-body schema (a union discriminated by ``command``) and its components."""
    union: Any = Annotated[_union(), Field(discriminator="command")]
    schema = TypeAdapter(union).json_schema(ref_template="#/components/schemas/{model}")
    components = schema.pop("$defs", {})
    return schema, components


def require_json(request: Request) -> None:
    """415 unless the body is declared ``application/json`` (or ``application/*+json``)."""
    media = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if not (media == "application/json" or (media.startswith("application/") and media.endswith("+json"))):
        raise HttpProblem(415, "unsupported-media-type", "send the command as Content-Type: application/json")


def _union() -> Any:
    """Every registered command class as one ``X | Y | …`` type."""
    return reduce(or_, command_classes())


def build_router() -> APIRouter:
    """The write router (call after every regime registered its commands)."""
    router = APIRouter(tags=["commands"])
    body_schema, _ = commands_openapi()

    @router.post(
        "/v1/commands",
        status_code=201,
        summary="Record one decision (a command object)",
        openapi_extra={
            "requestBody": {"required": True, "content": {"application/json": {"schema": body_schema}}}
        },
        responses={
            201: {"description": "Recorded: aggregate, event ids, zero-based positions"},
            400: {"description": "Missing Idempotency-Key or malformed JSON"},
            415: {"description": "Content-Type is not application/json"},
            403: {"description": "Outside the caller's role, body or scope"},
            409: {"description": "Concurrent change (retryable: true) or key in use"},
            422: {"description": "Refused by a rule (rule, article) or invalid command"},
        },
    )
    async def record(
        request: Request,
        who: Caller,
        ctx: Ctx,
        idempotency_key: Annotated[str | None, Header(alias="Idempotency-Key")] = None,
    ) -> JSONResponse:
        """Record one command; refused commands write nothing (problem details say why)."""
        key = _require_key(idempotency_key)
        require_json(request)
        raw = _json_body(await request.body(), ctx)
        status, body, replayed = await run_in_threadpool(execute_once, ctx, who, key, raw)
        headers = {"Idempotent-Replayed": "true"} if replayed else {}
        return JSONResponse(body, status_code=status, headers=headers)

    return router


def _require_key(value: str | None) -> str:
    if value is None:
        raise HttpProblem(
            400,
            "idempotency-key-missing",
            "every write needs an Idempotency-Key header (a unique client request id)",
        )
    if not _KEY.match(value):
        raise HttpProblem(
            400, "idempotency-key-invalid", "Idempotency-Key must be 1-200 visible ASCII characters"
        )
    return value


def _json_body(data: bytes, ctx: ApiContext) -> Any:
    """The command's JSON: at most ``MAX_BODY`` bytes (413), depth and size bounded (400)."""
    if len(data) > MAX_BODY:
        raise BodyTooLarge(MAX_BODY)
    return loads_limited(data, ctx.settings.api_max_json_depth, ctx.settings.api_max_json_values)


def execute_once(ctx: ApiContext, who: Principal, key: str, raw: Any) -> tuple[int, Any, bool]:
    """Execute a command once per (principal, key); returns status, body, replayed.

    The receipt is committed with the events (:mod:`ledger.adapters.recorders`): a crash
    leaves both or neither, and a concurrent request with the same key fails on the receipt's
    primary key (nothing written) and is answered from the first one's receipt.
    """
    digest = request_hash(raw)
    known = ctx.idempotency.get(who.namespace, key)
    if known is not None:
        return _replay(ctx, known, digest)
    cmd = parse_command(raw)
    assert ctx.current is not None
    with ctx.current.lock:  # the scope check reads cached aggregates current by version
        authorize_command(who, cmd, ctx.current_lookup)
    name = str(raw.get("command"))

    def receipt(outcome: Outcome) -> Receipt:
        return Receipt(who.namespace, key, digest, 201, outcome.to_dict(), tuple(outcome.events))

    try:
        with ctx.write_lock:
            outcome = ctx.ledger.execute(cmd, receipt=receipt)
    except ConcurrencyConflict:
        again = ctx.idempotency.get(who.namespace, key)
        if again is not None:
            return _replay(ctx, again, digest)
        ctx.metrics.commands.labels(name, "concurrency").inc()
        raise
    except BaseException as exc:
        ctx.metrics.commands.labels(name, _outcome_label(exc)).inc()
        raise
    body = outcome.to_dict()
    ctx.metrics.commands.labels(name, "recorded").inc()
    log.info("api.command_recorded", command=name, aggregate=body["aggregate_id"], role=who.role)
    return 201, body, False


def _outcome_label(exc: BaseException) -> str:
    return exc.code if isinstance(exc, LedgerError) else "error"


def _replay(ctx: ApiContext, known: StoredReply, digest: str) -> tuple[int, Any, bool]:
    if not known.same_request(digest):
        raise HttpProblem(
            422, "idempotency-key-reused", "this Idempotency-Key was used with a different request body"
        )
    if known.state != "done" or known.status is None:
        raise HttpProblem(
            409,
            "idempotency-key-in-use",
            "a request with this Idempotency-Key is still being executed",
            retryable=True,
        )
    ctx.metrics.replays.inc()
    return known.status, known.response, True
