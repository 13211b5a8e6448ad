"""The public log on real stores: tiles from the stored tree, witnesses over HTTP, publication.

The tile routes are mounted alone on a FastAPI app (a custom prefix) and read back with a
tree built from their tiles; witnesses are :mod:`ledger.audit.witness_server` apps spoken
to over HTTP through ``TestClient``; the stores are real SQLite files and PostgreSQL schemas.
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from ledger.adapters.keys import LogKeyStore
from ledger.adapters.store import StoreTarget
from ledger.application import Ledger
from ledger.audit.errors import AuditError
from ledger.audit.http import FULL_TILE_CACHE, PARTIAL_TILE_CACHE, router
from ledger.audit.log import AuditLog, verify_event_proof
from ledger.audit.publish import publish
from ledger.audit.witness_server import WitnessState, witness_app
from ledger.audit.witnessing import cosign_checkpoint
from ledger.integrity import (
    Checkpoint,
    CosignatureSigner,
    MemoryNodeStore,
    MerkleLog,
    QuorumError,
    WitnessError,
    generate_cosignature_key,
    leaf_hash,
    parse_cosignature_skey,
    parse_policy,
    parse_vkey,
    sign_checkpoint,
)
from ledger.integrity.tiles import TileHashStore, TileRef, decode_entry_bundle
from ledger.integrity.witness import AddCheckpoint
from tests.builders import admit, open_option
from tests.integration.test_audit import record_demo
from tests.integration.test_audit_tamper import Table

ORIGIN = "registre.example/qualifié"
LEAF_FIELDS = {"v", "position", "originator_id", "originator_version", "topic", "state_sha256", "gap"}


@pytest.fixture
def audit(ledger: Ledger, store_location: str, tmp_path: Path) -> Iterator[AuditLog]:
    """An integrity log on each backend; its key is named after its origin."""
    log = AuditLog(
        StoreTarget.parse(store_location), ledger.store, keys=LogKeyStore(tmp_path / "keys"), origin=ORIGIN
    )
    log.keys.generate(ORIGIN)
    yield log
    log.close()


def tiles_client(location: str, prefix: str = "/public/tlog") -> TestClient:
    """The tile routes alone, under a custom prefix."""
    app = FastAPI()
    app.include_router(router(StoreTarget.parse(location), prefix))
    return TestClient(app)


def test_tiles_rebuild_the_signed_tree_and_nothing_beyond_it(
    ledger: Ledger, audit: AuditLog, store_location: str
) -> None:
    """A tree read from the served tiles has the checkpoint's root; entries hash to its leaves."""
    record_demo(ledger, learners=10, candidates=2)
    note, checkpoint = audit.checkpoint()
    size = checkpoint.size
    assert size > 256 and size % 256
    for _ in range(3):
        admit(ledger)
    audit.sync()  # logged, but no checkpoint covers these yet
    with tiles_client(store_location) as client:
        answer = client.get("/public/tlog/checkpoint")
        assert answer.content == note and answer.headers["content-type"] == "text/plain; charset=utf-8"
        assert answer.headers["cache-control"] == "public, max-age=5"
        fetched: dict[str, httpx.Response] = {}

        def fetch(tile: TileRef) -> bytes:
            fetched[tile.path()] = client.get(f"/public/tlog/{tile.path()}")
            assert fetched[tile.path()].status_code == 200, tile.path()
            return fetched[tile.path()].content

        tree = MerkleLog(TileHashStore(size, fetch))
        assert tree.root(size) == checkpoint.root_hash
        assert tree.root(100) == audit.merkle().root(100)  # reads the full tile 0/000
        assert fetched["tile/0/000"].headers["cache-control"] == FULL_TILE_CACHE
        partial = fetched[f"tile/0/001.p/{size - 256}"]
        assert partial.headers["cache-control"] == PARTIAL_TILE_CACHE
        assert partial.headers["content-type"] == "application/octet-stream"
        for tile in (TileRef(-1, 0), TileRef(-1, 1, size - 256)):
            bundle = client.get(f"/public/tlog/{tile.path()}", headers={"Accept-Encoding": "gzip"})
            assert bundle.headers["content-encoding"] == "gzip"
            entries = decode_entry_bundle(bundle.content)
            leaves = tree.store.get_many([(0, tile.first_node + i) for i in range(tile.width)])
            assert [leaf_hash(e) for e in entries] == [
                leaves[(0, tile.first_node + i)] for i in range(tile.width)
            ]
            assert all(set(json.loads(e)) <= LEAF_FIELDS for e in entries), "no personal data, no state"
        for beyond in [
            f"tile/0/001.p/{size - 256 + 1}",
            "tile/0/001",
            f"tile/entries/001.p/{size - 255}",
            "tile/1/000",
            "tile/0/1",
            "tile/0/x000/000",
            "tile/8/000.p/0",
        ]:
            assert client.get(f"/public/tlog/{beyond}").status_code == 404, beyond
        assert client.get("/log/checkpoint").status_code == 404


