"""Authorisation matrix GENERATED from the served OpenAPI (issue 16, item 10).

Every operation ``GET /openapi.json`` lists × every role × its own tenant and a foreign tenant
(another school, another learner, another SIRET), reads and writes. The expected outcome of
each cell comes from :func:`expected`, a table written from the rules (``ledger.api.roles``,
DOMAIN.md), never from observed behaviour. Every cell also checks: a foreign-tenant request
never succeeds on the tenant's data and never carries its ids or its learner's name; a write
that is not a success writes nothing (event count before/after); errors are problem+json.

The "own" caller addresses its own tenant's learner (CPU roles) or candidate (CléA roles); the
"foreign" caller has the same role scoped to another tenant and addresses the same records
(the red team's cross-tenant attempts). Roles of national scope (inspectors, certification
bodies, the administration, Certif'Pro) have no foreign tenant; a branch jury's tenant is a
candidate whose dossier was submitted to its branch, another branch is its foreign caller.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from fastapi.testclient import TestClient

from ledger.adapters.store import StoreTarget, iter_notifications, open_store
from ledger.api.app import endpoints
from ledger.api.roles import AUDITORS, WRITERS, Principal, _branches_seized, _planned_training_orgs
from ledger.api.tokens import KeyRing, key_dir
from ledger.demo.clea import BRANCH
from tests.integration.test_api_helpers import World, build_world, certificates_of, key_env, make_app
from tests.integration.test_api_roles import own_command

SCHOOL = frozenset({"jury", "conseil_classe", "conseil_admission", "direction"})
CLEA = frozenset({"certifpro", "evaluator", "training_org", "branch_jury"})
NATIONAL = AUDITORS | {"administration", "certifpro"}  # no foreign tenant
ROLES = sorted(SCHOOL | CLEA | AUDITORS | {"learner", "administration"})
METHODS = {"get", "post", "put", "patch", "delete"}

# Who reads a record of each family (DOMAIN.md; ledger.api.roles.may_read).
CPU_READERS = SCHOOL | AUDITORS | {"learner", "administration"}
CLEA_READERS = CLEA | AUDITORS
# Routes open to anyone (a token is ignored): no tenant to cross.
PUBLIC_PREFIXES = (
    "/healthz",
    "/readyz",
    "/metrics",
    "/v1/public/",
    "/schemas",
    "/verify",
    "/credentials",
    "/presentations",
    "/status/",
    "/.well-known/",
    "/issuers/",
    "/contexts/",
    "/keys",
    "/log/",
)
BY_ID = (
    "/v1/learners/{learner_id}",
    "/v1/certificates/{certificate_id}",
    "/v1/certificates/{certificate_id}/history",
)
LISTS = ("/v1/certificates", "/v1/events")


@dataclass
class Tenant:
    """The records a caller's tenant owns: a learner (or candidate) and one of its certificates."""

    learner: str
    certificate: str
    scope: str


@dataclass
class Matrix:
    """The demo world, each role's own tenant, the foreign principals, the secrets to guard."""

    world: World
    own: dict[str, Tenant]
    foreign: dict[str, Principal]
    foreign_tokens: dict[str, str]
    secrets: dict[str, list[str]]  # per role: what a foreign caller must never see


def expected(method: str, path: str, role: str, tenant: str) -> str:
    """The table: "ok" 2xx; "passed" authorised (2xx or a domain 4xx); "403"; "404"."""
    if path.startswith(PUBLIC_PREFIXES):
        return "public"
    if path == "/v1/me" or path in LISTS:
        return "ok"  # a list holds only the caller's tenant (checked on the body)
    if method == "POST" and path == "/v1/commands":
        if role not in WRITERS:
            return "403"
        if tenant == "own":
            return "passed"
        # on another tenant's record: unknown-like 404, or a transfer refused by Art. 9 (422)
        return "refused" if role in {"direction", "conseil_admission"} else "404"
    if path == "/v1/audit/proofs/{position}":
        return "ok" if role in AUDITORS else "403"
    if path == "/v1/stats/clea":
        return "ok" if role in AUDITORS | {"certifpro"} else "403"
    if path == "/v1/stats/schools/{fase}":
        mine = role in AUDITORS | {"administration"} or (role in SCHOOL and tenant == "own")
        return "ok" if mine else "403"
    if path in BY_ID:
        readers = CLEA_READERS if role in CLEA else CPU_READERS
        return "ok" if role in readers and tenant == "own" else "404"
    raise AssertionError(f"{method} {path} has no row in the authorisation matrix")


