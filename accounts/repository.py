"""SQL of user accounts, web sessions and pending single sign-on logins (tables of migration 0013)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, text

from accounts.rules import Account

_ACCOUNT_COLUMNS = "user_name, roles, tenant_id, campus_ids, disabled_at_utc IS NOT NULL"


def _account(row: Sequence[Any]) -> Account:
    return Account(user_name=row[0], roles=frozenset(row[1]), tenant_id=row[2], campus_ids=frozenset(row[3]),
                   disabled=bool(row[4]))


def insert_account(conn: Connection, account: Account, password_hash: str | None) -> bool:
    """Insert the account; False when the user name is taken."""
    result = conn.execute(
        text("INSERT INTO user_account (user_name, password_hash, roles, tenant_id, campus_ids, "
             "password_changed_at_utc) VALUES (:name, :hash, :roles, :tenant, :campuses, "
             "CASE WHEN CAST(:hash AS text) IS NULL THEN NULL ELSE now() END) ON CONFLICT (user_name) DO NOTHING"),
        {"name": account.user_name, "hash": password_hash, "roles": sorted(account.roles),
         "tenant": account.tenant_id, "campuses": sorted(account.campus_ids)})
    return result.rowcount == 1


def load_account(conn: Connection, user_name: str) -> tuple[Account, str | None] | None:
    row = conn.execute(text(f"SELECT {_ACCOUNT_COLUMNS}, password_hash FROM user_account WHERE user_name = :name"),
                       {"name": user_name}).one_or_none()
    return None if row is None else (_account(tuple(row)), row[5])


def list_accounts(conn: Connection) -> list[Account]:
    rows = conn.execute(text(f"SELECT {_ACCOUNT_COLUMNS} FROM user_account ORDER BY user_name")).all()
    return [_account(tuple(row)) for row in rows]


def set_password_hash(conn: Connection, user_name: str, password_hash: str) -> bool:
    result = conn.execute(text("UPDATE user_account SET password_hash = :hash, password_changed_at_utc = now() "
                               "WHERE user_name = :name"), {"name": user_name, "hash": password_hash})
    return result.rowcount == 1


def set_roles(conn: Connection, account: Account) -> bool:
    result = conn.execute(text("UPDATE user_account SET roles = :roles, tenant_id = :tenant, campus_ids = :campuses "
                               "WHERE user_name = :name"),
                          {"name": account.user_name, "roles": sorted(account.roles), "tenant": account.tenant_id,
                           "campuses": sorted(account.campus_ids)})
    return result.rowcount == 1


def set_disabled(conn: Connection, user_name: str, disabled: bool) -> bool:
    result = conn.execute(
        text("UPDATE user_account SET disabled_at_utc = CASE WHEN :disabled THEN coalesce(disabled_at_utc, now()) "
             "ELSE NULL END WHERE user_name = :name"), {"name": user_name, "disabled": disabled})
    return result.rowcount == 1


def insert_session(conn: Connection, session_sha256_hex: str, account: Account, method: str,
                   expires_at_utc: datetime) -> None:
    """Insert the session; sessions that ended or expired more than 30 days ago are removed on the way."""
    conn.execute(text("DELETE FROM web_session WHERE coalesce(ended_at_utc, expires_at_utc) "
                      "< now() - interval '30 days'"))
    conn.execute(
        text("INSERT INTO web_session (session_sha256_hex, subject, roles, tenant_id, campus_ids, method, "
             "expires_at_utc) VALUES (:id, :subject, :roles, :tenant, :campuses, :method, :expires)"),
        {"id": session_sha256_hex, "subject": account.user_name, "roles": sorted(account.roles),
         "tenant": account.tenant_id, "campuses": sorted(account.campus_ids), "method": method,
         "expires": expires_at_utc})


def load_live_session(conn: Connection, session_sha256_hex: str) -> Account | None:
    """The session's holder, if the session has neither expired nor ended."""
    row = conn.execute(
        text("SELECT subject, roles, tenant_id, campus_ids, false FROM web_session WHERE session_sha256_hex = :id "
             "AND ended_at_utc IS NULL AND expires_at_utc > now()"), {"id": session_sha256_hex}).one_or_none()
    return None if row is None else _account(tuple(row))


def end_session(conn: Connection, session_sha256_hex: str) -> bool:
    result = conn.execute(text("UPDATE web_session SET ended_at_utc = now() WHERE session_sha256_hex = :id "
                               "AND ended_at_utc IS NULL"), {"id": session_sha256_hex})
    return result.rowcount == 1


def end_sessions_of(conn: Connection, subject: str) -> int:
    result = conn.execute(text("UPDATE web_session SET ended_at_utc = now() WHERE subject = :subject "
                               "AND ended_at_utc IS NULL"), {"subject": subject})
    return result.rowcount


def insert_oidc_login(conn: Connection, state_sha256_hex: str, nonce: str, code_verifier: str,
                      expires_at_utc: datetime) -> None:
    conn.execute(text("DELETE FROM oidc_login WHERE expires_at_utc < now()"))
    conn.execute(text("INSERT INTO oidc_login (state_sha256_hex, nonce, code_verifier, expires_at_utc) "
                      "VALUES (:state, :nonce, :verifier, :expires)"),
                 {"state": state_sha256_hex, "nonce": nonce, "verifier": code_verifier, "expires": expires_at_utc})


def take_oidc_login(conn: Connection, state_sha256_hex: str) -> tuple[str, str] | None:
    """(nonce, code verifier) of a pending login, removed so that it is used once; None if unknown or expired."""
    row = conn.execute(text("DELETE FROM oidc_login WHERE state_sha256_hex = :state RETURNING nonce, code_verifier, "
                            "expires_at_utc > now()"), {"state": state_sha256_hex}).one_or_none()
    return None if row is None or not row[2] else (row[0], row[1])
