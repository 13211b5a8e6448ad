"""Benchmark: verification time per credential, per proof type and for the full offline check.

Builds a small demo store in a temporary directory with an integrity log and issuer keys,
exports real certificates, then times (ms per credential) the ``eddsa-jcs-2022`` proof
alone, the ``eddsa-rdfc-2022`` proof alone, and the full offline check (both proofs +
status list + inclusion proof + dates). Run ``python -m tests.bench.credentials_verify``.
"""

from __future__ import annotations

import json
import os
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any


def _timed(func: Callable[[], Any], n: int) -> float:
    start = time.perf_counter()
    for _ in range(n):
        func()
    return round((time.perf_counter() - start) / n * 1000.0, 3)


def _world(base: Path) -> tuple[Any, Any, list[str]]:
    from ledger.adapters.follower import Db
    from ledger.adapters.keys import LogKeyStore
    from ledger.adapters.store import StoreTarget
    from ledger.application import parse_command
    from ledger.application.queries import certificates
    from ledger.audit.log import AuditLog
    from ledger.credentials.issuers import IssuerConfig
    from ledger.credentials.issuers import IssuerKeyStore as KeyStore
    from ledger.credentials.issuing import CredentialIssuer
    from ledger.demo.cpu import demo_commands, resolve_refs
    from tests.bench import ledger_on

    os.environ["LEDGER_KEY_DIR"] = str(base / "keys")
    target = StoreTarget.parse(str(base / "bench.db"))
    ledger = ledger_on(target)
    raw = demo_commands(2, 40, 30, date.today())
    ledger.execute_all((parse_command(resolve_refs(ledger, r)) for r in raw), batch=500)
    LogKeyStore(base / "keys").generate("certificates.ledger.example/bench")
    keys = KeyStore(base / "keys")
    keys.generate()
    config = IssuerConfig(keys, recording=AuditLog(target, ledger.store, keys=LogKeyStore(base / "keys")))
    issuer = CredentialIssuer(ledger.store, Db(target), config, ledger.identities)
    ids = [r.certificate_id for r in certificates(ledger.store)]
    return issuer, config, ids


def bench_verify(credentials: int = 20, rounds: int = 5) -> dict[str, Any]:
    """Time verification of ``credentials`` real credentials, ``rounds`` times each."""
    from ledger.credentials.dataintegrity import verify_proofs
    from ledger.credentials.verify import TrustStore, verify_credential

    with tempfile.TemporaryDirectory() as tmp:
        issuer, config, ids = _world(Path(tmp))
        docs = [issuer.credential(i) for i in ids[:credentials]]
        status = issuer.status_list_of(docs[0])
        docs = [d for d in docs if d["credentialStatus"]["statusListCredential"] == status["id"]]
        trust = TrustStore.from_document(config.trust_bundle())
    resolver = trust.resolver(docs[0]["issuer"]["id"])
    for doc in docs:  # warm the context and canonicalisation caches
        verify_credential(doc, trust, status)
    n = len(docs) * rounds
    report: dict[str, Any] = {"credentials": len(docs), "rounds": rounds}
    for index, suite in enumerate(("eddsa-jcs-2022", "eddsa-rdfc-2022")):
        singles = [{**d, "proof": d["proof"][index]} for d in docs]

        def one_suite(batch: list[dict[str, Any]] = singles) -> None:
            for doc in batch:
                verify_proofs(doc, resolver)

        report[f"{suite}_ms"] = _timed(one_suite, rounds) / len(docs)
    now = datetime.now(UTC)
    report["full_offline_ms"] = _timed(
        lambda: [verify_credential(d, trust, status, now) for d in docs], rounds
    ) / len(docs)
    report["verifications"] = n
    report["per_second_full"] = round(1000.0 / report["full_offline_ms"], 1)
    return {k: (round(v, 3) if isinstance(v, float) else v) for k, v in report.items()}


if __name__ == "__main__":
    from ledger import logs

    logs.configure("WARNING")
    print(json.dumps(bench_verify(), indent=2))