def cells(schema: dict[str, Any]) -> Iterator[tuple[str, str, str, str]]:
    """(method, path, role, tenant) for every operation of the served OpenAPI."""
    for path, operations in sorted(schema["paths"].items()):
        for method in sorted(set(operations) & METHODS):
            for role in ROLES:
                for tenant in ("own", "foreign"):
                    if tenant == "foreign" and role in NATIONAL:
                        continue
                    yield method.upper(), path, role, tenant


@pytest.fixture(scope="module")
def matrix(tmp_path_factory: pytest.TempPathFactory) -> Matrix:
    world = build_world(tmp_path_factory.mktemp("api-matrix"), learners=12, candidates=20)
    store = open_store(StoreTarget.parse(world.db))
    try:
        cpu = Tenant(world.learner, world.certificate, str(world.fase))
        evaluator, training = world.principals["evaluator"].scope, world.principals["training_org"].scope
        candidates: list[Any] = [
            store.repository.get(uuid.UUID(str(n.originator_id)))
            for n in iter_notifications(store, topics=("ledger.domain.clea.aggregates:Candidate.Registered",))
        ]
        mine = next(
            c
            for c in candidates
            if c.evaluator_siret == evaluator
            and training in _planned_training_orgs(c)
            and certificates_of(world.db, str(c.id))
        )
        clea = Tenant(str(mine.id), certificates_of(world.db, str(mine.id))[0], evaluator)
        judged = next(
            c for c in candidates if BRANCH in _branches_seized(c) and certificates_of(world.db, str(c.id))
        )
        branch = Tenant(str(judged.id), certificates_of(world.db, str(judged.id))[0], BRANCH)
        other_eval = next(c.evaluator_siret for c in candidates if c.evaluator_siret != evaluator)
        planned = _planned_training_orgs(mine)
        other_training = next(s for c in candidates for s in _planned_training_orgs(c) if s not in planned)
        learners: list[Any] = [
            store.repository.get(uuid.UUID(str(n.originator_id)))
            for n in iter_notifications(store, topics=("ledger.domain.cpu.aggregates:Learner.Admitted",))
        ]
        other_learner = next(str(x.id) for x in learners if str(x.id) != world.learner)
        other_fase = next(
            (x.fase for x in learners if x.fase != world.fase), 209 if world.fase != 209 else 712
        )
    finally:
        store.close()
    foreign = {role: Principal(role, str(other_fase), f"{role}-{other_fase}") for role in SCHOOL}
    foreign["learner"] = Principal("learner", other_learner, "learner")
    foreign["evaluator"] = Principal("evaluator", other_eval, "evaluator-2")
    foreign["training_org"] = Principal("training_org", other_training, "training_org-2")
    foreign["branch_jury"] = Principal("branch_jury", "IDCC-0016", "branch_jury-2")
    ring = KeyRing(key_dir(world.keys))
    own = {role: clea if role in CLEA else cpu for role in ROLES}
    own["branch_jury"] = branch
    return Matrix(
        world,
        own,
        foreign,
        {role: ring.issue(p, 3600) for role, p in foreign.items()},
        {role: [own[role].learner, own[role].certificate] for role in foreign},
    )


@pytest.fixture(scope="module")
def client(matrix: Matrix) -> Iterator[TestClient]:
    with key_env(matrix.world.keys), TestClient(make_app(matrix.world), raise_server_exceptions=False) as c:
        yield c


