"""``ledger credential …``: issuer keys, credential export, status list, offline verification.

``ledger credential verify`` exit codes: 0 valid, 3 revoked, 4 invalid or tampered, 5 unknown
issuer (and 2 for unreadable input: not a file, not JSON, a bad keys file).
"""

from __future__ import annotations

import hashlib
import html
import json
import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from ledger.adapters.follower import Db as Conn
from ledger.bootstrap import audit_log, bootstrap, issuer_config
from ledger.cli.common import Db, Json, emit, read_text, settings, table
from ledger.credentials.issue import CredentialIssuer
from ledger.credentials.verify import TrustError, TrustStore, summary, verify_credential
from ledger.domain.errors import InvalidCommand
from ledger.settings import Settings


# ---------------------------------------------------------------------------- wiring
def _issuer(db: str | None) -> CredentialIssuer:
    svc = bootstrap(settings(db=db))
    config = issuer_config(svc.settings, audit_log(svc))
    return CredentialIssuer(svc.store, Conn(svc.target), config, svc.identities)


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
    text = read_text(path, what)
    try:
        return json.loads(text)
    except ValueError as exc:
        raise InvalidCommand(f"{what} {path} is not JSON: {exc}") from None


# ---------------------------------------------------------------------------- keys
def keys_generate(db: Db = None, as_json: Json = False) -> None:
    """Create a new credential signing key (older keys stay for verification)."""
    config = issuer_config(settings(db=db))
    stored = config.keys.generate()
    data = {
        "created": stored.created,
        "verificationMethod": stored.pair.public.verification_method(config.issuer_did),
        "keys": len(config.keys.keys()),
    }
    emit(as_json, data, lambda d: print(f"new key {d['verificationMethod']} ({d['keys']} in total)"))


def keys_show(
    db: Db = None,
    as_json: Json = False,
    out: Annotated[str | None, typer.Option(help="write the bundle (JSON) to this file")] = None,
    with_log: Annotated[
        bool,
        typer.Option(
            "--log/--no-log", help="--no-log leaves out the integrity log's verifier keys (no store access)"
        ),
    ] = True,
) -> None:
    """Print (or write) the trust bundle: DID document, JWKS, log verifier keys."""
    conf = settings(db=db)
    has_store = "://" in conf.db or Path(conf.db).is_file()
    recording = None
    if with_log and has_store:
        svc = bootstrap(conf)
        recording = audit_log(svc)
    bundle = issuer_config(conf, recording).trust_bundle()
    if out:
        _write(out, _dump(bundle))
        return
    emit(as_json, bundle, _print_bundle)


def _print_bundle(bundle: dict[str, Any]) -> None:
    print(f"issuer {bundle['issuer']}")
    rows = [{"kid": k["kid"]} for k in bundle["jwks"]["keys"]]
    table(rows, ["kid"]) if rows else print("no credential key yet: ledger credential keys generate")
    for vkey in bundle["logVerifiers"]:
        print(f"log verifier {vkey}")


# ---------------------------------------------------------------------------- export, status list
def export(
    ident: Annotated[str, typer.Argument(metavar="ID", help="certificate id (UUID)")],
    db: Db = None,
    out: Annotated[
        str | None, typer.Option(help="write the credential here (default: standard output)")
    ] = None,
    page: Annotated[
        str | None, typer.Option("--html", help="also write a printable HTML page with a QR code")
    ] = None,
    no_name_hash: Annotated[
        bool, typer.Option("--no-name-hash", help="leave out the salted hash of the holder's name")
    ] = False,
) -> None:
    """Export one certificate as a signed OpenBadgeCredential (and a printable HTML page)."""
    issuer = _issuer(db)
    credential = issuer.credential(ident, include_name_hash=not no_name_hash)
    _write(out, _dump(credential))
    if page:
        certificate_id = str(credential["id"]).removeprefix("urn:uuid:")
        _write(page, certificate_html(credential, issuer.config.verify_url(certificate_id)))


def status_list(
    db: Db = None,
    list_id: Annotated[str, typer.Option("--list-id", help="status list id (default 1)")] = "1",
    out: Annotated[str | None, typer.Option(help="write it here (default: standard output)")] = None,
) -> None:
    """Write the signed status list credential (revoked certificates have their bit set)."""
    _write(out, _dump(_issuer(db).status_list(list_id)))


# ---------------------------------------------------------------------------- verify
def _cache_path(conf: Settings, url: str) -> Path:
    return conf.status_cache / (hashlib.sha256(url.encode()).hexdigest()[:24] + ".json")


