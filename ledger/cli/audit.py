"""``ledger keys …`` and ``ledger audit …``: the integrity log's keys, checkpoints, proofs.

Exit codes (besides the CLI's 0/1/2): **4** — the integrity log or a proof does not verify
(``audit verify`` found tampering, ``audit verify-proof`` or ``audit consistency`` failed, a
witness quorum was not met, ``audit monitor`` caught a split view or a misbehaving log).
``audit verify-proof`` and ``audit monitor`` need no database. Settings: ``LEDGER_KEY_DIR``
(``--key-dir``), ``LEDGER_ORIGIN`` (``--origin``), ``LEDGER_WITNESS_POLICY``
(``--witness-policy``). Heavy modules (the log, httpx, the witness protocol) are imported
inside the verbs that use them: the console script starts fast.
"""

from __future__ import annotations

import base64
import signal
import sys
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from ledger.cli.common import Db, Json, KeyDir, emit, settings, table
from ledger.cli.help import add_examples
from ledger.domain.errors import InvalidCommand
from ledger.i18n import _

if TYPE_CHECKING:
    from ledger.adapters.keys import LogKeyStore
    from ledger.audit.log import AuditLog
    from ledger.integrity import WitnessPolicy
    from ledger.settings import Settings

Origin = Annotated[
    str | None,
    typer.Option(
        "--origin",
        help="checkpoint origin (env LEDGER_ORIGIN; default ledger.example/cpu-clea-ledger)",
        show_default=False,
    ),
]

WitnessPolicyFile = Annotated[
    str | None,
    typer.Option(
        "--witness-policy",
        help="witness policy file: log, witness, group, quorum lines (env LEDGER_WITNESS_POLICY)",
        show_default=False,
    ),
]


# ------------------------------------------------------------------------------ wiring
def _settings(db: str | None, key_dir: str | None, origin: str | None) -> Settings:
    return settings(db=db, key_dir=key_dir, origin=origin)


def witness_policy(flag: str | None) -> WitnessPolicy | None:
    """The policy of ``--witness-policy`` (else ``LEDGER_WITNESS_POLICY``), or ``None``."""
    path = settings(witness_policy=flag).witness_policy
    if path is None:
        return None
    from ledger.audit.witnessing import read_policy

    return read_policy(path)


def _audit(db: str | None, key_dir: str | None, origin: str | None) -> AuditLog:
    from ledger.bootstrap import audit_log, bootstrap

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
    from ledger.audit.log import default_origin
    from ledger.bootstrap import log_keys

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
    from ledger.bootstrap import log_keys

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
    policy_file: WitnessPolicyFile = None,
) -> None:
    """Sync the log and print a signed checkpoint covering it (cosigned with a witness policy)."""
    policy = witness_policy(policy_file)
    if policy is not None:
        _checkpoint_witnessed(_audit(db, key_dir, origin), policy, as_json)
        return
    audit = _audit(db, key_dir, origin)
    try:
        note, point = audit.checkpoint()
    finally:
        audit.close()
    emit(
        as_json,
        {"size": point.size, "origin": point.origin, "note": note.decode()},
        _print_checkpoint,
    )


def _print_checkpoint(d: dict[str, Any]) -> None:
    """The signed checkpoint as is on standard output; what it is, on standard error."""
    sys.stderr.write(
        _(
            "signed checkpoint of the log {origin}: its first {size} event(s); keep it to check later "
            "that the log only grew (ledger audit consistency)"
        ).format(origin=d["origin"], size=d["size"])
        + "\n"
    )
    print(d["note"], end="")


def _checkpoint_witnessed(audit: AuditLog, policy: WitnessPolicy, as_json: bool) -> None:
    """Checkpoint, get it cosigned, print it with its cosignatures: exit 4 unless the quorum is met."""
    from ledger.audit.log import TAMPER_EXIT
    from ledger.audit.witnessing import cosign_checkpoint

    try:
        result = cosign_checkpoint(audit, policy)
    finally:
        audit.close()
    for outcome in result.outcomes:
        detail = f": {outcome.detail}" if outcome.detail else ""
        sys.stderr.write(f"witness {outcome.name}: {outcome.status}{detail}\n")
    sys.stderr.write(f"{'' if result.quorum_met else 'QUORUM NOT MET: '}{result.detail}\n")
    data = {
        "size": result.checkpoint.size,
        "origin": result.checkpoint.origin,
        "note": result.note.decode(),
        "quorum_met": result.quorum_met,
        "witnesses": [o.to_dict() for o in result.outcomes],
    }
    emit(as_json, data, lambda d: print(d["note"], end=""))
    if not result.quorum_met:
        raise typer.Exit(TAMPER_EXIT)


