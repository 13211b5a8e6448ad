"""Shared fixtures: real stores (SQLite file; PostgreSQL when configured), a fixed clock.

PostgreSQL tests need ``LEDGER_TEST_PG_URL`` (the README's test command starts a server and
sets it). Without it they are skipped locally and FAIL when ``CI=true``.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from ledger.adapters.store import StoreTarget
from ledger.application import Ledger
from ledger.application.clock import FixedClock as ShippedFixedClock
from ledger.bootstrap import Services, bootstrap, bootstrap_memory
from ledger.settings import Settings
from tests.kafka_support import kafka_topics_deleted  # noqa: F401  (autouse: each test's topics deleted)

SHARED = Path(__file__).resolve().parents[1] / ".." / "shared"
NOW = datetime(2026, 11, 1, 9, 0, tzinfo=UTC)


class FixedClock(ShippedFixedClock):
    """The shipped :class:`~ledger.application.FixedClock`, set to :data:`NOW` by default."""

    def __init__(self, now: datetime = NOW) -> None:
        super().__init__(now)


def require_service(env: str, what: str) -> str:
    """The service URL from ``env``; skip locally, fail under CI, when it is missing."""
    value = os.environ.get(env)
    if value:
        return value
    if os.environ.get("CI") == "true":
        pytest.fail(f"{what} is required in CI: set {env} (the test command starts it)")
    pytest.skip(f"{what} not configured ({env} unset)")


_SCHEMAS: set[str] = set()  # every schema handed out this session, dropped when it ends


def pg_url_with_schema(schema: str) -> str:
    """A PostgreSQL URL for a fresh schema of the test database (dropped at the session's end)."""
    base = require_service("LEDGER_TEST_PG_URL", "PostgreSQL")
    _SCHEMAS.add(schema)
    return f"{base}{'&' if '?' in base else '?'}schema={schema}"


@pytest.fixture(autouse=True, scope="session")
def _schemas_dropped() -> Iterator[None]:
    """The test database keeps no schema of a finished run (hundreds piled up per run before)."""
    yield
    base = os.environ.get("LEDGER_TEST_PG_URL")
    if not (_SCHEMAS and base):
        return
    conn = StoreTarget.parse(base).connect()
    try:
        for schema in sorted(_SCHEMAS):
            conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
    finally:
        conn.close()


@pytest.fixture(autouse=True)
def _language_restored() -> Iterator[None]:
    """A test that switches the language (in-process ``main([... "--lang", "en"])``) leaves none behind."""
    from ledger import i18n

    before = i18n.current()
    yield
    i18n.use(before)


@pytest.fixture(autouse=True, scope="session")
def _isolated_key_dir(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """Keys (identity KEK, log, credential and token keys) go to a per-run directory."""
    previous = os.environ.get("LEDGER_KEY_DIR")
    os.environ["LEDGER_KEY_DIR"] = str(tmp_path_factory.mktemp("keys"))
    yield
    if previous is None:
        os.environ.pop("LEDGER_KEY_DIR", None)
    else:
        os.environ["LEDGER_KEY_DIR"] = previous


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def store_location(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh store on each backend: a SQLite file, or a new PostgreSQL schema."""
    if request.param == "sqlite":
        yield str(tmp_path / "ledger.db")
        return
    schema = f"t_{uuid.uuid4().hex[:12]}"
    url = pg_url_with_schema(schema)
    yield url
    conn = StoreTarget.parse(url).connect()
    conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
    conn.close()


def make_services(location: str, clock: FixedClock | None = None) -> Services:
    """The composition root's services on a real store at ``location`` (settings as in use)."""
    return bootstrap(Settings.load(db=location), clock or FixedClock())


def make_ledger(location: str, clock: FixedClock | None = None) -> Ledger:
    """A ledger on a real store at ``location``, composed by :func:`ledger.bootstrap.bootstrap`."""
    return make_services(location, clock).ledger


@pytest.fixture
def ledger(store_location: str) -> Iterator[Ledger]:
    """A ledger on each real backend."""
    app = make_ledger(store_location)
    yield app
    app.store.close()


@pytest.fixture
def memory_ledger() -> Iterator[Ledger]:
    """A ledger composed in memory (:func:`ledger.bootstrap.bootstrap_memory`): unit tests."""
    services = bootstrap_memory(FixedClock())
    yield services.ledger
    services.close()


@pytest.fixture
def sqlite_ledger(tmp_path: Path) -> Iterator[Ledger]:
    """A ledger on a SQLite file only (for pure-domain-heavy tests)."""
    app = make_ledger(str(tmp_path / "ledger.db"))
    yield app
    app.store.close()