@pytest.fixture(scope="module")
def served(client: TestClient) -> dict[str, Any]:
    r = client.get("/openapi.json")
    assert r.status_code == 200
    schema: dict[str, Any] = r.json()
    return schema


def url(path: str, tenant: Tenant, fase: int) -> str:
    """A concrete URL for a template, addressing the tenant's records."""
    values = {
        "learner_id": tenant.learner,
        "certificate_id": tenant.certificate,
        "position": "0",
        "fase": str(fase),
        "name": "verify.js",
        "list_id": "1",
        "number": tenant.certificate,
        "path": f"fase-{fase}",
    }
    if path.endswith("/tile/{path}"):
        path = path.replace("{path}", "0/000")
    return path.format(**values)


def attack(m: Matrix, role: str) -> dict[str, Any]:
    """A write by the foreign caller on the tenant's record, naming its OWN scope in the body."""
    who, target = m.foreign[role], m.own[role]
    if role == "branch_jury":  # another branch's jury decides on the dossier, naming its own branch
        return {
            "command": "DecideJury",
            "candidate_id": target.learner,
            "actor_id": who.subject,
            "actor_role": "jury_president",
            "body": "branch_jury",
            "branch_code": who.scope,
            "effective_date": "2025-01-10",
            "members": [{"person_id": "j-1", "side": "employer"}, {"person_id": "j-2", "side": "employee"}],
        }
    if role in CLEA:
        return {
            "command": "RecordFinalEvaluation" if role == "evaluator" else "CompleteTraining",
            "candidate_id": target.learner,
            "actor_id": who.subject,
            "actor_role": "evaluator" if role == "evaluator" else "trainer",
            "body": "evaluator_org" if role == "evaluator" else "training_org",
            "effective_date": "2025-01-10",
            **(
                {"evaluator_siret": who.scope, "evaluator_id": "ev-2", "domains": ["D1"], "passed": []}
                if role == "evaluator"
                else {"training_org_siret": who.scope, "trainer_id": "tr-2"}
            ),
        }
    cmd = own_command(m.world, role) if role in WRITERS else own_command(m.world, "conseil_classe")
    if role in {"direction", "conseil_admission"}:  # reaching another school's learner: a transfer
        cmd = {**own_command(m.world, "conseil_admission"), "body": role}
    fase = who.fase if role in SCHOOL else m.world.fase
    return {**cmd, "learner_id": target.learner, "actor_id": who.subject, "fase": fase}


def send(client: TestClient, m: Matrix, method: str, path: str, role: str, tenant: str, n: int) -> Any:
    token = (m.world.tokens if tenant == "own" else m.foreign_tokens)[role]
    headers = {"Authorization": f"Bearer {token}"}
    target = url(path, m.own[role], m.world.fase)
    if method == "POST" and path == "/v1/commands":
        body = own_command(m.world, role) if tenant == "own" else attack(m, role)
        return client.post(target, json=body, headers={**headers, "Idempotency-Key": f"matrix-{n}"})
    if method == "POST":
        return client.post(target, json={"credential": {}}, headers=headers)
    return client.get(target, headers=headers)


def verdict(status: int, want: str) -> bool:
    if want == "public":
        return status not in (401, 403) and status < 500
    if want == "passed":
        return 200 <= status < 300 or status in (400, 409, 422)
    if want == "refused":
        return 400 <= status < 500 and status not in (401,)
    if want == "ok":
        return 200 <= status < 300
    return str(status) == want


def test_every_served_route_is_in_the_openapi(client: TestClient, served: dict[str, Any]) -> None:
    """The matrix reads the served OpenAPI: no route may hide from it (docs pages aside)."""
    listed = {(m.upper(), p) for p, ops in served["paths"].items() for m in ops if m in METHODS}
    docs = {"/openapi.json", "/docs", "/docs/oauth2-redirect", "/redoc"}
    served_routes = {(m, p.replace(":path}", "}")) for m, p in endpoints(client.app)}  # type: ignore[arg-type]
    assert {r for r in served_routes if r[1] not in docs} <= listed
    assert len(listed) >= 20


