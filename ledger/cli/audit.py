"""``ledger keys …`` and ``ledger audit …``: the integrity log's keys, checkpoints, proofs.

Exit codes (besides the CLI's 0/1/2): **4** — the integrity log or a proof does not verify
(``audit verify`` found tampering, ``audit verify-proof`` or ``audit consistency`` failed).
``audit verify-proof`` needs no database. Settings: ``LEDGER_KEY_DIR`` (``--key-dir``) and
``LEDGER_ORIGIN`` (``--origin``).
"""

from __future__ import annotations

import base64
import signal
import sys
import threading
from pathlib import Path
from typing import Annotated, Any

import orjson
import typer

from ledger.adapters.keys import LogKeyStore
from ledger.audit.log import (
    TAMPER_EXIT,
    AuditError,
    AuditLog,
    default_origin,
    verify_consistency_between,
    verify_event_proof,
)
from ledger.bootstrap import audit_log, bootstrap, log_keys
from ledger.cli.common import Db, Json, KeyDir, emit, settings, table
from ledger.domain.errors import InvalidCommand
from ledger.integrity import (
    IntegrityError,
    KeyFormatError,
    ProofError,
    open_checkpoint,
    parse_tlog_proof,
    parse_vkey,
)
from ledger.settings import Settings

Origin = Annotated[
    str | None,
    typer.Option(
        "--origin",
        help="checkpoint origin (env LEDGER_ORIGIN; default ledger.example/cpu-clea-ledger)",
        show_default=False,
    ),
]


# ------------------------------------------------------------------------------ wiring
def _settings(db: str | None, key_dir: str | None, origin: str | None) -> Settings:
    return settings(db=db, key_dir=key_dir, origin=origin)


def _audit(db: str | None, key_dir: str | None, origin: str | None) -> AuditLog:
    conf = _settings(db, key_dir, origin)
    target = conf.target()
    if target.kind == "sqlite" and not (target.sqlite_path and target.sqlite_path.exists()):
        raise InvalidCommand(f"no store at {conf.db}")
    return audit_log(bootstrap(conf))


# -------------------------------------------------------------------------------- keys
def keys_generate(
    db: Db = None,
    as_json: Json = False,
    key_dir: KeyDir = None,
    origin: Origin = None,
    name: Annotated[str | None, typer.Option(help="key name (default: the origin)")] = None,
) -> None:
    """Generate a new signing key and make it the active one (rotation)."""
    conf = _settings(db, key_dir, origin)
    keys: LogKeyStore = log_keys(conf)
    verifier = keys.generate(name or conf.origin or default_origin())
    emit(
        as_json,
        {"vkey": verifier.vkey, "key_id": f"{verifier.key_id:08x}", "key_dir": str(keys.directory)},
        lambda d: print(d["vkey"]),
    )


def keys_show(
    db: Db = None,
    as_json: Json = False,
    key_dir: KeyDir = None,
    origin: Origin = None,
    every: Annotated[bool, typer.Option("--all", help="every key, newest first")] = False,
) -> None:
    """Print the active verifier key (``--all``: every key, newest first)."""
    keys = log_keys(_settings(db, key_dir, origin)).verifiers()
    if not keys:
        raise InvalidCommand("no key yet: run `ledger keys generate`")
    shown = keys if every else keys[:1]
    emit(
        as_json,
        [{"vkey": k.vkey, "key_id": f"{k.key_id:08x}", "active": i == 0} for i, k in enumerate(shown)],
        lambda rows: print("\n".join(r["vkey"] for r in rows)),
    )


# ------------------------------------------------------------------------- checkpoints
def checkpoint(
    db: Db = None,
    as_json: Json = False,
    key_dir: KeyDir = None,
    origin: Origin = None,
) -> None:
    """Sync the log and print a signed checkpoint covering it."""
    audit = _audit(db, key_dir, origin)
    try:
        note, point = audit.checkpoint()
    finally:
        audit.close()
    emit(
        as_json,
        {"size": point.size, "origin": point.origin, "note": note.decode()},
        lambda d: print(d["note"], end=""),
    )


def run(
    db: Db = None,
    as_json: Json = False,
    key_dir: KeyDir = None,
    origin: Origin = None,
    every: Annotated[int, typer.Option(min=0, help="seconds between checkpoints")] = 60,
    duration: Annotated[int, typer.Option(min=0, help="stop after N seconds (0: never)")] = 0,
) -> None:
    """Follow the store live and sign a checkpoint every ``--every`` seconds."""
    audit = _audit(db, key_dir, origin)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    if duration:
        threading.Timer(duration, stop.set).start()

    def report(_: bytes, point: Any) -> None:
        print(f"checkpoint size {point.size}", flush=True)

    try:
        audit.run(stop, every=float(every), on_checkpoint=report)
    except KeyboardInterrupt:
        pass
    finally:
        stop.set()
        audit.close()