def run(
    db: Db = None,
    as_json: Json = False,
    key_dir: KeyDir = None,
    origin: Origin = None,
    every: Annotated[int, typer.Option(min=0, help="seconds between checkpoints")] = 60,
    duration: Annotated[int, typer.Option(min=0, help="stop after N seconds (0: never)")] = 0,
    policy_file: WitnessPolicyFile = None,
) -> None:
    """Follow the store live and sign a checkpoint every ``--every`` seconds (witnessed with a policy)."""
    policy = witness_policy(policy_file)
    audit = _audit(db, key_dir, origin)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    if duration:
        threading.Timer(duration, stop.set).start()

    def report(_note: bytes, point: Any) -> None:
        witnessed = ""
        if policy is not None:
            from ledger.audit.witnessing import cosign_checkpoint

            witnessed = f", {cosign_checkpoint(audit, policy).detail}"
        print(_("checkpoint size {size}").format(size=point.size) + witnessed, flush=True)

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
        str | None,
        typer.Option(
            help="write the proof to this file (--certificate: a directory, one <position>.tlog-proof "
            "per decision; without --out, --certificate prints a JSON proof bundle)"
        ),
    ] = None,
) -> None:
    """Print the tlog-proof(s) of an event, a position or a certificate's decisions.

    ``--certificate`` without ``--out`` prints one JSON document, a ``ledger-proof-bundle/v1``
    (:mod:`ledger.audit.bundle`) that ``audit verify-proof`` reads back.
    """
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
            lambda rows: print(_("wrote {count} proof(s) to {file}").format(count=len(rows), file=out)),
        )
        return
    if not single and not as_json:
        from ledger.audit.bundle import make_bundle

        sys.stdout.write(make_bundle(str(cert), proofs))
        return
    emit(as_json, proofs, lambda rows: print(rows[0]["proof"], end=""))


def _proof_row(audit: AuditLog, position: int) -> dict[str, Any]:
    import orjson

    from ledger.integrity import parse_tlog_proof

    text = audit.inclusion_proof(position)
    leaf = orjson.loads(parse_tlog_proof(text).extra or b"{}")["leaf"]
    return {
        "position": position,
        "event_id": f"{leaf['originator_id']}/{leaf['originator_version']}",
        "type": leaf["topic"].rsplit(":", 1)[-1],
        "proof": text,
    }


def _write_proofs(out: Path, rows: list[dict[str, Any]], single: bool) -> None:
    if single:
        out.write_text(rows[0]["proof"], encoding="utf-8")
        return
    out.mkdir(parents=True, exist_ok=True)
    for row in rows:
        (out / f"{row['position']}.tlog-proof").write_text(row["proof"], encoding="utf-8")


def read_vkeys(values: list[str]) -> list[str]:
    """Verifier keys given on the command line or in files, each one checked."""
    from ledger.integrity import KeyFormatError, parse_vkey

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
    file: Annotated[str, typer.Argument(help="proof or proof bundle file, or - for standard input")],
    key: Annotated[
        list[str] | None,
        typer.Option(
            help="verifier key (vkey) or a file of vkeys; repeatable (optional when the witness "
            "policy has a 'log' line)"
        ),
    ] = None,
    origin: Annotated[
        str | None,
        typer.Option(help="required checkpoint origin (env LEDGER_ORIGIN; default: any)", show_default=False),
    ] = None,
    as_json: Json = False,
    policy_file: WitnessPolicyFile = None,
) -> None:
    """Verify a proof or proof bundle offline, with no database: exit 0 valid, 4 invalid.

    With a witness policy the checkpoint must also carry the policy's quorum of cosignatures.
    """
    from ledger.audit.bundle import read_proofs
    from ledger.audit.errors import AuditError
    from ledger.audit.log import TAMPER_EXIT, verify_event_proof
    from ledger.integrity import IntegrityError

    policy = witness_policy(policy_file)
    if not key and (policy is None or not policy.logs):
        raise InvalidCommand("give --key (the log's verifier key) or a --witness-policy with a 'log' line")
    vkeys = read_vkeys(key or [])
    path = Path(file)
    if file != "-" and not path.is_file():
        raise InvalidCommand(f"no such file: {file}")
    text = sys.stdin.read() if file == "-" else path.read_bytes().decode("utf-8", "replace")
    required = origin or settings().origin
    proven = []
    for number, proof in enumerate(read_proofs(text), start=1):
        try:
            proven.append(vars(verify_event_proof(proof, vkeys, origin=required, policy=policy)))
        except (IntegrityError, AuditError) as exc:
            sys.stderr.write(f"invalid proof{f' #{number}' if number > 1 else ''}: {exc}\n")
            raise typer.Exit(TAMPER_EXIT) from None
    emit(as_json, proven[0] if len(proven) == 1 else proven, _print_proven)