def test_an_altered_event_is_never_served_as_an_entry(
    ledger: Ledger, audit: AuditLog, store_location: str
) -> None:
    """An event changed behind the ledger's back makes its bundle a 500, never wrong bytes."""
    open_option(ledger)
    for _ in range(6):
        admit(ledger)
    audit.checkpoint()
    table = Table(store_location)
    try:
        table.set_state(3, table.state(3).replace(b"2019", b"2018"))
    finally:
        table.db.close()
    with tiles_client(store_location) as client:
        assert client.get("/public/tlog/tile/0/000.p/7").status_code == 200
        assert client.get("/public/tlog/tile/entries/000.p/7").status_code == 500


# ---------------------------------------------------------------------------- witnesses
class Witnesses:
    """Witness apps reached by URL through TestClient; counts the requests each got."""

    def __init__(self, log_vkey: str, directory: Path) -> None:
        self.log_vkey, self.directory = log_vkey, directory
        self.clients: dict[str, TestClient] = {}
        self.states: dict[str, WitnessState] = {}
        self.signers: dict[str, CosignatureSigner] = {}
        self.requests: dict[str, int] = {}
        self.down: set[str] = set()

    def add(self, name: str) -> str:
        """A new witness; its policy line."""
        signer = parse_cosignature_skey(generate_cosignature_key(f"{name}.witness.example")[0])
        state = WitnessState(self.directory / f"{name}.db")
        logs = {ORIGIN: [parse_vkey(self.log_vkey)]}
        self.clients[name] = TestClient(witness_app(signer, logs, state))
        self.states[name], self.signers[name], self.requests[name] = state, signer, 0
        return f"witness {name} {signer.verifier.vkey} http://{name}.test"

    def post(self, url: str, body: bytes) -> httpx.Response:
        name = url.removeprefix("http://").split(".test")[0]
        if name in self.down:
            raise httpx.ConnectError("connection refused")
        self.requests[name] += 1
        return self.clients[name].post("/add-checkpoint", content=body)

    def close(self) -> None:
        for state in self.states.values():
            state.close()


@pytest.fixture
def witnesses(audit: AuditLog, tmp_path: Path) -> Iterator[Witnesses]:
    group = Witnesses(audit.verifiers()[0], tmp_path)
    yield group
    group.close()


def test_cosigning_resubmits_after_409_and_every_proof_carries_the_cosignatures(
    ledger: Ledger, audit: AuditLog, witnesses: Witnesses
) -> None:
    """A 409 is answered from the witness's size; the served note and proofs carry the cosignatures."""
    open_option(ledger)
    admit(ledger)
    lines = [witnesses.add("a"), witnesses.add("b"), witnesses.add("c")]
    policy = parse_policy(
        f"log {audit.verifiers()[0]}\n" + "\n".join(lines) + "\ngroup two 2 a b c\nquorum two\n"
    )
    first = cosign_checkpoint(audit, policy, post=witnesses.post)
    assert first.quorum_met and [o.status for o in first.outcomes] == ["cosigned"] * 3
    for _ in range(5):
        admit(ledger)
    audit.set_witness_size(policy.witnesses["a"].verifier.vkey, 0)  # forgotten: the witness holds 2
    witnesses.down.add("c")
    second = cosign_checkpoint(audit, policy, post=witnesses.post)
    statuses = {o.name: o.status for o in second.outcomes}
    assert statuses == {"a": "cosigned", "b": "cosigned", "c": "unreachable"} and second.quorum_met
    assert witnesses.requests == {"a": 3, "b": 2, "c": 1}, "a answered 409 once, then cosigned"
    assert witnesses.states["a"].latest(ORIGIN) == (7, audit.merkle().root(7))
    served_row = audit.served_checkpoint()
    assert served_row is not None
    _, served, checkpoint = served_row
    assert served == second.note and b"\n\xe2\x80\x94 a.witness.example " in served and checkpoint.size == 7
    proven = verify_event_proof(audit.inclusion_proof(6), audit.verifiers(), policy=policy)
    assert proven.witnesses == ("a", "b")
    everyone = parse_policy(
        f"log {audit.verifiers()[0]}\n" + "\n".join(lines) + "\ngroup all all a b c\nquorum all\n"
    )
    with pytest.raises(QuorumError):
        verify_event_proof(audit.inclusion_proof(6), audit.verifiers(), policy=everyone)


