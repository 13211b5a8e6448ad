"""Many threads and processes verifying at once always get the right verdict.

The first release shared pyld's caches (cachetools ``LRUCache``, not thread-safe) between a
server's threads: 1–3 of 240 concurrent verifications of valid credentials came back
``invalid``. Here valid, revoked and tampered credentials are verified together from threads
in one process, from a pool of processes, and through ``ledger serve --workers 2`` by
concurrent clients; every verdict must be the expected one.
"""

from __future__ import annotations

import copy
import random
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from ledger.adapters.follower import Db
from ledger.adapters.store import StoreTarget
from ledger.credentials.issuers import IssuerConfig, IssuerKeyStore
from ledger.credentials.issuing import CredentialIssuer
from ledger.credentials.verify import TrustStore, verify_credential
from tests.integration.test_credentials import build_world
from tests.interop.conftest import free_port, start_server, stop_server

ROUNDS = 6


@dataclass
class Case:
    """A credential, the status list it names, and the verdict it must get."""

    credential: dict[str, Any]
    status: dict[str, Any]
    expected: str


@dataclass
class Cases:
    """The cases, the trust to check them with, and a server serving them."""

    cases: list[Case]
    trust: dict[str, Any]
    url: str


def _tampered(credential: dict[str, Any]) -> dict[str, Any]:
    changed = copy.deepcopy(credential)
    changed["credentialSubject"]["achievement"]["name"] += "."
    return changed


@pytest.fixture(scope="module")
def cases(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cases]:
    """Valid, revoked and tampered credentials of every kind, and ``ledger serve --workers 2``."""
    base = tmp_path_factory.mktemp("concurrency")
    location = str(base / "ledger.db")
    world = build_world(location, base / "keys")
    port = free_port()
    config = IssuerConfig(
        IssuerKeyStore(base / "keys"),
        public_url=f"http://127.0.0.1:{port}",
        recording=world.issuer.config.recording,
    )
    issuer = CredentialIssuer(
        world.ledger.store, Db(StoreTarget.parse(location)), config, world.ledger.identities
    )
    found: list[Case] = []
    for row in world.rows[::3]:
        credential = issuer.credential(str(row.certificate_id))
        status = issuer.status_list_of(credential)
        found.append(Case(credential, status, "revoked" if row.status == "revoked" else "valid"))
        found.append(Case(_tampered(credential), status, "invalid"))
    for row in (r for r in world.rows if r.status == "revoked"):
        credential = issuer.credential(str(row.certificate_id))
        found.append(Case(credential, issuer.status_list_of(credential), "revoked"))
    trust = config.trust_bundle()
    world.ledger.store.close()
    # This storm measures verdicts under concurrency, not the rate limits (they have their own
    # tests in tests/integration/test_api_limits.py): the address limit is off here.
    off = {"LEDGER_API_PUBLIC_RATE": "0"}
    proc = start_server(location, base / "keys", port, extra=off, args=("--workers", "2"))
    yield Cases(found, trust, f"http://127.0.0.1:{port}")
    stop_server(proc)


def _verdict(item: tuple[dict[str, Any], dict[str, Any], dict[str, Any]]) -> str:
    credential, status, trust = item
    return verify_credential(credential, TrustStore.from_document(trust), status).verdict


def _mixed(found: Cases, rounds: int) -> list[Case]:
    order = found.cases * rounds
    random.Random(7).shuffle(order)
    return order


def test_threads_in_one_process_get_every_verdict_right(cases: Cases) -> None:
    """Eight threads verify the shuffled cases at once: no wrong verdict."""
    order = _mixed(cases, ROUNDS)
    assert {c.expected for c in order} == {"valid", "revoked", "invalid"}
    with ThreadPoolExecutor(max_workers=8) as pool:
        got = list(pool.map(_verdict, [(c.credential, c.status, cases.trust) for c in order]))
    wrong = [(c.expected, g) for c, g in zip(order, got, strict=True) if c.expected != g]
    assert not wrong, wrong[:5]


def test_processes_get_every_verdict_right(cases: Cases) -> None:
    """A pool of processes (each with threads of its own caller) verifies the same cases."""
    order = _mixed(cases, 2)
    with ProcessPoolExecutor(max_workers=2) as pool:
        got = list(pool.map(_verdict, [(c.credential, c.status, cases.trust) for c in order], chunksize=8))
    assert [c.expected for c in order] == got


def _post(url: str, credential: dict[str, Any]) -> str:
    with httpx.Client(timeout=60) as client:
        return str(client.post(f"{url}/verify", json=credential).json()["verdict"])


def test_concurrent_clients_of_a_two_worker_server_get_every_verdict_right(cases: Cases) -> None:
    """Eight clients post the shuffled cases to ``ledger serve --workers 2``: no wrong verdict."""
    order = _mixed(cases, 2)
    with ThreadPoolExecutor(max_workers=8) as pool:
        got = list(pool.map(lambda c: _post(cases.url, c.credential), order))
    wrong = [(c.expected, g) for c, g in zip(order, got, strict=True) if c.expected != g]
    assert not wrong, wrong[:5]