def _print_proven(proven: Any) -> None:
    from ledger.i18n.vocabulary import event_label

    for p in proven if isinstance(proven, list) else [proven]:
        witnessed = (
            _(", cosigned by {witnesses}").format(witnesses=", ".join(p["witnesses"]))
            if p["witnesses"]
            else ""
        )
        print(
            _(
                "valid: event {event} ({type}) is leaf {position} of {origin} at tree size {size}, "
                "signed by {signers}"
            ).format(
                event=p["event_id"],
                type=event_label(p["topic"].rsplit(":", 1)[-1]),
                position=p["position"],
                origin=p["origin"],
                size=p["tree_size"],
                signers=", ".join(p["signers"]),
            )
            + witnessed
        )


def _checkpoint_arg(audit: AuditLog, value: str) -> tuple[bytes, Any]:
    from ledger.integrity import IntegrityError, open_checkpoint, parse_vkey

    if value.isdigit():
        note, point = audit.checkpoint_of_size(int(value))
        return note, point
    path = Path(value)
    if not path.is_file():
        raise InvalidCommand(f"{value!r} is neither a checkpoint size nor a note file")
    note = path.read_bytes()
    try:
        point, _sig = open_checkpoint(note, [parse_vkey(k) for k in audit.verifiers()])
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
    from ledger.audit.log import TAMPER_EXIT, verify_consistency_between
    from ledger.integrity import ProofError

    audit = _audit(db, key_dir, origin)
    try:
        _old, first = _checkpoint_arg(audit, old)
        _new, second = _checkpoint_arg(audit, new)
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
    print(_("consistency {old} -> {new}").format(old=d["old_size"], new=d["new_size"]))
    for line in d["proof"]:
        print(line)
    print(_("consistent") if d["consistent"] else _("NOT consistent: {error}").format(error=d.get("error")))


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
    from ledger.audit.log import TAMPER_EXIT

    vkeys = read_vkeys(key or [])
    from ledger.cli.common import progress

    audit = _audit(db, key_dir, origin)
    try:
        total = int(audit.store.recorder.max_notification_id() or 0)
        with progress(_("verifying the log"), total) as advance:
            counted = [0]

            def checked(count: int) -> None:
                counted[0] += count
                advance(count)

            found = audit.verify(vkeys, on_progress=checked)
            advance(max(total - counted[0], 0))
    finally:
        audit.close()
    emit(as_json, found.to_dict(), _print_report)
    if not found.ok:
        raise typer.Exit(TAMPER_EXIT)


def _print_report(d: dict[str, Any]) -> None:
    print(
        _(
            "log size {size}, {checked} events checked, {pending} pending, "
            "{checkpoints} checkpoint(s) checked"
        ).format(
            size=d["size"],
            checked=d["events_checked"],
            pending=d["pending"],
            checkpoints=d["checkpoints_checked"],
        )
    )
    if d["problems"]:
        table(d["problems"], ["kind", "position", "aggregate_id", "version", "detail"])
        print(_("TAMPERING DETECTED: {count} problem(s)").format(count=len(d["problems"])))
    else:
        print(_("ok: every event matches the log and the signed checkpoints"))


# ----------------------------------------------------------------- tiles and monitoring
def publish(
    directory: Annotated[
        str, typer.Argument(metavar="DIR", help="directory to write (again: brought up to date)")
    ],
    db: Db = None,
    as_json: Json = False,
    key_dir: KeyDir = None,
    origin: Origin = None,
) -> None:
    """Write (or bring up to date) the log as static c2sp.org/tlog-tiles files in DIR."""
    from ledger.audit.publish import publish as publish_tiles

    audit = _audit(db, key_dir, origin)
    try:
        done = publish_tiles(audit.db, Path(directory), audit.keys.verifiers())
    finally:
        audit.close()
    emit(
        as_json,
        done.to_dict(),
        lambda d: print(
            f"published size {d['size']} (was {d['previous']}) to {d['directory']}: "
            f"{d['written']} file(s) written, {d['unchanged']} unchanged"
        ),
    )


