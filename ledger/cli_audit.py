"""CLI verbs of the integrity log: ``ledger keys …`` and ``ledger audit …``.

Exit codes (besides the CLI's 0/1/2): **4** — the integrity log or a proof does not verify
(``audit verify`` found tampering, ``audit verify-proof`` or ``audit consistency`` failed,
``audit prove`` met an event that no longer matches its leaf). ``audit verify-proof`` needs
no database. Settings: ``LEDGER_KEY_DIR`` (``--key-dir``) and ``LEDGER_ORIGIN``
(``--origin``).
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
import threading
import time
from pathlib import Path
from typing import Any

import structlog

from ledger.cli import Parser, add_store_args, emit, open_target, positive_int, table
from ledger.domain.errors import InvalidCommand

log = structlog.get_logger("ledger.cli_audit")


# ------------------------------------------------------------------------------ wiring
def _key_store(args: argparse.Namespace) -> Any:
    from ledger.adapters.keys import KeyStore, default_key_dir

    directory = Path(args.key_dir) if args.key_dir else default_key_dir(open_target(args))
    return KeyStore(directory)


def _audit(args: argparse.Namespace) -> Any:
    from ledger.adapters.store import open_store
    from ledger.audit.log import AuditLog
    from ledger.cli import StoreUnavailable, redact

    target = open_target(args)
    if target.kind == "sqlite" and not (target.sqlite_path and target.sqlite_path.exists()):
        raise InvalidCommand(f"no store at {args.db}")
    try:
        store = open_store(target)
        return AuditLog(target, store, keys=_key_store(args), origin=args.origin)
    except Exception as exc:
        raise StoreUnavailable(f"cannot open the store {redact(args.db)}: {exc}") from exc


def _add_common(p: argparse.ArgumentParser, store: bool = True) -> None:
    if store:
        add_store_args(p)
    p.add_argument("--key-dir", default=None,
                   help="key directory (env LEDGER_KEY_DIR; default .ledger/keys beside the store)")
    p.add_argument("--origin", default=None,
                   help="checkpoint origin (env LEDGER_ORIGIN; default ledger.example/cpu-clea-ledger)")


# -------------------------------------------------------------------------------- keys
def cmd_keys_generate(args: argparse.Namespace) -> int:
    """Generate a new signing key and make it the active one (rotation)."""
    from ledger.audit.log import default_origin

    keys = _key_store(args)
    verifier = keys.generate(args.name or args.origin or default_origin())
    emit(args, {"vkey": verifier.vkey, "key_id": f"{verifier.key_id:08x}",
                "key_dir": str(keys.directory)}, lambda d: print(d["vkey"]))
    return 0


def cmd_keys_show(args: argparse.Namespace) -> int:
    """Print the active verifier key (``--all``: every key, newest first)."""
    keys = _key_store(args).verifiers()
    if not keys:
        raise InvalidCommand("no key yet: run `ledger keys generate`")
    shown = keys if args.all else keys[:1]
    emit(args, [{"vkey": k.vkey, "key_id": f"{k.key_id:08x}", "active": i == 0}
                for i, k in enumerate(shown)], lambda rows: print("\n".join(r["vkey"] for r in rows)))
    return 0


# ------------------------------------------------------------------------- checkpoints
def cmd_checkpoint(args: argparse.Namespace) -> int:
    """Sync the log and print a signed checkpoint covering it (cosigned with a witness policy)."""
    if args.witness_policy:
        return _checkpoint_witnessed(args)
    audit = _audit(args)
    try:
        note, checkpoint = audit.checkpoint()
    finally:
        audit.close()
    emit(args, {"size": checkpoint.size, "origin": checkpoint.origin, "note": note.decode()},
         lambda d: print(d["note"], end=""))
    return 0


def _checkpoint_witnessed(args: argparse.Namespace) -> int:
    """Checkpoint, get it cosigned, print it with the cosignatures: exit 4 unless the quorum is met."""
    from ledger.audit.log import TAMPER_EXIT
    from ledger.audit.witnessing import cosign_checkpoint, read_policy

    policy = read_policy(Path(args.witness_policy))
    audit = _audit(args)
    try:
        result = cosign_checkpoint(audit, policy)
    finally:
        audit.close()
    for outcome in result.outcomes:
        sys.stderr.write(f"witness {outcome.name}: {outcome.status}"
                         f"{': ' + outcome.detail if outcome.detail else ''}\n")
    sys.stderr.write(f"{'' if result.quorum_met else 'QUORUM NOT MET: '}{result.detail}\n")
    emit(args, {"size": result.checkpoint.size, "origin": result.checkpoint.origin,
                "note": result.note.decode(), "quorum_met": result.quorum_met,
                "witnesses": [o.to_dict() for o in result.outcomes]},
         lambda d: print(d["note"], end=""))
    return 0 if result.quorum_met else TAMPER_EXIT


def cmd_run(args: argparse.Namespace) -> int:
    """Follow the store live and sign a checkpoint every ``--every`` seconds."""
    audit = _audit(args)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    if args.duration:
        threading.Timer(args.duration, stop.set).start()

    policy = None
    if args.witness_policy:
        from ledger.audit.witnessing import cosign_checkpoint, read_policy

        policy = read_policy(Path(args.witness_policy))

    def report(_: bytes, checkpoint: Any) -> None:
        witnessed = "" if policy is None else f", {cosign_checkpoint(audit, policy).detail}"
        print(f"checkpoint size {checkpoint.size}{witnessed}", flush=True)

    try:
        audit.run(stop, every=float(args.every), on_checkpoint=report)
    except KeyboardInterrupt:
        pass
    finally:
        stop.set()
        audit.close()
    return 0


# ------------------------------------------------------------------------------ proofs
def cmd_prove(args: argparse.Namespace) -> int:
    """Print the tlog-proof(s) of an event, a position or a certificate's decisions."""
    audit = _audit(args)
    try:
        positions = _positions(audit, args)
        proofs = [_proof_row(audit, p) for p in positions]
    finally:
        audit.close()
    if args.out:
        _write_proofs(Path(args.out), proofs, single=args.certificate is None)
        emit(args, [{k: v for k, v in r.items() if k != "proof"} for r in proofs],
             lambda rows: print(f"wrote {len(rows)} proof(s) to {args.out}"))
        return 0
    if args.certificate and not args.json:
        from ledger.audit.bundle import make_bundle

        sys.stdout.write(make_bundle(args.certificate, proofs))
        return 0
    emit(args, proofs, lambda rows: print(rows[0]["proof"], end=""))
    return 0


