"""`wattledger witness ...`: the project's own checkpoint witness (C2SP tlog-witness, ledger/witness.py).

The witness has its own home (default `<WATTLEDGER_HOME>/witness`): its Ed25519 key and its state file, never the
ledger's key or database. `wattledger dev` starts one and points the ledger at it; in production run it on another
machine, under another operator, and give the ledger its URL and key (`WATTLEDGER_LEDGER_WITNESSES`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

app = typer.Typer(help="The checkpoint witness: cosigns the ledger's checkpoints that extend what it saw.",
                  no_args_is_help=True)

DEFAULT_NAME = "wattledger.local/witness"
HomeOption = Annotated[Path | None, typer.Option(help="witness home (key, state); default <WATTLEDGER_HOME>/witness")]
NameOption = Annotated[str, typer.Option(help="the witness's key name, a schema-less URL")]


def _home(home: Path | None) -> Path:
    if home is not None:
        return home
    from settings import Settings

    return Settings().witness_home


@app.command("serve")
def serve_command(
    log_vkey: Annotated[list[str], typer.Option("--log-vkey", help="a log key the witness trusts (repeatable); the "
                                                "key's name is the log's origin (`wattledger ledger public-key`)")],
    home: HomeOption = None,
    name: NameOption = DEFAULT_NAME,
    host: str = "127.0.0.1",
    port: int = 7380,
) -> None:
    """Answer `POST /add-checkpoint` until stopped; `GET /key` gives the witness's vkey."""
    from ledger import NoteError, Witness, witness_server

    try:
        witness = Witness.at_home(_home(home), name, log_vkey)
    except (NoteError, OSError, ValueError, TypeError) as error:
        raise typer.BadParameter(str(error)) from None
    server = witness_server(witness, host, port)
    typer.echo(f"witness {name} on http://{host}:{server.server_address[1]} key {witness.key.vkey}")
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()


@app.command("public-key")
def public_key_command(home: HomeOption = None, name: NameOption = DEFAULT_NAME) -> None:
    """Print the witness's verifier key (created with the witness's key on first use); give it to auditors as
    `--witness-key` and to the ledger in WATTLEDGER_LEDGER_WITNESSES."""
    from ledger import cosigner_key_from_private, load_or_create_witness_key

    typer.echo(cosigner_key_from_private(name, load_or_create_witness_key(_home(home))).vkey)
