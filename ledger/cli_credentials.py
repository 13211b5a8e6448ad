"""``ledger credential …``: issuer keys, credential export, status list, offline verification.

``ledger credential verify`` exit codes: 0 valid (proofs, dates, issuer and status all
checked), 3 revoked, 4 invalid or tampered, 5 unknown issuer, 6 status not checked (no status
list at hand, or one that does not verify; ``--skip-status`` opts out: 0 with a warning), and
2 for unreadable input (not a file, not JSON, a bad keys file).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path
from typing import Any

from ledger.cli import Parser, add_store_args, emit, open_ledger, open_target, table
from ledger.domain.errors import InvalidCommand


# ---------------------------------------------------------------------------- wiring
def _config(target: Any = None, recording: Any = None) -> Any:
    """The issuer settings (read here, in the glue; the library takes plain values)."""
    from ledger.adapters.keys import default_key_dir
    from ledger.credentials.issuers import (
        DEFAULT_ISSUER_DID,
        DEFAULT_KEY_DIR,
        DEFAULT_PUBLIC_URL,
        IssuerConfig,
        IssuerKeyStore,
    )

    key_dir = (
        default_key_dir(target)
        if target is not None
        else Path(os.environ.get("LEDGER_KEY_DIR") or DEFAULT_KEY_DIR)
    )
    return IssuerConfig(
        IssuerKeyStore(key_dir),
        os.environ.get("LEDGER_ISSUER_DID", DEFAULT_ISSUER_DID),
        os.environ.get("LEDGER_PUBLIC_URL", DEFAULT_PUBLIC_URL),
        recording,
    )


def _issuer(args: argparse.Namespace) -> Any:
    from ledger.adapters.follower import Db
    from ledger.credentials.issuing import CredentialIssuer
    from ledger.credentials.recording import audit_recording_log

    ledger = open_ledger(args)
    target = open_target(args)
    config = _config(target, audit_recording_log(target, ledger.store))
    return CredentialIssuer(ledger.store, Db(target), config, ledger.identities)


def _write(path: str | None, text: str) -> None:
    if path is None:
        sys.stdout.write(text)
        return
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(text, encoding="utf-8")


def _dump(doc: Any) -> str:
    return json.dumps(doc, indent=2, ensure_ascii=False) + "\n"


def _read_json(path: str, what: str) -> Any:
    try:
        text = sys.stdin.read() if path == "-" else Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise InvalidCommand(f"cannot read {what} {path}: {exc.strerror or exc}") from None
    try:
        return json.loads(text)
    except ValueError as exc:
        raise InvalidCommand(f"{what} {path} is not JSON: {exc}") from None


# ---------------------------------------------------------------------------- keys
def cmd_keys_generate(args: argparse.Namespace) -> int:
    """Create a new credential signing key (older keys stay for verification)."""
    config = _config(open_target(args))
    stored = config.keys.generate()
    data = {
        "created": stored.created,
        "verificationMethod": stored.pair.public.verification_method(config.issuer_did),
        "keys": len(config.keys.keys()),
    }
    emit(args, data, lambda d: print(f"new key {d['verificationMethod']} ({d['keys']} in total)"))
    return 0


def cmd_keys_show(args: argparse.Namespace) -> int:
    """Print (or write) the trust bundle: DID document, JWKS, log verifier keys."""
    from ledger.credentials.recording import audit_recording_log

    target = open_target(args)
    has_store = "://" in args.db or Path(args.db).is_file()
    recording = audit_recording_log(target, open_ledger(args).store) if args.with_log and has_store else None
    config = _config(target, recording)
    bundle = config.trust_bundle()
    if args.did_dir:
        _write_did_documents(args, config, has_store)
    if args.out:
        _write(args.out, _dump(bundle))
        return 0
    emit(args, bundle, _print_bundle)
    return 0


def _write_did_documents(args: argparse.Namespace, config: Any, has_store: bool) -> None:
    from ledger.credentials.building import issuers_of
    from ledger.credentials.issuers import write_did_documents

    issuers = issuers_of(open_ledger(args).store, config.root_did) if has_store else []
    for path in write_did_documents(config, issuers, Path(args.did_dir)):
        print(f"wrote {path}", file=sys.stderr)


def _print_bundle(bundle: dict[str, Any]) -> None:
    print(f"issuer {bundle['issuer']}")
    rows = [{"kid": k["kid"]} for k in bundle["jwks"]["keys"]]
    table(rows, ["kid"]) if rows else print("no credential key yet: ledger credential keys generate")
    for vkey in bundle["logVerifiers"]:
        print(f"log verifier {vkey}")


# ---------------------------------------------------------------------------- export, status list
def cmd_export(args: argparse.Namespace) -> int:
    """Export one certificate as a signed OpenBadgeCredential (and a printable HTML page)."""
    from ledger.credentials.html import certificate_html

    issuer = _issuer(args)
    credential = issuer.credential(args.id, include_holder=not args.no_name_hash)
    _write(args.out, _dump(credential))
    if args.html:
        number = str(credential["id"]).removeprefix("urn:uuid:")
        _write(
            args.html,
            certificate_html(credential, issuer.config.verify_url(number), issuer.revocation(number)),
        )
    return 0


def cmd_status_list(args: argparse.Namespace) -> int:
    """Write the signed status list credential (revoked certificates have their bit set)."""
    issuer = _issuer(args)
    if args.credential:
        _write(args.out, _dump(issuer.status_list_of(_read_json(args.credential, "credential"))))
    else:
        _write(args.out, _dump(issuer.status_list(args.list_id)))
    return 0


# ---------------------------------------------------------------------------- verify
def _trust(args: argparse.Namespace) -> Any:
    from ledger.credentials.verify import TrustError, TrustStore

    try:
        if args.keys:
            return TrustStore.from_file(Path(args.keys))
        return TrustStore.from_document(_config().trust_bundle())
    except TrustError as exc:
        raise InvalidCommand(str(exc)) from None


def cmd_verify(args: argparse.Namespace) -> int:
    """Verify a credential offline; exit 0 valid, 3 revoked, 4 invalid, 5 unknown issuer, 6 status unknown."""
    from ledger.credentials.verify import verify_credential

    credential = _read_json(args.file, "credential")
    trust = _trust(args)
    status_list = _read_json(args.status_list, "status list") if args.status_list else None
    verdict = verify_credential(credential, trust, status_list, require_status=not args.skip_status)
    emit(args, verdict.to_dict(), _print_verdict)
    return verdict.exit_code


def _print_verdict(data: dict[str, Any]) -> None:
    labels = {
        "valid": "VALID",
        "revoked": "REVOKED",
        "invalid": "INVALID (tampered or malformed)",
        "unknown_issuer": "UNKNOWN ISSUER",
        "status_unknown": "NOT VERIFIED: revocation status unknown (pass --status-list)",
    }
    print(f"verdict: {labels[data['verdict']]}")
    cred = data["credential"]
    for key in ("name", "issuer", "valid_from"):
        if cred.get(key):
            print(f"  {key}: {cred[key]}")
    for name, state in data["checks"].items():
        print(f"  check {name}: {state}")
    for reason in data["reasons"]:
        print(f"  reason: {reason}")
    for warning in data["warnings"]:
        print(f"  warning: {warning}")


# ---------------------------------------------------------------------------- parser
def register(subparsers: Any) -> None:
    """Add ``credential keys generate|show``, ``export``, ``status-list`` and ``verify``."""
    p = subparsers.add_parser("credential", help="verifiable credentials (Open Badges 3.0)")
    sub = p.add_subparsers(dest="what", required=True, parser_class=Parser)

    k = sub.add_parser("keys", help="credential issuer keys ($LEDGER_KEY_DIR, default .ledger/keys)")
    ksub = k.add_subparsers(dest="action", required=True, parser_class=Parser)
    s = ksub.add_parser("generate", help="create a new signing key (old keys are kept)")
    add_store_args(s)
    s.set_defaults(func=cmd_keys_generate)
    s = ksub.add_parser("show", help="the trust bundle: DID document, JWKS, log verifier keys")
    add_store_args(s)
    s.add_argument("--out", help="write the bundle (JSON) to this file")
    s.add_argument(
        "--no-log",
        dest="with_log",
        action="store_false",
        help="leave out the integrity log's verifier keys (no store access)",
    )
    s.add_argument(
        "--did-dir",
        help="also write the did:web documents of the root and of every issuer here, at their did:web paths",
    )
    s.set_defaults(func=cmd_keys_show)

    s = sub.add_parser("export", help="a certificate as a signed OpenBadgeCredential")
    add_store_args(s, json_flag=False)
    s.add_argument("id", help="certificate id (UUID)")
    s.add_argument("--out", help="write the credential here (default: standard output)")
    s.add_argument("--html", help="also write a printable HTML page with a QR code")
    s.add_argument("--no-name-hash", action="store_true", help="leave out the holder's identity hash")
    s.set_defaults(func=cmd_export)

    s = sub.add_parser("status-list", help="the signed BitstringStatusListCredential")
    add_store_args(s, json_flag=False)
    s.add_argument("--list-id", default="1", help="status list id (default 1, the first release's)")
    s.add_argument("--credential", help="the status list this credential (JSON file) points at")
    s.add_argument("--out", help="write it here (default: standard output)")
    s.set_defaults(func=cmd_status_list)

    s = sub.add_parser("verify", help="verify a credential offline (exit 0/3/4/5/6)")
    s.add_argument("file", help="the credential (JSON file, or - for standard input)")
    s.add_argument(
        "--status-list",
        help="the status list credential (file) the credential names; "
        "without it the status is not checked (exit 6)",
    )
    s.add_argument("--keys", help="trust bundle or DID document (else the local issuer keys)")
    s.add_argument(
        "--skip-status",
        action="store_true",
        help="accept a credential whose revocation status cannot be checked (exit 0, "
        "with a warning, instead of 6)",
    )
    s.add_argument("--json", action="store_true", help="print the verdict as JSON")
    s.set_defaults(func=cmd_verify)