def _positions(audit: Any, args: argparse.Namespace) -> list[int]:
    if args.event:
        return [audit.position_of(args.event)]
    if args.certificate:
        return list(audit.certificate_positions(args.certificate))
    return [int(args.position)]


def _proof_row(audit: Any, position: int) -> dict[str, Any]:
    from ledger.integrity import parse_tlog_proof

    text = audit.inclusion_proof(position)
    import orjson

    extra = parse_tlog_proof(text).extra
    leaf = orjson.loads(extra or b"{}")["leaf"]
    return {"position": position, "event_id": f"{leaf['originator_id']}/{leaf['originator_version']}",
            "type": leaf["topic"].rsplit(":", 1)[-1], "proof": text}


def _write_proofs(out: Path, rows: list[dict[str, Any]], single: bool) -> None:
    if single:
        out.write_text(rows[0]["proof"], encoding="utf-8")
        return
    out.mkdir(parents=True, exist_ok=True)
    for row in rows:
        (out / f"{row['position']}.tlog-proof").write_text(row["proof"], encoding="utf-8")


def _read_vkeys(values: list[str]) -> list[str]:
    """Verifier keys given on the command line or in files, each one checked."""
    from ledger.integrity import KeyFormatError, parse_vkey

    vkeys = _vkey_strings(values)
    for vkey in vkeys:
        try:
            parse_vkey(vkey)
        except KeyFormatError as exc:
            raise InvalidCommand(f"invalid verifier key {vkey[:40]!r}: {exc}") from None
    return vkeys