# ------------------------------------------------------------------------------ proofs
def prove(
    db: Db = None,
    as_json: Json = False,
    key_dir: KeyDir = None,
    origin: Origin = None,
    event: Annotated[str | None, typer.Option(help="event id <aggregate uuid>/<version>")] = None,
    position: Annotated[int | None, typer.Option(min=0, help="zero-based position")] = None,
    cert: Annotated[
        str | None, typer.Option("--certificate", help="every decision of a certificate's chain")
    ] = None,
    out: Annotated[
        str | None, typer.Option(help="write the proof to this file (a directory for --certificate)")
    ] = None,
) -> None:
    """Print the tlog-proof(s) of an event, a position or a certificate's decisions."""
    given = [x for x in (event, position, cert) if x is not None]
    if len(given) != 1:
        raise typer.BadParameter("give exactly one of --event, --position, --certificate")
    audit = _audit(db, key_dir, origin)
    try:
        if event:
            positions = [audit.position_of(event)]
        elif cert:
            positions = list(audit.certificate_positions(cert))
        else:
            positions = [int(position or 0)]
        proofs = [_proof_row(audit, p) for p in positions]
    finally:
        audit.close()
    single = cert is None
    if out:
        _write_proofs(Path(out), proofs, single)
        emit(
            as_json,
            [{k: v for k, v in r.items() if k != "proof"} for r in proofs],
            lambda rows: print(f"wrote {len(rows)} proof(s) to {out}"),
        )
        return
    emit(as_json, proofs, lambda rows: _print_proofs(rows, single))


def _proof_row(audit: AuditLog, position: int) -> dict[str, Any]:
    text = audit.inclusion_proof(position)
    leaf = orjson.loads(parse_tlog_proof(text).extra or b"{}")["leaf"]
    return {
        "position": position,
        "event_id": f"{leaf['originator_id']}/{leaf['originator_version']}",
        "type": leaf["topic"].rsplit(":", 1)[-1],
        "proof": text,
    }


def _print_proofs(rows: list[dict[str, Any]], single: bool) -> None:
    for row in rows:
        if not single:
            print(f"# position {row['position']}: {row['type']} {row['event_id']}")
        sys.stdout.write(row["proof"])


def _write_proofs(out: Path, rows: list[dict[str, Any]], single: bool) -> None:
    if single:
        out.write_text(rows[0]["proof"], encoding="utf-8")
        return
    out.mkdir(parents=True, exist_ok=True)
    for row in rows:
        (out / f"{row['position']}.tlog-proof").write_text(row["proof"], encoding="utf-8")


def read_vkeys(values: list[str]) -> list[str]:
    """Verifier keys given on the command line or in files, each one checked."""
    vkeys: list[str] = []
    for value in values:
        path = Path(value)
        if "+" not in value or path.is_file():
            if not path.is_file():
                raise InvalidCommand(f"--key {value!r} is neither a verifier key nor a file")
            vkeys += [ln.strip() for ln in path.read_text(encoding="utf-8").splitlines() if ln.strip()]
        else:
            vkeys.append(value.strip())
    for vkey in vkeys:
        try:
            parse_vkey(vkey)
        except KeyFormatError as exc:
            raise InvalidCommand(f"invalid verifier key {vkey[:40]!r}: {exc}") from None
    return vkeys


def verify_proof(
    file: Annotated[str, typer.Argument(help="proof file, or - for standard input")],
    key: Annotated[list[str], typer.Option(help="verifier key (vkey) or a file of vkeys; repeatable")],
    origin: Annotated[
        str | None,
        typer.Option(help="required checkpoint origin (env LEDGER_ORIGIN; default: any)", show_default=False),
    ] = None,
    as_json: Json = False,
) -> None:
    """Verify a proof offline, with no database: exit 0 valid, 4 invalid."""
    vkeys = read_vkeys(key)
    path = Path(file)
    if file != "-" and not path.is_file():
        raise InvalidCommand(f"no such file: {file}")
    text = sys.stdin.read() if file == "-" else path.read_bytes().decode("utf-8", "replace")
    try:
        proven = verify_event_proof(text, vkeys, origin=origin or settings().origin)
    except (IntegrityError, AuditError) as exc:
        sys.stderr.write(f"invalid proof: {exc}\n")
        raise typer.Exit(TAMPER_EXIT) from None
    emit(
        as_json,
        vars(proven),
        lambda p: print(
            f"valid: event {p['event_id']} ({p['topic'].rsplit(':', 1)[-1]}) is leaf {p['position']} of "
            f"{p['origin']} at tree size {p['tree_size']}, signed by {', '.join(p['signers'])}"
        ),
    )


