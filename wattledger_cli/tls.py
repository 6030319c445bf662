"""`wattledger tls init`: a private CA and certificates for mutual TLS between the application and Temporal."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

app = typer.Typer(help="Mutual TLS to Temporal: certificates for a deployment without its own PKI.",
                  no_args_is_help=True)


@app.command("init")
def init(
    directory: Annotated[Path, typer.Argument(help="an empty folder for the CA, server and client files")],
    server_name: Annotated[list[str] | None, typer.Option(
        "--server-name", help="DNS name or IP address clients reach Temporal at (repeatable); default temporal")] = None,
) -> None:
    """Write ca.pem, temporal.pem (+key) for the Temporal frontend, and worker/api/ui/cli client certificates."""
    from runtime.tls import TemporalTlsError, issue_certificates

    server_names = server_name or ["temporal"]
    try:
        files = issue_certificates(directory, server_names)
    except TemporalTlsError as error:
        typer.echo(f"Error: {error}", err=True)
        raise typer.Exit(2) from error
    typer.echo(f"CA {files.ca_cert} (keep ca-key.pem offline); Temporal server {files.server_cert} for "
               f"{', '.join(server_names)}")
    for name, (cert, key) in files.client_certs.items():
        typer.echo(f"client {name}: WATTLEDGER_TEMPORAL_TLS_CERT_PATH={cert} WATTLEDGER_TEMPORAL_TLS_KEY_PATH={key}")
    typer.echo(f"every client: WATTLEDGER_TEMPORAL_TLS_CA_PATH={files.ca_cert} "
               f"WATTLEDGER_TEMPORAL_TLS_SERVER_NAME={server_names[0]}")