def _vkey_strings(values: list[str]) -> list[str]:
    vkeys: list[str] = []
    for value in values:
        path = Path(value)
        if "+" not in value or path.is_file():
            if not path.is_file():
                raise InvalidCommand(f"--key {value!r} is neither a verifier key nor a file")
            vkeys += [ln.strip() for ln in path.read_text(encoding="utf-8").splitlines() if ln.strip()]
        else:
            vkeys.append(value.strip())
    return vkeys


def cmd_verify_proof(args: argparse.Namespace) -> int:
    """Verify a proof (or a proof bundle) offline, with no database: exit 0 valid, 4 invalid.

    With ``--witness-policy`` the checkpoint must also carry the policy's quorum of witness
    cosignatures.
    """
    from ledger.audit.bundle import read_proofs
    from ledger.audit.log import TAMPER_EXIT, AuditError, verify_event_proof
    from ledger.integrity import IntegrityError

    policy = _policy(args)
    if not args.key and (policy is None or not policy.logs):
        raise InvalidCommand("give --key (the log's verifier key) or a --witness-policy with a 'log' line")
    vkeys = _read_vkeys(args.key or [])
    path = Path(args.file)
    if args.file != "-" and not path.is_file():
        raise InvalidCommand(f"no such file: {args.file}")
    text = sys.stdin.read() if args.file == "-" else path.read_bytes().decode("utf-8", "replace")
    proven = []
    for number, proof in enumerate(read_proofs(text), start=1):
        try:
            proven.append(vars(verify_event_proof(proof, vkeys, origin=args.origin, policy=policy)))
        except (IntegrityError, AuditError) as exc:
            sys.stderr.write(f"invalid proof{f' #{number}' if number > 1 else ''}: {exc}\n")
            return TAMPER_EXIT
    emit(args, proven[0] if len(proven) == 1 else proven, _print_proven)
    return 0


def _print_proven(proven: Any) -> None:
    for p in proven if isinstance(proven, list) else [proven]:
        _print_one_proven(p)


def _print_one_proven(p: dict[str, Any]) -> None:
    witnessed = f", cosigned by {', '.join(p['witnesses'])}" if p["witnesses"] else ""
    print(f"valid: event {p['event_id']} ({p['topic'].rsplit(':', 1)[-1]}) is leaf {p['position']} of "
          f"{p['origin']} at tree size {p['tree_size']}, signed by {', '.join(p['signers'])}{witnessed}")


def _policy(args: argparse.Namespace) -> Any:
    """The witness policy of ``--witness-policy`` (env LEDGER_WITNESS_POLICY), or ``None``."""
    from ledger.audit.witnessing import read_policy

    return read_policy(Path(args.witness_policy)) if args.witness_policy else None


def _checkpoint_arg(audit: Any, value: str) -> tuple[bytes, Any]:
    from ledger.integrity import IntegrityError, open_checkpoint, parse_vkey

    if value.isdigit():
        note, checkpoint = audit.checkpoint_of_size(int(value))
        return note, checkpoint
    path = Path(value)
    if not path.is_file():
        raise InvalidCommand(f"{value!r} is neither a checkpoint size nor a note file")
    note = path.read_bytes()
    try:
        checkpoint, _ = open_checkpoint(note, [parse_vkey(k) for k in audit.verifiers()])
    except IntegrityError as exc:
        raise InvalidCommand(f"{value}: not a checkpoint signed by this log's keys: {exc}") from None
    return note, checkpoint


