"""A branch jury over HTTP, as an attacker with a valid token uses it (SQLite and PostgreSQL).

Two branch juries A and B and the jury paritaire; one candidate's dossier submitted to each
(``SubmitToJury``, DOMAIN.md §CléA: "the file goes straight to the jury"; [S52] branch juries).
B's token reaches nothing of A's candidate: its dossier, events and certificates answer 404 with
the body an unknown id gets, lists leave it out, a decision on it is refused (404, or 403 when
the body names A's branch) and writes nothing. A decides and issues on its own candidate.
"""

from __future__ import annotations

import gzip
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from ledger.adapters.store import StoreTarget, iter_notifications, open_store
from ledger.api.app import create_app
from ledger.api.roles import Principal
from ledger.api.tokens import KeyRing, key_dir
from ledger.domain.clea.aggregates import candidate_id
from ledger.domain.clea.values import CertificateType
from ledger.settings import Settings
from tests.conftest import make_ledger
from tests.e2e.law_clea_scenarios import BASE, BRANCH, EVAL_A, OTHER_BRANCH, PAIR, cmd, criteria
from tests.integration.test_api_helpers import key_env, store_head

A, B = BRANCH, OTHER_BRANCH
DAY = "2021-07-30"


@dataclass
class Juries:
    """The store, the keys, one candidate per jury and one token per caller."""

    db: str
    client: TestClient
    candidates: dict[str, str]  # A, B, "paritaire" -> candidate id
    tokens: dict[str, str]

    def headers(self, who: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[who]}", "Idempotency-Key": uuid.uuid4().hex}

    def head(self) -> int:
        return store_head(self.db)


def _candidate(name: str, **to: str) -> tuple[str, list[dict[str, Any]]]:
    """A candidate whose préalable acquired every domain, submitted to ``branch_code`` (or paritaire)."""
    person = str(uuid.uuid5(uuid.NAMESPACE_URL, f"test-branch-jury:{name}"))
    reg = cmd(
        "RegisterCandidate",
        "evaluator_org",
        "2021-03-01",
        person_id=person,
        certificate="clea",
        evaluator_siret=EVAL_A,
    )
    ident = str(candidate_id(uuid.UUID(person), CertificateType.CLEA))
    on = {"candidate_id": ident, "evaluator_siret": EVAL_A}
    return ident, [
        reg,
        cmd(
            "RecordPriorEvaluation",
            "evaluator_org",
            "2021-03-10",
            **on,
            evaluator_id="ev-1",
            passed=criteria("clea"),
        ),
        cmd("SubmitToJury", "evaluator_org", DAY, **on, **to),
    ]


@pytest.fixture
def juries(store_location: str, tmp_path: Path) -> Iterator[Juries]:
    ledger = make_ledger(store_location)
    candidates: dict[str, str] = {}
    try:
        for raw in BASE:
            ledger.record(raw)
        for name, to in ((A, {"branch_code": A}), (B, {"branch_code": B}), ("paritaire", {})):
            candidates[name], commands = _candidate(name, **to)
            for raw in commands:
                ledger.record(raw)
    finally:
        ledger.store.close()
    keys = str(tmp_path / "keys")
    with key_env(keys):
        ring = KeyRing(key_dir(keys))
        ring.generate()
        principals = {
            A: Principal("branch_jury", A, "jury-emp-1"),
            B: Principal("branch_jury", B, "jury-emp-1"),
            "certifpro": Principal("certifpro", "national", "certifpro-1"),
        }
        tokens = {name: ring.issue(p, 600) for name, p in principals.items()}
        settings = Settings.load(
            db=store_location, key_dir=keys, api_public_rate=0.0, api_principal_rate=0.0, api_ops_rate=0.0
        )
        with TestClient(create_app(settings), raise_server_exceptions=False) as client:
            yield Juries(store_location, client, candidates, tokens)


def decide(cand: str, branch: str, **extra: Any) -> dict[str, Any]:
    return {
        "command": "DecideJury",
        "actor_id": "jury-emp-1",
        "actor_role": "jury_president",
        "body": "branch_jury",
        "effective_date": DAY,
        "candidate_id": cand,
        "members": PAIR,
        "branch_code": branch,
        **extra,
    }


def _unknown_alike(j: Juries, who: str, url: str, ident: str) -> None:
    """``url`` answers ``who`` 404 with the body of the same URL for an id that does not exist."""
    ghost = str(uuid.uuid4())
    got = j.client.get(url, headers=j.headers(who))
    unknown = j.client.get(url.replace(ident, ghost), headers=j.headers(who))
    assert got.status_code == unknown.status_code == 404, got.text
    assert got.json() == {
        k: (v.replace(ghost, ident) if isinstance(v, str) else v) for k, v in unknown.json().items()
    }


