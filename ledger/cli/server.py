"""``ledger serve``, ``ledger up``, ``ledger tokens issue|keys|revoke|demo``: the HTTP API's verbs."""

from __future__ import annotations

import contextlib
import json
import re
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from ledger.cli.common import Db, Json, emit, services, settings, table
from ledger.cli.help import add_examples
from ledger.domain.errors import InvalidCommand
from ledger.i18n import _
from ledger.plugins import CLI_GROUP, discover

if TYPE_CHECKING:
    from ledger.api.tokens import KeyRing
    from ledger.bootstrap import Services
    from ledger.settings import Settings

TokenKeyDir = Annotated[
    str | None,
    typer.Option(
        "--key-dir",
        help="token key directory root (env LEDGER_KEY_DIR; default .ledger/keys beside the store)",
        show_default=False,
    ),
]
Host = Annotated[
    str | None, typer.Option(help="bind address (env LEDGER_API_HOST; default 127.0.0.1)", show_default=False)
]
Port = Annotated[
    int | None, typer.Option(min=0, help="port (env LEDGER_API_PORT; default 8080)", show_default=False)
]


def ring(conf: Settings) -> KeyRing:
    """The API token key ring of the settings' key directory."""
    from ledger.api.tokens import KeyRing, key_dir

    return KeyRing(key_dir(conf.key_directory()))


# ---------------------------------------------------------------------------- serve / up
def serve(
    db: Db = None,
    host: Host = None,
    port: Port = None,
    key_dir_: TokenKeyDir = None,
    workers: Annotated[
        int, typer.Option(min=1, help="server processes (default 1; >1 surfaces conflicts as 409)")
    ] = 1,
    log_prefix: Annotated[
        str | None,
        typer.Option(
            "--log-prefix",
            help="URL path of the public c2sp.org/tlog-tiles log (env LEDGER_LOG_PREFIX; default /log)",
            show_default=False,
        ),
    ] = None,
    tls_cert: Annotated[
        str | None, typer.Option("--tls-cert", help="serve HTTPS with this certificate (PEM; with --tls-key)")
    ] = None,
    tls_key: Annotated[
        str | None, typer.Option("--tls-key", help="the private key (PEM) of --tls-cert")
    ] = None,
) -> None:
    """Serve the API until interrupted (Ctrl-C or SIGTERM end it cleanly, exit 0)."""
    import uvicorn

    from ledger.api.app import create_app
    from ledger.api.serving import uvicorn_options

    tls: dict[str, Any] = {"ssl_certfile": tls_cert, "ssl_keyfile": tls_key} if tls_cert else {}

    conf = settings(
        db=db, key_dir=key_dir_, api_host=host, api_port=port, log_prefix=log_prefix, api_workers=workers
    )
    options = {**tls, **uvicorn_options(conf)}
    keys = ring(conf)
    if not keys.public:
        print(
            _(
                "warning: no token keys in {directory}: protected endpoints answer 401; "
                "create one with `ledger tokens keys --rotate`"
            ).format(directory=keys.directory),
            file=sys.stderr,
        )
    base = f"{'https' if tls else 'http'}://{conf.api_host}:{conf.api_port}"
    if workers > 1:
        _announce(base, None)
        with tempfile.TemporaryDirectory() as scratch:
            env_file = _env_file(conf, Path(scratch))
            _run(
                lambda: uvicorn.run(
                    "ledger.api.app:app_from_env",
                    factory=True,
                    host=conf.api_host,
                    port=conf.api_port,
                    workers=workers,
                    log_level="warning",
                    env_file=str(env_file),
                    **options,
                )
            )
        return
    app = create_app(conf)
    _announce(base, app)
    _run(lambda: uvicorn.run(app, host=conf.api_host, port=conf.api_port, log_level="warning", **options))


def _env_file(conf: Settings, directory: Path) -> Path:
    """The settings as a dotenv file: uvicorn hands it to its worker processes."""
    values = {
        f"LEDGER_{name.upper()}": value
        for name, value in conf.model_dump(mode="json", exclude_none=True).items()
    }
    path = directory / "ledger.env"
    path.write_text("".join(f"{k}={json.dumps(str(v))}\n" for k, v in values.items()), encoding="utf-8")
    return path


def _run(serve_: Callable[[], object]) -> None:
    with contextlib.suppress(KeyboardInterrupt):  # uvicorn re-raises the signal after shutdown
        serve_()
    print(_("server stopped"), file=sys.stderr)


