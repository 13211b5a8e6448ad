"""``python -m tests.bench all``: every benchmark side by side in one run, written to BENCHMARKS.md.

Each section runs in its own child process (``python -m tests.bench.all SECTION``) so a
section's peak memory is its own and a failing section is reported rather than fatal. The
children reuse each package's benchmark (``tests.bench.record``, ``tests.bench.projections``,
``tests.bench.kafka``, ``tests.bench.integrity``, ``tests.bench.audit``,
``tests.bench.credentials_verify``, ``tests.bench.api``) and write their figures as JSON
into a results directory; the report is rendered from whatever that directory holds, so a
long run can be split (``--sections national``, then ``--sections decisions,...``) and the
report assembled at the end (``--sections none``). Where a target is missed the child adds a
cProfile of the work that misses it. Figures only: nothing here asserts a time.

The national-scale section records, projects, publishes and verifies a cohort through the
ordinary CLI, one process per stage, timing each with its peak RSS (``os.wait4``), at 1/4,
1/2 and the full size.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import os
import platform
import pstats
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import redirect_stdout
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import structlog

from ledger.domain.errors import InvalidCommand

log = structlog.get_logger("tests.bench.all")

SECTIONS = ("machine", "decisions", "projections", "relay", "proofs", "credentials", "api", "national")
CERT_TOPIC = "ledger.domain.cpu.aggregates:Learner.CertificateIssued"


@dataclass(frozen=True)
class Scale:
    """The sizes of one benchmark run."""

    name: str
    record_learners: int
    rebuild_events: int
    relay_events: int
    append_events: int
    proof_sizes: tuple[int, ...]
    proof_samples: int
    credentials: int
    credential_rounds: int
    api_rate: float
    api_seconds: float
    api_learners: int
    national_learners: int
    national_candidates: int
    national_chunk: int
    national_proofs: int
    relay_rounds: int = 3
    app_proof_report: int = 0
    """Events of the PostgreSQL store whose application proof is reported, not held to the goal."""


SCALES = {
    # smoke: every section once at the smallest sizes that still measure something (CI runs it)
    "smoke": Scale("smoke", 8, 800, 600, 800, (10**2, 10**3), 20, 3, 1, 50.0, 1.0, 20, 24, 8, 12, 1, 1),
    "full": Scale(
        "full",
        1_000,
        1_000_000,
        50_000,
        100_000,
        (10**3, 10**4, 10**5, 10**6),
        200,
        20,
        5,
        200.0,
        10.0,
        200,
        60_000,
        20_000,
        2_000,
        5,
        app_proof_report=1_000_000,
    ),
}
FRACTIONS = ((1, 4), (1, 2), (1, 1))


# ------------------------------------------------------------------------------ helpers
def load_average() -> list[float]:
    """The 1, 5 and 15 minute load averages."""
    return [round(x, 2) for x in os.getloadavg()]


def self_rss_mib() -> float:
    """Peak resident memory of this process in MiB."""
    import resource

    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def with_schema(pg_url: str, tag: str) -> str:
    """``pg_url`` pointing at a fresh, uniquely named schema."""
    schema = f"bench_{tag}_{uuid.uuid4().hex[:8]}"
    return f"{pg_url}{'&' if '?' in pg_url else '?'}schema={schema}"


def drop_schema(location: str) -> None:
    """Drop the PostgreSQL schema of ``location`` (no-op for SQLite)."""
    from ledger.adapters.store import StoreTarget

    target = StoreTarget.parse(location)
    if target.kind == "postgres" and target.schema:
        conn = target.connect()
        conn.execute(f'DROP SCHEMA IF EXISTS "{target.schema}" CASCADE')
        conn.close()


def profile_top(func: Callable[[], Any], lines: int = 18) -> str:
    """Run ``func`` under cProfile; the top functions by own time, as text."""
    prof = cProfile.Profile()
    with redirect_stdout(io.StringIO()):
        prof.runcall(func)
    out = io.StringIO()
    stats = pstats.Stats(prof, stream=out)
    stats.strip_dirs().sort_stats("tottime").print_stats(lines)
    text = out.getvalue()
    start = text.find("   ncalls")
    return text[start:].rstrip() if start >= 0 else text.rstrip()


@dataclass
class Process:
    """One measured child process."""

    stage: str
    seconds: float
    peak_rss_mib: float
    exit: int
    cpu_s: float = 0.0
    """User + system CPU seconds of the child (``os.wait4``)."""
    load_1m: float = 0.0
    """The machine's 1-minute load average when the stage ended."""


def run_measured(
    stage: str, argv: Sequence[str], workdir: Path, env: dict[str, str] | None = None
) -> Process:
    """Run ``argv`` as a child; wall time and peak RSS from ``os.wait4``."""
    out = workdir / f"{stage}.out"
    err = workdir / f"{stage}.err"
    started = time.perf_counter()
    with out.open("wb") as stdout, err.open("wb") as stderr:
        proc = subprocess.Popen(list(argv), stdout=stdout, stderr=stderr, env={**os.environ, **(env or {})})
        _, status, usage = os.wait4(proc.pid, 0)
        proc.returncode = os.waitstatus_to_exitcode(status)
    seconds = time.perf_counter() - started
    result = Process(
        stage,
        round(seconds, 3),
        round(usage.ru_maxrss / 1024, 1),
        proc.returncode,
        round(usage.ru_utime + usage.ru_stime, 3),
        load_average()[0],
    )
    log.info("bench.stage.done", stage=stage, seconds=result.seconds, exit=result.exit)
    return result


def ledger_argv(*args: str) -> list[str]:
    """The ``ledger`` CLI as a child process of this interpreter."""
    return [sys.executable, "-m", "ledger.cli", *args]


# ----------------------------------------------------------------------------- machine
def machine(pg_url: str | None, kafka: str | None) -> dict[str, Any]:
    """A description of the machine and the versions of everything measured."""
    from importlib.metadata import version

    figures: dict[str, Any] = {
        "cpu_model": _cpuinfo("model name"),
        "cores": os.cpu_count(),
        "memory_gib": round(_meminfo_kib("MemTotal") / 1024 / 1024, 1),
        "kernel": platform.release(),
        "python": platform.python_version(),
        "sqlite": sqlite3.sqlite_version,
        "eventsourcing": version("eventsourcing"),
        "kafka_python": version("kafka-python"),
        "postgresql": None,
        "kafka": None,
    }
    if pg_url:
        figures["postgresql"] = _pg_version(pg_url)
    if kafka:
        figures["kafka"] = _kafka_version(kafka)
    return figures