def test_matrix_every_operation_every_role_own_and_foreign_tenant(
    client: TestClient, served: dict[str, Any], matrix: Matrix
) -> None:
    """Each cell gets its row; foreign callers never see the tenant's data; refusals write nothing."""
    failures: list[str] = []
    count = 0
    names = identity_names(client, matrix)
    for n, (method, path, role, tenant) in enumerate(cells(served)):
        want = expected(method, path, role, tenant)
        before = matrix.world.head()
        r = send(client, matrix, method, path, role, tenant, n)
        count += 1
        cell = f"{method} {path} as {role} ({tenant} tenant)"
        if not verdict(r.status_code, want):
            failures.append(f"{cell}: want {want}, got {r.status_code} {r.text[:160]}")
        if not 200 <= r.status_code < 300:
            assert matrix.world.head() == before, f"{cell}: refused ({r.status_code}) but wrote events"
            problem = r.headers.get("content-type", "").startswith("application/problem+json")
            if r.status_code >= 400 and not problem and not path.startswith(PUBLIC_PREFIXES):
                failures.append(f"{cell}: {r.status_code} is not problem+json")
        if tenant == "foreign" and not path.startswith(PUBLIC_PREFIXES):
            asked = str(r.request.url) + r.request.content.decode()  # what the caller itself sent
            leaked = [s for s in matrix.secrets[role] + names if s in r.text and s not in asked]
            if leaked:
                failures.append(f"{cell}: {r.status_code} carries the tenant's {leaked}")
    assert count >= 20 * len(ROLES)
    assert not failures, f"{len(failures)} of {count} cells:\n" + "\n".join(failures)


def identity_names(client: TestClient, m: Matrix) -> list[str]:
    """The tenant learner's names (read by its own school): a foreign caller must never see them."""
    r = client.get(
        f"/v1/learners/{m.own['jury'].learner}?with_identity=true", headers=m.world.headers("jury")
    )
    identity = r.json()["identity"]
    names = [identity["family_name"], identity["given_name"], identity["national_number"]]
    assert identity["national_number"] and len(identity["family_name"]) >= 4, names
    return [n for n in names if len(n) >= 4]  # long enough not to match by chance


def test_own_lists_hold_the_tenant_foreign_lists_do_not(client: TestClient, matrix: Matrix) -> None:
    """The list cells are not empty by accident: the own caller sees the record the foreign one cannot."""
    for role in sorted(matrix.foreign):
        tenant = matrix.own[role]
        for path in LISTS:
            own = client.get(path + "?limit=1000", headers=matrix.world.headers(role))
            foreign = client.get(
                path + "?limit=1000", headers={"Authorization": f"Bearer {matrix.foreign_tokens[role]}"}
            )
            assert own.status_code == foreign.status_code == 200, (role, path)
            assert tenant.learner in own.text, (role, path)
            assert tenant.learner not in foreign.text and tenant.certificate not in foreign.text, (role, path)


def test_an_unknown_id_and_a_foreign_id_answer_alike(client: TestClient, matrix: Matrix) -> None:
    """Same status and body shape: a foreign caller cannot tell the record exists."""
    for role in sorted(matrix.foreign):
        headers = {"Authorization": f"Bearer {matrix.foreign_tokens[role]}"}
        for path in BY_ID:
            tenant = matrix.own[role]
            unknown = Tenant(str(uuid.uuid4()), str(uuid.uuid4()), tenant.scope)
            a = client.get(url(path, tenant, matrix.world.fase), headers=headers)
            b = client.get(url(path, unknown, matrix.world.fase), headers=headers)
            assert a.status_code == b.status_code == 404, (role, path, a.text)
            assert sorted(a.json()) == sorted(b.json()) and a.json()["type"] == b.json()["type"]