def _cached_status_list(conf: Settings, credential: Any) -> Any:
    status = credential.get("credentialStatus") if isinstance(credential, dict) else None
    url = status.get("statusListCredential") if isinstance(status, dict) else None
    if not isinstance(url, str) or not _cache_path(conf, url).is_file():
        return None
    try:
        return json.loads(_cache_path(conf, url).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def _trust(conf: Settings, keys: str | None) -> TrustStore:
    try:
        if keys:
            return TrustStore.from_file(Path(keys))
        return TrustStore.from_document(issuer_config(conf).trust_bundle())
    except TrustError as exc:
        raise InvalidCommand(str(exc)) from None


def verify(
    file: Annotated[str, typer.Argument(help="the credential (JSON file, or - for standard input)")],
    status_list_file: Annotated[
        str | None, typer.Option("--status-list", help="a status list credential file (else the cached one)")
    ] = None,
    keys: Annotated[
        str | None, typer.Option(help="trust bundle or DID document (else the local issuer keys)")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="print the verdict as JSON")] = False,
) -> None:
    """Verify a credential offline; exit 0 valid, 3 revoked, 4 invalid, 5 unknown issuer."""
    conf = settings()
    credential = _read_json(file, "credential")
    trust = _trust(conf, keys)
    listed = (
        _read_json(status_list_file, "status list")
        if status_list_file
        else _cached_status_list(conf, credential)
    )
    verdict = verify_credential(credential, trust, listed)
    if status_list_file and verdict.checks.get("status") in {"ok", "revoked"}:
        _cache_path(conf, str(listed["id"])).parent.mkdir(parents=True, exist_ok=True)
        _cache_path(conf, str(listed["id"])).write_text(_dump(listed), encoding="utf-8")
    emit(as_json, verdict.to_dict(), _print_verdict)
    if verdict.exit_code:
        raise typer.Exit(verdict.exit_code)


def _print_verdict(data: dict[str, Any]) -> None:
    labels = {
        "valid": "VALID",
        "revoked": "REVOKED",
        "invalid": "INVALID (tampered or malformed)",
        "unknown_issuer": "UNKNOWN ISSUER",
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
    facts = summary(credential)
    esc = html.escape
    results = "".join(f"<li>{esc(str(r))}</li>" for r in facts["results"])
    levels = ", ".join(esc(str(level)) for level in facts["levels"])
    svg = qr_svg(verify_url)
    return f"""<!doctype html>
<html lang="fr"><head><meta charset="utf-8"><title>{esc(str(facts["name"]))}</title>
<style>body{{font-family:sans-serif;max-width:46rem;margin:2rem auto;color:#111}}
.qr svg{{width:12rem;height:12rem}} .id{{font-family:monospace;font-size:.8rem;word-break:break-all}}
@media print{{a{{color:#111;text-decoration:none}}}}</style></head>
<body>
<h1>{esc(str(facts["name"]))}</h1>
<p>Délivré par <strong>{esc(str(facts["issuer"]))}</strong>
le {esc(str(facts["valid_from"] or "")[:10])}.</p>
{f"<p>Niveau : {levels}</p>" if levels else ""}
<h2>Acquis</h2><ul>{results}</ul>
<p>Le titulaire est identifié par un identifiant aléatoire
{"et une empreinte salée de son nom" if facts["holder_name_hash"] else ""} ;
aucune autre donnée personnelle.</p>
<div class="qr">{svg}</div>
<p>Vérifier : <a href="{esc(verify_url)}">{esc(verify_url)}</a></p>
<p class="id">{esc(str(facts["id"]))}</p>
</body></html>
"""


# ---------------------------------------------------------------------------- register
def register(app: typer.Typer) -> None:
    """Add ``credential keys generate|show``, ``export``, ``status-list`` and ``verify``."""
    cred = typer.Typer(help="verifiable credentials (Open Badges 3.0)", no_args_is_help=True)
    keys = typer.Typer(
        help="credential issuer keys ($LEDGER_KEY_DIR, default .ledger/keys)", no_args_is_help=True
    )
    keys.command("generate", help="create a new signing key (old keys are kept)")(keys_generate)
    keys.command("show", help="the trust bundle: DID document, JWKS, log verifier keys")(keys_show)
    cred.add_typer(keys, name="keys")
    cred.command("export", help="a certificate as a signed OpenBadgeCredential")(export)
    cred.command("status-list", help="the signed BitstringStatusListCredential")(status_list)
    cred.command("verify", help="verify a credential offline (exit 0/3/4/5)")(verify)
    app.add_typer(cred, name="credential")
