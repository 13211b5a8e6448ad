"""``ledger credential …``: issuer keys, credential export, status list, offline verification.

``ledger credential verify`` exit codes: 0 valid, 3 revoked, 4 invalid or tampered, 5 unknown
issuer (and 2 for unreadable input: not a file, not JSON, a bad keys file).
"""

from __future__ import annotations

import argparse
import hashlib
import html
import json
import os
import sys
from pathlib import Path
from typing import Any

from ledger.cli import Parser, add_store_args, emit, open_ledger, open_target, table
from ledger.domain.errors import InvalidCommand

STATUS_CACHE_ENV = "LEDGER_STATUS_CACHE"
DEFAULT_STATUS_CACHE = ".ledger/status-cache"


# ---------------------------------------------------------------------------- wiring
def _issuer(args: argparse.Namespace) -> Any:
    from ledger.adapters.follower import Db
    from ledger.credentials.issue import CredentialIssuer, IssuerConfig, audit_recording_log

    ledger = open_ledger(args)
    target = open_target(args)
    config = IssuerConfig.from_env(target, audit_recording_log(target, ledger.store))
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
    from ledger.credentials.issue import IssuerConfig

    config = IssuerConfig.from_env(open_target(args))
    stored = config.keys.generate()
    data = {"created": stored.created,
            "verificationMethod": stored.pair.public.verification_method(config.issuer_did),
            "keys": len(config.keys.keys())}
    emit(args, data, lambda d: print(f"new key {d['verificationMethod']} ({d['keys']} in total)"))
    return 0


def cmd_keys_show(args: argparse.Namespace) -> int:
    """Print (or write) the trust bundle: DID document, JWKS, log verifier keys."""
    from ledger.credentials.issue import IssuerConfig, audit_recording_log

    target = open_target(args)
    has_store = "://" in args.db or Path(args.db).is_file()
    recording = (audit_recording_log(target, open_ledger(args).store)
                 if args.with_log and has_store else None)
    bundle = IssuerConfig.from_env(target, recording).trust_bundle()
    if args.out:
        _write(args.out, _dump(bundle))
        return 0
    emit(args, bundle, _print_bundle)
    return 0


def _print_bundle(bundle: dict[str, Any]) -> None:
    print(f"issuer {bundle['issuer']}")
    rows = [{"kid": k["kid"]} for k in bundle["jwks"]["keys"]]
    table(rows, ["kid"]) if rows else print("no credential key yet: ledger credential keys generate")
    for vkey in bundle["logVerifiers"]:
        print(f"log verifier {vkey}")


# ---------------------------------------------------------------------------- export, status list
def cmd_export(args: argparse.Namespace) -> int:
    """Export one certificate as a signed OpenBadgeCredential (and a printable HTML page)."""
    issuer = _issuer(args)
    credential = issuer.credential(args.id, include_name_hash=not args.no_name_hash)
    _write(args.out, _dump(credential))
    if args.html:
        certificate_id = str(credential["id"]).removeprefix("urn:uuid:")
        _write(args.html, certificate_html(credential, issuer.config.verify_url(certificate_id)))
    return 0


def cmd_status_list(args: argparse.Namespace) -> int:
    """Write the signed status list credential (revoked certificates have their bit set)."""
    _write(args.out, _dump(_issuer(args).status_list(args.list_id)))
    return 0


# ---------------------------------------------------------------------------- verify
def _status_cache() -> Path:
    return Path(os.environ.get(STATUS_CACHE_ENV, DEFAULT_STATUS_CACHE))


def _cache_path(url: str) -> Path:
    return _status_cache() / (hashlib.sha256(url.encode()).hexdigest()[:24] + ".json")


