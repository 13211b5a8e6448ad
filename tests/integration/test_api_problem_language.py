"""Problem titles follow ``Accept-Language`` (French by default); ``type`` URIs never change.

A real app on a real SQLite store: the framework's errors (404, 405, 400), the API's own (401,
422/404 on a command), and a limit answered by the middleware itself (413). Oracle: the French
and English titles written here by hand, and the same ``type`` in both languages.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from ledger.api.problems import PROBLEMS, title
from ledger.i18n import translate
from tests.integration.test_api_helpers import World, build_world, key_env, make_app, support
from tests.integration.test_api_limits import asgi_post

ENGLISH = "en-GB,en;q=0.9,fr;q=0.5"


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> World:
    return build_world(tmp_path_factory.mktemp("problem-language"), learners=1)


@pytest.fixture(scope="module")
def client(world: World) -> Iterator[TestClient]:
    with key_env(world.keys), TestClient(make_app(world), raise_server_exceptions=False) as c:
        yield c


def _requests(world: World) -> list[tuple[str, str, dict[str, Any]]]:
    unknown = {**support(world), "learner_id": "00000000-0000-4000-8000-000000000000"}
    write = world.headers("conseil_classe", **{"Idempotency-Key": "lang-1"})
    return [
        ("GET", "/no/such/route", {}),
        ("PUT", "/v1/commands", {}),
        ("GET", "/v1/me", {}),
        ("GET", "/v1/events?limit=abc", {"headers": world.headers("inspector")}),
        ("POST", "/v1/commands", {"json": unknown, "headers": write}),
    ]


def _ask(client: TestClient, method: str, url: str, lang: str | None, **kw: Any) -> httpx.Response:
    headers = {**kw.pop("headers", {}), **({"Accept-Language": lang} if lang else {})}
    return client.request(method, url, headers=headers, **kw)


EXPECTED = {  # status: (French title, English title)
    404: ("Introuvable", "Not found"),
    405: ("Méthode non autorisée", "Method not allowed"),
    401: ("Authentification requise", "Authentication required"),
    400: ("Requête incorrecte", "Bad request"),
}


def test_titles_follow_accept_language(client: TestClient, world: World) -> None:
    """French without a header, English when preferred, French for a language we lack."""
    for method, url, kw in _requests(world):
        default = _ask(client, method, url, None, **dict(kw))
        english = _ask(client, method, url, ENGLISH, **dict(kw))
        german = _ask(client, method, url, "de-DE", **dict(kw))
        assert default.status_code == english.status_code >= 400, (url, default.text)
        fr, en = default.json(), english.json()
        assert fr["type"] == en["type"] == german.json()["type"], (fr, en)
        assert fr["title"] != en["title"] and german.json()["title"] == fr["title"], (fr, en)
        assert default.headers["content-language"] == "fr" and english.headers["content-language"] == "en"
        assert "Accept-Language" in default.headers["vary"]
        if default.status_code in EXPECTED:
            assert (fr["title"], en["title"]) == EXPECTED[default.status_code], (url, fr, en)


def test_the_middlewares_own_problems_follow_it_too(world: World) -> None:
    """A 413 answered before any route runs is titled in the accepted language as well."""
    app = make_app(world, api_max_body=4096)
    for lang, expected in ((None, "Corps de la requête trop volumineux"), ("en", "Request body too large")):
        headers = {
            **world.headers("conseil_classe", **{"Idempotency-Key": f"413-{lang}"}),
            "Content-Type": "application/json",
            "Content-Length": "10000000",
            **({"Accept-Language": lang} if lang else {}),
        }
        out = asgi_post(app, [b"x"], headers)
        body = json.loads(out["body"])
        assert out["status"] == 413 and body["type"] == "urn:ledger:problem:payload-too-large"
        assert body["title"] == expected and out["headers"][b"content-language"] == (lang or "fr").encode()


def test_every_row_of_the_table_has_a_french_title() -> None:
    """Each title of the problem table is in the catalogue, and French differs from English."""
    for row in PROBLEMS:
        assert translate(row.title, "fr") != row.title, row.title
        if row.code:
            assert title(row.status, row.code, "en") == row.title
            assert title(row.status, row.code, "fr") == translate(row.title, "fr")


def test_a_refusals_detail_follows_accept_language_and_its_members_do_not(
    client: TestClient, world: World
) -> None:
    """A secretary's browser reads the refusal in French; an English client keeps the rule's text.

    Oracle: the CLI's own French refusal (``Refusé : … — règle …``, same catalogue) and the
    English exception text; ``rule`` and ``article`` identical in both.
    """
    body = {**support(world), "command": "IssueAttestation", "kind": "AOA", "effective_date": "2012-01-10"}
    answers = {}
    for lang in (None, ENGLISH):
        headers = world.headers("conseil_classe", **{"Idempotency-Key": f"refusal-{lang}"})
        answers[lang] = _ask(client, "POST", "/v1/commands", lang, json=body, headers=headers)
    fr, en = answers[None].json(), answers[ENGLISH].json()
    assert answers[None].status_code == answers[ENGLISH].status_code == 422, (fr, en)
    assert (fr["rule"], fr["article"]) == (en["rule"], en["article"])
    assert en["detail"].startswith(f"refused by rule {en['rule']} ({en['article']}): "), en
    assert fr["detail"].startswith("Refusé : ") and "règle" in fr["detail"], fr
    assert not fr["detail"].startswith("erreur"), fr
    assert "refused by rule" not in fr["detail"], fr


def test_an_id_out_of_reach_reads_in_french_and_names_only_what_was_sent(
    client: TestClient, world: World
) -> None:
    """An unknown learner in a command: 404, French detail by default, English on request, the id kept."""
    ghost = "00000000-0000-4000-8000-000000000000"
    body = {**support(world), "learner_id": ghost}
    answers = {}
    for lang in (None, ENGLISH):
        headers = world.headers("conseil_classe", **{"Idempotency-Key": f"ghost-{lang}"})
        answers[lang] = _ask(client, "POST", "/v1/commands", lang, json=body, headers=headers)
    fr, en = answers[None].json(), answers[ENGLISH].json()
    assert answers[None].status_code == answers[ENGLISH].status_code == 404, (fr, en)
    assert fr["detail"] == f"élève inconnu dans votre périmètre : {ghost}", fr
    assert en["detail"] == f"no learner {ghost} within your scope", en


def test_a_malformed_command_or_url_reads_in_french_and_in_english_on_request(
    client: TestClient, world: World
) -> None:
    """Missing and mistyped fields (422) and a malformed id in a URL (400): French by default.

    Oracle: pydantic's own English text with ``Accept-Language: en``; the French from the
    catalogue, naming the same members.
    """
    body = {**support(world), "command": "IssueAttestation", "kind": "AOA", "effective_date": "2020-02-30"}
    body = {**body, "actor_role": "directeur"}
    body.pop("actor_id")
    cases = [
        ("POST", "/v1/commands", {"json": body}, 422),
        ("GET", "/v1/learners/not-a-uuid", {}, 400),
    ]
    said = {}
    for method, url, kw, status in cases:
        for lang in (None, ENGLISH):
            headers = world.headers("conseil_classe", **{"Idempotency-Key": f"bad-{url}-{lang}"})
            answer = _ask(client, method, url, lang, headers=headers, **dict(kw))
            assert answer.status_code == status, answer.text
            said[url, lang] = answer.json()["detail"]
    fr, en = said["/v1/commands", None], said["/v1/commands", ENGLISH]
    assert fr.startswith("IssueAttestation : ") and "actor_id : champ obligatoire" in fr, fr
    assert "effective_date : date invalide (AAAA-MM-JJ attendu)" in fr, fr
    assert "actor_role : valeur non permise ; attendu :" in fr and " ou " in fr, fr
    assert "actor_id: Field required" in en and "actor_role: Input should be" in en, en
    fr, en = said["/v1/learners/not-a-uuid", None], said["/v1/learners/not-a-uuid", ENGLISH]
    assert fr == "path.learner_id : identifiant invalide (un UUID est attendu)", fr
    assert en.startswith("path.learner_id: Input should be a valid UUID"), en