def _announce(base: str, app: Any) -> None:
    print(_("serving the ledger API on {base}  (Ctrl-C stops it)").format(base=base))
    print(_("  API documentation:  {url}").format(url=f"{base}/docs"))
    page = _verification_page(app) if app is not None else None
    print(
        _("  verification page:  {url}").format(url=f"{base}{page}")
        if page
        else _("  public verification: {url}").format(url=f"{base}/v1/public/certificates/<certificate id>")
    )
    sys.stdout.flush()


def _verification_page(app: Any) -> str | None:
    """The credentials router's verification page, when it is mounted."""
    from ledger.api.app import endpoints

    for method, path in endpoints(app):
        if method == "GET" and "verif" in path and "{" not in path and not path.startswith("/v1"):
            return path
    return None


def up(db: Db = None, host: Host = None, port: Port = None, key_dir_: TokenKeyDir = None) -> None:
    """Run server, projections and relay as one supervised group."""
    from ledger.api.supervisor import Child, Supervisor

    conf = settings(db=db, key_dir=key_dir_, api_host=host, api_port=port)
    store = ["--db", conf.db]
    keys = ["--key-dir", str(conf.key_dir)] if conf.key_dir else []
    children = [
        Child("serve", ["serve", *store, "--host", conf.api_host, "--port", str(conf.api_port), *keys])
    ]
    plugins = {name for name, _ in discover(CLI_GROUP)}
    if "projections" in plugins:
        children.append(Child("projections", ["projections", "run", *store]))
    else:
        print(_("note: projections not installed; not started"), file=sys.stderr)
    if conf.kafka:
        if "consumers" in plugins:
            children.append(Child("relay", ["relay", "run", *store]))
        else:
            print(_("note: LEDGER_KAFKA is set but the relay is not installed"), file=sys.stderr)
    print(
        _("ledger up: {children} (Ctrl-C or SIGTERM stops them)").format(
            children=", ".join(c.name for c in children)
        )
    )
    sys.stdout.flush()
    code = Supervisor(children).run()
    if code:
        raise typer.Exit(code)


# ---------------------------------------------------------------------------- tokens
ROLES = (
    "jury, conseil_classe, conseil_admission, direction, administration, certifpro, "
    "branch_jury, evaluator, training_org, inspector, certification_body, learner"
)


def tokens_issue(
    role: Annotated[str, typer.Option(help=ROLES)],
    scope: Annotated[
        str, typer.Option(help="FASE[:option,…] | SIRET | branch code | learner id | fwb | national | all")
    ],
    subject: Annotated[
        str | None, typer.Option(help="the actor id decisions are recorded under (default: role)")
    ] = None,
    ttl: Annotated[
        str, typer.Option(help="lifetime: 30m, 8h (default 8h; at most 12h, 90d with --service)")
    ] = "8h",
    service: Annotated[
        bool, typer.Option("--service", help="a machine client's token: lifetime up to 90 days")
    ] = False,
    key_dir_: TokenKeyDir = None,
    db: Db = None,
) -> None:
    """Print a signed token (the only output, so it can be captured)."""
    from ledger.api.roles import Principal, parse_scope
    from ledger.api.tokens import parse_ttl

    parsed = parse_scope(role, scope)
    seconds = parse_ttl(ttl, service)
    who = subject or role
    if not re.fullmatch(r"[A-Za-z0-9_.:@-]{1,128}", who):
        raise InvalidCommand(f"--subject must be an actor id (letters, digits, _.:@-): {who!r}")
    keys = ring(settings(db=db, key_dir=key_dir_))
    print(keys.issue(Principal(role, parsed, who), seconds, service=service))


def tokens_keys(
    key_dir_: TokenKeyDir = None,
    db: Db = None,
    rotate: Annotated[bool, typer.Option("--rotate", help="create a new active signing key")] = False,
    retire: Annotated[
        str | None, typer.Option(metavar="KID", help="delete a private key (keep verifying)")
    ] = None,
    remove: Annotated[
        str | None, typer.Option(metavar="KID", help="delete a key: its tokens stop working")
    ] = None,
    as_json: Json = False,
) -> None:
    """List keys; ``--rotate`` creates a new signing key, ``--retire``/``--remove`` drop one."""
    keys = ring(settings(db=db, key_dir=key_dir_))
    if rotate:
        print(f"new active signing key {keys.generate()} in {keys.directory}", file=sys.stderr)
    if retire:
        keys.retire(retire)
    if remove:
        keys.remove(remove)
    rows = [k.to_dict() for k in keys.key_list()]
    emit(as_json, rows, lambda rs: table(rs, ["kid", "active", "can_sign", "created"]))


