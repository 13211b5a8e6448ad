"""Erasure without losing the audit (RGPD art. 17).

Learners are erased mid-history. Afterwards every stored byte is searched for each erased
value — the SQLite file (and its WAL), a pg_dump of PostgreSQL, the Kafka topics, the read
models and the downstream consumers' databases — and none is found, while every checkpoint,
inclusion and consistency proof and every credential issued before still verifies.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from functools import partial
from pathlib import Path
from typing import Any

import pytest

from tests.builders import cmd
from tests.conftest import require_service
from tests.kafka_support import track_prefix
from tests.procs import concurrently

OPTION = "mecanicien-polyvalent-automobile"
PEOPLE = [
    {
        "given_name": "Quirinus",
        "family_name": "Oosterwijckx",
        "birth_date": "2003-02-11",
        "national_number": "03021199871",
        "representatives": [
            {"name": "Philomena Oosterwijckx", "email": "philo.oost@example.org", "phone": "+32470998877"}
        ],
    },
    {
        "given_name": "Zéphyrine",
        "family_name": "Vandermaelen",
        "birth_date": "2003-07-19",
        "national_number": "03071955512",
        "representatives": [],
    },
]
KEEP = {
    "given_name": "Barnabé",
    "family_name": "Keepinghof",
    "birth_date": "2003-04-04",
    "national_number": "03040412345",
}


def erased_values() -> list[str]:
    """Every personal value of the erased learners."""
    out: list[str] = []
    for person in PEOPLE:
        out += [person["given_name"], person["family_name"], person["birth_date"], person["national_number"]]
        for rep in person["representatives"]:
            out += [rep["name"], rep["email"], rep["phone"]]
    return out


def forms(value: str) -> list[bytes]:
    """The byte forms a value could take when stored (UTF-8, JSON-escaped)."""
    return list({value.encode(), json.dumps(value)[1:-1].encode(), value.encode("utf-16-le")})


def ledger(*args: str, check: bool = True, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    """Run the CLI."""
    done = subprocess.run(
        [sys.executable, "-m", "ledger.cli", *args],
        input=stdin,
        text=True,
        capture_output=True,
        timeout=300,
        check=False,
        env={**os.environ, "LEDGER_LOG_LEVEL": "WARNING", "LEDGER_LANG": "en"},
    )
    if check:
        assert done.returncode == 0, (args, done.stdout[-2000:], done.stderr[-2000:])
    return done


def sixth_year_learner(db: str, ident: uuid.UUID, person: dict[str, Any]) -> list[dict[str, Any]]:
    """A repeater of the transformed 6th year with every UAA recognised and a CQ."""
    lid = str(ident)
    lines = [
        cmd(
            "AdmitLearner",
            "direction",
            "2020-09-01",
            learner_id=lid,
            option_code=OPTION,
            school_year=2020,
            year=6,
            route="A6_repeat_transformed",
            identity=person,
        )
    ]
    lines += [
        cmd(
            "ValidateUnit",
            "jury_qualification",
            "2020-09-20",
            learner_id=lid,
            uaa=f"UAA{i}",
            via="jury_recognition",
        )
        for i in range(1, 7)
    ]
    lines.append(cmd("IssueCertificate", "jury_qualification", "2021-06-28", learner_id=lid, kind="CQ"))
    return lines


def record(db: str, lines: list[dict[str, Any]]) -> None:
    """Record JSON command lines."""
    ledger("record", "-", "--create", "--db", db, stdin="\n".join(json.dumps(x) for x in lines) + "\n")


def scenario(db: str, tmp: Path, kafka: str | None) -> dict[str, Any]:
    """Build history, export, prove, erase mid-history, continue; return artefacts."""
    erased = [uuid.uuid4() for _ in PEOPLE]
    kept = uuid.uuid4()
    history = [cmd("OpenOption", "direction", "2018-06-01", option_code=OPTION, first_school_year=2018)]
    for ident, person in zip(erased, PEOPLE, strict=True):
        history += sixth_year_learner(db, ident, person)
    record(db, history)  # one run records them all, in this order
    ledger("keys", "generate", "--db", db)
    ledger("credential", "keys", "generate", "--db", db)
    before = ledger("audit", "checkpoint", "--db", db, "--json").stdout
    certs = json.loads(ledger("certificate", "list", "--db", db, "--json").stdout)
    mine = next(c for c in certs if c["learner_id"] == str(erased[0]))
    credential = tmp / "credential.json"
    ledger("credential", "export", mine["certificate_id"], "--db", db, "--out", str(credential))
    trust, status, proof = tmp / "trust.json", tmp / "status.json", tmp / "proof.txt"
    *_, proved = concurrently(  # each reads the store and writes its own file
        [
            partial(ledger, "credential", "keys", "show", "--db", db, "--out", str(trust)),
            # without its status list a credential is not VALID (exit 6)
            partial(ledger, "credential", "status-list", "--credential", str(credential), "--db", db,
                    "--out", str(status)),
            partial(ledger, "audit", "prove", "--position", "1", "--db", db),
        ]
    )  # fmt: skip
    proof.write_text(proved.stdout)
    for ident in erased:
        ledger(
            "learner",
            "erase",
            str(ident),
            "--db",
            db,
            "--reason",
            "Demande d'effacement RGPD art. 17",
            "--actor",
            "dpo-1",
        )
    record(db, sixth_year_learner(db, kept, KEEP))
    ledger("projections", "run", "--once", "--db", db)
    after = ledger("audit", "checkpoint", "--db", db, "--json").stdout
    if kafka:
        prefix = f"erasure{uuid.uuid4().hex[:8]}"
        track_prefix(kafka, prefix)
        base = ["--bootstrap", kafka, "--topic-prefix", prefix]
        ledger("topics", "create", *base, "--profile", "test")
        ledger("relay", "run", "--once", "--db", db, *base)
        concurrently(  # two consumers, two databases: independent of each other
            partial(ledger, "consume", name, "--db", str(tmp / f"{name}.db"), *base, "--until-idle", "3")
            for name in ("registry", "notifier")
        )
    return {
        "erased": erased,
        "kept": kept,
        "credential": credential,
        "trust": trust,
        "status": status,
        "proof": proof,
        "before": json.loads(before),
        "after": json.loads(after),
        "kafka_prefix": prefix if kafka else None,
    }


def assert_proofs_still_verify(db: str, art: dict[str, Any]) -> None:
    """Audit, inclusion, consistency and the credential all verify after erasure."""
    old_size, new_size = art["before"]["size"], art["after"]["size"]
    audit, key, fresh, consistency, verdict, shown = concurrently(  # read-only, independent
        [
            partial(ledger, "audit", "verify", "--db", db, check=False),
            partial(ledger, "keys", "show", "--db", db),
            partial(ledger, "audit", "prove", "--event", f"{art['erased'][0]}/1", "--db", db),
            partial(ledger, "audit", "consistency", str(old_size), str(new_size), "--db", db, check=False),
            partial(
                ledger,
                "credential",
                "verify",
                str(art["credential"]),
                "--keys",
                str(art["trust"]),
                "--status-list",
                str(art["status"]),
                "--json",
                check=False,
            ),
            partial(
                ledger, "learner", "show", str(art["erased"][0]), "--db", db, "--json", "--with-identity"
            ),
        ]
    )
    assert audit.returncode == 0, audit.stderr[-2000:]
    vkey = key.stdout.strip().splitlines()[-1]
    assert ledger("audit", "verify-proof", str(art["proof"]), "--key", vkey).returncode == 0
    assert "c2sp.org/tlog-proof@v1" in fresh.stdout
    assert consistency.returncode == 0, consistency.stderr[-2000:]
    assert verdict.returncode == 0, verdict.stdout + verdict.stderr
    assert json.loads(shown.stdout).get("identity") is None


def search(blob: bytes, where: str) -> None:
    """No erased value in any byte form."""
    for value in erased_values():
        for form in forms(value):
            assert form not in blob, f"{value!r} found in {where}"


def kafka_bytes(bootstrap: str, prefix: str) -> bytes:
    """Every record (key, value, headers) of the run's topics, read up to each partition's end."""
    from kafka import KafkaConsumer, TopicPartition

    consumer = KafkaConsumer(
        bootstrap_servers=bootstrap,
        auto_offset_reset="earliest",
        enable_auto_commit=False,
        consumer_timeout_ms=30_000,  # a safety net only: the loop ends at the partitions' ends
    )
    topics = [t for t in consumer.topics() if t.startswith(prefix)]
    assert topics, "the relay published nothing"
    partitions = [TopicPartition(t, p) for t in topics for p in consumer.partitions_for_topic(t) or ()]
    consumer.assign(partitions)
    ends = consumer.end_offsets(partitions)
    left = {tp for tp, end in ends.items() if end > 0}
    parts: list[bytes] = []
    for msg in consumer if left else ():
        parts += [msg.key or b"", msg.value or b""] + [v for _, v in msg.headers]
        tp = TopicPartition(msg.topic, msg.partition)
        if msg.offset + 1 >= ends[tp]:
            left.discard(tp)
        if not left:
            break
    consumer.close()
    assert parts and not left, f"partitions not read to their end: {left}"
    return b"".join(parts)


def test_erasure_on_sqlite_kafka_and_read_models(tmp_path: Path) -> None:
    """SQLite file, WAL, read models, Kafka topics and consumer databases hold no erased value."""
    kafka = require_service("LEDGER_TEST_KAFKA", "Kafka")
    db = str(tmp_path / "ledger.db")
    art = scenario(db, tmp_path, kafka)
    assert_proofs_still_verify(db, art)
    blob = b"".join(
        p.read_bytes()
        for p in tmp_path.iterdir()
        if p.suffix in {".db", ".db-wal"} or p.name.endswith(("-wal", "-shm"))
    )
    search(blob, "SQLite files (ledger, read models, registry, notifier)")
    search(kafka_bytes(kafka, art["kafka_prefix"]), "Kafka topics")
    kept = json.loads(
        ledger("learner", "show", str(art["kept"]), "--db", db, "--json", "--with-identity").stdout
    )
    assert kept["identity"]["family_name"] == "Keepinghof"


@pytest.mark.postgres
def test_erasure_on_postgresql(tmp_path: Path) -> None:
    """A pg_dump of the ledger's schema holds no erased value; proofs still verify."""
    base = require_service("LEDGER_TEST_PG_URL", "PostgreSQL")
    schema = f"erase_{uuid.uuid4().hex[:10]}"
    db = f"{base}?schema={schema}"
    art = scenario(db, tmp_path, None)
    assert_proofs_still_verify(db, art)
    dump = subprocess.run(
        ["pg_dump", "--schema", schema, "--data-only", base], capture_output=True, timeout=120, check=True
    ).stdout
    assert b"learner_key" in dump or b"COPY" in dump
    search(dump, "pg_dump")
