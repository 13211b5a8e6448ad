"""``ledger witness …``: a witness for other bodies' logs (c2sp.org/tlog-witness).

``witness keygen`` creates the witness's cosignature key file (mode 0600, never overwritten)
and prints its vkey; ``witness serve`` answers ``POST /add-checkpoint`` for the logs of a log
list, keeping the latest cosigned size per origin in a SQLite file. The server's modules
(fastapi, uvicorn) are imported inside the verbs: the console script starts fast.
"""

from __future__ import annotations

import contextlib
from pathlib import Path
from typing import Annotated

import typer

from ledger.cli.common import Json, emit
from ledger.cli.help import add_examples
from ledger.domain.errors import InvalidCommand
from ledger.i18n import _

DEFAULT_STATE = ".ledger/witness-state.db"
DEFAULT_PORT = 7380


def keygen(
    name: Annotated[str, typer.Option(help="witness name, URL-like (e.g. witness.example/be)")],
    out: Annotated[str, typer.Option(help="key file to create (mode 0600, never overwritten)")],
    as_json: Json = False,
) -> None:
    """Create the witness's cosignature key file and print its vkey."""
    from ledger.audit.witness_server import generate_witness_key
    from ledger.integrity import KeyFormatError

    path = Path(out)
    if path.exists():
        raise InvalidCommand(f"{path} exists: a witness key is never overwritten")
    try:
        vkey = generate_witness_key(name, path)
    except KeyFormatError as exc:
        raise InvalidCommand(f"invalid witness name {name!r}: {exc} (no spaces, no '+')") from None
    emit(as_json, {"vkey": vkey, "key_file": str(path)}, lambda d: print(d["vkey"]))


def serve(
    key: Annotated[str, typer.Option(help="witness key file (ledger witness keygen)")],
    logs: Annotated[str, typer.Option(help="file of 'log <vkey> [<url>]' lines: the logs to witness")],
    state: Annotated[
        str, typer.Option(help="SQLite file of the latest cosigned size per log")
    ] = DEFAULT_STATE,
    host: Annotated[str, typer.Option(help="bind address")] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=0, max=65535, help="port")] = DEFAULT_PORT,
) -> None:
    """Witness other logs (c2sp.org/tlog-witness) until interrupted."""
    import uvicorn

    from ledger.audit.witness_server import WitnessState, load_witness_key, read_log_list, witness_app

    signer = load_witness_key(Path(key))
    known = read_log_list(Path(logs))
    Path(state).parent.mkdir(parents=True, exist_ok=True)
    kept = WitnessState(Path(state))
    print(
        _("witness {name} on {url} for {count} log(s)").format(
            name=signer.name, url=f"http://{host}:{port}", count=len(known)
        ),
        flush=True,
    )
    print(_("  vkey: {vkey}").format(vkey=signer.verifier.vkey), flush=True)
    try:
        with contextlib.suppress(KeyboardInterrupt):
            uvicorn.run(witness_app(signer, known, kept), host=host, port=port, log_level="warning")
    finally:
        kept.close()


def register(app: typer.Typer) -> None:
    """Add the ``witness`` verb group."""
    add_examples(
        {
            "witness keygen": "ledger witness keygen --name temoin.example.be --out temoin.key",
            "witness serve": "ledger witness serve --key temoin.key --logs journaux.txt --port 8443",
        }
    )
    witness = typer.Typer(help="witness other bodies' logs (c2sp.org/tlog-witness)", no_args_is_help=True)
    witness.command("keygen", help="create the witness's cosignature key file, print its vkey")(keygen)
    witness.command("serve", help="serve add-checkpoint for the logs of a log list")(serve)
    app.add_typer(witness, name="witness")