def test_branch_b_reaches_nothing_of_branch_as_candidate(juries: Juries) -> None:
    """B: dossier, events and decisions on A's candidate are out of reach; nothing written."""
    j, cand = juries, juries.candidates[A]
    _unknown_alike(j, B, f"/v1/learners/{cand}", cand)
    events = j.client.get(f"/v1/events?learner={cand}&limit=100", headers=j.headers(B))
    assert events.status_code in (200, 404) and (events.status_code == 404 or events.json() == [])
    everything = j.client.get("/v1/events?limit=1000", headers=j.headers(B)).json()
    seen = {e["aggregate_id"] for e in everything}
    assert cand not in seen and j.candidates["paritaire"] not in seen
    assert j.candidates[B] in seen  # B reads what was submitted to it
    before = j.head()
    out = j.client.post("/v1/commands", json=decide(cand, B), headers=j.headers(B))
    assert out.status_code == 404, out.text
    assert A not in out.text and EVAL_A not in out.text
    named = j.client.post("/v1/commands", json=decide(cand, A), headers=j.headers(B))
    assert named.status_code == 403, named.text
    assert j.head() == before


def test_branch_a_decides_and_issues_its_own_and_b_cannot_see_the_certificate(juries: Juries) -> None:
    """A decides and issues on its candidate; B gets 404 on the certificate and lists omit it."""
    j, cand = juries, juries.candidates[A]
    assert j.client.get(f"/v1/learners/{cand}", headers=j.headers(A)).status_code == 200
    assert j.client.post("/v1/commands", json=decide(cand, A), headers=j.headers(A)).status_code == 201
    issue = {**decide(cand, A), "command": "IssueCleaCertificate", "effective_date": "2021-08-02"}
    del issue["members"]
    issued = j.client.post("/v1/commands", json=issue, headers=j.headers(A))
    assert issued.status_code == 201, issued.text
    cert = issued.json()["certificate_id"]
    assert j.client.get(f"/v1/certificates/{cert}", headers=j.headers(A)).status_code == 200
    _unknown_alike(j, B, f"/v1/certificates/{cert}", cert)
    listed = {c["certificate_id"] for c in j.client.get("/v1/certificates", headers=j.headers(B)).json()}
    assert cert not in listed
    mine = {c["certificate_id"] for c in j.client.get("/v1/certificates", headers=j.headers(A)).json()}
    assert cert in mine


def test_a_branch_jury_does_not_decide_on_the_jury_paritaires_dossier(juries: Juries) -> None:
    """The paritaire candidate is out of A's reach; Certif'Pro reads every candidate."""
    j, cand = juries, juries.candidates["paritaire"]
    before = j.head()
    assert j.client.post("/v1/commands", json=decide(cand, A), headers=j.headers(A)).status_code == 404
    _unknown_alike(j, A, f"/v1/learners/{cand}", cand)
    assert j.head() == before
    for name in (A, B, "paritaire"):
        url = f"/v1/learners/{j.candidates[name]}"
        assert j.client.get(url, headers=j.headers("certifpro")).status_code == 200


def test_candidates_decided_before_submissions_stay_with_the_branch_that_decided(tmp_path: Path) -> None:
    """The release's store (no SubmitToJury then): the deciding branch reads them, another does not."""
    db = tmp_path / "release.db"
    db.write_bytes(
        gzip.decompress((Path(__file__).parents[1] / "fixtures" / "release-store.db.gz").read_bytes())
    )
    store = open_store(StoreTarget.parse(str(db)))
    try:
        topic = "ledger.domain.clea.aggregates:Candidate.JuryDecided"
        decided = {
            str(n.originator_id): store.repository.get(n.originator_id)
            for n in iter_notifications(store, topics=(topic,))
        }
    finally:
        store.close()
    by_branch = {
        ident: c.jury().branch_code for ident, c in decided.items() if c.jury() and c.jury().branch_code
    }
    assert by_branch, "the release store holds candidates decided by a branch jury"
    keys = str(tmp_path / "keys")
    with key_env(keys):
        ring = KeyRing(key_dir(keys))
        ring.generate()
        settings = Settings.load(db=str(db), key_dir=keys, api_public_rate=0.0, api_principal_rate=0.0)
        with TestClient(create_app(settings), raise_server_exceptions=False) as client:
            for ident, branch in by_branch.items():
                own = ring.issue(Principal("branch_jury", str(branch), "jury-1"), 600)
                other = ring.issue(Principal("branch_jury", "IDCC-0016", "jury-1"), 600)
                url = f"/v1/learners/{ident}"
                assert client.get(url, headers={"Authorization": f"Bearer {own}"}).status_code == 200
                assert client.get(url, headers={"Authorization": f"Bearer {other}"}).status_code == 404
