"""HTTP routes of the Kafka contract: the committed schemas, at the path of their ``$id``.

Every message's ``ce_dataschema`` (= its schema's ``$id``) is
``https://ledger.example/schemas/<type>.json``; any ``ledger serve`` answers its path,
``GET /schemas/<type>.json``, with the committed file byte for byte
(``application/schema+json``, a strong ``ETag``, ``304`` on ``If-None-Match``), and
``GET /schemas/`` lists every type with its ``$id``. Public: schemas hold no data.
Released versions no longer published (a ``…v1`` replaced by ``…v2``) stay in the directory,
so their URLs keep answering.
"""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, FastAPI, Header
from fastapi import Path as PathParam
from fastapi.responses import Response

from consumers.contract import SCHEMA_DIR, SCHEMA_PATH
from ledger.api.auth import Public
from ledger.api.problems import HttpProblem
from ledger.bootstrap import Services
from ledger.plugins import Readers

SCHEMA_FILE = re.compile(r"^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)+\.v[1-9][0-9]*\.json$")
MEDIA_TYPE = "application/schema+json"


def register(app: FastAPI, services: Services, readers: Readers) -> None:
    """The API plug-in (entry-point group ``ledger.api``): mount the schemas, public (no token)."""
    app.include_router(router(), dependencies=[Public])


def read_schema(name: str, directory: Path = SCHEMA_DIR) -> bytes:
    """The committed bytes of ``<type>.json``; :class:`HttpProblem` 404 for anything else."""
    path = directory / name
    if not SCHEMA_FILE.match(name) or not path.is_file():
        raise HttpProblem(404, "unknown-schema", f"no published schema named {name!r}")
    return path.read_bytes()


def schema_index(directory: Path = SCHEMA_DIR) -> list[dict[str, str]]:
    """Every schema of the directory: its type, ``$id`` and path."""
    rows = []
    for path in sorted(directory.glob("*.json")):
        schema: dict[str, Any] = json.loads(path.read_bytes())
        rows.append({"type": path.stem, "id": str(schema.get("$id")), "path": f"{SCHEMA_PATH}{path.name}"})
    return rows


def router(directory: Path = SCHEMA_DIR) -> APIRouter:
    """``GET /schemas/`` and ``GET /schemas/{name}``: the committed schemas, unchanged."""
    api = APIRouter(tags=["kafka contract"])

    @api.get(SCHEMA_PATH, summary="Every published message schema with its $id")
    def index() -> list[dict[str, str]]:
        return schema_index(directory)

    @api.get(
        SCHEMA_PATH + "{name}",
        summary="A published message schema (the target of ce_dataschema)",
        response_class=Response,
        responses={200: {"content": {MEDIA_TYPE: {}}}, 304: {}, 404: {}},
    )
    def schema(
        name: Annotated[str, PathParam(max_length=200, examples=["be.cpu.learner.unit_validated.v1.json"])],
        if_none_match: Annotated[str | None, Header()] = None,
    ) -> Response:
        body = read_schema(name, directory)
        etag = '"' + hashlib.sha256(body).hexdigest()[:32] + '"'
        headers = {"ETag": etag, "Cache-Control": "public, max-age=300"}
        if if_none_match is not None and etag in {tag.strip() for tag in if_none_match.split(",")}:
            return Response(status_code=304, headers=headers)
        return Response(content=body, media_type=MEDIA_TYPE, headers=headers)

    return api
