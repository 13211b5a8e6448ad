"""CLI verbs of the HTTP API: ``serve``, ``up``, ``tokens issue``, ``tokens keys``, ``tokens demo``.

Registered by :mod:`ledger.cli` (``EXTENSION_MODULES``).
"""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
from typing import Any

from ledger.cli import Parser, add_store_args, emit, positive_int, table
from ledger.domain.errors import InvalidCommand


def register(sub: Any) -> None:
    """Add ``serve``, ``up`` and ``tokens`` to the ``ledger`` command tree."""
    p = sub.add_parser("serve", help="serve the HTTP API (FastAPI on uvicorn)")
    _server_args(p)
    p.add_argument("--workers", type=positive_int, default=1,
                   help="server processes (default 1; >1 surfaces conflicts as 409)")
    p.add_argument("--tls-cert", help="serve HTTPS with this certificate (PEM; with --tls-key)")
    p.add_argument("--tls-key", help="the private key (PEM) of --tls-cert")
    p.set_defaults(func=cmd_serve)

    p = sub.add_parser("up", help="server + projections (+ Kafka relay when LEDGER_KAFKA is set), "
                                  "supervised")
    _server_args(p)
    p.set_defaults(func=cmd_up)

    p = sub.add_parser("tokens", help="API tokens and their signing keys")
    tsub = p.add_subparsers(dest="what", required=True, parser_class=Parser)
    s = tsub.add_parser("issue", help="sign a token for a role and scope")
    s.add_argument("--role", required=True, help="jury, conseil_classe, conseil_admission, direction, "
                   "administration, certifpro, branch_jury, evaluator, training_org, inspector, "
                   "certification_body, learner")
    s.add_argument("--scope", required=True,
                   help="FASE[:option,…] | SIRET | branch code | learner id | fwb | national | all")
    s.add_argument("--subject", help="the actor id decisions are recorded under (default: role)")
    s.add_argument("--ttl", default="8h", help="lifetime: 30m, 8h, 7d (default 8h, at most 90d)")
    _key_arg(s)
    s.set_defaults(func=cmd_tokens_issue)
    s = tsub.add_parser("keys", help="list signing/verification keys; rotate or retire one")
    _key_arg(s)
    s.add_argument("--rotate", action="store_true", help="create a new active signing key")
    s.add_argument("--retire", metavar="KID", help="delete a private key (keep verifying)")
    s.add_argument("--remove", metavar="KID", help="delete a key: its tokens stop working")
    s.add_argument("--json", action="store_true", help="print JSON")
    s.set_defaults(func=cmd_tokens_keys)
    s = tsub.add_parser("demo", help="one token per role, scoped to records of a demo store")
    add_store_args(s)
    _key_arg(s)
    s.add_argument("--ttl", default="8h", help="lifetime (default 8h)")
    s.set_defaults(func=cmd_tokens_demo)


def _server_args(p: argparse.ArgumentParser) -> None:
    add_store_args(p, json_flag=False)
    p.add_argument("--host", default=os.environ.get("LEDGER_API_HOST", "127.0.0.1"))
    p.add_argument("--port", type=positive_int, default=int(os.environ.get("LEDGER_API_PORT", "8080")))
    _key_arg(p)


def _key_arg(p: argparse.ArgumentParser) -> None:
    p.add_argument("--key-dir", default=None,
                   help="token key directory root (env LEDGER_KEY_DIR; default .ledger/keys)")


# ---------------------------------------------------------------------------- serve / up
def cmd_serve(args: argparse.Namespace) -> int:
    """Serve the API until interrupted (Ctrl-C or SIGTERM end it cleanly, exit 0)."""
    import uvicorn

    from ledger.api.app import create_app
    from ledger.api.context import Settings
    from ledger.api.tokens import KeyRing, key_dir

    if args.key_dir:
        os.environ["LEDGER_KEY_DIR"] = args.key_dir
    os.environ["LEDGER_DB"] = args.db
    ring = KeyRing(key_dir(args.key_dir))
    if not ring.public:
        print(f"warning: no token keys in {ring.directory}: protected endpoints answer 401; "
              "create one with `ledger tokens keys --rotate`", file=sys.stderr)
    tls = {"ssl_certfile": args.tls_cert, "ssl_keyfile": args.tls_key} if args.tls_cert else {}
    base = f"{'https' if tls else 'http'}://{args.host}:{args.port}"
    if args.workers > 1:
        _announce(base, None)
        _run(lambda: uvicorn.run("ledger.api.app:app_from_env", factory=True, host=args.host,
                                 port=args.port, workers=args.workers, log_level="warning", **tls))
        return 0
    app = create_app(Settings.from_env(db=args.db))
    _announce(base, app)
    _run(lambda: uvicorn.run(app, host=args.host, port=args.port, log_level="warning", **tls))
    return 0


