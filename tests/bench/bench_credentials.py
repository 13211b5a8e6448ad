"""Credential verification benchmark: the ledger beside Digital Bazaar's verifier, same credentials.

Run ``python -m tests.bench.bench_credentials`` (after ``bash deploy/node/ensure.sh``). Prints,
from one run on the same distinct credentials (every certificate kind, exported again and again:
new proofs each time, so no two documents are alike and nothing can be answered from a cache):

* RDF canonicalisation of one credential: pyld 3.3 alone, and pyoxigraph (the engine chosen);
* the full offline check in process (both proofs, status list, inclusion proof, dates);
* Digital Bazaar's ``verifyCredential`` (both suites, status list) in one node process;
* ``POST /verify`` on ``ledger serve --workers 2`` with 200 requests/s offered (open loop):
  achieved rate and latency percentiles.

Figures only: nothing is asserted.
"""

from __future__ import annotations

import asyncio
import json
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

OFFERED = 200.0
SECONDS = 10.0


def _timed(action: Callable[[], Any], n: int) -> float:
    start = time.perf_counter()
    action()
    return (time.perf_counter() - start) / n * 1000.0


def _world(base: Path, port: int, copies: int) -> tuple[list[dict[str, Any]], dict[str, Any], dict[str, Any]]:
    from ledger.adapters.follower import Db
    from ledger.adapters.store import StoreTarget
    from ledger.credentials.issuers import IssuerConfig, IssuerKeyStore
    from ledger.credentials.issuing import CredentialIssuer
    from tests.integration.test_credentials import build_world

    location = str(base / "ledger.db")
    world = build_world(location, base / "keys")
    config = IssuerConfig(
        IssuerKeyStore(base / "keys"),
        public_url=f"http://127.0.0.1:{port}",
        recording=world.issuer.config.recording,
    )
    issuer = CredentialIssuer(
        world.ledger.store, Db(StoreTarget.parse(location)), config, world.ledger.identities
    )
    active = [r.certificate_id for r in world.rows if r.status == "active"]
    credentials = [issuer.credential(active[i % len(active)], include_holder=False) for i in range(copies)]
    lists = {c["credentialStatus"]["statusListCredential"]: issuer.status_list_of(c) for c in credentials}
    trust = config.trust_bundle()
    world.ledger.store.close()
    return credentials, lists, trust


def bench_in_process(
    credentials: list[dict[str, Any]], lists: dict[str, Any], trust_doc: dict[str, Any]
) -> dict[str, float]:
    """Canonicalisation per engine and the full offline check, ms per credential."""
    from ledger.credentials.loader import canonicalize_rdf, canonicalize_rdf_pyld
    from ledger.credentials.verify import TrustStore, verify_credential

    trust = TrustStore.from_document(trust_doc)
    docs = [{k: v for k, v in c.items() if k != "proof"} for c in credentials]
    sample = docs[:60]
    figures = {
        "rdfc_pyld_ms": _timed(lambda: [canonicalize_rdf_pyld(d) for d in sample], len(sample)),
        "rdfc_pyoxigraph_ms": _timed(lambda: [canonicalize_rdf(d) for d in sample], len(sample)),
    }
    verdicts: list[str] = []

    def full() -> None:
        for c in credentials:
            verdicts.append(
                verify_credential(c, trust, lists[c["credentialStatus"]["statusListCredential"]]).verdict
            )

    figures["full_check_ms"] = _timed(full, len(credentials))
    assert set(verdicts) == {"valid"}, set(verdicts)
    figures["full_check_per_s"] = 1000.0 / figures["full_check_ms"]
    return figures


async def _load(url: str, credentials: list[dict[str, Any]]) -> dict[str, float]:
    import httpx

    latencies: list[float] = []
    wrong = failed = 0
    bodies = [json.dumps(c).encode() for c in credentials]
    limits = httpx.Limits(max_connections=400, max_keepalive_connections=400)
    async with httpx.AsyncClient(base_url=url, timeout=120, limits=limits) as client:

        async def one(body: bytes) -> None:
            nonlocal wrong, failed
            start = time.perf_counter()
            try:
                response = await client.post(
                    "/verify", content=body, headers={"Content-Type": "application/json"}
                )
            except httpx.HTTPError:
                failed += 1
                return
            latencies.append((time.perf_counter() - start) * 1000.0)
            if response.json().get("verdict") != "valid":
                wrong += 1

        tasks = []
        begin = time.perf_counter()
        total = int(OFFERED * SECONDS)
        for i in range(total):  # open loop: send on schedule, whatever the answers
            delay = begin + i / OFFERED - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            tasks.append(asyncio.create_task(one(bodies[i % len(bodies)])))
        await asyncio.gather(*tasks)
        elapsed = time.perf_counter() - begin
    latencies.sort()
    return {
        "offered_per_s": OFFERED,
        "achieved_per_s": len(latencies) / elapsed,
        "p50_ms": statistics.median(latencies),
        "p99_ms": latencies[int(len(latencies) * 0.99) - 1],
        "max_ms": latencies[-1],
        "wrong_verdicts": float(wrong),
        "answered": float(len(latencies)),
        "connection_errors": float(failed),
    }


def main() -> None:
    """Run every measurement and print the figures side by side (JSON and a table)."""
    from tests.interop.conftest import NODE_DIR, free_port, reference_verify, start_server, stop_server

    with tempfile.TemporaryDirectory() as tmp:
        base = Path(tmp)
        port = free_port()
        credentials, lists, trust = _world(base, port, copies=int(OFFERED * 2))
        figures: dict[str, Any] = {"credentials": len(credentials), "load_before": os.getloadavg()[0]}
        figures.update(bench_in_process(credentials, lists, trust))
        proc = start_server(str(base / "ledger.db"), base / "keys", port, args=("--workers", "2"))
        try:
            reference = reference_verify(NODE_DIR, credentials[:120], f"http://127.0.0.1:{port}", bench=2)
            figures["digital_bazaar_ms"] = reference["ms_per_credential"]
            figures["digital_bazaar_per_s"] = reference["per_second"]
            figures["ratio_in_process"] = figures["full_check_per_s"] / reference["per_second"]
            figures["post_verify"] = asyncio.run(_load(f"http://127.0.0.1:{port}", credentials))
            figures["ratio_post_verify"] = figures["post_verify"]["achieved_per_s"] / reference["per_second"]
        finally:
            stop_server(proc)
    figures["load_after"] = os.getloadavg()[0]
    print(json.dumps(figures, indent=2))
    load = figures["post_verify"]
    print(
        f"\n| measure | ledger | Digital Bazaar | ratio |\n|---|---|---|---|\n"
        f"| RDFC of one credential | pyoxigraph {figures['rdfc_pyoxigraph_ms']:.2f} ms "
        f"(pyld {figures['rdfc_pyld_ms']:.2f} ms) | | |\n"
        f"| full offline check, one process | {figures['full_check_ms']:.2f} ms "
        f"({figures['full_check_per_s']:.0f}/s) | {figures['digital_bazaar_ms']:.2f} ms "
        f"({figures['digital_bazaar_per_s']:.0f}/s) | {figures['ratio_in_process']:.2f}x |\n"
        f"| POST /verify, 2 workers, {load['offered_per_s']:.0f}/s offered | "
        f"{load['achieved_per_s']:.0f}/s, p50 {load['p50_ms']:.0f} ms, p99 {load['p99_ms']:.0f} ms "
        f"| | {figures['ratio_post_verify']:.2f}x |",
        file=sys.stderr,
    )


if __name__ == "__main__":
    main()
