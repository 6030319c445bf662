"""`wattledger access user ...` on a real PostgreSQL: the password comes from a prompt or standard input, never an
argument; bad input is one `Error:` line and a non-zero exit; the account then signs in."""

from __future__ import annotations

import json
import uuid
from typing import Any

import pytest
from sqlalchemy import Engine, text
from typer.testing import CliRunner

from accounts import check_password
from wattledger_cli.invoice import access_app

PASSWORD = "cli pass phrase long enough"


@pytest.fixture
def cli(database_url: str, monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    monkeypatch.setenv("WATTLEDGER_DATABASE_URL", database_url)
    return CliRunner()


def _run(cli: CliRunner, *args: str, stdin: str | None = None) -> Any:
    return cli.invoke(access_app, ["user", *args], input=stdin)


def test_add_list_roles_set_password_disable(cli: CliRunner, engine: Engine) -> None:
    name = f"cli-{uuid.uuid4().hex[:8]}"
    added = _run(cli, "add", name, "--role", "finance", stdin=f"{PASSWORD}\n{PASSWORD}\n")  # prompted twice
    assert added.exit_code == 0 and f"added {name} (finance)" in added.output, added.output
    assert PASSWORD not in added.output
    with engine.begin() as conn:
        stored = conn.execute(text("SELECT password_hash FROM user_account WHERE user_name = :n"), {"n": name})
        assert stored.scalar_one().startswith("$argon2id$")
        assert check_password(conn, name, PASSWORD) is not None

    listed = json.loads(_run(cli, "list", "--json").output)
    assert {"user_name": name, "roles": ["finance"], "tenant_id": None, "campus_ids": [], "disabled": False} in listed
    assert name in _run(cli, "list").output  # the table

    assert _run(cli, "roles", name, "--role", "finance", "--role", "auditor").exit_code == 0
    assert _run(cli, "set-password", name, stdin="another cli pass phrase\n").exit_code == 0
    assert _run(cli, "disable", name).exit_code == 0
    with engine.begin() as conn:
        assert check_password(conn, name, "another cli pass phrase") is None  # disabled
    assert _run(cli, "enable", name).exit_code == 0
    with engine.begin() as conn:
        account = check_password(conn, name, "another cli pass phrase")
    assert account is not None and account.roles == {"finance", "auditor"}


def test_a_tenant_account_with_its_campus_from_stdin(cli: CliRunner) -> None:
    name = f"cli-t-{uuid.uuid4().hex[:8]}"
    added = _run(cli, "add", name, "--role", "tenant", "--tenant", "acme", "--campus", "north", "--password-stdin",
                 stdin=PASSWORD + "\n")
    assert added.exit_code == 0, added.output
    listed = json.loads(_run(cli, "list", "--json").output)
    assert {"user_name": name, "roles": ["tenant"], "tenant_id": "acme", "campus_ids": ["north"],
            "disabled": False} in listed


def test_user_add_takes_tenant_id_and_campus_id_as_access_token_spells_them(cli: CliRunner) -> None:
    name = f"cli-t-{uuid.uuid4().hex[:8]}"
    added = _run(cli, "add", name, "--role", "tenant", "--tenant-id", "acme", "--campus-id", "north", "--campus",
                 "south", "--password-stdin", stdin=PASSWORD + "\n")
    assert added.exit_code == 0, added.output
    listed = json.loads(_run(cli, "list", "--json").output)
    assert {"user_name": name, "roles": ["tenant"], "tenant_id": "acme", "campus_ids": ["north", "south"],
            "disabled": False} in listed


@pytest.mark.parametrize(("args", "stdin", "message"), [
    (["add", "short-pw", "--role", "finance", "--password-stdin"], "too short\n", "at least 12"),
    (["add", "bad name", "--role", "finance", "--password-stdin"], PASSWORD + "\n", "user_name"),
    (["add", "no-campus", "--role", "tenant", "--tenant", "acme", "--password-stdin"], PASSWORD + "\n",
     "campus_ids"),
    (["add", "bogus-role", "--role", "root", "--password-stdin"], PASSWORD + "\n", "roles"),
    (["disable", "no-such-user-at-all"], None, "no user account"),
    (["roles", "no-such-user-at-all", "--role", "auditor"], None, "no user account"),
])
def test_bad_input_is_one_error_line_and_nothing_stored(cli: CliRunner, engine: Engine, args: list[str],
                                                        stdin: str | None, message: str) -> None:
    result = _run(cli, *args, stdin=stdin)
    assert result.exit_code == 1 and message in result.output and "Traceback" not in result.output
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM user_account WHERE user_name = :n"),
                            {"n": args[1]}).scalar_one() == 0


def test_a_taken_user_name_is_refused(cli: CliRunner) -> None:
    name = f"cli-{uuid.uuid4().hex[:8]}"
    assert _run(cli, "add", name, "--role", "auditor", "--sso-only").exit_code == 0
    again = _run(cli, "add", name, "--role", "auditor", "--sso-only")
    assert again.exit_code == 1 and "exists already" in again.output