def test_a_witness_that_saw_another_tree_refuses_and_the_quorum_fails(
    ledger: Ledger, audit: AuditLog, witnesses: Witnesses
) -> None:
    """A witness holding another root for the size (a fork shown elsewhere) answers 422."""
    open_option(ledger)
    for _ in range(4):
        admit(ledger)
    policy = parse_policy(f"log {audit.verifiers()[0]}\n{witnesses.add('a')}\nquorum a\n")
    other = MerkleLog(MemoryNodeStore())
    other.append_data([b"another history"] * 3)
    state = witnesses.states["a"]
    state._conn.execute("INSERT INTO witness_logs VALUES (?, 3, ?, x'', '')", (ORIGIN, other.root(3)))
    result = cosign_checkpoint(audit, policy, post=witnesses.post)
    (outcome,) = result.outcomes
    assert outcome.status == "refused" and outcome.detail.startswith("HTTP 422") and not result.quorum_met
    assert audit.served_checkpoint()[1].count(b"\n\xe2\x80\x94 ") == 1, "nothing but the log's signature"


def test_witness_state_survives_restarts_and_never_rolls_back(
    audit: AuditLog, ledger: Ledger, tmp_path: Path
) -> None:
    """Concurrent submissions from one old size: exactly one is cosigned, the other gets 409."""
    open_option(ledger)
    for _ in range(9):
        admit(ledger)
    audit.sync()
    signer = parse_cosignature_skey(generate_cosignature_key("w.example")[0])
    logs = {ORIGIN: [parse_vkey(audit.verifiers()[0])]}
    notes = {}
    for size in (4, 7):
        notes[size] = sign_checkpoint(
            Checkpoint(ORIGIN, size, audit.merkle().root(size)), [audit.keys.signer()]
        )
    state = WitnessState(tmp_path / "w.db")
    outcomes: list[str] = []

    def submit(size: int) -> None:
        try:
            state.add_checkpoint(AddCheckpoint(0, (), notes[size]).to_body(), logs, signer)
            outcomes.append(f"cosigned {size}")
        except WitnessError as exc:
            outcomes.append(str(exc.status))

    threads = [threading.Thread(target=submit, args=(size,)) for size in (4, 7)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes)[0] == "409" and len([o for o in outcomes if o.startswith("cosigned")]) == 1
    kept = state.latest(ORIGIN)
    state.close()
    reopened = WitnessState(tmp_path / "w.db")
    try:
        assert reopened.latest(ORIGIN) == kept
        with TestClient(witness_app(signer, logs, reopened)) as client:
            digest = hashlib.sha256(ORIGIN.encode()).hexdigest()
            note = client.get(f"/{digest}/checkpoint")
            assert note.status_code == 200 and f"\n— {signer.name} ".encode() in note.content
            assert client.get(f"/{'0' * 64}/checkpoint").status_code == 404
            conflict = client.post("/add-checkpoint", content=AddCheckpoint(0, (), notes[4]).to_body())
            assert (conflict.status_code, conflict.text) == (409, f"{kept[0]}\n")
            assert conflict.headers["content-type"] == "text/x.tlog.size"
            assert client.post("/add-checkpoint", content=b"old 0\n\n" + b"x" * 70_000).status_code == 400
            unknown = notes[4].replace(ORIGIN.encode(), b"elsewhere.example/log")
            assert client.post("/add-checkpoint", content=b"old 0\n\n" + unknown).status_code == 404
    finally:
        reopened.close()


# ----------------------------------------------------------------------------- publish
def test_publish_refuses_another_logs_directory_and_writes_nothing(
    ledger: Ledger, audit: AuditLog, store_location: str, tmp_path: Path
) -> None:
    """A directory holding a checkpoint by other keys, or of another tree, is left untouched."""
    open_option(ledger)
    admit(ledger)
    audit.checkpoint()
    site = tmp_path / "site"
    report = publish(audit.db, site, audit.keys.verifiers())
    assert (report.size, report.previous) == (2, 0) and (site / "tile/entries/000.p/2").is_file()
    before = sorted(p.relative_to(site) for p in site.rglob("*"))
    with pytest.raises(AuditError, match="not a checkpoint of this log"):
        publish(audit.db, site, [LogKeyStore(tmp_path / "other").generate(ORIGIN)])
    assert sorted(p.relative_to(site) for p in site.rglob("*")) == before


def test_the_api_serves_the_tiled_log_publicly_under_a_configurable_prefix(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``ledger serve``'s app mounts the routes under ``LEDGER_LOG_PREFIX`` (``/log`` by default)."""
    from ledger.api.app import create_app, endpoints
    from ledger.api.context import Settings

    db = str(tmp_path / "ledger.db")
    assert ("GET", "/log/checkpoint") in endpoints(create_app(Settings(db=db)))
    monkeypatch.setenv("LEDGER_LOG_PREFIX", "/transparency/")
    app = create_app(Settings(db=db))
    routes = set(endpoints(app))
    assert {("GET", "/transparency/checkpoint"), ("GET", "/transparency/tile/{path:path}")} <= routes
    with TestClient(app) as client:
        answer = client.get("/transparency/checkpoint")
        assert answer.status_code == 404 and "no checkpoint yet" in answer.text