def _cpuinfo(key: str) -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text(encoding="utf-8").splitlines():
            if line.startswith(key):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def _meminfo_kib(key: str) -> int:
    try:
        for line in Path("/proc/meminfo").read_text(encoding="utf-8").splitlines():
            if line.startswith(key + ":"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def _pg_version(pg_url: str) -> str:
    from ledger.adapters.store import StoreTarget

    conn = StoreTarget.parse(pg_url).connect()
    try:
        return str(conn.execute("SHOW server_version").fetchone()[0])
    finally:
        conn.close()


def _kafka_version(bootstrap: str) -> str:
    """The broker's version from the jars deploy/kafka runs it with, else the probed API."""
    classpath = Path(__file__).resolve().parents[2] / "deploy" / "kafka" / ".state" / "classpath.txt"
    if classpath.exists():
        for entry in classpath.read_text(encoding="utf-8").split(":"):
            name = Path(entry).name
            if name.startswith("kafka_2.13-") and name.endswith(".jar"):
                return name.removeprefix("kafka_2.13-").removesuffix(".jar")
    from kafka import KafkaAdminClient

    admin = KafkaAdminClient(bootstrap_servers=bootstrap, request_timeout_ms=10_000)
    try:
        probed = admin.config.get("api_version") or admin._client.check_version()  # kafka-python 3
        return ".".join(str(p) for p in probed) + " (probed from the broker's API versions)"
    finally:
        admin.close()


# ----------------------------------------------------------------------------- sections
def section_decisions(scale: Scale, pg_url: str | None) -> dict[str, Any]:
    """Decisions/s: ledger record vs a bare eventsourcing Application (tests.bench.record)."""
    from tests.bench.record import bench_record

    before = _bench_schemas(pg_url)
    try:
        with redirect_stdout(io.StringIO()):
            rows = bench_record(learners=scale.record_learners, seed=1, pg_url=pg_url)
    finally:  # bench_record leaves its schemas behind: drop the ones this run created
        for schema in _bench_schemas(pg_url) - before:
            drop_schema(f"{pg_url}{'&' if '?' in str(pg_url) else '?'}schema={schema}")
    result: dict[str, Any] = {"rows": rows, "target": "ledger time ≤ 1.3 × bare time"}
    worst = max(rows, key=lambda r: float(r["ratio"]))
    result["missed"] = [r for r in rows if float(r["ratio"]) > 1.3]
    if result["missed"]:
        result["profile_of"] = f"ledger record, {worst['backend']}, batch {worst['batch']}"
        result["profile"] = _profile_record(
            scale, pg_url if worst["backend"] == "postgres" else None, int(worst["batch"])
        )
    return result


def _bench_schemas(pg_url: str | None) -> set[str]:
    """The ``bench_ours*``/``bench_bare*`` schemas that ``tests.bench.record`` creates."""
    if not pg_url:
        return set()
    from ledger.adapters.store import StoreTarget

    conn = StoreTarget.parse(pg_url).connect()
    try:
        rows = conn.execute(
            "SELECT nspname FROM pg_namespace WHERE nspname LIKE 'bench_ours%' OR nspname LIKE 'bench_bare%'"
        ).fetchall()
        return {str(r[0]) for r in rows}
    finally:
        conn.close()


def _profile_record(scale: Scale, pg_url: str | None, batch: int) -> str:
    """cProfile of what the decisions section times on the ledger side: parse, decide, save."""
    import random

    from ledger.demo.cpu import cpu_commands
    from tests.bench.record import _ledger_run

    with tempfile.TemporaryDirectory() as tmp:
        lines = Path(tmp) / "commands.jsonl"
        commands = [
            c
            for c in cpu_commands(random.Random(1), scale.record_learners)
            if "certificate_ref" not in c and "revoke_ref" not in c
        ]
        lines.write_text("\n".join(json.dumps(c) for c in commands) + "\n", encoding="utf-8")
        db = with_schema(pg_url, "prof") if pg_url else str(Path(tmp) / "prof.db")
        try:
            return profile_top(lambda: _ledger_run(db, lines, batch))
        finally:
            drop_schema(db)


def section_projections(scale: Scale) -> dict[str, Any]:
    """Projection rebuild vs a bare read of the same notifications (tests.bench.projections).

    ``LEDGER_BENCH_REBUILD_STORE`` names a SQLite store to reuse (recorded once, kept), since
    recording a million events takes longer than rebuilding from them.
    """
    from tests.bench.projections import bench_rebuild

    reused = os.environ.get("LEDGER_BENCH_REBUILD_STORE")  # a store of ≥ N events, kept
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(reused) if reused else Path(tmp) / "bench.db"
        with redirect_stdout(io.StringIO()):
            figures = bench_rebuild(scale.rebuild_events, path)
        result: dict[str, Any] = {"figures": figures, "target": "rebuild ≥ 50% of bare read"}
        ratio = rebuild_ratio(figures)
        if ratio is not None and ratio < 0.5:
            result["missed"] = True
            result["profile_of"] = "rebuild of every read model (SQLite)"
            result["profile"] = profile_top(lambda: _rebuild_all(path))
    return result


def rebuild_ratio(figures: Any) -> float | None:
    """Rebuild-all / bare-read rate at the largest size found in ``tests.bench.projections`` figures."""
    found: list[tuple[int, float]] = []

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            value = node.get("rebuild_all_vs_bare")
            if isinstance(value, int | float):
                found.append((int(node.get("events") or 0), float(value)))
            for child in node.values():
                walk(child)
        elif isinstance(node, list):
            for child in node:
                walk(child)

    walk(figures)
    return max(found)[1] if found else None


def _rebuild_all(path: Path) -> None:
    from ledger.adapters.store import StoreTarget, open_store
    from projections import registry

    target = StoreTarget.parse(str(path))
    store = open_store(target)
    fols = registry.followers(store, target)
    together = getattr(registry, "rebuild", None)
    if together is not None:
        together(fols)
    else:
        for fol in fols:
            fol.rebuild()
    for fol in fols:
        fol.close()
    store.close()


def section_relay(scale: Scale, kafka: str | None) -> dict[str, Any]:
    """Relay vs kafka-python's searched best configuration, same records (tests.bench.kafka).

    Kills (duplicates after SIGKILLs of the console-script relay) only on stores big enough for a
    kill to land mid-stream.
    """
    if not kafka:
        return {"skipped": "no Kafka broker given (--kafka)"}
    from tests.bench.kafka import bench_relay

    kill_count = 3 if scale.relay_events >= 20_000 else 0
    with redirect_stdout(io.StringIO()):
        figures = bench_relay(
            scale.relay_events, kafka, rounds=scale.relay_rounds, kill_count=kill_count, echo=False
        )
    result: dict[str, Any] = {"figures": figures, "target": "relay ≥ 70% of bare producer"}
    if float(figures["relay_vs_bare"]) < 0.7:
        result["missed"] = True
        result["profile_of"] = "relay catch-up (RelayFollower.catch_up, SQLite store)"
        result["profile"] = _profile_relay(min(scale.relay_events, 20_000), kafka)
    return result


def _profile_relay(events: int, kafka: str) -> str:
    from consumers.relay import RelayFollower, RelayHandler
    from ledger.adapters.store import StoreTarget
    from tests.bench import ledger_on
    from tests.kafka_support import fresh_settings, record_demo

    with tempfile.TemporaryDirectory() as tmp:
        target = StoreTarget.parse(str(Path(tmp) / "prof.db"))
        ledger = ledger_on(target)
        learners = events // 27 + 1
        record_demo(ledger, learners=learners, candidates=max(learners // 10, 1), batch=500)
        settings = fresh_settings(kafka, "benchprof")
        follower = RelayFollower(ledger.store, target, RelayHandler(ledger.store, settings), batch_size=1000)
        try:
            return profile_top(lambda: follower.catch_up(until=events))
        finally:
            follower.handler.drop_producer()
            follower.close()
            ledger.store.close()


def section_proofs(scale: Scale, pg_url: str | None) -> dict[str, Any]:
    """Merkle proofs at 10^3 … 10^6 leaves and the integrity log's costs per event."""
    from tests.bench.audit import bench_append
    from tests.bench.integrity import bench_proofs

    rows = bench_proofs(scale.proof_sizes, samples=scale.proof_samples)
    appends = []
    with redirect_stdout(io.StringIO()):
        appends.append(bench_append(scale.append_events))
        if pg_url:
            appends.append(bench_append(scale.append_events, pg_url=pg_url))
            if scale.app_proof_report:
                appends.append(bench_append(scale.app_proof_report, pg_url=pg_url) | {"report_only": True})
    result: dict[str, Any] = {
        "rows": rows,
        "append": appends,
        "target": f"a proof < 1 ms (1000 µs) at {max(scale.proof_sizes)} leaves",
    }
    top = [r for r in rows if r["size"] == max(scale.proof_sizes)]
    keys = ("inclusion_gen_us", "inclusion_verify_us", "consistency_gen_us", "consistency_verify_us")
    missed = [{"store": r["store"], "what": k, "us": r[k]} for r in top for k in keys if r[k] >= 1000]
    missed += [
        {"store": a["backend"], "what": "app_proof_us", "us": a["app_proof_us"]}
        for a in appends
        if a["app_proof_us"] >= 1000 and not a.get("report_only")
    ]
    if missed:
        result["missed"] = missed
        worst = max(missed, key=lambda m: float(m["us"]))
        on_pg = worst["store"] == "postgres" and pg_url is not None
        result["profile_of"] = (
            f"{worst['what']} on {worst['store']}: 200 × AuditLog.inclusion_proof"
            if worst["what"] == "app_proof_us"
            else f"{worst['what']} on {worst['store']}"
        )
        result["profile"] = _profile_app_proofs(min(scale.append_events, 20_000), pg_url if on_pg else None)
    return result


def _profile_app_proofs(events: int, pg_url: str | None) -> str:
    """Profile 200 application inclusion proofs over a store of ``events`` events."""
    import random

    from ledger.adapters.keys import LogKeyStore
    from ledger.adapters.store import StoreTarget, open_store
    from ledger.audit.log import AuditLog
    from tests.bench.audit import _write

    rng = random.Random(3)
    with tempfile.TemporaryDirectory() as tmp:
        location = with_schema(pg_url, "profproof") if pg_url else str(Path(tmp) / "proof.db")
        target = StoreTarget.parse(location)
        store = open_store(target)
        try:
            _write(store, events, rng)
            audit = AuditLog(target, store, keys=LogKeyStore(Path(tmp) / "keys"), batch_size=1000)
            audit.keys.generate("bench.example/log")
            audit.checkpoint()
            picks = [rng.randrange(events) for _ in range(200)]
            text = profile_top(lambda: [audit.inclusion_proof(p) for p in picks])
            audit.close()
            return text
        finally:
            store.close()
            drop_schema(location)


def section_credentials(scale: Scale) -> dict[str, Any]:
    """Credential verification per proof type and the full offline check."""
    from tests.bench.credentials_verify import bench_verify

    figures = bench_verify(scale.credentials, scale.credential_rounds)
    return {"figures": figures}


def section_api(scale: Scale) -> dict[str, Any]:
    """API latency p50/p99 and throughput on loopback, open-loop paced (tests.bench.api).

    The server is ``ledger serve --workers 2`` in its own processes; the same credentials are
    verified by Digital Bazaar's verifier in the same run when deploy/node is installed.
    """
    from tests.bench.api import run

    work = Path(tempfile.mkdtemp(prefix="ledger-bench-api-"))
    db = str(work / "api.db")
    _api_store(db, scale.api_learners)
    with redirect_stdout(io.StringIO()):
        done = run(db, scale.api_rate, scale.api_seconds, workers=2)
    rows = [{**asdict(f), "ok_per_s": round(f.ok / f.seconds, 1)} for f in done.figures]
    result: dict[str, Any] = {
        "rows": rows,
        "rate": scale.api_rate,
        "workers": done.workers,
        "credentials": done.credentials,
        "reference": done.reference,
        "load": done.load,
        "target": f"{scale.api_rate:.0f} req/s sustained without errors, p99 < 250 ms",
    }
    result["missed"] = [
        r
        for r in rows
        if r["ok"] < r["sent"] or r["ok_per_s"] < 0.95 * scale.api_rate or r["p99_ms"] >= 250 or r["wrong"]
    ]
    shutil.rmtree(work, ignore_errors=True)
    return result


def _api_store(db: str, learners: int) -> None:
    """A demo store for the API benchmark (the API benchmark adds its keys)."""
    from ledger.cli import main as cli

    with redirect_stdout(io.StringIO()):
        code = cli(["demo", "--db", db, "--learners", str(learners), "--seed", "1"])
    if code != 0:
        raise RuntimeError(f"ledger demo exited {code}")


def section_national(
    scale: Scale,
    pg_url: str | None,
    kafka: str | None,
    result_file: Path | None,
    fractions: Sequence[tuple[int, int]] = FRACTIONS,
) -> dict[str, Any]:
    """Record, project, publish and verify a cohort at 1/4, 1/2 and full size."""
    result: dict[str, Any] = {"backend": "postgres" if pg_url else "sqlite", "sizes": []}
    order = sorted(fractions, key=lambda f: -f[0] / f[1])  # the full size first
    for num, den in order:
        learners = scale.national_learners * num // den
        candidates = scale.national_candidates * num // den
        size = national_size(scale, learners, candidates, pg_url, kafka)
        size["fraction"] = f"{num}/{den}"
        result["sizes"].append(size)
        result["sizes"].sort(key=lambda s: s["learners"])
        if result_file is not None:
            _write_json(result_file, {"section": "national", "partial": True, "figures": result})
    return result


def national_size(
    scale: Scale, learners: int, candidates: int, pg_url: str | None, kafka: str | None
) -> dict[str, Any]:
    """Every stage of one size, each its own process; returns times, RSS and events."""
    work = Path(tempfile.mkdtemp(prefix="ledger-national-"))
    db = with_schema(pg_url, f"nat{learners}") if pg_url else str(work / "national.db")
    env = {"LEDGER_KEY_DIR": str(work / "keys"), "LEDGER_LOG_LEVEL": "WARNING"}
    size: dict[str, Any] = {"learners": learners, "candidates": candidates, "stages": []}
    log.info("bench.national.size", learners=learners, candidates=candidates)
    try:
        for stage in _national_stages(scale, learners, candidates, db, kafka, work, env):
            size["stages"].append(asdict(stage))
            if stage.stage == "record":
                size["events"] = _head(db)
            if stage.exit != 0:
                size.setdefault("failed", []).append(
                    f"{stage.stage} exited {stage.exit}: {_tail(work, stage.stage)}"
                )
                if stage.stage in ("record", "keys"):
                    break
    finally:
        drop_schema(db)
        shutil.rmtree(work, ignore_errors=True)
    return size


def _national_stages(
    scale: Scale, learners: int, candidates: int, db: str, kafka: str | None, work: Path, env: dict[str, str]
) -> Iterator[Process]:
    yield run_measured(
        "record",
        ledger_argv(
            "demo",
            "--db",
            db,
            "--learners",
            str(learners),
            "--candidates",
            str(candidates),
            "--chunk",
            str(scale.national_chunk),
            "--json",
        ),
        work,
        env,
    )
    yield run_measured("project", ledger_argv("projections", "run", "--once", "--db", db), work, env)
    if kafka:
        prefix = f"benchnat{uuid.uuid4().hex[:8]}.ledger"
        topics = ["--bootstrap", kafka, "--topic-prefix", prefix]
        setup = run_measured(
            "topics", ledger_argv("topics", "create", "--profile", "test", *topics), work, env
        )
        if setup.exit != 0:
            yield setup
            return
        yield run_measured("relay", ledger_argv("relay", "run", "--once", "--db", db, *topics), work, env)
    yield run_measured("keys", ledger_argv("keys", "generate", "--db", db, "--json"), work, env)
    vkey = json.loads((work / "keys.out").read_text(encoding="utf-8"))["vkey"]
    yield run_measured("checkpoint", ledger_argv("audit", "checkpoint", "--db", db), work, env)
    yield run_measured("verify", ledger_argv("audit", "verify", "--db", db), work, env)
    yield from _sampled_proofs(scale, db, work, env, vkey)
    yield from _sampled_credential(db, work, env)


def _sampled_proofs(scale: Scale, db: str, work: Path, env: dict[str, str], vkey: str) -> Iterator[Process]:
    import random

    head = _head(db)
    rng = random.Random(11)
    for i in range(scale.national_proofs):
        proof = work / f"proof{i}.txt"
        position = str(rng.randrange(head))
        yield run_measured(
            f"prove{i}",
            ledger_argv("audit", "prove", "--db", db, "--position", position, "--out", str(proof)),
            work,
            env,
        )
        yield run_measured(
            f"verify-proof{i}", ledger_argv("audit", "verify-proof", str(proof), "--key", vkey), work, env
        )


def _sampled_credential(db: str, work: Path, env: dict[str, str]) -> Iterator[Process]:
    cert = _some_certificate(db)
    if cert is None:
        return
    yield run_measured(
        "credential-keys", ledger_argv("credential", "keys", "generate", "--db", db), work, env
    )
    credential = work / "credential.json"
    yield run_measured(
        "credential-export",
        ledger_argv("credential", "export", cert, "--db", db, "--out", str(credential)),
        work,
        env,
    )
    status = work / "status-list.json"
    yield run_measured(
        "status-list",
        # the list the exported credential names (lists are per issuer since the credentials
        # branch; --list-id's default "1" is only the first release's)
        ledger_argv(
            "credential", "status-list", "--db", db, "--credential", str(credential), "--out", str(status)
        ),
        work,
        env,
    )
    yield run_measured(
        "credential-verify",
        ledger_argv("credential", "verify", str(credential), "--status-list", str(status)),
        work,
        env,
    )


def _some_certificate(db: str) -> str | None:
    """A certificate issued in the middle of the store (not revoked as far as the scan goes)."""
    from ledger.adapters.store import StoreTarget, open_store

    store = open_store(StoreTarget.parse(db))
    try:
        found = store.recorder.select_notifications(1, 200, topics=(CERT_TOPIC,))
        for n in reversed(found):
            cert = json.loads(n.state).get("certificate_id")
            if cert:
                return str(cert)
        return None
    finally:
        store.close()


def _head(db: str) -> int:
    from ledger.adapters.store import StoreTarget, open_store

    store = open_store(StoreTarget.parse(db))
    try:
        return int(store.recorder.max_notification_id() or 0)
    finally:
        store.close()


def _tail(work: Path, stage: str) -> str:
    err = (work / f"{stage}.err").read_text(encoding="utf-8", errors="replace").strip()
    return err.splitlines()[-1][:300] if err else "(no message)"


# ------------------------------------------------------------------------------ report
TITLES = {
    "decisions": "1. Decisions per second: the ledger vs bare eventsourcing",
    "projections": "2. Projection rebuild vs a bare read of the same notifications",
    "relay": "3. Kafka relay vs a bare kafka-python producer",
    "proofs": "4. Proofs at 10^3 … 10^6 leaves, integrity log cost per event",
    "credentials": "5. Credential verification",
    "api": "6. API latency and throughput on loopback",
    "national": "7. National-scale run",
}
TRACKED_STAGES = ("record", "project", "relay", "checkpoint", "verify")


def md_table(headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> list[str]:
    """A Markdown table (numbers right-aligned; a yes/no column is text, not a number)."""
    align = ["---:" if rows and _numeric(rows[0][i]) else "---" for i in range(len(headers))]
    lines = ["| " + " | ".join(headers) + " |", "| " + " | ".join(align) + " |"]
    lines += ["| " + " | ".join(_fmt(c) for c in row) + " |" for row in rows]
    return [*lines, ""]


def _numeric(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _fmt(value: Any) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return f"{value:.3f}" if abs(value) < 10 else f"{value:.1f}"
    return str(value)


def merge_national(saved: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Fold ``national*.json`` parts of a split run into one ``national`` result."""
    parts = [saved[k] for k in sorted(saved) if k.startswith("national") and "figures" in saved[k]]
    if len(parts) < 2:
        return saved
    merged = dict(max(parts, key=lambda p: len(p["figures"]["sizes"])))
    sizes = {s["learners"]: s for p in parts for s in p["figures"]["sizes"]}
    merged["figures"] = {**merged["figures"], "sizes": [sizes[k] for k in sorted(sizes)]}
    merged["seconds"] = round(sum(st["seconds"] for size in sizes.values() for st in size["stages"]), 2)
    done = {size.get("fraction") for size in sizes.values()}
    if done != {f"{a}/{b}" for a, b in FRACTIONS} or "started_at" not in merged:
        for key in ("started_at", "load_start", "load_end"):
            merged.pop(key, None)
    rest = {k: v for k, v in saved.items() if not k.startswith("national")}
    return {**rest, "national": merged}


def render(saved: dict[str, dict[str, Any]], scale: Scale) -> str:
    """BENCHMARKS.md from the saved section results."""
    saved = merge_national(saved)
    out = [
        "# Benchmarks",
        "",
        f"Written by `python -m tests.bench all --scale {scale.name}` from the section results of "
        f"{', '.join(sorted(saved))}. Figures only: each section ran in its own process, "
        "and where two things are compared they ran in the same process, same data, one "
        "after the other. Nothing here is asserted by a test.",
        "",
    ]
    out += _render_machine(saved)
    out += _render_targets(saved)
    renderers: dict[str, Callable[[dict[str, Any]], list[str]]] = {
        "decisions": _r_decisions,
        "projections": _r_projections,
        "relay": _r_relay,
        "proofs": _r_proofs,
        "credentials": _r_credentials,
        "api": _r_api,
        "national": _r_national,
    }
    for name, title in TITLES.items():
        out += [f"## {title}", ""]
        result = saved.get(name)
        if result is None:
            out += ["**Not measured**: this section was not run.", ""]
        elif "error" in result:
            out += [f"**Not measured**: the section failed ({result['error']}).", ""]
        else:
            out += _run_line(result) + renderers[name](result["figures"])
    out += _render_profiles(saved)
    return "\n".join(out).rstrip() + "\n"


def _run_line(result: dict[str, Any]) -> list[str]:
    if "started_at" not in result:
        return ["**Partial**: the run of this section had not finished when this was written.", ""]
    return [
        f"Run at {result['started_at']}, scale {result['scale']}, {result['seconds']} s, "
        f"load average {result['load_start'][0]} → {result['load_end'][0]}.",
        "",
    ]


def _render_machine(saved: dict[str, dict[str, Any]]) -> list[str]:
    m = saved.get("machine", {}).get("figures", {})
    runs = [r for r in saved.values() if "load_start" in r]
    first = min(runs, key=lambda r: str(r["started_at"]), default=None)
    last = max(runs, key=lambda r: str(r["started_at"]), default=None)
    rows = [
        ["CPU", m.get("cpu_model")],
        ["cores", m.get("cores")],
        ["memory (GiB)", m.get("memory_gib")],
        ["kernel", m.get("kernel")],
        ["Python", m.get("python")],
        ["SQLite", m.get("sqlite")],
        ["PostgreSQL", m.get("postgresql") or "not measured"],
        ["Kafka broker", m.get("kafka") or "not measured"],
        ["eventsourcing", m.get("eventsourcing")],
        ["kafka-python", m.get("kafka_python")],
        [
            "load average at start (1/5/15 min)",
            " / ".join(str(x) for x in first["load_start"]) if first else "?",
        ],
        ["load average at end (1/5/15 min)", " / ".join(str(x) for x in last["load_end"]) if last else "?"],
    ]
    return [
        "## Machine",
        "",
        *md_table(["what", "value"], rows),
        "The machine is shared: other work ran beside these figures (see the load "
        "averages); ratios measured in the same process are the figures to compare.",
        "",
    ]


def _render_targets(saved: dict[str, dict[str, Any]]) -> list[str]:
    rows = [row for n in TITLES for row in _target_rows(n, saved.get(n))]
    return ["## Targets", "", *md_table(["target", "measured", "met", "by how much"], rows)]


def _target_rows(name: str, result: dict[str, Any] | None) -> list[list[Any]]:
    if not result or "figures" not in result:
        return []
    f = result["figures"]
    if name == "proofs":
        return _proof_targets(f)
    if name == "projections" and "figures" in f:
        return _projection_targets(f["figures"])
    if name == "national":
        return _national_targets(f)
    row = _target_row(name, f)
    return [row] if row else []


def _projection_targets(figures: dict[str, Any]) -> list[list[Any]]:
    """Issue 22 item 5: every read model rebuilt together, at every size measured."""
    sizes = [s for s in figures.get("all_together", []) if "rebuild_all_vs_bare" in s]
    if "rebuild_all_vs_bare" in figures and figures.get("events") not in {s.get("events") for s in sizes}:
        sizes.append(figures)
    if not sizes:
        return []
    rows = []
    for key, goal, what in (
        ("rebuild_all_vs_bare", 0.75, "per wall-clock second"),
        ("rebuild_all_vs_bare_cpu", 0.50, "per CPU second (every process counted)"),
    ):
        worst = min(sizes, key=lambda s: float(s.get(key, 0.0)))
        ratio = float(worst.get(key, 0.0))
        each = ", ".join(f"{float(s.get(key, 0.0)):.2f}" for s in sizes)
        rows.append(
            [
                f"rebuild of every read model ≥ {goal:.0%} of a bare read {what}",
                f"worst {ratio:.1%} ({worst['events']} events; sizes: {each})",
                _met(ratio >= goal),
                _by(ratio * 100, goal * 100, " points", False),
            ]
        )
    return rows


def _national_targets(f: dict[str, Any]) -> list[list[Any]]:
    """Issue 22 items 2 and 3: the full size in 30 minutes; growth from the smallest size."""
    sizes = [s for s in f.get("sizes", []) if s.get("events")]
    full = [s for s in sizes if s.get("fraction") == "1/1"]
    rows = []
    if full:
        every = sum(float(st["seconds"]) for st in full[0]["stages"])
        rows.append(
            [
                "national run, all stages summed at full size ≤ 30 min",
                f"{every / 60:.1f} min ({full[0]['events']} events)",
                _met(every <= 1800),
                _by(every / 60, 30.0, " min", True),
            ]
        )
    growth = _growth_rows(sizes)
    if growth:
        span = f"{sizes[0].get('fraction')} → {sizes[-1].get('fraction')}"
        for label, column, goal in (
            ("time per event (per operation for proofs, export)", 3, TIME_GROWTH_GOAL),
            ("peak RSS", 6, RSS_GROWTH_GOAL),
        ):
            worst = max(growth, key=lambda r: float(r[column]))
            rows.append(
                [
                    f"national: {label} within ×{goal} from {span}, every stage",
                    f"worst ×{worst[column]:.2f} ({worst[0]})",
                    _met(worst[column] <= goal),
                    _by(worst[column], goal, "×", True),
                ]
            )
    return rows


def _proof_targets(f: dict[str, Any]) -> list[list[Any]]:
    size = max(r["size"] for r in f["rows"])
    worst_us = max(max(r[k] for k in r if k.endswith("_us")) for r in f["rows"] if r["size"] == size)
    rows = [
        [
            f"Merkle proofs < 1 ms at {size} leaves",
            f"slowest {worst_us:.1f} µs",
            _met(worst_us < 1000),
            _by(worst_us, 1000.0, " µs", True),
        ]
    ]
    for a in f["append"]:
        us = float(a["app_proof_us"])
        if a.get("report_only"):
            name = f"application proof ({a['backend']}, {a['events']} events): reported, no goal"
            rows.append([name, f"{us:.1f} µs", "—", "—"])
            continue
        rows.append(
            [
                f"application proof < 1 ms ({a['backend']}, {a['events']} events)",
                f"{us:.1f} µs",
                _met(us < 1000),
                _by(us, 1000.0, " µs", True),
            ]
        )
    return rows


def _target_row(name: str, f: dict[str, Any]) -> list[Any] | None:
    if name == "decisions":
        worst = max(f["rows"], key=lambda r: float(r["ratio"]))
        return [
            "decisions: ledger ≤ 1.3 × bare time",
            f"worst {worst['ratio']}× ({worst['backend']}, batch {worst['batch']})",
            _met(float(worst["ratio"]) <= 1.3),
            _by(float(worst["ratio"]), 1.3, "×", True),
        ]
    if name == "relay" and "figures" in f:
        ratio = float(f["figures"]["relay_vs_bare"])
        return [
            "relay ≥ 70% of bare producer",
            f"{ratio:.1%}",
            _met(ratio >= 0.7),
            _by(ratio * 100, 70.0, " points", False),
        ]
    if name == "api":
        worst_rate = min(float(r["ok_per_s"]) for r in f["rows"])
        worst_p99 = max(float(r["p99_ms"]) for r in f["rows"])
        return [
            f"API at {f['rate']:.0f} req/s, p99 < 250 ms",
            f"lowest {worst_rate:.1f} ok/s, highest p99 {worst_p99:.0f} ms",
            _met(not f["missed"]),
            _by(worst_p99, 250.0, " ms of p99", True)
            if not f["missed"]
            else _by(worst_rate, float(f["rate"]), " req/s", False),
        ]
    return None


def _met(ok: bool) -> str:
    return "yes" if ok else "**no**"


def _by(value: float, target: float, unit: str, lower_is_better: bool) -> str:
    gap = value - target if lower_is_better else target - value
    if gap <= 0:
        return f"within, margin {abs(gap):.2f}{unit}"
    return f"missed by {gap:.2f}{unit} ({gap / target:.0%} of the target)"


def _r_decisions(f: dict[str, Any]) -> list[str]:
    rows = [
        [
            r["backend"],
            r["batch"],
            r["events"],
            r["ledger_s"],
            r["bare_s"],
            r["ledger_ev_s"],
            r["bare_ev_s"],
            r["ratio"],
            r.get("cpu_ratio", "—"),
        ]
        for r in f["rows"]
    ]
    return [
        "Same events (a demo cohort's CPU decisions), `ledger record` (parse, validate, "
        "rules, save) vs a bare `Application` saving the same payloads; batch = decisions "
        "per transaction. ratio = ledger time / bare time (target ≤ 1.3); cpu ratio = the same "
        "for the benchmark process's CPU time (all the work on SQLite, the client's share on "
        "PostgreSQL): less sensitive to the machine's other load.",
        "",
        *md_table(
            [
                "backend",
                "batch",
                "events",
                "ledger s",
                "bare s",
                "ledger ev/s",
                "bare ev/s",
                "ratio",
                "cpu ratio",
            ],
            rows,
        ),
    ]


def _r_projections(f: dict[str, Any]) -> list[str]:
    ratio = rebuild_ratio(f["figures"])
    shown = "not reported" if ratio is None else f"{ratio}"
    cpu = f["figures"].get("rebuild_all_vs_bare_cpu")
    ahead = f["figures"].get("read_ahead")
    how = {
        True: "it read ahead in a second process (`projections.readahead`), counted in its CPU",
        False: "it ran in one process (a rebuild reads ahead only with a free core: "
        "`projections.readahead.free_core`)",
    }.get(ahead, "")
    if f["figures"].get("processes", 1) > 1 and not ahead:
        how = (
            "it was split by learner between two forked processes (`projections.partition`), "
            "both counted in its CPU"
        )
    per_cpu = "" if cpu is None else f" Per CPU second the ratio is {cpu} (target ≥ 0.5)"
    return [
        "`tests.bench.projections.bench_rebuild` on a SQLite demo store, shown as it returns its "
        f"figures (events/s per wall-clock second and per CPU second, peak RSS MiB); "
        f"rebuild of every read model / bare read at the largest size = {shown} per wall-clock "
        f"second (target ≥ 0.75).{per_cpu}{'; ' + how if how and per_cpu else ''}.",
        "",
        *generic_tables(f["figures"]),
    ]


def generic_tables(figures: dict[str, Any]) -> list[str]:
    """Any nested dict of figures as Markdown: scalars as name/value, lists of dicts as tables."""
    scalars: list[list[Any]] = []
    notes: list[str] = []
    out: list[str] = []

    def walk(prefix: str, node: Any) -> None:
        if isinstance(node, dict):
            for key, value in node.items():
                walk(f"{prefix}.{key}" if prefix else str(key), value)
        elif isinstance(node, list) and node and all(isinstance(x, dict) for x in node):
            columns = list(dict.fromkeys(k for x in node for k, v in x.items() if isinstance(v, int | float)))
            out.extend([f"`{prefix}`:", ""])
            out.extend(md_table(columns, [[x.get(c, 0) for c in columns] for x in node]))
        elif isinstance(node, bool) or not isinstance(node, int | float):
            notes.append(f"- `{prefix}`: {node}")
        else:
            scalars.append([prefix, node])

    walk("", figures)
    head = md_table(["figure", "value"], scalars) if scalars else []
    return [*head, *out, *([*notes, ""] if notes else [])]


def _r_relay(f: dict[str, Any]) -> list[str]:
    if "skipped" in f:
        return [f"**Not measured**: {f['skipped']}.", ""]
    g = f["figures"]
    rows = [
        [
            "relay catch-up (store → contract → CloudEvents records, positions every 0.2 s)",
            g["events"],
            g["relay_best_events_per_s"],
            g["relay_events_per_s"],
            g["relay_cpu_us_per_event"],
        ],
        [
            f"bare kafka-python producer, searched best config {g['bare_config']} (pre-built records)",
            g["events"],
            g["bare_best_events_per_s"],
            g["bare_events_per_s"],
            g["bare_cpu_us_per_event"],
        ],
    ]
    kills = g.get("kills")
    return [
        f"Same records, acks=all and idempotence on both sides; {g['rounds']} alternating rounds "
        f"after the search ({len(g['bare_trials'])} trials); relay defaults {g['relay_defaults']}. "
        f"relay/bare throughput (medians) = {g['relay_vs_bare']} (best {g['relay_vs_bare_best']}; "
        f"target ≥ 0.7); load average {g['load_average']}.",
        "",
        *md_table(["producer", "events", "best ev/s", "median ev/s", "CPU µs/event"], rows),
        *(
            [
                f"Kills: {kills['kills']} SIGKILLs of `ledger relay run`, {kills['events']} events, "
                f"{kills['records']} records, {kills['duplicates']} duplicate(s).",
                "",
            ]
            if kills
            else []
        ),
    ]


def _r_proofs(f: dict[str, Any]) -> list[str]:
    rows = [
        [
            r["store"],
            r["size"],
            r["build_s"],
            r["inclusion_gen_us"],
            r["inclusion_verify_us"],
            r["consistency_gen_us"],
            r["consistency_verify_us"],
        ]
        for r in f["rows"]
    ]
    app = [
        [
            a["backend"],
            a["events"],
            a["write_us"],
            a["null_follower_us"],
            a["integrity_follower_us"],
            a["overhead_us"],
            a["app_proof_us"],
            a["verify_s"],
        ]
        for a in f["append"]
    ]
    return [
        "Merkle log (RFC 9162): mean µs per proof for random past positions; build = "
        "appending every leaf (in batches of 10,000).",
        "",
        *md_table(
            [
                "store",
                "leaves",
                "build s",
                "inclusion gen µs",
                "inclusion verify µs",
                "consistency gen µs",
                "consistency verify µs",
            ],
            rows,
        ),
        "The integrity log beside the event store: per event, appending to the store, a "
        "bare follower, the integrity follower (overhead = their difference); one "
        "application proof (event → tlog-proof) and a full `verify`.",
        "",
        *md_table(
            [
                "backend",
                "events",
                "write µs",
                "bare follower µs",
                "integrity follower µs",
                "overhead µs",
                "app proof µs",
                "full verify s",
            ],
            app,
        ),
    ]


def _r_credentials(f: dict[str, Any]) -> list[str]:
    g = f["figures"]
    rows = [
        ["eddsa-jcs-2022 proof only", g["eddsa-jcs-2022_ms"]],
        ["eddsa-rdfc-2022 proof only", g["eddsa-rdfc-2022_ms"]],
        ["full offline check (both proofs, status list, inclusion proof, dates)", g["full_offline_ms"]],
    ]
    return [
        f"{g['credentials']} real certificates exported as signed credentials, each verified "
        f"{g['rounds']} times; {g['per_second_full']} full checks per second.",
        "",
        *md_table(["verification", "ms per credential"], rows),
    ]


def _r_api(f: dict[str, Any]) -> list[str]:
    rows = [
        [
            r["target"],
            r["sent"],
            r["ok"],
            r["ok_per_s"],
            r["p50_ms"],
            r["p99_ms"],
            r.get("wrong", 0),
            round(r.get("server_cpu_ms", 0.0), 2),
        ]
        for r in f["rows"]
    ]
    out = [
        f"Open-loop paced at {f['rate']:.0f} req/s (latency from the moment each request "
        "was due, no coordinated omission), `ledger serve --workers "
        f"{f.get('workers', 1)}` in its own processes on loopback, {f.get('credentials', 0)} "
        "distinct credentials (exported anew, no verdict cache). Load average (1, 5, 15 min) "
        f"before, after the targets, after the reference: {_loads(f.get('load', []))}.",
        "",
        *md_table(
            ["target", "sent", "ok", "ok/s", "p50 ms", "p99 ms", "wrong verdicts", "server CPU ms/req"], rows
        ),
    ]
    ref = f.get("reference") or {}
    if ref:
        verify = next((r for r in f["rows"] if r["target"].startswith("verify")), None)
        ratio = f" ({verify['ok_per_s'] / ref['per_second']:.2f}x)" if verify else ""
        out += [
            "",
            "Digital Bazaar `verifyCredential` (both proofs, status list) on "
            f"{ref.get('credentials', 120):.0f} of the same credentials in one node process: "
            f"{ref['ms_per_credential']:.2f} ms per credential, {ref['per_second']:.1f}/s; "
            f"`POST /verify` ok/s (capped by the offered rate) against it{ratio}.",
        ]
    else:
        out += [
            "",
            "Digital Bazaar's verifier **not measured**: `deploy/node` is not installed "
            "(`bash deploy/node/ensure.sh`).",
        ]
    return [*out, ""]


def _loads(loads: list[list[float]]) -> str:
    return ", ".join("/".join(f"{x:.2f}" for x in load) for load in loads)


def _r_national(f: dict[str, Any]) -> list[str]:
    out = [
        f"Backend {f['backend']}. Every stage is its own `ledger` process (wall time, peak "
        "RSS from `os.wait4`): `demo --chunk` records, `projections run --once`, `relay run "
        "--once` to fresh topics, `audit checkpoint`, `audit verify`, sampled `audit prove` + "
        "`verify-proof`, and one `credential export` + `status-list` + `verify`.",
        "",
    ]
    growth = []
    for size in f["sizes"]:
        events = int(size.get("events") or 0)
        out += [
            f"### {size['learners']} learners + {size['candidates']} candidates "
            f"({size.get('fraction', '?')}): {events} events",
            "",
        ]
        rows = [
            [
                st["stage"],
                st["seconds"],
                round(st["seconds"] * 1e6 / events, 2) if events else 0.0,
                st.get("cpu_s", 0.0),
                st["peak_rss_mib"],
                st.get("load_1m", 0.0),
                st["exit"],
            ]
            for st in size["stages"]
        ]
        out += md_table(
            ["stage", "seconds", "µs per event", "CPU s", "peak RSS MiB", "load (1 min) at end", "exit"], rows
        )
        for failure in size.get("failed", []):
            out += [f"**Failed**: {failure}", ""]
        tracked = [st for st in size["stages"] if st["stage"] in TRACKED_STAGES]
        total = sum(st["seconds"] for st in tracked)
        every = sum(st["seconds"] for st in size["stages"])
        if size.get("fraction") == "1/1":
            out += [
                f"All stages summed at full size: {every:.0f} s ({every / 60:.1f} min) against the "
                f"30-minute goal (issue 22): {'met' if every <= 1800 else '**missed**'}.",
                "",
            ]
        growth.append(
            [
                size.get("fraction", "?"),
                events,
                round(every, 1),
                round(total, 1),
                round(total * 1e6 / events, 2) if events else 0.0,
                max((st["peak_rss_mib"] for st in size["stages"]), default=0.0),
            ]
        )
    out += [
        "### Growth with size",
        "",
        "All stages: every process of the size summed (the 30-minute goal); tracked: the "
        f"{', '.join(TRACKED_STAGES)} stages (µs per event from these); time per event should stay flat "
        "(time linear in events) and peak RSS flat (memory independent of size). The sizes "
        "ran one after the other on a shared machine: a size that ran beside other work "
        "(see the load averages) is slower per event for that reason too.",
        "",
        *md_table(
            ["size", "events", "all stages s", "tracked stages s", "µs per event", "max peak RSS MiB"], growth
        ),
        *_stage_growth(f["sizes"]),
    ]
    return out


TIME_GROWTH_GOAL = 1.2
"""Issue 22: time per event (per operation for a proof or an export) within 20% across sizes."""
RSS_GROWTH_GOAL = 1.1
"""Issue 22: peak RSS within 10% across sizes."""
PER_OPERATION = ("prove", "credential-export")
"""Stages that do one operation whatever the size: compared per operation, not per event."""


def _stage_seconds(size: dict[str, Any]) -> dict[str, tuple[float, float]]:
    """Seconds and peak RSS per stage; the sampled proofs (``prove0`` …) averaged as ``prove``."""
    out: dict[str, tuple[float, float]] = {}
    proofs = [st for st in size["stages"] if st["stage"].startswith("prove")]
    for st in size["stages"]:
        if st["stage"] in TRACKED_STAGES or st["stage"] in PER_OPERATION:
            out[st["stage"]] = (float(st["seconds"]), float(st["peak_rss_mib"]))
    if proofs:
        seconds = sum(float(p["seconds"]) for p in proofs) / len(proofs)
        out["prove"] = (seconds, max(float(p["peak_rss_mib"]) for p in proofs))
    return out


def _growth_rows(sizes: list[dict[str, Any]]) -> list[list[Any]]:
    """Per stage, smallest → largest size: [stage, time small, time large, time ratio, RSS small,
    RSS large, RSS ratio]; time in µs per event, or ms per operation for a proof or an export."""
    done = [s for s in sizes if s.get("events")]
    if len(done) < 2:
        return []
    small, large = done[0], done[-1]
    at_small, at_large = _stage_seconds(small), _stage_seconds(large)
    rows: list[list[Any]] = []
    for stage, (sec_large, rss_large) in at_large.items():
        if stage not in at_small:
            continue
        sec_small, rss_small = at_small[stage]
        per_op = stage in PER_OPERATION
        unit_small = sec_small * 1e3 if per_op else sec_small * 1e6 / small["events"]
        unit_large = sec_large * 1e3 if per_op else sec_large * 1e6 / large["events"]
        rows.append(
            [
                stage + (" (ms per operation)" if per_op else ""),
                round(unit_small, 1),
                round(unit_large, 1),
                round(unit_large / unit_small, 2) if unit_small else 0.0,
                rss_small,
                rss_large,
                round(rss_large / rss_small, 2) if rss_small else 0.0,
            ]
        )
    return rows


def _stage_growth(sizes: list[dict[str, Any]]) -> list[str]:
    """Per stage: time (per event, or per operation) and peak RSS at the smallest and largest size."""
    done = [s for s in sizes if s.get("events")]
    rows = _growth_rows(done)
    if not rows:
        return []
    small, large = done[0], done[-1]
    growing = [f"{r[0]} (×{r[6]})" for r in rows if r[6] > RSS_GROWTH_GOAL]
    slowing = [f"{r[0]} (×{r[3]})" for r in rows if r[3] > TIME_GROWTH_GOAL]
    verdict = [
        f"**Memory not flat** (goal: peak RSS ratio ≤ {RSS_GROWTH_GOAL}): {', '.join(growing)}."
        if growing
        else f"Memory flat in every stage (peak RSS ratio ≤ {RSS_GROWTH_GOAL}).",
        f"**Time not linear** (goal: time ratio ≤ {TIME_GROWTH_GOAL}): {', '.join(slowing)}."
        if slowing
        else f"Time linear in events in every stage (time ratio ≤ {TIME_GROWTH_GOAL}).",
        "",
    ]
    return [
        f"Per stage, {small.get('fraction')} → {large.get('fraction')} "
        f"({large['events'] / small['events']:.1f}× the events): µs per event (ms per operation for "
        "a proof or a credential export, each one process), a time ratio near 1 is linear growth, "
        "an RSS ratio near 1 is flat memory.",
        "",
        *md_table(
            [
                "stage",
                "small",
                "large",
                "time ratio",
                "RSS MiB small",
                "RSS MiB large",
                "RSS ratio",
            ],
            rows,
        ),
        *verdict,
    ]


def _hottest(profile: str) -> list[str]:
    """One sentence naming the function with the most own time in a profile listing."""
    rows = [line.split() for line in profile.splitlines()[1:] if line.strip()]
    if not rows or len(rows[0]) < 6:
        return []
    ncalls, tottime, function = rows[0][0], rows[0][1], " ".join(rows[0][5:])
    total = sum(float(r[1]) for r in rows if len(r) >= 6 and _is_float(r[1]))
    share = f" ({float(tottime) / total:.0%} of the own time listed)" if total else ""
    return [f"Hottest: `{function}`, {tottime} s own time in {ncalls} calls{share}.", ""]


def _is_float(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def _render_profiles(saved: dict[str, dict[str, Any]]) -> list[str]:
    out = ["## Profiles of missed targets", ""]
    profiled = [
        (n, saved[n]["figures"])
        for n in TITLES
        if n in saved and isinstance(saved[n].get("figures"), dict) and saved[n]["figures"].get("profile")
    ]
    if not profiled:
        return [*out, "No target missed in this run, so no profile.", ""]
    for name, f in profiled:
        out += [
            f"### {TITLES.get(name, name)}: {f['profile_of']}",
            "",
            *_hottest(f["profile"]),
            "cProfile, top functions by own time:",
            "",
            "```",
            f["profile"],
            "```",
            "",
        ]
    return out


# ------------------------------------------------------------------------- child entry
def run_section(
    name: str,
    scale: Scale,
    pg_url: str | None,
    kafka: str | None,
    result_file: Path | None = None,
    fractions: Sequence[tuple[int, int]] = FRACTIONS,
) -> dict[str, Any]:
    """Run one section in this process; the figures with load and timing around them."""
    started_at = datetime.now(UTC).isoformat(timespec="seconds")
    load_start = load_average()
    started = time.perf_counter()
    dispatch: dict[str, Callable[[], dict[str, Any]]] = {
        "machine": lambda: machine(pg_url, kafka),
        "decisions": lambda: section_decisions(scale, pg_url),
        "projections": lambda: section_projections(scale),
        "relay": lambda: section_relay(scale, kafka),
        "proofs": lambda: section_proofs(scale, pg_url),
        "credentials": lambda: section_credentials(scale),
        "api": lambda: section_api(scale),
        "national": lambda: section_national(scale, pg_url, kafka, result_file, fractions),
    }
    figures = dispatch[name]()
    return {
        "section": name,
        "scale": scale.name,
        "started_at": started_at,
        "load_start": load_start,
        "load_end": load_average(),
        "seconds": round(time.perf_counter() - started, 2),
        "peak_rss_mib": self_rss_mib(),
        "figures": figures,
    }


def _write_json(path: Path, data: Any) -> None:
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(data, indent=2, default=str), encoding="utf-8")
    tmp.replace(path)


def child_main(argv: Sequence[str] | None = None) -> int:
    """``python -m tests.bench.all SECTION --scale S --result FILE [--pg URL] [--kafka H:P]``."""
    from ledger import logs

    parser = argparse.ArgumentParser(prog="python -m tests.bench.all")
    parser.add_argument("section", choices=SECTIONS)
    parser.add_argument("--scale", choices=sorted(SCALES), default="smoke")
    parser.add_argument("--result", required=True)
    parser.add_argument("--pg")
    parser.add_argument("--kafka")
    parser.add_argument(
        "--fractions",
        default="1/4,1/2,1/1",
        help="national sizes to run (a separate result file per part of a split run)",
    )
    args = parser.parse_args(argv)
    logs.configure(os.environ.get("LEDGER_LOG_LEVEL", "WARNING"))
    result_file = Path(args.result)
    fractions = [(int(a), int(b)) for a, b in (f.split("/") for f in args.fractions.split(","))]
    figures = run_section(args.section, SCALES[args.scale], args.pg, args.kafka, result_file, fractions)
    _write_json(result_file, figures)
    return 0


# ------------------------------------------------------------------------------ parent
def run_child(name: str, args: argparse.Namespace, results: Path) -> dict[str, Any]:
    """Run one section as a child process; its result (or the failure) is saved as JSON."""
    result_file = results / f"{name}.json"
    argv = [
        sys.executable,
        "-m",
        "tests.bench.all",
        name,
        "--scale",
        args.scale,
        "--result",
        str(result_file),
    ]
    argv += ["--pg", args.pg] if args.pg else []
    argv += ["--kafka", args.kafka] if args.kafka else []
    sys.stderr.write(f"bench: {name} …\n")
    started = time.perf_counter()
    proc = subprocess.run(argv, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        message = (proc.stderr.strip().splitlines() or ["(no message)"])[-1]
        message = message.replace(sys.prefix, "<venv>").replace(os.getcwd(), ".")[:400]
        _write_json(
            result_file, {"section": name, "scale": args.scale, "error": f"exit {proc.returncode}: {message}"}
        )
        log.warning("bench.section.failed", section=name, exit=proc.returncode)
    sys.stderr.write(f"bench: {name} done in {time.perf_counter() - started:.0f} s\n")
    loaded: dict[str, Any] = json.loads(result_file.read_text(encoding="utf-8"))
    return loaded


def parse_sections(text: str) -> list[str]:
    """``all``, ``none`` or a comma-separated list of section names."""
    if text == "all":
        return list(SECTIONS)
    if text == "none":
        return []
    names = [s.strip() for s in text.split(",") if s.strip()]
    unknown = [n for n in names if n not in SECTIONS]
    if unknown or not names:
        raise InvalidCommand(
            f"unknown section(s) {', '.join(unknown) or text!r}: "
            f"use all, none or some of {', '.join(SECTIONS)}"
        )
    return names


def cmd_bench_all(args: argparse.Namespace) -> int:
    """Run the sections as child processes, then write the report from every saved result."""
    sections = parse_sections(args.sections)
    if args.pg and not args.pg.startswith(("postgresql://", "postgres://")):
        raise InvalidCommand(f"--pg must be a postgresql:// URL, not {args.pg!r}")
    if args.kafka and ":" not in args.kafka:
        raise InvalidCommand(f"--kafka must be HOST:PORT, not {args.kafka!r}")
    out_dir = Path(args.out).resolve().parent
    if not out_dir.is_dir():
        raise InvalidCommand(f"--out: no directory {out_dir} to write {Path(args.out).name} into")
    results = Path(args.results or Path(tempfile.mkdtemp(prefix="ledger-bench-results-")))
    results.mkdir(parents=True, exist_ok=True)
    if "machine" not in sections and not (results / "machine.json").exists():
        sections.insert(0, "machine")
    for name in sections:
        run_child(name, args, results)
    saved = {p.stem: json.loads(p.read_text(encoding="utf-8")) for p in sorted(results.glob("*.json"))}
    Path(args.out).write_text(render(saved, SCALES[args.scale]), encoding="utf-8")
    print(f"wrote {args.out} ({len(saved)} section(s); results in {results})")
    return 0


def add_parser(sub: Any) -> None:
    """Add ``all`` to the subcommands of ``python -m tests.bench`` (see :mod:`tests.bench.__main__`)."""
    s = sub.add_parser("all", help="every benchmark side by side, written to BENCHMARKS.md")
    s.add_argument(
        "--scale",
        choices=sorted(SCALES),
        default="smoke",
        help="smoke (a few minutes) or full (national scale: hours)",
    )
    s.add_argument("--out", default="BENCHMARKS.md", help="the report (default BENCHMARKS.md)")
    s.add_argument("--pg", help="postgresql:// URL: measure PostgreSQL too (fresh schemas)")
    s.add_argument("--kafka", help="Kafka HOST:PORT: measure the relay (fresh topics)")
    s.add_argument(
        "--sections",
        default="all",
        help=f"all, none (report only) or a comma list of: {', '.join(SECTIONS)}",
    )
    s.add_argument(
        "--results",
        help="directory of per-section JSON results (kept; reused by later runs to split a long run)",
    )
    s.set_defaults(func=cmd_bench_all)


if __name__ == "__main__":
    raise SystemExit(child_main())