def _run(serve: Any) -> None:
    with contextlib.suppress(KeyboardInterrupt):  # uvicorn re-raises the signal after shutdown
        serve()
    print("server stopped", file=sys.stderr)


def _announce(base: str, app: Any) -> None:
    print(f"serving the ledger API on {base}  (Ctrl-C stops it)")
    print(f"  API documentation:  {base}/docs")
    page = _verification_page(app) if app is not None else None
    print(f"  verification page:  {base}{page}" if page else
          f"  public verification: {base}/v1/public/certificates/<certificate id>")
    sys.stdout.flush()


def _verification_page(app: Any) -> str | None:
    """The credentials router's verification page, when it is mounted."""
    from ledger.api.app import endpoints

    for method, path in endpoints(app):
        if method == "GET" and "verif" in path and "{" not in path and not path.startswith("/v1"):
            return path
    return None


def cmd_up(args: argparse.Namespace) -> int:
    """Run server, projections and relay as one supervised group."""
    from ledger.api.extensions import available
    from ledger.api.supervisor import Child, Supervisor

    store = ["--db", args.db]
    keys = ["--key-dir", args.key_dir] if args.key_dir else []
    children = [Child("serve", ["serve", *store, "--host", args.host, "--port", str(args.port), *keys])]
    if available("ledger.cli_projections"):
        children.append(Child("projections", ["projections", "run", *store]))
    else:
        print("note: projections not installed (ledger.cli_projections); not started", file=sys.stderr)
    if os.environ.get("LEDGER_KAFKA"):
        if available("ledger.cli_kafka"):
            children.append(Child("relay", ["relay", "run", *store]))
        else:
            print("note: LEDGER_KAFKA is set but the relay is not installed", file=sys.stderr)
    print(f"ledger up: {', '.join(c.name for c in children)} (Ctrl-C or SIGTERM stops them)")
    sys.stdout.flush()
    return Supervisor(children).run()


# ---------------------------------------------------------------------------- tokens
def cmd_tokens_issue(args: argparse.Namespace) -> int:
    """Print a signed token (the only output, so it can be captured)."""
    from ledger.api.roles import Principal, parse_scope
    from ledger.api.tokens import KeyRing, key_dir, parse_ttl

    scope = parse_scope(args.role, args.scope)
    ttl = parse_ttl(args.ttl)
    subject = args.subject or args.role
    _check_subject(subject)
    print(KeyRing(key_dir(args.key_dir)).issue(Principal(args.role, scope, subject), ttl))
    return 0


def _check_subject(subject: str) -> None:
    import re

    if not re.fullmatch(r"[A-Za-z0-9_.:@-]{1,128}", subject):
        raise InvalidCommand(f"--subject must be an actor id (letters, digits, _.:@-): {subject!r}")


def cmd_tokens_keys(args: argparse.Namespace) -> int:
    """List keys; ``--rotate`` creates a new signing key, ``--retire``/``--remove`` drop one."""
    from ledger.api.tokens import KeyRing, key_dir

    ring = KeyRing(key_dir(args.key_dir))
    if args.rotate:
        print(f"new active signing key {ring.generate()} in {ring.directory}", file=sys.stderr)
    if args.retire:
        ring.retire(args.retire)
    if args.remove:
        ring.remove(args.remove)
    rows = [k.to_dict() for k in ring.key_list()]
    emit(args, rows, lambda rs: table(rs, ["kid", "active", "can_sign", "created"]))
    return 0


def cmd_tokens_demo(args: argparse.Namespace) -> int:
    """Issue one token per role, scoped to records of the store (for ``make demo``)."""
    from ledger.api.demo_tokens import demo_principals
    from ledger.api.tokens import KeyRing, key_dir, parse_ttl
    from ledger.cli import open_ledger

    ring = KeyRing(key_dir(args.key_dir))
    if ring.active_kid() is None:
        ring.generate()
    ttl = parse_ttl(args.ttl)
    rows = [{"role": p.role, "scope": p.scope, "subject": p.subject, "token": ring.issue(p, ttl)}
            for p in demo_principals(open_ledger(args).store)]
    emit(args, rows, _print_tokens)
    return 0


def _print_tokens(rows: list[dict[str, Any]]) -> None:
    for row in rows:
        print(f"{row['role']:<19} scope {row['scope']}  subject {row['subject']}")
        print(f"  {row['token']}")
    print("use: curl -H 'Authorization: Bearer <token>' …")