def cmd_consistency(args: argparse.Namespace) -> int:
    """Print and verify the consistency proof between two checkpoints."""
    import base64

    from ledger.audit.log import TAMPER_EXIT, verify_consistency_between
    from ledger.integrity import ProofError

    audit = _audit(args)
    try:
        _, old = _checkpoint_arg(audit, args.old)
        _, new = _checkpoint_arg(audit, args.new)
        if old.size > new.size:
            raise InvalidCommand(f"OLD (size {old.size}) is larger than NEW (size {new.size})")
        proof = audit.consistency_proof(old.size, new.size) if old.size else []
    finally:
        audit.close()
    data = {"old_size": old.size, "new_size": new.size,
            "old_root": base64.b64encode(old.root_hash).decode(),
            "new_root": base64.b64encode(new.root_hash).decode(),
            "proof": [base64.b64encode(h).decode() for h in proof], "consistent": True}
    try:
        if old.size:
            verify_consistency_between(old, new, proof)
    except ProofError as exc:
        data["consistent"], data["error"] = False, str(exc)
    emit(args, data, _print_consistency)
    return 0 if data["consistent"] else TAMPER_EXIT


def _print_consistency(d: dict[str, Any]) -> None:
    print(f"consistency {d['old_size']} -> {d['new_size']}")
    for line in d["proof"]:
        print(line)
    print("consistent" if d["consistent"] else f"NOT consistent: {d.get('error')}")


# ------------------------------------------------------------------------------ verify
def cmd_verify(args: argparse.Namespace) -> int:
    """Recompute every leaf and check the tree and checkpoints; exit 4 on tampering."""
    from ledger.audit.log import TAMPER_EXIT

    vkeys = _read_vkeys(args.key or [])
    audit = _audit(args)
    try:
        report = audit.verify(vkeys)
    finally:
        audit.close()
    emit(args, report.to_dict(), _print_report)
    return 0 if report.ok else TAMPER_EXIT


def _print_report(d: dict[str, Any]) -> None:
    print(f"log size {d['size']}, {d['events_checked']} events checked, {d['pending']} pending, "
          f"{d['checkpoints_checked']} checkpoint(s) checked")
    if d["problems"]:
        table(d["problems"], ["kind", "position", "aggregate_id", "version", "detail"])
        print(f"TAMPERING DETECTED: {len(d['problems'])} problem(s)")
    else:
        print("ok: every event matches the log and the signed checkpoints")


# ----------------------------------------------------------------- tiles and monitoring
def cmd_publish(args: argparse.Namespace) -> int:
    """Write (or bring up to date) the log as static c2sp.org/tlog-tiles files in DIR."""
    from ledger.audit.publish import publish

    audit = _audit(args)
    try:
        report = publish(audit.db, Path(args.dir), audit.keys.verifiers())
    finally:
        audit.close()
    emit(args, report.to_dict(), lambda d: print(
        f"published size {d['size']} (was {d['previous']}) to {d['directory']}: "
        f"{d['written']} file(s) written, {d['unchanged']} unchanged"))
    return 0


def cmd_monitor(args: argparse.Namespace) -> int:
    """Follow a remote log through its tiles; exit 4 with both checkpoints on a split view."""
    from ledger.audit.log import TAMPER_EXIT
    from ledger.audit.monitor import (
        LogMisbehaviour,
        MonitorUnavailable,
        SplitView,
        default_state_path,
        monitor_once,
        open_source,
    )
    from ledger.integrity import parse_vkey

    verifiers = [parse_vkey(k) for k in _read_vkeys(args.key)]
    policy = _policy(args)
    state = Path(args.state) if args.state else default_state_path(verifiers[0].name)
    source = open_source(args.url)
    deadline = time.monotonic() + args.duration if args.duration else None
    try:
        while True:
            report = monitor_once(source, verifiers, state, policy=policy, origin=args.origin)
            emit(args, report.to_dict(), _print_monitor)
            if not args.every or (deadline and time.monotonic() + args.every > deadline):
                return 0
            time.sleep(args.every)
    except SplitView as exc:
        sys.stderr.write(f"SPLIT VIEW: {exc}\n")
        print(f"== checkpoint seen before ==\n{exc.seen.decode()}\n"
              f"== checkpoint now ==\n{exc.new.decode()}", end="")
        return TAMPER_EXIT
    except LogMisbehaviour as exc:
        sys.stderr.write(f"LOG MISBEHAVES: {exc}\n")
        return TAMPER_EXIT
    except MonitorUnavailable as exc:
        sys.stderr.write(f"error: {exc}\n")
        return 1
    finally:
        source.close()