def _cached_status_list(credential: Any) -> Any:
    status = credential.get("credentialStatus") if isinstance(credential, dict) else None
    url = status.get("statusListCredential") if isinstance(status, dict) else None
    if not isinstance(url, str) or not _cache_path(url).is_file():
        return None
    try:
        return json.loads(_cache_path(url).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def _trust(args: argparse.Namespace) -> Any:
    from ledger.credentials.issue import IssuerConfig
    from ledger.credentials.verify import TrustError, TrustStore

    try:
        if args.keys:
            return TrustStore.from_file(Path(args.keys))
        return TrustStore.from_document(IssuerConfig.from_env().trust_bundle())
    except TrustError as exc:
        raise InvalidCommand(str(exc)) from None


def cmd_verify(args: argparse.Namespace) -> int:
    """Verify a credential offline; exit 0 valid, 3 revoked, 4 invalid, 5 unknown issuer."""
    from ledger.credentials.verify import verify_credential

    credential = _read_json(args.file, "credential")
    trust = _trust(args)
    status_list = (_read_json(args.status_list, "status list") if args.status_list
                   else _cached_status_list(credential))
    verdict = verify_credential(credential, trust, status_list)
    if args.status_list and verdict.checks.get("status") in {"ok", "revoked"}:
        _cache_path(str(status_list["id"])).parent.mkdir(parents=True, exist_ok=True)
        _cache_path(str(status_list["id"])).write_text(_dump(status_list), encoding="utf-8")
    emit(args, verdict.to_dict(), _print_verdict)
    return verdict.exit_code


def _print_verdict(data: dict[str, Any]) -> None:
    labels = {"valid": "VALID", "revoked": "REVOKED", "invalid": "INVALID (tampered or malformed)",
              "unknown_issuer": "UNKNOWN ISSUER"}
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


# ---------------------------------------------------------------------------- printable page
def qr_svg(data: str) -> str:
    """An SVG QR code of ``data`` (python ``qrcode``, no PIL)."""
    import qrcode  # type: ignore[import-untyped,unused-ignore]
    import qrcode.image.svg  # type: ignore[import-untyped,unused-ignore]

    image = qrcode.make(data, image_factory=qrcode.image.svg.SvgPathImage, box_size=8, border=2)
    text = image.to_string(encoding="unicode")
    return text if isinstance(text, str) else text.decode("utf-8")


def certificate_html(credential: dict[str, Any], verify_url: str) -> str:
    """A printable page: the certificate, its issuer, results and a QR code to the verifier."""
    from ledger.credentials.verify import summary

    facts = summary(credential)
    esc = html.escape
    results = "".join(f"<li>{esc(str(r))}</li>" for r in facts["results"])
    levels = ", ".join(esc(str(level)) for level in facts["levels"])
    svg = qr_svg(verify_url)
    return f"""<!doctype html>
<html lang="fr"><head><meta charset="utf-8"><title>{esc(str(facts['name']))}</title>
<style>body{{font-family:sans-serif;max-width:46rem;margin:2rem auto;color:#111}}
.qr svg{{width:12rem;height:12rem}} .id{{font-family:monospace;font-size:.8rem;word-break:break-all}}
@media print{{a{{color:#111;text-decoration:none}}}}</style></head>
<body>
<h1>{esc(str(facts['name']))}</h1>
<p>Délivré par <strong>{esc(str(facts['issuer']))}</strong>
le {esc(str(facts['valid_from'] or '')[:10])}.</p>
{f'<p>Niveau : {levels}</p>' if levels else ''}
<h2>Acquis</h2><ul>{results}</ul>
<p>Le titulaire est identifié par un identifiant aléatoire
{'et une empreinte salée de son nom' if facts['holder_name_hash'] else ''} ;
aucune autre donnée personnelle.</p>
<div class="qr">{svg}</div>
<p>Vérifier : <a href="{esc(verify_url)}">{esc(verify_url)}</a></p>
<p class="id">{esc(str(facts['id']))}</p>
</body></html>
"""


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
    s.add_argument("--no-log", dest="with_log", action="store_false",
                   help="leave out the integrity log's verifier keys (no store access)")
    s.set_defaults(func=cmd_keys_show)

    s = sub.add_parser("export", help="a certificate as a signed OpenBadgeCredential")
    add_store_args(s, json_flag=False)
    s.add_argument("id", help="certificate id (UUID)")
    s.add_argument("--out", help="write the credential here (default: standard output)")
    s.add_argument("--html", help="also write a printable HTML page with a QR code")
    s.add_argument("--no-name-hash", action="store_true",
                   help="leave out the salted hash of the holder's name")
    s.set_defaults(func=cmd_export)

    s = sub.add_parser("status-list", help="the signed BitstringStatusListCredential")
    add_store_args(s, json_flag=False)
    s.add_argument("--list-id", default="1", help="status list id (default 1)")
    s.add_argument("--out", help="write it here (default: standard output)")
    s.set_defaults(func=cmd_status_list)

    s = sub.add_parser("verify", help="verify a credential offline (exit 0/3/4/5)")
    s.add_argument("file", help="the credential (JSON file, or - for standard input)")
    s.add_argument("--status-list", help="a status list credential file (else the cached one)")
    s.add_argument("--keys", help="trust bundle or DID document (else the local issuer keys)")
    s.add_argument("--json", action="store_true", help="print the verdict as JSON")
    s.set_defaults(func=cmd_verify)