def monitor(
    url: Annotated[
        str, typer.Argument(help="the log's tiles prefix (https://…/log) or a published directory")
    ],
    key: Annotated[list[str], typer.Option(help="the log's verifier key (vkey) or a file of vkeys")],
    state: Annotated[
        str | None, typer.Option(help="state file (default .ledger/monitor/<origin hash>.json)")
    ] = None,
    origin: Annotated[str | None, typer.Option(help="required checkpoint origin (default: any)")] = None,
    every: Annotated[int, typer.Option(min=0, help="check again every N seconds (0: once)")] = 0,
    duration: Annotated[int, typer.Option(min=0, help="with --every: stop after N seconds")] = 0,
    as_json: Json = False,
    policy_file: WitnessPolicyFile = None,
) -> None:
    """Follow a remote log through its tiles; exit 4 with both checkpoints on a split view."""
    from ledger.audit.monitor import default_state_path, open_source
    from ledger.integrity import parse_vkey

    verifiers = [parse_vkey(k) for k in read_vkeys(key)]
    policy = witness_policy(policy_file)
    where = Path(state) if state else default_state_path(verifiers[0].name)
    source = open_source(url)
    try:
        code = _follow(source, verifiers, where, policy, origin, every, duration, as_json)
    finally:
        source.close()
    if code:
        raise typer.Exit(code)


def _follow(
    source: Any,
    verifiers: list[Any],
    where: Path,
    policy: WitnessPolicy | None,
    origin: str | None,
    every: int,
    duration: int,
    as_json: bool,
) -> int:
    """Check the log once, or every ``every`` seconds for ``duration``; the exit code."""
    from ledger.audit.log import TAMPER_EXIT
    from ledger.audit.monitor import LogMisbehaviour, MonitorUnavailable, SplitView, monitor_once

    deadline = time.monotonic() + duration if duration else None
    try:
        while True:
            found = monitor_once(source, verifiers, where, policy=policy, origin=origin)
            emit(as_json, found.to_dict(), _print_monitor)
            if not every or (deadline and time.monotonic() + every > deadline):
                return 0
            time.sleep(every)
    except SplitView as exc:
        sys.stderr.write(f"SPLIT VIEW: {exc}\n")
        print(
            f"== checkpoint seen before ==\n{exc.seen.decode()}\n== checkpoint now ==\n{exc.new.decode()}",
            end="",
        )
        return TAMPER_EXIT
    except LogMisbehaviour as exc:
        sys.stderr.write(f"LOG MISBEHAVES: {exc}\n")
        return TAMPER_EXIT
    except MonitorUnavailable as exc:
        sys.stderr.write(f"error: {exc}\n")
        return 1


def _print_monitor(d: dict[str, Any]) -> None:
    witnessed = f", cosigned by {', '.join(d['witnesses'])}" if d["witnesses"] else ""
    entries = f"{d['new_entries']} new entr{'y' if d['new_entries'] == 1 else 'ies'}"
    print(
        f"{d['origin']}: size {d['previous_size']} -> {d['size']}, consistent, {entries} checked{witnessed}",
        flush=True,
    )


# ---------------------------------------------------------------------------- register
def register(app: typer.Typer) -> None:
    """Add the ``keys`` and ``audit`` verb groups."""
    add_examples(
        {
            "keys generate": "ledger keys generate --key-dir cles",
            "keys show": "ledger keys show --key-dir cles",
            "audit run": "ledger audit run --every 60 --db ecole.db",
            "audit checkpoint": "ledger audit checkpoint --db ecole.db",
            "audit prove": "ledger audit prove --certificate 9b2e --out preuve.json --db ecole.db",
            "audit verify-proof": "ledger audit verify-proof preuve.json --key journal.vkey",
            "audit consistency": "ledger audit consistency 120 240 --db ecole.db",
            "audit verify": "ledger audit verify --db ecole.db",
            "audit publish": "ledger audit publish site-journal --db ecole.db",
            "audit monitor": "ledger audit monitor https://journal.example.be/ --key journal.vkey",
        }
    )
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
    audit.command("publish", help="write the log as static c2sp.org/tlog-tiles files")(publish)
    audit.command("monitor", help="follow a remote tiled log, exit 4 on a split view")(monitor)
    app.add_typer(audit, name="audit")
