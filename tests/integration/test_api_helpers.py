"""Helpers shared by the API tests (no tests here): a demo store, keys, tokens, an app."""

from __future__ import annotations

import contextlib
import io
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fastapi import FastAPI

from ledger.adapters.store import StoreTarget, open_store
from ledger.api.app import create_app
from ledger.api.demo_tokens import demo_principals
from ledger.api.roles import Principal
from ledger.api.tokens import KeyRing, key_dir
from ledger.cli import main as cli
from ledger.settings import Settings


@dataclass
class World:
    """A demo store with one token per role and the ids the tests address."""

    db: str
    keys: str
    principals: dict[str, Principal]
    tokens: dict[str, str]
    learner: str
    certificate: str
    fase: int

    def headers(self, role: str, **extra: str) -> dict[str, str]:
        """Authorization header for a role (none for ``public``)."""
        auth = {"Authorization": f"Bearer {self.tokens[role]}"} if role in self.tokens else {}
        return {**auth, **extra}

    def head(self) -> int:
        """The store's last notification id."""
        return store_head(self.db)


def store_head(db: str) -> int:
    """The last notification id of the store at ``db`` (a path or a PostgreSQL URL)."""
    store = open_store(StoreTarget.parse(db))
    try:
        return int(store.recorder.max_notification_id() or 0)
    finally:
        store.close()


@contextlib.contextmanager
def key_env(keys: str) -> Iterator[None]:
    """Point ``LEDGER_KEY_DIR`` at ``keys`` for the duration."""
    old = os.environ.get("LEDGER_KEY_DIR")
    os.environ["LEDGER_KEY_DIR"] = keys
    try:
        yield
    finally:
        if old is None:
            os.environ.pop("LEDGER_KEY_DIR", None)
        else:
            os.environ["LEDGER_KEY_DIR"] = old


def quiet_cli(*argv: str) -> int:
    """Run a ``ledger`` verb with its output swallowed."""
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        return cli(list(argv))


def build_world(
    directory: Path, db: str | None = None, learners: int = 30, candidates: int | None = None
) -> World:
    """Record a demo cohort, catch the read models up, create keys and one token per role."""
    more = ["--candidates", str(candidates)] if candidates is not None else []
    db = db or str(directory / "ledger.db")
    keys = str(directory / "keys")
    with key_env(keys):
        assert quiet_cli("demo", "--db", db, "--learners", str(learners), "--seed", "3", *more) == 0
        quiet_cli("projections", "run", "--once", "--db", db)
        assert quiet_cli("keys", "generate", "--db", db) == 0
        ring = KeyRing(key_dir(keys))
        ring.generate()
        store = open_store(StoreTarget.parse(db))
        principals = {p.role: p for p in demo_principals(store)}
        store.close()
    tokens = {role: ring.issue(p, 3600) for role, p in principals.items()}
    learner = principals["learner"].scope
    certs = certificates_of(db, learner)
    return World(db, keys, principals, tokens, learner, certs[0], principals["jury"].fase)


def certificates_of(db: str, learner: str) -> list[str]:
    """Certificate ids of a learner."""
    from ledger.application.queries import certificates

    store = open_store(StoreTarget.parse(db))
    try:
        return [c.certificate_id for c in certificates(store) if c.learner_id == learner]
    finally:
        store.close()


def make_app(world: World, **settings: Any) -> FastAPI:
    """The API on the world's store (rate limit off unless given)."""
    with key_env(world.keys):
        flags = {
            f"api_{name}" if name.startswith(("public_", "principal_", "ops_")) else name: value
            for name, value in settings.items()
        }
        for bucket in ("public", "principal", "ops"):
            flags.setdefault(f"api_{bucket}_rate", 0.0)
        return create_app(Settings.load(db=world.db, key_dir=world.keys, **flags))


def support(world: World) -> dict[str, Any]:
    """A reorientation-support command at the learner's school by its conseil de classe."""
    return {
        "command": "StartReorientationSupport",
        "learner_id": world.learner,
        "actor_id": world.principals["conseil_classe"].subject,
        "actor_role": "head_of_school",
        "body": "conseil_classe",
        "effective_date": "2025-01-10",
        "fase": world.fase,
    }