def _checkpoint_arg(audit: AuditLog, value: str) -> tuple[bytes, Any]:
    if value.isdigit():
        note, point = audit.checkpoint_of_size(int(value))
        return note, point
    path = Path(value)
    if not path.is_file():
        raise InvalidCommand(f"{value!r} is neither a checkpoint size nor a note file")
    note = path.read_bytes()
    try:
        point, _ = open_checkpoint(note, [parse_vkey(k) for k in audit.verifiers()])
    except IntegrityError as exc:
        raise InvalidCommand(f"{value}: not a checkpoint signed by this log's keys: {exc}") from None
    return note, point


def consistency(
    old: Annotated[str, typer.Argument(help="checkpoint size or signed note file")],
    new: Annotated[str, typer.Argument(help="checkpoint size or signed note file")],
    db: Db = None,
    as_json: Json = False,
    key_dir: KeyDir = None,
    origin: Origin = None,
) -> None:
    """Print and verify the consistency proof between two checkpoints."""
    audit = _audit(db, key_dir, origin)
    try:
        _, first = _checkpoint_arg(audit, old)
        _, second = _checkpoint_arg(audit, new)
        if first.size > second.size:
            raise InvalidCommand(f"OLD (size {first.size}) is larger than NEW (size {second.size})")
        proof = audit.consistency_proof(first.size, second.size) if first.size else []
    finally:
        audit.close()
    data = {
        "old_size": first.size,
        "new_size": second.size,
        "old_root": base64.b64encode(first.root_hash).decode(),
        "new_root": base64.b64encode(second.root_hash).decode(),
        "proof": [base64.b64encode(h).decode() for h in proof],
        "consistent": True,
    }
    try:
        if first.size:
            verify_consistency_between(first, second, proof)
    except ProofError as exc:
        data["consistent"], data["error"] = False, str(exc)
    emit(as_json, data, _print_consistency)
    if not data["consistent"]:
        raise typer.Exit(TAMPER_EXIT)


def _print_consistency(d: dict[str, Any]) -> None:
    print(f"consistency {d['old_size']} -> {d['new_size']}")
    for line in d["proof"]:
        print(line)
    print("consistent" if d["consistent"] else f"NOT consistent: {d.get('error')}")


# ------------------------------------------------------------------------------ verify
def verify(
    db: Db = None,
    as_json: Json = False,
    key_dir: KeyDir = None,
    origin: Origin = None,
    key: Annotated[
        list[str] | None,
        typer.Option(help="extra verifier key (vkey) or file of vkeys for checkpoint signatures"),
    ] = None,
) -> None:
    """Recompute every leaf and check the tree and checkpoints; exit 4 on tampering."""
    vkeys = read_vkeys(key or [])
    audit = _audit(db, key_dir, origin)
    try:
        found = audit.verify(vkeys)
    finally:
        audit.close()
    emit(as_json, found.to_dict(), _print_report)
    if not found.ok:
        raise typer.Exit(TAMPER_EXIT)


def _print_report(d: dict[str, Any]) -> None:
    print(
        f"log size {d['size']}, {d['events_checked']} events checked, {d['pending']} pending, "
        f"{d['checkpoints_checked']} checkpoint(s) checked"
    )
    if d["problems"]:
        table(d["problems"], ["kind", "position", "aggregate_id", "version", "detail"])
        print(f"TAMPERING DETECTED: {len(d['problems'])} problem(s)")
    else:
        print("ok: every event matches the log and the signed checkpoints")


# ---------------------------------------------------------------------------- register
def register(app: typer.Typer) -> None:
    """Add the ``keys`` and ``audit`` verb groups."""
    keys = typer.Typer(help="signing keys of the integrity log", no_args_is_help=True)
    keys.command("generate", help="a new active signing key (rotation keeps the old ones)")(keys_generate)
    keys.command("show", help="the verifier key, C2SP vkey form")(keys_show)
    app.add_typer(keys, name="keys")
    audit = typer.Typer(help="integrity log: checkpoints, proofs, tamper detection", no_args_is_help=True)
    audit.command("run", help="follow the store live, checkpoint periodically")(run)
    audit.command("checkpoint", help="sync and print a signed checkpoint")(checkpoint)
    audit.command("prove", help="tlog-proof of an event, position or certificate")(prove)
    audit.command("verify-proof", help="verify a proof offline (no database)")(verify_proof)
    audit.command("consistency", help="consistency proof between two checkpoints")(consistency)
    audit.command("verify", help="recompute every leaf; exit 4 on tampering")(verify)
    app.add_typer(audit, name="audit")