def _print_monitor(d: dict[str, Any]) -> None:
    witnessed = f", cosigned by {', '.join(d['witnesses'])}" if d["witnesses"] else ""
    print(f"{d['origin']}: size {d['previous_size']} -> {d['size']}, consistent, "
          f"{d['new_entries']} new entr{'y' if d['new_entries'] == 1 else 'ies'} checked{witnessed}",
          flush=True)


# ---------------------------------------------------------------------------- witness
def cmd_witness_keygen(args: argparse.Namespace) -> int:
    """Create a witness's cosignature key file (0600) and print its vkey."""
    from ledger.audit.witness_server import generate_witness_key
    from ledger.integrity import KeyFormatError

    out = Path(args.out)
    if out.exists():
        raise InvalidCommand(f"{out} exists: a witness key is never overwritten")
    try:
        vkey = generate_witness_key(args.name, out)
    except KeyFormatError as exc:
        raise InvalidCommand(f"invalid witness name {args.name!r}: {exc} (no spaces, no '+')") from None
    emit(args, {"vkey": vkey, "key_file": str(out)}, lambda d: print(d["vkey"]))
    return 0


def cmd_witness_serve(args: argparse.Namespace) -> int:
    """Witness other logs (c2sp.org/tlog-witness) until interrupted."""
    import contextlib

    import uvicorn

    from ledger.audit.witness_server import WitnessState, load_witness_key, read_log_list, witness_app

    signer = load_witness_key(Path(args.key))
    logs = read_log_list(Path(args.logs))
    Path(args.state).parent.mkdir(parents=True, exist_ok=True)
    state = WitnessState(Path(args.state))
    print(f"witness {signer.name} on http://{args.host}:{args.port} for {len(logs)} log(s)\n"
          f"  vkey: {signer.verifier.vkey}", flush=True)
    try:
        with contextlib.suppress(KeyboardInterrupt):
            uvicorn.run(witness_app(signer, logs, state), host=args.host, port=args.port, log_level="warning")
    finally:
        state.close()
    return 0


def _register_witness(sub: Any) -> None:
    p = sub.add_parser("witness", help="witness other bodies' logs (c2sp.org/tlog-witness)")
    wsub = p.add_subparsers(dest="what", required=True, parser_class=Parser)
    s = wsub.add_parser("keygen", help="create the witness's cosignature key file, print its vkey")
    s.add_argument("--name", required=True, help="witness name, URL-like (e.g. witness.example/be)")
    s.add_argument("--out", required=True, help="key file to create (mode 0600, never overwritten)")
    s.add_argument("--json", action="store_true", help="print JSON")
    s.set_defaults(func=cmd_witness_keygen)
    s = wsub.add_parser("serve", help="serve add-checkpoint for the logs of a log list")
    s.add_argument("--key", required=True, help="witness key file (ledger witness keygen)")
    s.add_argument("--logs", required=True, help="file of 'log <vkey> [<url>]' lines: the logs to witness")
    s.add_argument("--state", default=".ledger/witness-state.db",
                   help="SQLite file of the latest cosigned size per log (default .ledger/witness-state.db)")
    s.add_argument("--host", default="127.0.0.1")
    s.add_argument("--port", type=positive_int, default=7380)
    s.set_defaults(func=cmd_witness_serve)


# ---------------------------------------------------------------------------- register
def register(sub: Any) -> None:
    """Add ``keys`` and ``audit`` verb groups."""
    p = sub.add_parser("keys", help="signing keys of the integrity log")
    ksub = p.add_subparsers(dest="what", required=True, parser_class=Parser)
    s = ksub.add_parser("generate", help="a new active signing key (rotation keeps the old ones)")
    _add_common(s)
    s.add_argument("--name", help="key name (default: the origin)")
    s.set_defaults(func=cmd_keys_generate)
    s = ksub.add_parser("show", help="the verifier key, C2SP vkey form")
    _add_common(s)
    s.add_argument("--all", action="store_true", help="every key, newest first")
    s.set_defaults(func=cmd_keys_show)
    _register_audit(sub)
    _register_witness(sub)


