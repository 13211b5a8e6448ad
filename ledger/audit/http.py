"""The public c2sp.org/tlog-tiles routes of the integrity log (no token, no personal data).

``router(target, prefix="/log")`` serves, for anyone to mirror and monitor::

    GET <prefix>/checkpoint                  text/plain; charset=utf-8, Cache-Control max-age=5
    GET <prefix>/tile/<L>/<N>[.p/<W>]        application/octet-stream
    GET <prefix>/tile/entries/<N>[.p/<W>]    application/octet-stream (gzip when accepted)

Full tiles are immutable (``Cache-Control: public, max-age=31536000, immutable``); partial
tiles never change either but are superseded by their full tile, so they are cached for a
day. A path outside the spec's grammar, or a tile the served checkpoint does not cover, is
404. Every response is read from the stored nodes and events (:mod:`ledger.audit.tiles`):
one indexed range scan per tile, no tree rebuilt per request.
"""

from __future__ import annotations

import gzip
import threading
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from typing import Any

import structlog
from fastapi import APIRouter, FastAPI, HTTPException, Request, Response

from ledger.adapters.follower import Db
from ledger.adapters.store import StoreTarget
from ledger.audit.errors import AuditError
from ledger.audit.tiles import LogTiles, TileNotFound
from ledger.integrity import TileError
from ledger.integrity.tiles import parse_tile_path

__all__ = ["CHECKPOINT_CACHE", "DEFAULT_PREFIX", "FULL_TILE_CACHE", "PARTIAL_TILE_CACHE", "router"]

log = structlog.get_logger("ledger.audit.http")

DEFAULT_PREFIX = "/log"
"""Where the tiled log is served unless configured otherwise."""

CHECKPOINT_CACHE = "public, max-age=5"
FULL_TILE_CACHE = "public, max-age=31536000, immutable"
PARTIAL_TILE_CACHE = "public, max-age=86400"
_OCTETS = "application/octet-stream"


class _Connections:
    """Connections for the routes: a small pool on PostgreSQL, one per request on SQLite.

    (A :mod:`sqlite3` connection belongs to the thread that opened it, and opening a SQLite
    file costs microseconds; a PostgreSQL connection costs a round trip or three.)
    """

    def __init__(self, target: StoreTarget, keep: int = 4) -> None:
        self.target = target
        self.keep = keep
        self._idle: list[Db] = []
        self._lock = threading.Lock()

    @contextmanager
    def db(self) -> Iterator[Db]:
        pooled = self.target.kind == "postgres"
        with self._lock:
            db = self._idle.pop() if pooled and self._idle else None
        db = db or Db(self.target)
        try:
            yield db
        except AuditError:
            self._release(db, pooled)
            raise
        except BaseException:
            db.close()
            raise
        self._release(db, pooled)

    def _release(self, db: Db, pooled: bool) -> None:
        with self._lock:
            if pooled and len(self._idle) < self.keep:
                self._idle.append(db)
                return
        db.close()

    def close(self) -> None:
        with self._lock:
            idle, self._idle = self._idle, []
        for db in idle:
            db.close()


def router(target: StoreTarget, prefix: str = DEFAULT_PREFIX) -> APIRouter:
    """The tiled-log routes for the store ``target`` under ``prefix`` (e.g. ``/log``)."""
    connections = _Connections(target)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        yield
        connections.close()

    api = APIRouter(prefix=prefix.rstrip("/"), tags=["transparency log"], lifespan=lifespan)

    @api.get("/checkpoint", response_class=Response, summary="The latest cosigned checkpoint")
    def checkpoint() -> Response:
        """c2sp.org/tlog-checkpoint signed by the log, with the witnesses' cosignatures."""
        note = _read(connections, lambda tiles: tiles.checkpoint().note)
        return Response(
            note, media_type="text/plain; charset=utf-8", headers={"Cache-Control": CHECKPOINT_CACHE}
        )

    @api.get(
        "/tile/{path:path}",
        response_class=Response,
        summary="A hash tile or an entry bundle (c2sp.org/tlog-tiles)",
    )
    def tile(path: str, request: Request) -> Response:
        """``<L>/<N>[.p/<W>]`` or ``entries/<N>[.p/<W>]``, height 8."""
        try:
            ref = parse_tile_path(f"tile/{path}")
        except TileError as exc:
            raise HTTPException(404, str(exc)) from None
        data = _read(connections, lambda tiles: tiles.resource(ref))
        headers = {"Cache-Control": FULL_TILE_CACHE if ref.is_full else PARTIAL_TILE_CACHE}
        if ref.is_entries:
            headers["Vary"] = "Accept-Encoding"
            if "gzip" in request.headers.get("accept-encoding", ""):
                data = gzip.compress(data, compresslevel=6)
                headers["Content-Encoding"] = "gzip"
        return Response(data, media_type=_OCTETS, headers=headers)

    return api


def _read(connections: _Connections, what: Any) -> Any:
    try:
        with connections.db() as db:
            return what(LogTiles(db))
    except TileNotFound as exc:
        raise HTTPException(404, str(exc)) from None
    except AuditError as exc:
        log.error("audit.tiles.unservable", error=str(exc))
        raise HTTPException(500, "the log's stored data does not match its tree") from None
