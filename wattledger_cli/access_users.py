"""`wattledger access user ...`: user accounts that sign in to the web pages with a user name and password.

Passwords never appear on the command line (where `ps` and the shell history would keep them): they are asked
for twice without echo, or read from the first line of standard input with `--password-stdin`.
"""

from __future__ import annotations

import json
import sys
from typing import Annotated

import typer

from wattledger_cli.database import database_engine
from wattledger_cli.output import console

app = typer.Typer(help="User accounts: user name and password (Argon2id), roles, tenant and campus binding.",
                  no_args_is_help=True)

RoleOption = Annotated[list[str], typer.Option("--role", help="operator, finance, auditor, tenant, ingest (repeat)")]
# `--tenant-id`/`--campus-id` too: `access token` and `api-key` take both spellings, and so does this.
TenantOption = Annotated[str | None, typer.Option("--tenant", "--tenant-id", help="tenant id (with the tenant role only)")]
CampusOption = Annotated[list[str] | None, typer.Option("--campus", "--campus-id",
                                                        help="campus billing the tenant (repeat)")]
PasswordStdinOption = Annotated[bool, typer.Option("--password-stdin", help="read the password from standard input")]


def _password(from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    password: str = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    return password


def _fail(error: Exception) -> typer.Exit:
    typer.echo(f"Error: {error}", err=True)
    return typer.Exit(1)


@app.command("add")
def add_command(user_name: str, role: RoleOption, tenant: TenantOption = None, campus: CampusOption = None,
                password_stdin: PasswordStdinOption = False,
                sso_only: Annotated[bool, typer.Option("--sso-only", help="no password: single sign-on only")] = False,
                ) -> None:
    """Create an account; asks for its password (12 to 256 characters, not containing the user name)."""
    from accounts import add_user
    from common.errors import DomainError
    from settings import Settings

    password = None if sso_only else _password(password_stdin)
    try:
        with database_engine(Settings()) as engine, engine.begin() as conn:
            account = add_user(conn, user_name, role, tenant, campus or [], password)
    except DomainError as error:
        raise _fail(error) from None
    typer.echo(f"added {account.user_name} ({', '.join(sorted(account.roles))})")


@app.command("list")
def list_command(as_json: Annotated[bool, typer.Option("--json", help="print JSON")] = False) -> None:
    """List accounts: user name, roles, tenant and campuses, enabled or disabled."""
    from accounts import list_users
    from settings import Settings

    with database_engine(Settings()) as engine, engine.connect() as conn:
        accounts = list_users(conn)
    rows = [{"user_name": account.user_name, "roles": sorted(account.roles), "tenant_id": account.tenant_id,
             "campus_ids": sorted(account.campus_ids), "disabled": account.disabled} for account in accounts]
    if as_json:
        typer.echo(json.dumps(rows, indent=2))
        return
    from rich.table import Table

    table = Table("user name", "roles", "tenant", "campuses", "state")
    for row in rows:
        table.add_row(str(row["user_name"]), ", ".join(row["roles"]), str(row["tenant_id"] or ""),  # type: ignore[arg-type]
                      ", ".join(row["campus_ids"]), "disabled" if row["disabled"] else "enabled")  # type: ignore[arg-type]
    console().print(table)  # a wide page, not 80 columns, when piped


def _change(user_name: str, action: str) -> None:
    """Run one change in a transaction: 'disable', 'enable' or 'set-password'."""
    from accounts import set_disabled, set_password
    from common.errors import DomainError
    from settings import Settings

    password = _password(sys.stdin is not None and not sys.stdin.isatty()) if action == "set-password" else ""
    try:
        with database_engine(Settings()) as engine, engine.begin() as conn:
            if action == "set-password":
                set_password(conn, user_name, password)
            else:
                set_disabled(conn, user_name, action == "disable")
    except DomainError as error:
        raise _fail(error) from None


@app.command("disable")
def disable_command(user_name: str) -> None:
    """Disable an account and end its sessions (it can no longer sign in; nothing is deleted)."""
    _change(user_name, "disable")
    typer.echo(f"disabled {user_name}")


@app.command("enable")
def enable_command(user_name: str) -> None:
    """Enable a disabled account again."""
    _change(user_name, "enable")
    typer.echo(f"enabled {user_name}")


@app.command("set-password")
def set_password_command(user_name: str) -> None:
    """Set a new password (asked twice, or read from piped standard input); ends the account's sessions."""
    _change(user_name, "set-password")
    typer.echo(f"password set for {user_name}")


@app.command("roles")
def roles_command(user_name: str, role: RoleOption, tenant: TenantOption = None, campus: CampusOption = None) -> None:
    """Replace an account's roles (and tenant and campus binding); ends its sessions."""
    from accounts import set_roles
    from common.errors import DomainError
    from settings import Settings

    try:
        with database_engine(Settings()) as engine, engine.begin() as conn:
            account = set_roles(conn, user_name, role, tenant, campus or [])
    except DomainError as error:
        raise _fail(error) from None
    typer.echo(f"{account.user_name}: {', '.join(sorted(account.roles))}")