def _register_audit(sub: Any) -> None:
    p = sub.add_parser("audit", help="integrity log: checkpoints, proofs, tamper detection")
    asub = p.add_subparsers(dest="what", required=True, parser_class=Parser)
    s = asub.add_parser("run", help="follow the store live, checkpoint periodically")
    _add_common(s)
    s.add_argument("--every", type=positive_int, default=60, help="seconds between checkpoints")
    s.add_argument("--duration", type=positive_int, default=0, help="stop after N seconds (0: never)")
    _policy_arg(s)
    s.set_defaults(func=cmd_run)
    s = asub.add_parser("checkpoint", help="sync and print a signed checkpoint")
    _add_common(s)
    _policy_arg(s)
    s.set_defaults(func=cmd_checkpoint)
    s = asub.add_parser("prove", help="tlog-proof of an event, position or certificate")
    _add_common(s)
    which = s.add_mutually_exclusive_group(required=True)
    which.add_argument("--event", help="event id <aggregate uuid>/<version>")
    which.add_argument("--position", type=positive_int, help="zero-based position")
    which.add_argument("--certificate", help="every decision of a certificate's chain")
    s.add_argument("--out", help="write the proof to this file (--certificate: a directory, one "
                                 "<position>.tlog-proof per decision; without --out a JSON proof bundle)")
    s.set_defaults(func=cmd_prove)
    s = asub.add_parser("verify-proof", help="verify a proof or proof bundle offline (no database)")
    s.add_argument("file", help="proof or proof bundle file, or - for standard input")
    s.add_argument("--key", action="append",
                   help="verifier key (vkey) or a file of vkeys; repeatable (optional when the "
                        "witness policy has a 'log' line)")
    _policy_arg(s)
    s.add_argument("--origin", default=os.environ.get("LEDGER_ORIGIN"),
                   help="required checkpoint origin (env LEDGER_ORIGIN; default: any)")
    s.add_argument("--json", action="store_true", help="print JSON")
    s.set_defaults(func=cmd_verify_proof)
    s = asub.add_parser("consistency", help="consistency proof between two checkpoints")
    _add_common(s)
    s.add_argument("old", help="checkpoint size or signed note file")
    s.add_argument("new", help="checkpoint size or signed note file")
    s.set_defaults(func=cmd_consistency)
    s = asub.add_parser("verify", help="recompute every leaf; exit 4 on tampering")
    _add_common(s)
    s.add_argument("--key", action="append",
                   help="extra verifier key (vkey) or file of vkeys for checkpoint signatures")
    s.set_defaults(func=cmd_verify)
    s = asub.add_parser("publish", help="write the log as static c2sp.org/tlog-tiles files")
    _add_common(s)
    s.add_argument("dir", help="directory to write (again: brought up to date)")
    s.set_defaults(func=cmd_publish)
    s = asub.add_parser("monitor", help="follow a remote tiled log, exit 4 on a split view")
    s.add_argument("url", help="the log's tiles prefix (https://…/log) or a published directory")
    s.add_argument("--key", action="append", required=True, help="the log's verifier key (vkey) or a file")
    s.add_argument("--state", help="state file (default .ledger/monitor/<origin hash>.json)")
    s.add_argument("--origin", default=None, help="required checkpoint origin (default: any)")
    s.add_argument("--every", type=positive_int, default=0, help="check again every N seconds (0: once)")
    s.add_argument("--duration", type=positive_int, default=0, help="with --every: stop after N seconds")
    s.add_argument("--json", action="store_true", help="print JSON")
    _policy_arg(s)
    s.set_defaults(func=cmd_monitor)


def _policy_arg(p: argparse.ArgumentParser) -> None:
    p.add_argument("--witness-policy", default=os.environ.get("LEDGER_WITNESS_POLICY") or None,
                   help="witness policy file (env LEDGER_WITNESS_POLICY): log, witness, group, quorum lines")
