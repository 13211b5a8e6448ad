"""A downstream team's view: standard tools only, schemas fetched by their ce_dataschema URL.

The ledger runs as its console script (``ledger demo``, ``ledger relay run``, ``ledger serve``);
the reader uses only kafka-python's plain consumer, the CloudEvents SDK (``from_binary``) and
a JSON Schema validator (``jsonschema_rs``). Each record's ``ce_dataschema`` is resolved
against the running server (its path), the answer must be the committed file byte for byte
with ``$id`` equal to the URL, and the data must validate against it. As the issue's
independent team found: every event once by id, in order per subject, no personal data.
"""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import jsonschema_rs
import pytest
from cloudevents.core.bindings.kafka import KafkaMessage, from_binary
from cloudevents.core.formats.json import JSONFormat

from consumers.contract import SCHEMA_DIR
from tests.conftest import require_service
from tests.kafka_support import fresh_settings, read_all

pytestmark = pytest.mark.kafka
LEDGER = str(Path(sys.executable).parent / "ledger")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def cli(*args: str) -> str:
    done = subprocess.run([LEDGER, *args], capture_output=True, text=True, timeout=180, check=False)
    assert done.returncode == 0, done.stderr
    return done.stdout


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[Path, str]]:
    """A demo store and ``ledger serve`` on it (loopback, a free port)."""
    store = tmp_path / "ledger.db"
    cli("demo", "--db", str(store), "--learners", "25", "--candidates", "6", "--seed", "3", "--json")
    port = free_port()
    proc = subprocess.Popen(
        [LEDGER, "serve", "--db", str(store), "--host", "127.0.0.1", "--port", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        assert proc.poll() is None, proc.stderr.read().decode() if proc.stderr else "server died"
        try:
            if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                break
        except httpx.HTTPError:
            pass
        assert time.monotonic() < deadline, "ledger serve did not answer within 60 s"
        time.sleep(0.2)
    yield store, base
    proc.terminate()
    proc.wait(timeout=30)


def test_a_downstream_team_consumes_with_standard_tools(served: tuple[Path, str]) -> None:
    """CloudEvents SDK + schemas fetched by URL from `ledger serve` + a JSON Schema validator."""
    store, base = served
    bootstrap = require_service("LEDGER_TEST_KAFKA", "Kafka")
    settings = fresh_settings(bootstrap, "ds")
    relayed = json.loads(
        cli(
            "relay",
            "run",
            "--once",
            "--db",
            str(store),
            "--json",
            "--bootstrap",
            bootstrap,
            "--topic-prefix",
            settings.prefix,
        )
    )
    records = read_all(settings, relayed["published"])
    validators: dict[str, Any] = {}
    fetched: dict[str, bytes] = {}
    last_version: dict[str, int] = {}
    ids: set[str] = set()
    with httpx.Client(base_url=base, timeout=10) as http:
        for record in records:
            event = from_binary(
                KafkaMessage(headers=dict(record.headers), key=record.key, value=record.value), JSONFormat()
            )
            attrs = event.get_attributes()
            url = attrs["dataschema"]
            if url not in validators:
                assert urlsplit(url).scheme == "https"
                answer = http.get(urlsplit(url).path)
                assert (
                    answer.status_code == 200 and answer.headers["content-type"] == "application/schema+json"
                )
                committed = (SCHEMA_DIR / f"{attrs['type']}.json").read_bytes()
                assert answer.content == committed  # byte-equivalent
                schema = json.loads(answer.content)
                assert schema["$id"] == url
                validators[url] = jsonschema_rs.validator_for(schema)
                fetched[url] = answer.content
            validators[url].validate(event.get_data())
            key = (attrs["source"], attrs["id"])
            assert f"{key}" not in ids
            ids.add(f"{key}")
            version = int(attrs["aggversion"])
            assert version == last_version.get(attrs["subject"], 0) + 1  # in order per subject
            last_version[attrs["subject"]] = version
        assert http.get("/schemas/no.such.type.v1.json").status_code == 404
        index = http.get("/schemas/").json()
        assert {row["id"] for row in index} >= set(fetched)
        again = http.get(urlsplit(next(iter(fetched))).path)
        assert (
            http.get(again.request.url.path, headers={"If-None-Match": again.headers["etag"]}).status_code
            == 304
        )
    assert len(ids) == relayed["published"] == relayed["head"]
    assert len(fetched) >= 20  # most message types appear in a demo cohort