def tokens_demo(
    db: Db = None,
    as_json: Json = False,
    key_dir_: TokenKeyDir = None,
    ttl: Annotated[str, typer.Option(help="lifetime (default 8h)")] = "8h",
    out: Annotated[
        Path | None,
        typer.Option("--out", help="write the tokens to this file (mode 0600) instead of printing them"),
    ] = None,
) -> None:
    """Issue one token per role, scoped to records of the store (for ``make demo``).

    Example: ledger tokens demo --db .ledger/demo.db --out .ledger/demo-tokens.json
    """
    svc = services(db, key_dir=key_dir_)
    rows = demo_tokens(svc, ttl)
    if out is not None:
        from ledger.demo.guide import write_private

        write_private(out, rows)
        print(_("{count} tokens written to {file} (readable by you only)").format(count=len(rows), file=out))
        return
    emit(as_json, rows, _print_tokens)


def demo_tokens(svc: Services, ttl: str = "8h") -> list[dict[str, Any]]:
    """One token per role, scoped to records of the store (the signing key made if absent)."""
    from ledger.api.demo_tokens import demo_principals
    from ledger.api.tokens import parse_ttl

    keys = ring(svc.settings)
    if keys.active_kid() is None:
        keys.generate()
    seconds = parse_ttl(ttl)
    return [
        {"role": p.role, "scope": p.scope, "subject": p.subject, "token": keys.issue(p, seconds)}
        for p in demo_principals(svc.store)
    ]


def tokens_revoke(
    jti: Annotated[str | None, typer.Argument(help="the token id (claim jti) to revoke")] = None,
    token: Annotated[
        str | None, typer.Option("--token", help="the token itself (its jti and expiry are read from it)")
    ] = None,
    db: Db = None,
) -> None:
    """Revoke one token: every server process refuses it from its next request."""
    from ledger.api.revocations import RevocationList

    if (jti is None) == (token is None):
        raise InvalidCommand("give the token id (JTI) or --token, not both")
    revocations = RevocationList(settings(db=db).target())
    try:
        if token is not None:
            jti, new = revocations.revoke_token(token.strip())
        else:
            assert jti is not None
            new = revocations.revoke(jti)
    finally:
        revocations.close()
    said = _("token {jti} revoked") if new else _("token {jti} was already revoked")
    print(said.format(jti=jti), file=sys.stderr)


def _print_tokens(rows: list[dict[str, Any]]) -> None:
    for row in rows:
        print(f"{row['role']:<19} scope {row['scope']}  subject {row['subject']}")
        print(f"  {row['token']}")
    print("use: curl -H 'Authorization: Bearer <token>' …")


def register(app: typer.Typer) -> None:
    """Add ``serve``, ``up`` and ``tokens``."""
    add_examples(
        {
            "serve": "ledger serve --db ecole.db --port 8000",
            "up": "ledger up --db ecole.db --port 8000",
            "tokens issue": "ledger tokens issue --role inspector --subject inspecteur-1 --ttl 3600",
            "tokens keys": "ledger tokens keys --rotate",
            "tokens revoke": "ledger tokens revoke 0b7d4c1e",
            "tokens demo": "ledger tokens demo --out demo-tokens.json",
        }
    )
    app.command("serve", help="serve the HTTP API (FastAPI on uvicorn)")(serve)
    app.command("up", help="server + projections (+ Kafka relay when LEDGER_KAFKA is set), supervised")(up)
    tokens = typer.Typer(help="API tokens and their signing keys", no_args_is_help=True)
    tokens.command("issue", help="sign a token for a role and scope")(tokens_issue)
    tokens.command("keys", help="list signing/verification keys; rotate or retire one")(tokens_keys)
    tokens.command("revoke", help="revoke one token (by jti or --token): refused at once")(tokens_revoke)
    tokens.command("demo", help="one token per role, scoped to records of a demo store")(tokens_demo)
    app.add_typer(tokens, name="tokens")
