"""``ledger credential …``: issuer keys, credential export, status list, offline verification.

``ledger credential verify`` exit codes: 0 valid (proofs, dates, issuer and status all
checked), 3 revoked, 4 invalid or tampered, 5 unknown issuer, 6 status not checked (no status
list given, or one that does not verify; ``--skip-status`` opts out: 0 with a warning), and 2
for unreadable input (not a file, not JSON, a bad keys file).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from ledger.cli.common import Db, Json, emit, read_text, settings, table
from ledger.cli.help import add_examples
from ledger.domain.errors import InvalidCommand
from ledger.i18n import N_, _

if TYPE_CHECKING:
    from ledger.credentials.issuing import CredentialIssuer
    from ledger.credentials.verify import TrustStore
    from ledger.settings import Settings


# ---------------------------------------------------------------------------- wiring
def _issuer(db: str | None) -> CredentialIssuer:
    from ledger.adapters.follower import Db as Conn
    from ledger.bootstrap import audit_log, bootstrap, issuer_config
    from ledger.credentials.issuing import CredentialIssuer

    svc = bootstrap(settings(db=db))
    config = issuer_config(svc.settings, audit_log(svc))
    return CredentialIssuer(svc.store, Conn(svc.target), config, svc.identities)


def _write(path: str | None, text: str) -> None:
    """``text`` to standard output, or to ``path`` (then say so on standard error)."""
    if path is None:
        sys.stdout.write(text)
        return
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(text, encoding="utf-8")
    print(_("wrote {path}").format(path=path), file=sys.stderr)


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
    from ledger.bootstrap import issuer_config

    config = issuer_config(settings(db=db))
    stored = config.keys.generate()
    data = {
        "created": stored.created,
        "verificationMethod": stored.pair.public.verification_method(config.root_did),
        "keys": len(config.keys.keys()),
    }
    emit(
        as_json,
        data,
        lambda d: print(
            _("new key {method} ({count} in total)").format(method=d["verificationMethod"], count=d["keys"])
        ),
    )


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
    did_dir: Annotated[
        str | None,
        typer.Option("--did-dir", help="also write the did:web documents of the root and every issuer here"),
    ] = None,
) -> None:
    """Print (or write) the trust bundle: DID document, JWKS, log verifier keys."""
    from ledger.bootstrap import audit_log, bootstrap, issuer_config
    from ledger.credentials.building import issuers_of
    from ledger.credentials.issuers import write_did_documents

    conf = settings(db=db)
    has_store = "://" in conf.db or Path(conf.db).is_file()
    recording = None
    if (with_log or did_dir) and has_store:
        svc = bootstrap(conf)
        recording = audit_log(svc) if with_log else None
        if did_dir:
            config = issuer_config(conf)
            for path in write_did_documents(config, issuers_of(svc.store, config.root_did), Path(did_dir)):
                print(_("wrote {path}").format(path=path), file=sys.stderr)
    bundle = issuer_config(conf, recording).trust_bundle()
    if out:
        _write(out, _dump(bundle))
        return
    emit(as_json, bundle, _print_bundle)


def _print_bundle(bundle: dict[str, Any]) -> None:
    print(_("issuer {did}").format(did=bundle["issuer"]))
    rows = [{"kid": k["kid"]} for k in bundle["jwks"]["keys"]]
    if rows:
        table(rows, ["kid"])
    else:
        print(_("no credential key yet: ledger credential keys generate"))
    for vkey in bundle["logVerifiers"]:
        print(_("log verifier {vkey}").format(vkey=vkey))


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
        bool, typer.Option("--no-name-hash", help="leave out the holder's identity hash")
    ] = False,
) -> None:
    """Export one certificate as a signed OpenBadgeCredential (and a printable HTML page)."""
    from ledger.credentials.html import certificate_html

    issuer = _issuer(db)
    credential = issuer.credential(ident, include_holder=not no_name_hash)
    _write(out, _dump(credential))
    if page:
        number = str(credential["id"]).removeprefix("urn:uuid:")
        _write(
            page, certificate_html(credential, issuer.config.verify_url(number), issuer.revocation(number))
        )


def status_list(
    db: Db = None,
    list_id: Annotated[
        str, typer.Option("--list-id", help="status list id (default 1, the first release's)")
    ] = "1",
    credential: Annotated[
        str | None, typer.Option("--credential", help="the status list this credential (JSON file) names")
    ] = None,
    out: Annotated[str | None, typer.Option(help="write it here (default: standard output)")] = None,
) -> None:
    """Write the signed status list credential (revoked certificates have their bit set)."""
    issuer = _issuer(db)
    if credential:
        _write(out, _dump(issuer.status_list_of(_read_json(credential, "credential"))))
    else:
        _write(out, _dump(issuer.status_list(list_id)))


# ---------------------------------------------------------------------------- verify
def _trust(conf: Settings, keys: str | None) -> TrustStore:
    from ledger.bootstrap import issuer_config
    from ledger.credentials.verify import TrustError, TrustStore

    try:
        if keys:
            return TrustStore.from_file(Path(keys))
        return TrustStore.from_document(issuer_config(conf).trust_bundle())
    except TrustError as exc:
        raise InvalidCommand(str(exc)) from None


def verify(
    file: Annotated[str, typer.Argument(help="the credential (JSON file, or - for standard input)")],
    status_list_file: Annotated[
        str | None,
        typer.Option(
            "--status-list",
            help="the status list credential (file) the credential names; without it the status "
            "is not checked (exit 6)",
        ),
    ] = None,
    keys: Annotated[
        str | None, typer.Option(help="trust bundle or DID document (else the local issuer keys)")
    ] = None,
    skip_status: Annotated[
        bool,
        typer.Option(
            "--skip-status",
            help="accept a credential whose revocation status cannot be checked (exit 0, warning)",
        ),
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="print the verdict as JSON")] = False,
) -> None:
    """Verify a credential offline; exit 0 valid, 3 revoked, 4 invalid, 5 unknown issuer, 6 status unknown."""
    from ledger.credentials.verify import verify_credential

    conf = settings()
    credential = _read_json(file, "credential")
    trust = _trust(conf, keys)
    listed = _read_json(status_list_file, "status list") if status_list_file else None
    verdict = verify_credential(credential, trust, listed, require_status=not skip_status)
    emit(as_json, verdict.to_dict(), _print_verdict)
    if verdict.exit_code:
        raise typer.Exit(verdict.exit_code)


def _print_verdict(data: dict[str, Any]) -> None:
    from ledger.i18n import current, format_date
    from ledger.i18n.vocabulary import check_label, heading, verdict_label

    english = current() == "en"
    print(_("verdict: {verdict}").format(verdict=verdict_label(data["verdict"])))
    cred = data["credential"]
    for key in ("name", "issuer", "valid_from"):
        if cred.get(key):
            value = cred[key] if english or key != "valid_from" else format_date(cred[key])
            print(_("  {field}: {value}").format(field=heading(key), value=value))
    for name, state in data["checks"].items():
        print(_("  check {name}: {state}").format(name=check_label(name), state=check_label(state)))
    for reason in data["reasons"]:
        print(_("  reason: {reason}").format(reason=_said(reason)))
    for warning in data["warnings"]:
        print(_("  warning: {warning}").format(warning=_said(warning)))


_SAID = (
    # what ledger.credentials.verify says most often, for the catalogue
    N_("no status list at hand"),
    N_("the status list did not verify"),
    N_("no proof of recording in the integrity log"),
    N_("proof of recording not checked: no log verifier key at hand"),
)


def _said(text: str) -> str:
    """A reason or warning of the verifier in the current language (as is when not catalogued)."""
    prefix = "revocation status not checked: "
    if text.startswith(prefix):
        return _("revocation status not checked: {why}").format(why=_(text.removeprefix(prefix)))
    return _(text)


# ---------------------------------------------------------------------------- register
def register(app: typer.Typer) -> None:
    """Add ``credential keys generate|show``, ``export``, ``status-list`` and ``verify``."""
    add_examples(
        {
            "credential export": "ledger credential export 9b2e --html certificat.html --db ecole.db",
            "credential status-list": "ledger credential status-list --out statuts.json --db ecole.db",
            "credential verify": "ledger credential verify certificat.json --status-list statuts.json",
            "credential keys generate": "ledger credential keys generate",
            "credential keys show": "ledger credential keys show --out confiance.json",
        }
    )
    cred = typer.Typer(help="verifiable credentials (Open Badges 3.0)", no_args_is_help=True)
    keys = typer.Typer(
        help="credential issuer keys ($LEDGER_KEY_DIR, default .ledger/keys)", no_args_is_help=True
    )
    keys.command("generate", help="create a new signing key (old keys are kept)")(keys_generate)
    keys.command("show", help="the trust bundle: DID document, JWKS, log verifier keys")(keys_show)
    cred.add_typer(keys, name="keys")
    cred.command("export", help="a certificate as a signed OpenBadgeCredential")(export)
    cred.command("status-list", help="the signed BitstringStatusListCredential")(status_list)
    cred.command("verify", help="verify a credential offline (exit 0/3/4/5/6)")(verify)
    app.add_typer(cred, name="credential")
